// Placement (see placement.hpp).
#include "sync/propagation/placement.hpp"

#include <algorithm>

namespace fedns::sync::propagation {

std::vector<std::string> place(const Placement& placement, const std::vector<MemberCluster>& clusters) {
  std::vector<std::string> out;
  if (placement.explicit_list) {
    out = placement.clusters;
  } else if (placement.selector) {
    for (const auto& c : clusters) {
      if (placement.selector->matches(c.labels)) out.push_back(c.name);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace fedns::sync::propagation
