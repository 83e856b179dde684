// Zone set: ownership of zones and the longest-suffix zone lookup.
#include "model/zone_set.hpp"

#include <utility>

namespace fedns::model {

void Zone::reindex() {
  index.clear();
  index.reserve(nodes.size());
  for (std::uint32_t i = 0; i < nodes.size(); ++i)
    index.emplace(nodes[i].name, i);
}

void ZoneSet::add(Zone zone) {
  zones_.push_back(std::move(zone));
  // Moving a Zone keeps its node storage in place, but a short origin string may live inline; re-index all.
  by_origin_.clear();
  origin_lengths_.reset();
  for (std::uint32_t i = 0; i < zones_.size(); ++i) {
    by_origin_.emplace(zones_[i].origin, i);
    origin_lengths_.set(zones_[i].origin.size());
  }
}

const Zone* ZoneSet::find_zone(std::string_view name) const noexcept {
  // Walk the suffixes from the longest (the name itself) to the root: the first hit is the closest zone.
  std::size_t pos = 0;
  while (pos < name.size()) {
    if (origin_lengths_.test(name.size() - pos)) {
      const auto it = by_origin_.find(name.substr(pos));
      if (it != by_origin_.end()) return &zones_[it->second];
    }
    const auto label = static_cast<unsigned char>(name[pos]);
    if (label == 0) break;
    pos += 1 + label;
  }
  return nullptr;
}

}  // namespace fedns::model
