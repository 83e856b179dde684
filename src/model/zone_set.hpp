// Zone data served by the data plane: zones indexed by lower-case wire name, with pre-rendered RDATA.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/answer_policy.hpp"
#include "model/health_table.hpp"
#include "model/inline_vector.hpp"

namespace fedns::model {

inline constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;

// One record's RDATA in uncompressed wire form. Names that RFC 1035 allows to be compressed (NS, CNAME, PTR,
// MX exchange, SOA mname/rname) are marked, so the writer can compress them against the message.
struct RData {
  std::string wire;
  std::uint8_t compressible_names = 0;
  std::uint8_t tier = 0;  // health_table.hpp: kTierZone .. kTierGlobal, or kLastResortTier
  // Where the record's cluster is (region and zone ids): a hierarchy set ranks its records by the client's
  // location with these, when the client is placed.
  std::uint16_t region = kNoLocality;
  std::uint16_t zone = kNoLocality;
  std::uint16_t name_offsets[2] = {0, 0};
  std::uint16_t cluster = kNoLocality;  // the member cluster the record comes from (answer policies)
  // The health target this record points at (an address, an SRV's endpoint); kNoTarget: not health-checked.
  TargetId health_target = kNoTarget;
};

// A set's records, a node's sets and a shard's nodes are kept inline up to these counts (most generated
// names: one node per shard, one set per node, a record per cluster), so that the query path finds a
// generated name's records in one allocation instead of following four pointers to four (cold) ones; that
// chase was most of what a dynamic answer cost over a static one (docs/decisions/0009-query-path-memory.md).
inline constexpr std::size_t kInlineRecords = 3;
inline constexpr std::size_t kInlineSets = 1;
inline constexpr std::size_t kInlineNodes = 1;

struct RRset {  // NOLINT(bugprone-exception-escape): its moves, see model/inline_vector.hpp
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  InlineVector<RData, kInlineRecords> rdatas;
  // Nodes of this zone whose A/AAAA belong in the additional section when this set is answered
  // (NS targets, MX exchanges, SRV targets; RFC 1035 3.3.9, 4.3.2 step 6; RFC 2782).
  std::vector<std::uint32_t> additional_nodes;
  // Generated sets name their targets instead (nodes in other shards have no stable index): the target names
  // in the RDATA are looked up at query time.
  bool additional_by_name = false;
  // Some RDATA carries a health target or a tier: answers leave out what the health table says is down, and
  // `health` says what to do when too little is up.
  bool health_checked = false;
  HealthPolicy health;
  // The service's answer policy (model/answer_policy.hpp): which of what health lets through is answered,
  // in which order. Null: all of it, in set order.
  std::shared_ptr<const AnswerPolicy> policy;
};

struct Node {        // NOLINT(bugprone-exception-escape): its moves, see model/inline_vector.hpp
  std::string name;  // lower-case wire form, absolute
  InlineVector<RRset, kInlineSets> rrsets;  // sorted by type
  bool delegation = false;                  // NS below the apex: a zone cut (RFC 1034 4.2.1)
  std::uint32_t wildcard_child = kNoNode;   // index of "*.<this name>" if it exists (RFC 1034 4.3.3)

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

  [[nodiscard]] const Node* find(std::string_view lower_wire_name) const noexcept {
    const auto it = index.find(lower_wire_name);
    return it == index.end() ? nullptr : &nodes[it->second];
  }
  [[nodiscard]] const Node& apex_node() const noexcept { return nodes[apex]; }
};

// Names generated from the service catalog for one zone, kept beside the configured zone and replaced per
// service: nodes are spread over 65,536 shards by a hash of their name, in a two-level tree (256 groups of
// 256 shards). Shards and groups are immutable once published and shared between snapshots, so a change
// copies the shards it touches, their groups and the root (512 pointers): its cost does not grow with the
// catalog up to hundreds of thousands of names (shards stay a handful of nodes, sorted, their inline name
// index scanned in order).
struct NameShard {
  // The nodes' names again, each after a length octet, in node order, kept inline: a lookup compares the
  // query's name here, in the shard's own allocation, instead of in each name's heap buffer (a cache miss
  // per query on the generated path). Built by index_names() once `nodes` is final; until then find()
  // compares the nodes' names.
  InlineVector<char, 88> names;
  InlineVector<Node, kInlineNodes> nodes;  // sorted by name

  void index_names();
  [[nodiscard]] const Node* find(std::string_view lower_wire_name) const noexcept;
};

struct ShardGroup {
  static constexpr std::size_t kSize = 256;
  std::array<std::shared_ptr<const NameShard>, kSize> shards;
};

class GeneratedNames {
 public:
  static constexpr std::size_t kCacheLine = 64;
  static constexpr std::size_t kGroups = 256;
  static constexpr std::size_t kShards = kGroups * ShardGroup::kSize;
  static std::size_t shard_of(std::string_view lower_wire_name) noexcept;

