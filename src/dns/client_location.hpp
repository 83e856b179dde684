// Where a client is (issue 6, section 1): its address (the EDNS Client Subnet, else the source address)
// mapped to a location by, in order, the CIDR table from config, the member clusters' own networks (pod and
// node CIDRs: an in-cluster client, for local-first answers), and MaxMind-format databases (libmaxminddb).
// Built once per config, immutable, read by every DNS worker: a lookup allocates nothing and takes no lock.
// Each answer also says how many bits of the address it depends on, the ECS SCOPE PREFIX-LENGTH (RFC
// 7871 7.2.1).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "common/result.hpp"
#include "model/unit_vector.hpp"

namespace fedns::dns {

// A client address, or the prefix of one an ECS option carries: `prefix` leading bits of `bytes` count.
struct ClientAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in the first 4
  std::uint8_t prefix = 32;

  static ClientAddress v4(const std::array<std::uint8_t, 4>& address, std::uint8_t prefix = 32);
  static ClientAddress v6_address(const std::array<std::uint8_t, 16>& address, std::uint8_t prefix = 128);
  // "10.1.2.3", "2001:db8::1"; nullopt for anything else.
  static std::optional<ClientAddress> parse(const std::string& text);
};

// The address of a socket peer (an IPv4-mapped IPv6 address as the IPv4 address it is); prefix 0 (nobody)
// for null or another family.
ClientAddress client_address_of(const sockaddr* peer) noexcept;
// "10.1.2.3" or "2001:db8::1" ("-" for nobody), for logs.
std::string to_string(const ClientAddress& address);

inline constexpr std::uint16_t kNoName = 0xFFFF;  // == model::kNoLocality

struct Location {
  std::uint16_t region = kNoName;  // ids into ClientLocator::name()
  std::uint16_t zone = kNoName;
  std::uint16_t cluster = kNoName;  // a member cluster's own network
  std::array<char, 3> country{};    // ISO 3166-1 alpha-2, or empty
  bool has_coordinates = false;
  float latitude = 0;
  float longitude = 0;
  model::UnitVector position;  // the coordinates as a unit vector, computed where they are set, not per query

  void set_coordinates(float lat, float lon) noexcept {
    has_coordinates = true;
    latitude = lat;
    longitude = lon;
    position = model::UnitVector::from_degrees(lat, lon);
  }
};

enum class LocationSource : std::uint8_t { kNone, kTable, kCluster, kGeoip };

struct Located {
  Location location;
  LocationSource source = LocationSource::kNone;
  // The leading bits of the address the location depends on: an ECS answer's SCOPE PREFIX-LENGTH (never more
  // than the query's SOURCE PREFIX-LENGTH; the caller caps it).
  std::uint8_t scope = 0;
};

// Longest-prefix match over CIDR entries, one table per family.
class CidrTable {
 public:
  // Fails for a prefix that is not a network ("10.1.2.3/8": host bits set) or a duplicate.
  Result<void> add(const std::string& cidr, const Location& location);
  // Call once after the last add(): precomputes each entry's scope.
  void seal();
  // The longest matching entry, with the scope it holds for; `scope` alone (source kNone) on a miss: the bits
  // that could still have decided (the longest entry of the family), so that a cache does not spread a miss
  // over addresses the table does place.
  [[nodiscard]] Located find(const ClientAddress& address) const noexcept;
  [[nodiscard]] bool empty() const { return v4_.lengths.empty() && v6_.lengths.empty(); }

 private:
  struct Entry {
    std::array<std::uint8_t, 16> key{};
    Location location;
    std::uint8_t scope = 0;  // the longest prefix among the entries inside this one (itself included)
  };
  struct Family {
    std::map<std::uint8_t, std::vector<Entry>, std::greater<>> by_length;  // each sorted by key
    std::vector<std::uint8_t> lengths;                                     // longest first (seal())
    std::uint8_t longest = 0;
  };
  Family v4_;
  Family v6_;
};

// A MaxMind-format database opened read-only (memory-mapped). Both layouts in use are read: MaxMind's
// (country.iso_code, location.latitude/longitude) and ip-location-db's flat one (country_code, latitude,
// longitude).
class GeoipDatabase {
 public:
  static Result<std::unique_ptr<GeoipDatabase>> open(const std::string& path);
  ~GeoipDatabase();
  GeoipDatabase(const GeoipDatabase&) = delete;
  GeoipDatabase& operator=(const GeoipDatabase&) = delete;

  // The country and coordinates of the address, with the database's network length as the scope; source
  // kNone when the database has no entry (or not for that family).
  [[nodiscard]] Located find(const ClientAddress& address) const noexcept;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] bool has_v6() const;

 private:
  GeoipDatabase() = default;
  struct Record {
    std::array<char, 3> country{};
    bool has_coordinates = false;
    float latitude = 0;
    float longitude = 0;
    model::UnitVector position;
  };
  void index_records();
  [[nodiscard]] std::uint32_t child(std::uint32_t node, bool right) const noexcept;
  // Follows the key's bits [from, bits) from `node` until a record that is not a node; returns the bits used.
  unsigned walk(std::uint32_t& node, const std::array<std::uint8_t, 16>& key, unsigned from,
                unsigned bits) const noexcept;
  [[nodiscard]] const Record* record_at(std::uint32_t offset) const noexcept;

  std::string path_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  // Every data record the search tree leads to, decoded once when the database opens, found by its offset in
  // the data section through a hash table: decoding the record's maps per query (six key searches) cost
  // twelve times the rest of the answer. GeoLite2-City: 343k records, about 0.4 s and 15 MB at open.
  std::vector<std::uint32_t> record_offsets_;
  std::vector<Record> records_;
  std::vector<std::uint32_t> record_slots_;  // open addressing by offset: index into records_ + 1, 0 = free

  // The search tree, walked here rather than by MMDB_lookup_sockaddr: its generic record reader, sockaddr
  // handling and result assembly cost 1,100 instructions per lookup, four times this walk (the format is
  // MaxMind DB 2.0's binary search tree: nodes of two 24/28/32-bit records).
  const std::uint8_t* tree_ = nullptr;
  std::uint32_t node_count_ = 0;
  std::uint16_t record_bits_ = 0;
  std::uint32_t data_section_size_ = 0;
  std::uint32_t ipv4_start_ = 0;  // the node for ::a.b.c.d/96 in an IPv6 tree (0 in an IPv4 tree)
  // Where the first 16 bits of an address lead (a node, or the record reached earlier, and the bits used):
  // a lookup starts 16 levels down (512 KiB per family).
  static constexpr unsigned kJumpBits = 16;
  struct Jump {
    std::uint32_t node = 0;
    std::uint8_t depth = 0;
  };
  std::vector<Jump> ipv4_jumps_;
  std::vector<Jump> ipv6_jumps_;
};

