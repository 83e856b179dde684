// Label selectors (see label_selector.hpp).
#include "sync/propagation/label_selector.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& r : match_expressions) {
    const auto it = labels.find(r.key);
    const bool present = it != labels.end();
    const bool listed = present && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case LabelRequirement::Operator::kIn:
        if (!listed) return false;
        break;
      case LabelRequirement::Operator::kNotIn:
        if (listed) return false;
        break;
      case LabelRequirement::Operator::kExists:
        if (!present) return false;
        break;
      case LabelRequirement::Operator::kDoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

Result<LabelSelector> parse_label_selector(const nlohmann::json& selector, const std::string& where) {
  if (!selector.is_object()) return Error{where + ": a label selector is an object"};
  LabelSelector out;
  if (const auto it = selector.find("matchLabels"); it != selector.end() && !it->is_null()) {
    if (!it->is_object()) return Error{where + ".matchLabels: must be an object of strings"};
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) return Error{where + ".matchLabels." + key + ": must be a string"};
      out.match_labels[key] = value.get<std::string>();
    }
  }
  if (const auto it = selector.find("matchExpressions"); it != selector.end() && !it->is_null()) {
    if (!it->is_array()) return Error{where + ".matchExpressions: must be a list"};
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& e = (*it)[i];
      const std::string at = where + ".matchExpressions[" + std::to_string(i) + "]";
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("operator") ||
          !e["operator"].is_string()) {
        return Error{at + ": needs a key and an operator"};
      }
      LabelRequirement r;
      r.key = e["key"].get<std::string>();
      const auto op = e["operator"].get<std::string>();
      if (op == "In") {
        r.op = LabelRequirement::Operator::kIn;
      } else if (op == "NotIn") {
        r.op = LabelRequirement::Operator::kNotIn;
      } else if (op == "Exists") {
        r.op = LabelRequirement::Operator::kExists;
      } else if (op == "DoesNotExist") {
        r.op = LabelRequirement::Operator::kDoesNotExist;
      } else {
        return Error{at + ".operator: " + op + " is not In, NotIn, Exists or DoesNotExist"};
      }
      if (const auto v = e.find("values"); v != e.end() && !v->is_null()) {
        if (!v->is_array()) return Error{at + ".values: must be a list of strings"};
        for (const auto& value : *v) {
          if (!value.is_string()) return Error{at + ".values: must be a list of strings"};
          r.values.push_back(value.get<std::string>());
        }
      }
      const bool set_based =
          r.op == LabelRequirement::Operator::kIn || r.op == LabelRequirement::Operator::kNotIn;
      if (set_based == r.values.empty())
        return Error{at + ": " + op + (set_based ? " needs values" : " takes no values")};
      out.match_expressions.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace fedns::sync::propagation
