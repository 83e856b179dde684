// Client location: CIDR tables and MaxMind-format databases (see client_location.hpp).
#include "dns/client_location.hpp"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>

#include "dns/location_cache.hpp"

namespace fedns::dns {
namespace {

std::array<std::uint8_t, 16> masked(const std::array<std::uint8_t, 16>& bytes, unsigned prefix) noexcept {
  std::array<std::uint8_t, 16> out{};
  const unsigned whole = prefix / 8;
  for (unsigned i = 0; i < whole && i < 16; ++i)
    out[i] = bytes[i];
  if (const unsigned spare = prefix % 8; spare != 0 && whole < 16)
    out[whole] = static_cast<std::uint8_t>(bytes[whole] & (0xFFu << (8 - spare)));
  return out;
}

// One record of a MaxMind DB search-tree node: nodes are two big-endian records of 24, 28 or 32 bits (28: the
// middle byte holds both records' high nibbles).
template <unsigned Bits>
std::uint32_t tree_child(const std::uint8_t* tree, std::uint32_t node, bool right) noexcept {
  const std::uint8_t* n = tree + static_cast<std::size_t>(node) * (Bits / 4);
  const auto be24 = [](const std::uint8_t* b) {
    return static_cast<std::uint32_t>(b[0]) << 16 | static_cast<std::uint32_t>(b[1]) << 8 | b[2];
  };
  if constexpr (Bits == 24) {
    return be24(right ? n + 3 : n);
  } else if constexpr (Bits == 28) {
    return right ? (static_cast<std::uint32_t>(n[3] & 0x0F) << 24 | be24(n + 4))
                 : (static_cast<std::uint32_t>(n[3] & 0xF0) << 20 | be24(n));
  } else {
    return right ? (static_cast<std::uint32_t>(n[4]) << 24 | be24(n + 5))
                 : (static_cast<std::uint32_t>(n[0]) << 24 | be24(n + 1));
  }
}

// Follows the address's bits from `node` until a record that is not a node; returns the bits consumed.
template <unsigned Bits>
unsigned tree_walk(const std::uint8_t* tree, std::uint32_t node_count, std::uint32_t& node,
                   const std::array<std::uint8_t, 16>& key, unsigned from, unsigned bits) noexcept {
  unsigned depth = from;
  for (; depth < bits && node < node_count; ++depth)
    node = tree_child<Bits>(tree, node, ((key[depth / 8] >> (7 - depth % 8)) & 1) != 0);
  return depth;
}

// Fibonacci hashing of a data offset into a power-of-two table.
std::size_t slot_of(std::uint32_t offset, std::size_t slots) noexcept {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(offset) * 0x9E3779B97F4A7C15ULL) >> 32) &
         (slots - 1);
}

}  // namespace

ClientAddress ClientAddress::v4(const std::array<std::uint8_t, 4>& address, std::uint8_t prefix) {
  ClientAddress a;
  std::copy(address.begin(), address.end(), a.bytes.begin());
  a.prefix = std::min<std::uint8_t>(prefix, 32);
  return a;
}

ClientAddress ClientAddress::v6_address(const std::array<std::uint8_t, 16>& address, std::uint8_t prefix) {
  ClientAddress a;
  a.v6 = true;
  a.bytes = address;
  a.prefix = std::min<std::uint8_t>(prefix, 128);
  return a;
}

ClientAddress client_address_of(const sockaddr* peer) noexcept {
  ClientAddress a;
  a.prefix = 0;  // no address to go by (a test, an unknown family): nobody is placed
  if (peer == nullptr) return a;
  if (peer->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(peer);
    std::memcpy(a.bytes.data(), &in->sin_addr, 4);
    a.prefix = 32;
  } else if (peer->sa_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(peer);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&in->sin6_addr);
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: placed as the IPv4 address it is.
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(b, kMapped, 12) == 0) {
      std::memcpy(a.bytes.data(), b + 12, 4);
      a.prefix = 32;
    } else {
      a.v6 = true;
      std::memcpy(a.bytes.data(), b, 16);
      a.prefix = 128;
    }
  }
  return a;
}

std::string to_string(const ClientAddress& address) {
  if (address.prefix == 0) return "-";
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text);
  return text;
}

std::optional<ClientAddress> ClientAddress::parse(const std::string& text) {
  std::array<std::uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1)
    return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) return v6_address(bytes);
  return std::nullopt;
}

