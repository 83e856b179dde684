// Kubernetes manifests as users write them (YAML or JSON, several documents per file, `kind: List`) read into
// KubeObjects: the Services, EndpointSlices and ServiceExports among them, other kinds ignored. The text is
// untrusted (anyone who can write the directory), so nesting depth and the number of nodes after alias
// expansion are bounded (a "billion laughs" document is an error, not a hang).
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "sync/kube_object.hpp"

namespace fedns::sync {

// Fails (with PATH:LINE:COL) on a YAML syntax error, a document that is not a Kubernetes object (no kind, or
// a kind we read without metadata.name), or one over the limits.
Result<std::vector<KubeObject>> parse_manifests(const std::string& text, const std::string& path);

}  // namespace fedns::sync
