// Zone data served by the data plane: zones indexed by lower-case wire name, with pre-rendered RDATA.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fedns::model {

inline constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;

// One record's RDATA in uncompressed wire form. Names that RFC 1035 allows to be compressed (NS, CNAME, PTR,
// MX exchange, SOA mname/rname) are marked, so the writer can compress them against the message.
struct RData {
  std::string wire;
  std::uint8_t compressible_names = 0;
  std::uint16_t name_offsets[2] = {0, 0};
};

struct RRset {
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::vector<RData> rdatas;
  // Nodes of this zone whose A/AAAA belong in the additional section when this set is answered
  // (NS targets, MX exchanges, SRV targets; RFC 1035 3.3.9, 4.3.2 step 6; RFC 2782).
  std::vector<std::uint32_t> additional_nodes;
};

struct Node {
  std::string name;                        // lower-case wire form, absolute
  std::vector<RRset> rrsets;               // sorted by type
  bool delegation = false;                 // NS below the apex: a zone cut (RFC 1034 4.2.1)
  std::uint32_t wildcard_child = kNoNode;  // index of "*.<this name>" if it exists (RFC 1034 4.3.3)

  [[nodiscard]] const RRset* find(std::uint16_t type) const noexcept {
    for (const auto& set : rrsets) {
      if (set.type == type) return &set;
    }
    return nullptr;
  }
};

struct Zone {
  Zone() = default;
  Zone(const Zone&) = delete;  // `index` holds views into the nodes' names
  Zone& operator=(const Zone&) = delete;
  Zone(Zone&&) noexcept = default;  // moving keeps the node storage, so the views stay valid
  Zone& operator=(Zone&&) noexcept = default;
  ~Zone() = default;

  // Rebuilds `index` from `nodes`; call once the node vector is final.
  void reindex();

  std::string origin;  // lower-case wire form
  std::uint32_t apex = 0;
  std::vector<Node> nodes;
  std::unordered_map<std::string_view, std::uint32_t> index;  // views into nodes[i].name
  bool has_delegations = false;
  std::uint32_t negative_ttl = 0;  // min(SOA TTL, SOA MINIMUM), RFC 2308 5
  // Set while the zone's generated data may be incomplete (member clusters still syncing): negative answers
  // become SERVFAIL instead of a possibly false NXDOMAIN/NODATA.
  bool unsure_negatives = false;

  [[nodiscard]] const Node* find(std::string_view lower_wire_name) const noexcept {
    const auto it = index.find(lower_wire_name);
    return it == index.end() ? nullptr : &nodes[it->second];
  }
  [[nodiscard]] const Node& apex_node() const noexcept { return nodes[apex]; }
};

class ZoneSet {
 public:
  ZoneSet() = default;
  ZoneSet(const ZoneSet&) = delete;  // index holds views into the zones' own storage
  ZoneSet& operator=(const ZoneSet&) = delete;
  ZoneSet(ZoneSet&&) noexcept = default;
  ZoneSet& operator=(ZoneSet&&) noexcept = default;
  ~ZoneSet() = default;

  // Takes ownership of an indexed zone.
  void add(Zone zone);

  // The zone whose origin is the longest suffix of the name (lower-case wire form), or nullptr.
  [[nodiscard]] const Zone* find_zone(std::string_view lower_wire_name) const noexcept;
  [[nodiscard]] const std::vector<Zone>& zones() const noexcept { return zones_; }

 private:
  std::vector<Zone> zones_;
  std::unordered_map<std::string_view, std::uint32_t> by_origin_;
  // Which wire lengths some origin has: a suffix of another length cannot be a zone, so it is never hashed.
  std::bitset<256> origin_lengths_;
};

}  // namespace fedns::model