Result<void> CidrTable::add(const std::string& cidr, const Location& location) {
  const auto slash = cidr.find('/');
  const auto address = ClientAddress::parse(cidr.substr(0, slash));
  if (slash == std::string::npos || !address)
    return Error{"\"" + cidr + "\" is not a network such as 10.0.0.0/8"};
  const unsigned max = address->v6 ? 128 : 32;
  unsigned length = 0;
  const std::string digits = cidr.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit) ||
      (length = static_cast<unsigned>(std::stoul(digits))) > max) {
    return Error{"\"" + cidr + "\": the prefix length must be 0 to " + std::to_string(max)};
  }
  const auto key = masked(address->bytes, length);
  if (key != address->bytes) return Error{"\"" + cidr + "\" has bits set past its prefix length"};
  auto& entries = (address->v6 ? v6_ : v4_).by_length[static_cast<std::uint8_t>(length)];
  const auto at =
      std::lower_bound(entries.begin(), entries.end(), key,
                       [](const Entry& e, const std::array<std::uint8_t, 16>& k) { return e.key < k; });
  if (at != entries.end() && at->key == key) return Error{"\"" + cidr + "\" is listed twice"};
  entries.insert(at, Entry{key, location, static_cast<std::uint8_t>(length)});
  return {};
}

void CidrTable::seal() {
  for (Family* family : {&v4_, &v6_}) {
    family->lengths.clear();
    for (const auto& [length, entries] : family->by_length)
      family->lengths.push_back(length);
    family->longest = family->lengths.empty() ? 0 : family->lengths.front();
    // An entry's answer holds for its whole network only if no longer entry sits inside it; otherwise for as
    // many bits as the longest one inside (a cache must not spread the outer answer over the inner network).
    for (auto& [length, entries] : family->by_length) {
      for (auto& entry : entries) {
        for (const auto& [inner_length, inner] : family->by_length) {
          if (inner_length <= length || inner_length <= entry.scope) continue;
          const bool nested = std::any_of(inner.begin(), inner.end(), [&, l = length](const Entry& e) {
            return masked(e.key, l) == entry.key;
          });
          if (nested) entry.scope = inner_length;
        }
      }
    }
  }
}

Located CidrTable::find(const ClientAddress& address) const noexcept {
  const Family& family = address.v6 ? v6_ : v4_;
  for (const std::uint8_t length : family.lengths) {
    if (length > address.prefix) continue;  // an ECS prefix shorter than the entry cannot be placed by it
    const auto key = masked(address.bytes, length);
    const auto& entries = family.by_length.at(length);
    const auto at =
        std::lower_bound(entries.begin(), entries.end(), key,
                         [](const Entry& e, const std::array<std::uint8_t, 16>& k) { return e.key < k; });
    if (at != entries.end() && at->key == key) return {at->location, LocationSource::kTable, at->scope};
  }
  return {{}, LocationSource::kNone, family.longest};
}

struct GeoipDatabase::Handle {
  MMDB_s mmdb{};
};

Result<std::unique_ptr<GeoipDatabase>> GeoipDatabase::open(const std::string& path) {
  auto db = std::unique_ptr<GeoipDatabase>(new GeoipDatabase());
  db->path_ = path;
  db->handle_ = std::make_unique<Handle>();
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->handle_->mmdb);
  if (status != MMDB_SUCCESS) {
    db->handle_.reset();
    return Error{path + ": " + MMDB_strerror(status)};
  }
  const MMDB_s& mmdb = db->handle_->mmdb;
  db->tree_ = mmdb.file_content;
  db->node_count_ = mmdb.metadata.node_count;
  db->record_bits_ = mmdb.metadata.record_size;
  db->data_section_size_ = mmdb.data_section_size;
  if (db->record_bits_ != 24 && db->record_bits_ != 28 && db->record_bits_ != 32)
    return Error{path + ": unsupported record size " + std::to_string(db->record_bits_)};
  if (mmdb.metadata.ip_version == 6) {
    for (unsigned depth = 0; depth < 96 && db->ipv4_start_ < db->node_count_; ++depth)
      db->ipv4_start_ = db->child(db->ipv4_start_, false);
  }
  const auto jumps = [&](std::uint32_t start, unsigned bits) {
    std::vector<Jump> table(std::size_t{1} << kJumpBits);
    for (std::uint32_t i = 0; i < table.size(); ++i) {
      std::array<std::uint8_t, 16> key{};
      key[0] = static_cast<std::uint8_t>(i >> 8);
      key[1] = static_cast<std::uint8_t>(i);
      table[i].node = start;
      table[i].depth = static_cast<std::uint8_t>(db->walk(table[i].node, key, 0, std::min(bits, kJumpBits)));
    }
    return table;
  };
  if (db->ipv4_start_ < db->node_count_) db->ipv4_jumps_ = jumps(db->ipv4_start_, 32);
  if (mmdb.metadata.ip_version == 6) db->ipv6_jumps_ = jumps(0, 128);
  db->index_records();
  return db;
}