class LocationCache;

// Everything that places a client, in order.
class ClientLocator {
 public:
  struct Config {
    struct Coordinates {
      float latitude = 0;
      float longitude = 0;
    };
    struct Entry {
      std::string cidr;
      std::string region;
      std::string zone;
      std::optional<Coordinates> coordinates;  // for geo-nearest answers to clients placed by the table
    };
    std::vector<Entry> table;  // config `locations`
    struct ClusterNetworks {
      std::string cluster;
      std::string region;
      std::string zone;
      std::vector<std::string> cidrs;
      std::optional<Coordinates> coordinates;
    };
    std::vector<ClusterNetworks> clusters;
    std::vector<std::string> geoip;  // database paths (e.g. one IPv4 and one IPv6 file)
    // A database's country (ISO 3166-1 alpha-2, upper case) -> region, so database hits have a region too.
    std::map<std::string, std::string> countries;
    // Region -> region latency (milliseconds) for latency answers; one direction given stands for both.
    struct Latency {
      std::string from;
      std::string to;
      float milliseconds = 0;
    };
    std::vector<Latency> latency;
  };
  // Fails naming the entry or the database; a database that cannot be opened is an error here (the config
  // check), and the caller decides whether to run without it.
  static Result<ClientLocator> build(const Config& config);

  [[nodiscard]] Located locate(const ClientAddress& address) const noexcept;
  // Tells locators apart for memos of their answers (dns/location_cache.hpp): every build() gets its own,
  // never 0; copies of one locator share it, as they answer alike.
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
  [[nodiscard]] const std::string& name(std::uint16_t id) const;
  // The id of a region, zone or cluster name (records carry these), or kNoName.
  [[nodiscard]] std::uint16_t id(const std::string& name) const;
  // The configured latency from one region to another in milliseconds (0 within a region unless configured),
  // or a negative number when the matrix does not say.
  [[nodiscard]] float latency(std::uint16_t from, std::uint16_t to) const noexcept {
    if (from >= regions_ || to >= regions_) return -1;
    return latency_[static_cast<std::size_t>(from) * regions_ + to];
  }

 private:
  std::uint16_t intern(const std::string& name);
  std::uint64_t generation_ = 0;
  std::vector<std::string> names_;
  CidrTable table_;
  CidrTable clusters_;
  std::vector<std::shared_ptr<GeoipDatabase>> geoip_;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> country_regions_;  // (two letters, region id), sorted
  std::size_t regions_ = 0;     // the latency matrix's side: every name id below it
  std::vector<float> latency_;  // regions_ x regions_, -1 where unknown
};

// One query's client: placed on first use only (most answers do not depend on where the client is), and
// remembering whether an answer did, for the ECS scope.
class ClientContext {
 public:
  ClientContext() = default;
  ClientContext(const ClientLocator* locator, const ClientAddress& address,
                LocationCache* cache = nullptr) noexcept
      : locator_(locator), cache_(cache), address_(address) {}

  // The client's location, or null when there is no locator or the client has no region.
  const Located* location() noexcept {
    const Located& found = located();
    return found.location.region != kNoName ? &found : nullptr;
  }
  // Whatever placed the client (source kNone: nothing did), with the scope it holds for.
  const Located& located() noexcept {
    if (!done_) {
      done_ = true;
      if (locator_ != nullptr) located_ = cache_ != nullptr ? locate_cached() : locator_->locate(address_);
    }
    return located_;
  }
  // An answer was chosen by the client's location (or by its absence): the ECS scope says how far that holds;
  // `bits`: the answer also depends on that many leading bits of the address itself (a sticky hash).
  void depended(std::uint8_t bits = 0) noexcept {
    depended_ = true;
    bits_ = std::max(bits_, bits);
  }
  [[nodiscard]] bool depends() const noexcept { return depended_; }
  [[nodiscard]] std::uint8_t scope() const noexcept { return std::max(located_.scope, bits_); }
  [[nodiscard]] const ClientAddress& address() const noexcept { return address_; }
  [[nodiscard]] const ClientLocator* locator() const noexcept { return locator_; }

 private:
  // Defined in client_location.cpp: dns/location_cache.hpp includes this header.
  Located locate_cached() noexcept;
  const ClientLocator* locator_ = nullptr;
  LocationCache* cache_ = nullptr;
  ClientAddress address_;
  Located located_;
  std::uint8_t bits_ = 0;
  bool done_ = false;
  bool depended_ = false;
};

}  // namespace fedns::dns