  [[nodiscard]] const Node* find(std::string_view lower_wire_name) const noexcept {
    const NameShard* shard = this->shard(shard_of(lower_wire_name));
    if (shard == nullptr) return nullptr;
    prefetch_lines(shard);
    return shard->find(lower_wire_name);
  }
  // Start loading what find() will read for a name in shard `i` (shard_of), ahead of it: the slot, and once
  // the slot has arrived, the shard (dns/responder.hpp: prepare() and prefetch()).
  void prefetch_slot(std::size_t i) const noexcept {
    if (const auto& group = groups_[i / ShardGroup::kSize]; group != nullptr)
      __builtin_prefetch(&group->shards[i % ShardGroup::kSize]);
  }
  void prefetch_shard(std::size_t i) const noexcept {
    if (const NameShard* found = shard(i); found != nullptr) prefetch_lines(found);
  }
  [[nodiscard]] const NameShard* shard(std::size_t i) const noexcept {
    const auto& group = groups_[i / ShardGroup::kSize];
    return group == nullptr ? nullptr : group->shards[i % ShardGroup::kSize].get();
  }
  [[nodiscard]] const std::shared_ptr<const ShardGroup>& group(std::size_t g) const noexcept {
    return groups_[g];
  }
  void set_group(std::size_t g, std::shared_ptr<const ShardGroup> group) { groups_[g] = std::move(group); }
  [[nodiscard]] std::size_t node_count() const noexcept;

 private:
  // A shard's names, nodes, sets and records are inline: ask for all its cache lines at once, not for one
  // after the other as the search reaches them (each a miss on the cold path of a generated answer).
  static void prefetch_lines(const NameShard* shard) noexcept {
    const auto* bytes = reinterpret_cast<const char*>(shard);
    for (std::size_t offset = 0; offset < sizeof(NameShard); offset += kCacheLine)
      __builtin_prefetch(bytes + offset);
  }

  std::array<std::shared_ptr<const ShardGroup>, kGroups> groups_;
};

// An earlier version of a zone with generated names, kept for incremental transfers (IXFR, RFC 1995): what it
// served under that serial. Versions share every shard that did not change since.
struct ZoneVersion {
  std::uint32_t serial = 0;
  std::shared_ptr<const RRset> soa;
  std::shared_ptr<const Zone> base;
  std::shared_ptr<const GeneratedNames> generated;
};

// What a query reads for one zone: the zone built from config (shared by every snapshot until a reload) and
// the names generated for it from the service catalog (shared shard by shard between snapshots).
struct ServedZone {
  std::shared_ptr<const Zone> base;
  std::shared_ptr<const GeneratedNames> generated;  // null: none
  // Set while the generated names may be incomplete (member clusters still syncing): negative answers become
  // SERVFAIL instead of a possibly false NXDOMAIN/NODATA.
  bool unsure_negatives = false;
  // The SOA as served when its serial follows the generated names (dns/zone_serials.hpp); null: the base's.
  std::shared_ptr<const RRset> soa;
  // Earlier versions, oldest first, for IXFR; null: none kept.
  std::shared_ptr<const std::vector<ZoneVersion>> history;

  [[nodiscard]] const RRset* soa_set() const noexcept {
    return soa != nullptr ? soa.get() : base->apex_node().find(0x0006 /* SOA */);
  }
  // Configured records come first: they shadow a generated name with the same owner. A configured empty
  // non-terminal does not (a static record below a service's name must not hide the service).
  [[nodiscard]] const Node* find(std::string_view lower_wire_name) const noexcept {
    const Node* node = base->find(lower_wire_name);
    if (generated == nullptr || (node != nullptr && !node->rrsets.empty())) return node;
    const Node* made = generated->find(lower_wire_name);
    return made != nullptr ? made : node;
  }
  [[nodiscard]] const Zone& zone() const noexcept { return *base; }
};

// Copying a zone set is cheap (shared pointers), so a catalog change derives the next snapshot's zones from
// the last one's.
class ZoneSet {
 public:
  ZoneSet() = default;
  ZoneSet(const ZoneSet& other) { *this = other; }
  ZoneSet& operator=(const ZoneSet& other);
  ZoneSet(ZoneSet&&) noexcept = default;  // the views point into the zones' heap storage, which stays put
  ZoneSet& operator=(ZoneSet&&) noexcept = default;
  ~ZoneSet() = default;

  // Takes ownership of an indexed zone.
  void add(Zone zone);
  // The served zone with this origin (lower-case wire form), for attaching generated names; null if none.
  [[nodiscard]] ServedZone* mutable_zone(std::string_view lower_wire_origin) noexcept;

  // The zone whose origin is the longest suffix of the name (lower-case wire form), or nullptr.
  [[nodiscard]] const ServedZone* find_zone(std::string_view lower_wire_name) const noexcept;
  [[nodiscard]] const std::vector<ServedZone>& zones() const noexcept { return zones_; }

 private:
  void reindex();
  std::vector<ServedZone> zones_;
  std::unordered_map<std::string_view, std::uint32_t> by_origin_;
  // The origins again, in zones_'s order: up to kScannedZones, comparing each costs less than hashing the
  // suffix once (every query looks its zone up).
  static constexpr std::size_t kScannedZones = 8;
  std::vector<std::string_view> origins_;
  // Which wire lengths some origin has: a suffix of another length cannot be a zone, so it is never hashed.
  std::bitset<256> origin_lengths_;
};

}  // namespace fedns::model