GeoipDatabase::~GeoipDatabase() {
  if (handle_) MMDB_close(&handle_->mmdb);
}

bool GeoipDatabase::has_v6() const {
  return handle_->mmdb.metadata.ip_version == 6;
}

namespace {

// A number at either path (MaxMind's nested layout first, a failed key search in its larger top-level map
// costing more than one in ip-location-db's flat layout).
bool coordinate(MMDB_entry_s& entry, const char* flat, const char* nested, float& out) noexcept {
  MMDB_entry_data_s data{};
  if ((MMDB_get_value(&entry, &data, "location", nested, nullptr) != MMDB_SUCCESS || !data.has_data) &&
      (MMDB_get_value(&entry, &data, flat, nullptr) != MMDB_SUCCESS || !data.has_data)) {
    return false;
  }
  if (data.type == MMDB_DATA_TYPE_FLOAT) {
    out = data.float_value;
  } else if (data.type == MMDB_DATA_TYPE_DOUBLE) {
    out = static_cast<float>(data.double_value);
  } else {
    return false;
  }
  return true;
}

template <typename Record>
Record decode(MMDB_entry_s entry) noexcept {
  Record out;
  MMDB_entry_data_s data{};
  if (((MMDB_get_value(&entry, &data, "country", "iso_code", nullptr) == MMDB_SUCCESS && data.has_data) ||
       (MMDB_get_value(&entry, &data, "country_code", nullptr) == MMDB_SUCCESS && data.has_data)) &&
      data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size == 2) {
    out.country = {data.utf8_string[0], data.utf8_string[1], '\0'};
  }
  float latitude = 0;
  float longitude = 0;
  if (coordinate(entry, "latitude", "latitude", latitude) &&
      coordinate(entry, "longitude", "longitude", longitude)) {
    out.has_coordinates = true;
    out.latitude = latitude;
    out.longitude = longitude;
    out.position = model::UnitVector::from_degrees(latitude, longitude);
  }
  return out;
}

}  // namespace

void GeoipDatabase::index_records() {
  MMDB_s& mmdb = handle_->mmdb;
  // Mark each data offset a tree record points at (a bitmap over the data section: no sort of the millions
  // of leaves), then decode the marked ones in offset order.
  std::vector<bool> used(mmdb.data_section_size);
  const auto mark = [&](std::uint8_t type, const MMDB_entry_s& entry) {
    if (type == MMDB_RECORD_TYPE_DATA && entry.offset < used.size()) used[entry.offset] = true;
  };
  for (std::uint32_t node = 0; node < mmdb.metadata.node_count; ++node) {
    MMDB_search_node_s read{};
    if (MMDB_read_node(&mmdb, node, &read) != MMDB_SUCCESS) continue;
    mark(read.left_record_type, read.left_record_entry);
    mark(read.right_record_type, read.right_record_entry);
  }
  for (std::uint32_t offset = 0; offset < used.size(); ++offset) {
    if (!used[offset]) continue;
    record_offsets_.push_back(offset);
    records_.push_back(decode<Record>(MMDB_entry_s{&mmdb, offset}));
  }
  record_offsets_.shrink_to_fit();
  records_.shrink_to_fit();
  std::size_t slots = 16;
  while (slots < 2 * records_.size())
    slots *= 2;
  record_slots_.assign(slots, 0);
  for (std::uint32_t i = 0; i < record_offsets_.size(); ++i) {
    std::size_t at = slot_of(record_offsets_[i], slots);
    while (record_slots_[at] != 0)
      at = (at + 1) & (slots - 1);
    record_slots_[at] = i + 1;
  }
}

