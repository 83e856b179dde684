// Kubernetes label selectors (metav1.LabelSelector): matchLabels and matchExpressions (In, NotIn, Exists,
// DoesNotExist), for placement and override selectors over member clusters' labels.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace fedns::sync::propagation {

using Labels = std::map<std::string, std::string>;

struct LabelRequirement {
  enum class Operator { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Operator op = Operator::kExists;
  std::vector<std::string> values;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;

  // Every requirement holds (apimachinery semantics: an empty selector matches everything; NotIn and
  // DoesNotExist match a missing key).
  [[nodiscard]] bool matches(const Labels& labels) const;
};

// Reads a metav1.LabelSelector; errors name the offending field under `where`.
Result<LabelSelector> parse_label_selector(const nlohmann::json& selector, const std::string& where);

}  // namespace fedns::sync::propagation
