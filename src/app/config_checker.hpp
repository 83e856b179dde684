// The config reader's error collector and typed readers: every problem is reported with its file, line and
// column, and reading goes on, so one pass lists every mistake. Shared by the config file's parts
// (config.cpp, policy_config.cpp) and the annotations that use the same schema.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/duration.hpp"
#include "common/result.hpp"
#include "model/catalog.hpp"
#include "sync/shard_builder.hpp"

namespace fedns::app {

class Checker {
 public:
  Checker(std::string file, const std::string& text) : file_(std::move(file)), text_(text) {}

  // The 1-based line where a scalar's content starts: the next line for a block scalar ("key: |").
  [[nodiscard]] int content_line(const YAML::Node& node) const {
    const auto mark = node.Mark();
    const auto pos = static_cast<std::size_t>(mark.pos);
    const bool block = pos < text_.size() && (text_[pos] == '|' || text_[pos] == '>');
    return mark.line + (block ? 2 : 1);
  }

  void error(const YAML::Node& node, const std::string& message) {
    const auto mark = node.Mark();
    std::ostringstream out;
    out << file_;
    if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
    out << ": " << message;
    errors_.push_back(out.str());
  }
  void error(const std::string& message) { errors_.push_back(file_ + ": " + message); }

  // Checks that a mapping has only the known keys; returns false (after reporting) when it is not a mapping.
  bool keys(const YAML::Node& node, const std::string& what, const std::set<std::string>& known) {
    if (!node.IsMap()) {
      error(node, what + " must be a mapping");
      return false;
    }
    for (const auto& item : node) {
      const auto key = item.first.as<std::string>("");
      if (!known.contains(key)) {
        std::string list;
        for (const auto& k : known)
          list += (list.empty() ? "" : ", ") + k;
        error(item.first, "unknown key \"" + key + "\" in " + what + " (known: " + list + ")");
      }
    }
    return true;
  }

  bool string(const YAML::Node& node, const std::string& what, std::string& out) {
    if (!node.IsScalar()) {
      error(node, what + " must be a string");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  // A list of strings; `must_be` completes "WHAT must be ..." when it is not a list.
  bool strings(const YAML::Node& node, const std::string& what, const std::string& must_be,
               std::vector<std::string>& out) {
    if (!node.IsSequence()) {
      error(node, what + " must be " + must_be);
      return false;
    }
    for (const auto& item : node) {
      std::string text;
      if (string(item, what + " entry", text)) out.push_back(std::move(text));
    }
    return true;
  }

  template <class T>
  bool integer(const YAML::Node& node, const std::string& what, T& out, std::uint64_t min,
               std::uint64_t max) {
    std::uint64_t value = 0;
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!node.IsScalar() || text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
        value < min || value > max) {
      error(node,
            what + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return false;
    }
    out = static_cast<T>(value);
    return true;
  }

  // common/duration.hpp's forms: "250ms", "10s", "2m", "1h", or a bare number of seconds.
  bool duration(const YAML::Node& node, const std::string& what, std::chrono::milliseconds& out) {
    const auto parsed = node.IsScalar() ? parse_duration(node.Scalar()) : std::nullopt;
    if (!parsed) {
      error(node, what + " must be a duration such as 500ms, 10s, 2m");
      return false;
    }
    out = *parsed;
    return true;
  }

  bool number(const YAML::Node& node, const std::string& what, double min, double max, double& out) {
    try {
      out = node.as<double>();
    } catch (const YAML::Exception&) {
      error(node, what + " must be a number");
      return false;
    }
    if (!(out >= min && out <= max)) {
      error(node, what + " must be from " + format(min) + " to " + format(max));
      return false;
    }
    return true;
  }

  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }

 private:
  static std::string format(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  }
  std::string file_;
  const std::string& text_;
  std::vector<std::string> errors_;
};

// A Service annotation holding a YAML (or JSON) mapping with the `keys` of a config entry: parsed and checked
// by `parse(checker, root, out)`, every problem in the error.
template <class T, class Parse>
Result<T> parse_annotation(const std::string& text, const std::set<std::string>& keys, Parse parse) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Error{"YAML syntax: " + e.msg};
  }
  Checker c("the annotation", text);
  T out;
  if (c.keys(root, "the annotation", keys)) parse(c, root, out);
  if (!c.errors().empty()) return Error::from_lines(c.errors());
  return out;
}

// The required `service: namespace/name` of a list entry (health.services, policies), unique in `seen`
// (`twice` completes "service X has two ..."). Returns the text as written, empty when missing or invalid.
inline std::string read_service_key(Checker& c, const YAML::Node& item, const std::string& where,
                                    std::set<model::ServiceKey>& seen, const std::string& twice,
                                    model::ServiceKey& out) {
  const auto n = item["service"];
  std::string text;
  if (!n) {
    c.error(item, where + ".service is required (namespace/name)");
    return {};
  }
  if (!c.string(n, where + ".service", text)) return {};
  const auto slash = text.find('/');
  out = {text.substr(0, slash), slash == std::string::npos ? "" : text.substr(slash + 1)};
  if (slash == std::string::npos || !sync::is_dns_label(out.namespace_) || !sync::is_dns_label(out.name)) {
    c.error(n, where + ".service \"" + text + "\" must be namespace/name (DNS labels)");
  } else if (!seen.insert(out).second) {
    c.error(n, where + ": service " + text + " has two " + twice);
  }
  return text;
}

}  // namespace fedns::app
