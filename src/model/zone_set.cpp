// Zone set: ownership of zones, the longest-suffix zone lookup, and the generated names' shards.
#include "model/zone_set.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/hash.hpp"

namespace fedns::model {

void Zone::reindex() {
  index.clear();
  index.reserve(nodes.size());
  for (std::uint32_t i = 0; i < nodes.size(); ++i)
    index.emplace(nodes[i].name, i);
}

void NameShard::index_names() {
  names.clear();
  for (const Node& node : nodes) {
    names.push_back(static_cast<char>(node.name.size()));  // a wire name is at most 255 octets
    names.insert(names.end(), node.name.begin(), node.name.end());
  }
}

const Node* NameShard::find(std::string_view name) const noexcept {
  if (!names.empty()) {
    std::size_t at = 0;
    for (const Node& node : nodes) {
      const std::size_t size = static_cast<std::uint8_t>(names[at]);
      if (size == name.size() && std::memcmp(names.data() + at + 1, name.data(), size) == 0) return &node;
      at += 1 + size;
    }
    return nullptr;
  }
  const auto it = std::lower_bound(nodes.begin(), nodes.end(), name,
                                   [](const Node& node, std::string_view n) { return node.name < n; });
  return it != nodes.end() && it->name == name ? &*it : nullptr;
}

std::size_t GeneratedNames::shard_of(std::string_view name) noexcept {
  // Every query hashes its name; the names are the catalog's, so balance is what matters (common/hash.hpp).
  static_assert(kShards <= (std::size_t{1} << 16), "shards are chosen by the hash's top 16 bits");
  return static_cast<std::size_t>(hash_bytes(name) >> 48U) % kShards;
}

std::size_t GeneratedNames::node_count() const noexcept {
  std::size_t count = 0;
  for (const auto& group : groups_) {
    if (group == nullptr) continue;
    for (const auto& shard : group->shards)
      count += shard == nullptr ? 0 : shard->nodes.size();
  }
  return count;
}

ZoneSet& ZoneSet::operator=(const ZoneSet& other) {
  if (this == &other) return *this;
  zones_ = other.zones_;
  reindex();
  return *this;
}

void ZoneSet::add(Zone zone) {
  ServedZone served;
  served.base = std::make_shared<const Zone>(std::move(zone));
  zones_.push_back(std::move(served));
  reindex();
}

void ZoneSet::reindex() {
  by_origin_.clear();
  origins_.clear();
  origin_lengths_.reset();
  for (std::uint32_t i = 0; i < zones_.size(); ++i) {
    by_origin_.emplace(zones_[i].base->origin, i);
    origins_.emplace_back(zones_[i].base->origin);
    origin_lengths_.set(zones_[i].base->origin.size());
  }
}

ServedZone* ZoneSet::mutable_zone(std::string_view origin) noexcept {
  const auto it = by_origin_.find(origin);
  return it == by_origin_.end() ? nullptr : &zones_[it->second];
}

const ServedZone* ZoneSet::find_zone(std::string_view name) const noexcept {
  // Walk the suffixes from the longest (the name itself) to the root: the first hit is the closest zone.
  std::size_t pos = 0;
  while (pos < name.size()) {
    if (origin_lengths_.test(name.size() - pos)) {
      const std::string_view suffix = name.substr(pos);
      if (origins_.size() <= kScannedZones) {
        for (std::size_t i = 0; i < origins_.size(); ++i) {
          if (origins_[i] == suffix) return &zones_[i];
        }
      } else if (const auto it = by_origin_.find(suffix); it != by_origin_.end()) {
        return &zones_[it->second];
      }
    }
    const auto label = static_cast<unsigned char>(name[pos]);
    if (label == 0) break;
    pos += 1 + label;
  }
  return nullptr;
}

}  // namespace fedns::model