unsigned GeoipDatabase::walk(std::uint32_t& node, const std::array<std::uint8_t, 16>& key, unsigned from,
                             unsigned bits) const noexcept {
  switch (record_bits_) {
    case 24:
      return tree_walk<24>(tree_, node_count_, node, key, from, bits);
    case 28:
      return tree_walk<28>(tree_, node_count_, node, key, from, bits);
    default:
      return tree_walk<32>(tree_, node_count_, node, key, from, bits);
  }
}

std::uint32_t GeoipDatabase::child(std::uint32_t node, bool right) const noexcept {
  switch (record_bits_) {
    case 24:
      return tree_child<24>(tree_, node, right);
    case 28:
      return tree_child<28>(tree_, node, right);
    default:
      return tree_child<32>(tree_, node, right);
  }
}

const GeoipDatabase::Record* GeoipDatabase::record_at(std::uint32_t offset) const noexcept {
  const std::size_t slots = record_slots_.size();
  for (std::size_t at = slot_of(offset, slots);; at = (at + 1) & (slots - 1)) {
    const std::uint32_t index = record_slots_[at];
    if (index == 0) return nullptr;
    if (record_offsets_[index - 1] == offset) return &records_[index - 1];
  }
}

Located GeoipDatabase::find(const ClientAddress& address) const noexcept {
  if (address.v6 && !has_v6()) return {};  // an IPv6 client in an IPv4-only database
  const auto key = masked(address.bytes, address.prefix);
  const unsigned bits = address.v6 ? 128 : 32;
  const std::vector<Jump>& jumps = address.v6 ? ipv6_jumps_ : ipv4_jumps_;
  std::uint32_t node = ipv4_start_;  // no table: the IPv6 tree ends above ::/96, one record for all of IPv4
  unsigned depth = 0;                // bits of the client's own address consumed
  if (!jumps.empty()) {
    const Jump& jump = jumps[std::size_t{key[0]} << 8 | key[1]];
    node = jump.node;
    depth = jump.depth;
    if (depth == kJumpBits) depth = walk(node, key, depth, bits);
  }
  Located out{{}, LocationSource::kNone, static_cast<std::uint8_t>(depth)};
  // node_count: no entry; node_count + 16 + offset: a record in the data section; anything else is corrupt.
  if (std::uint64_t{node} < std::uint64_t{node_count_} + 16 || node - node_count_ - 16 >= data_section_size_)
    return out;
  const std::uint32_t offset = node - node_count_ - 16;
  const Record* indexed = record_at(offset);
  // Every offset the tree leads to was indexed at open; decoding here is only a guard.
  const Record record = indexed != nullptr ? *indexed : decode<Record>(MMDB_entry_s{&handle_->mmdb, offset});
  out.location.country = record.country;
  out.location.has_coordinates = record.has_coordinates;
  out.location.latitude = record.latitude;
  out.location.longitude = record.longitude;
  out.location.position = record.position;
  if (out.location.country[0] != '\0' || out.location.has_coordinates) out.source = LocationSource::kGeoip;
  return out;
}

std::uint16_t ClientLocator::intern(const std::string& name) {
  if (name.empty()) return kNoName;
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it != names_.end()) return static_cast<std::uint16_t>(it - names_.begin());
  names_.push_back(name);
  return static_cast<std::uint16_t>(names_.size() - 1);
}

const std::string& ClientLocator::name(std::uint16_t id) const {
  static const std::string kNone;
  return id < names_.size() ? names_[id] : kNone;
}

std::uint16_t ClientLocator::id(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  return name.empty() || it == names_.end() ? kNoName : static_cast<std::uint16_t>(it - names_.begin());
}

