// Where a federated object goes: its placement over the member clusters known now.
#pragma once

#include <string>
#include <vector>

#include "sync/propagation/federated_object.hpp"
#include "sync/propagation/label_selector.hpp"

namespace fedns::sync::propagation {

// A member cluster as placement and overrides see it (the MemberCluster object's name and labels).
struct MemberCluster {
  std::string name;
  Labels labels;
};

// The clusters the object is placed in, sorted and unique. An explicit list is taken as written, including
// names no member cluster has (the engine reports those as ClusterNotFound rather than hiding a typo); a
// selector matches member clusters' labels ({} matches all); neither places the object nowhere.
std::vector<std::string> place(const Placement& placement, const std::vector<MemberCluster>& clusters);

}  // namespace fedns::sync::propagation