Result<ClientLocator> ClientLocator::build(const Config& config) {
  static std::atomic<std::uint64_t> generations{0};
  ClientLocator locator;
  locator.generation_ = generations.fetch_add(1, std::memory_order_relaxed) + 1;
  for (std::size_t i = 0; i < config.table.size(); ++i) {
    const auto& entry = config.table[i];
    Location location;
    location.region = locator.intern(entry.region);
    location.zone = locator.intern(entry.zone);
    if (entry.coordinates) {
      location.set_coordinates(entry.coordinates->latitude, entry.coordinates->longitude);
    }
    if (auto r = locator.table_.add(entry.cidr, location); !r)
      return r.error().wrap("locations[" + std::to_string(i) + "]");
  }
  for (const auto& cluster : config.clusters) {
    Location location;
    location.cluster = locator.intern(cluster.cluster);
    location.region = locator.intern(cluster.region);
    location.zone = locator.intern(cluster.zone);
    if (cluster.coordinates) {
      location.set_coordinates(cluster.coordinates->latitude, cluster.coordinates->longitude);
    }
    for (const auto& cidr : cluster.cidrs) {
      if (auto r = locator.clusters_.add(cidr, location); !r)
        return r.error().wrap("cluster " + cluster.cluster);
    }
  }
  if (locator.names_.size() >= kNoName) return Error{"too many distinct region, zone and cluster names"};
  locator.table_.seal();
  locator.clusters_.seal();
  for (const auto& [country, region] : config.countries) {
    if (country.size() != 2 || !std::isupper(static_cast<unsigned char>(country[0])) ||
        !std::isupper(static_cast<unsigned char>(country[1]))) {
      return Error{"countries: \"" + country + "\" is not an ISO 3166-1 alpha-2 code such as GB"};
    }
    const auto code = static_cast<std::uint16_t>((country[0] << 8) | country[1]);
    locator.country_regions_.emplace_back(code, locator.intern(region));
  }
  std::sort(locator.country_regions_.begin(), locator.country_regions_.end());
  for (const auto& entry : config.latency) {
    locator.intern(entry.from);
    locator.intern(entry.to);
  }
  if (locator.names_.size() >= kNoName) return Error{"too many distinct region, zone and cluster names"};
  // Dense: regions are few (a 50-region matrix is 10 KB) and a lookup is one load.
  locator.regions_ = config.latency.empty() ? 0 : locator.names_.size();
  locator.latency_.assign(locator.regions_ * locator.regions_, -1.0F);
  for (std::size_t i = 0; i < locator.regions_; ++i)
    locator.latency_[i * locator.regions_ + i] = 0;
  auto set = [&](std::uint16_t from, std::uint16_t to, float ms) {
    locator.latency_[static_cast<std::size_t>(from) * locator.regions_ + to] = ms;
  };
  for (const auto& entry : config.latency) {  // given directions first, then the reverse where not given
    if (!(entry.milliseconds >= 0))
      return Error{"latency " + entry.from + " -> " + entry.to + " is negative"};
    set(locator.id(entry.from), locator.id(entry.to), entry.milliseconds);
  }
  for (const auto& entry : config.latency) {
    const std::uint16_t from = locator.id(entry.from);
    const std::uint16_t to = locator.id(entry.to);
    bool reverse_given = false;
    for (const auto& other : config.latency)
      reverse_given = reverse_given || (other.from == entry.to && other.to == entry.from);
    if (!reverse_given) set(to, from, entry.milliseconds);
  }
  for (const auto& path : config.geoip) {
    auto db = GeoipDatabase::open(path);
    if (!db) return db.error();
    locator.geoip_.push_back(std::move(db.value()));
  }
  return locator;
}

Located ClientLocator::locate(const ClientAddress& address) const noexcept {
  Located found = table_.find(address);
  if (found.source != LocationSource::kNone) return found;
  std::uint8_t scope = found.scope;  // the bits that could still have placed the client
  found = clusters_.find(address);
  if (found.source != LocationSource::kNone) {
    found.source = LocationSource::kCluster;
    found.scope = std::max(found.scope, scope);
    return found;
  }
  scope = std::max(scope, found.scope);
  for (const auto& db : geoip_) {
    found = db->find(address);
    found.scope = std::max(found.scope, scope);
    if (found.source != LocationSource::kNone) {
      const auto code =
          static_cast<std::uint16_t>((found.location.country[0] << 8) | found.location.country[1]);
      const auto it = std::lower_bound(country_regions_.begin(), country_regions_.end(),
                                       std::pair<std::uint16_t, std::uint16_t>{code, 0});
      if (it != country_regions_.end() && it->first == code) found.location.region = it->second;
      return found;
    }
    scope = found.scope;
  }
  return {{}, LocationSource::kNone, scope};
}

Located ClientContext::locate_cached() noexcept {
  return cache_->locate(*locator_, address_);
}

}  // namespace fedns::dns
