// Override matching and parsing (see health_override.hpp).
#include "health/health_override.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/asio.hpp"
#include "common/duration.hpp"

namespace fedns::health {
namespace {

bool is_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// Ranks two overrides naming the same target: specificity, then the endpoint's over the file's, then DOWN.
int rank(const HealthOverride& o) {
  return o.specificity() * 4 + (o.source == OverrideSource::kApi ? 2 : 0) + (o.up ? 0 : 1);
}

std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

// Sets one named field; false for a name that is not a field.
bool set_field(OverrideFields& fields, const std::string& key, const std::string& value) {
  std::optional<std::string>* slot = nullptr;
  if (key == "state") {
    slot = &fields.state;
  } else if (key == "cluster") {
    slot = &fields.cluster;
  } else if (key == "service") {
    slot = &fields.service;
  } else if (key == "address") {
    slot = &fields.address;
  } else if (key == "for") {
    slot = &fields.for_;
  } else if (key == "until") {
    slot = &fields.until;
  } else if (key == "reason") {
    slot = &fields.reason;
  } else {
    return false;
  }
  *slot = value;
  return true;
}

constexpr const char* kFieldNames = "state, cluster, service, address, for, until, reason";

}  // namespace

std::string format_time(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int HealthOverride::specificity() const {
  if (!address.empty()) return service.empty() ? 3 : 4;
  if (!service.empty()) return cluster.empty() ? 1 : 2;
  return 0;
}

std::string HealthOverride::describe() const {
  std::string what;
  if (!address.empty()) {
    what =
        "endpoint " + address + " in cluster " + cluster + (service.empty() ? "" : " of service " + service);
  } else if (!service.empty()) {
    what = "service " + service + (cluster.empty() ? "" : " in cluster " + cluster);
  } else {
    what = "cluster " + cluster;
  }
  what += up ? " UP" : " DOWN";
  if (expires) what += " until " + format_time(*expires);
  if (!reason.empty()) what += " (" + reason + ")";
  return what;
}

OverrideSet::OverrideSet(std::vector<HealthOverride> overrides) : overrides_(std::move(overrides)) {
  // Best first, so the first match is the winner; cluster overrides last, apart.
  std::stable_sort(overrides_.begin(), overrides_.end(), [](const auto& a, const auto& b) {
    const bool a_cluster = a.specificity() == 0;
    const bool b_cluster = b.specificity() == 0;
    if (a_cluster != b_cluster) return b_cluster;
    return rank(a) > rank(b);
  });
  cluster_begin_ = static_cast<std::size_t>(
      std::find_if(overrides_.begin(), overrides_.end(), [](const auto& o) { return o.specificity() == 0; }) -
      overrides_.begin());
}

std::optional<bool> OverrideSet::for_target(std::string_view cluster, std::string_view service,
                                            std::string_view address) const {
  for (std::size_t i = 0; i < cluster_begin_; ++i) {
    const auto& o = overrides_[i];
    if (!o.cluster.empty() && o.cluster != cluster) continue;
    if (!o.service.empty() && o.service != service) continue;
    if (!o.address.empty() && o.address != address) continue;
    return o.up;
  }
  return std::nullopt;
}

std::optional<bool> OverrideSet::for_cluster(std::string_view cluster) const {
  for (std::size_t i = cluster_begin_; i < overrides_.size(); ++i) {
    if (overrides_[i].cluster == cluster) return overrides_[i].up;
  }
  return std::nullopt;
}

std::set<std::string> OverrideSet::named_services() const {
  std::set<std::string> out;
  for (const auto& o : overrides_) {
    if (!o.service.empty()) out.insert(o.service);
  }
  return out;
}

Result<HealthOverride> make_override(const OverrideFields& fields, OverrideSource source,
                                     std::chrono::system_clock::time_point now) {
  HealthOverride o;
  o.source = source;
  if (!fields.state) return Error{"state is required (up or down)"};
  if (*fields.state == "up" || *fields.state == "UP") {
    o.up = true;
  } else if (*fields.state != "down" && *fields.state != "DOWN") {
    return Error{"state must be up or down, not \"" + *fields.state + "\""};
  }
  if (fields.cluster) {
    if (fields.cluster->empty()) return Error{"cluster must not be empty"};
    o.cluster = *fields.cluster;
  }
  if (fields.service) {
    const auto slash = fields.service->find('/');
    if (slash == std::string::npos || !is_label(fields.service->substr(0, slash)) ||
        !is_label(fields.service->substr(slash + 1))) {
      return Error{"service \"" + *fields.service + "\" must be namespace/name (DNS labels)"};
    }
    o.service = *fields.service;
  }
  if (fields.address) {
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(*fields.address, ec);
    if (ec) return Error{"address \"" + *fields.address + "\" is not an IP address"};
    if (o.cluster.empty()) return Error{"an address override needs its cluster"};
    o.address = ip.to_string();
  }
  if (o.cluster.empty() && o.service.empty()) return Error{"name a cluster, a service or an address"};
  if (fields.for_ && fields.until) return Error{"give for or until, not both"};
  if (fields.for_) {
    const auto d = parse_duration(*fields.for_);
    if (!d || d->count() == 0) return Error{"for must be a duration such as 30m or 2h (at most 24h)"};
    o.expires = now + *d;
  }
  if (fields.until) {
    const auto t = parse_time(*fields.until);
    if (!t) return Error{"until must be a UTC time such as 2026-11-27T12:00:00Z"};
    o.expires = *t;
  }
  if (fields.reason) {
    if (fields.reason->size() > 256) return Error{"reason must be at most 256 characters"};
    o.reason = *fields.reason;
  }
  return o;
}

Result<std::vector<HealthOverride>> parse_override_file(const std::string& text,
                                                        std::chrono::system_clock::time_point now) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Error{"line " + std::to_string(e.mark.line + 1) + ": YAML syntax: " + e.msg};
  }
  if (root.IsNull()) return std::vector<HealthOverride>{};  // an empty file: no overrides
  if (!root.IsMap() || !root["overrides"]) return Error{"the file must be a mapping with overrides: [...]"};
  const YAML::Node list = root["overrides"];
  if (list.IsNull()) return std::vector<HealthOverride>{};
  if (!list.IsSequence()) return Error{"overrides must be a list"};
  std::vector<HealthOverride> out;
  std::vector<std::string> errors;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string where =
        "overrides[" + std::to_string(i) + "] (line " + std::to_string(item.Mark().line + 1) + ")";
    if (!item.IsMap()) {
      errors.push_back(where + ": must be a mapping");
      continue;
    }
    OverrideFields fields;
    std::string bad;
    for (const auto& entry : item) {
      const auto key = entry.first.Scalar();
      if (!entry.second.IsScalar()) {
        bad = key + " must be a single value";
        break;
      }
      if (!set_field(fields, key, entry.second.Scalar())) {
        bad = "unknown key \"" + key + "\" (" + kFieldNames + ")";
        break;
      }
    }
    if (!bad.empty()) {
      errors.push_back(where + ": " + bad);
      continue;
    }
    auto o = make_override(fields, OverrideSource::kFile, now);
    if (!o) {
      errors.push_back(where + ": " + o.error().message);
      continue;
    }
    o->id = "file:" + std::to_string(i);
    out.push_back(std::move(o.value()));
  }
  if (!errors.empty()) return Error::from_lines(errors);
  return out;
}

Result<HealthOverride> parse_override_json(const std::string& text,
                                           std::chrono::system_clock::time_point now) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Error{"the body must be a JSON object"};
  OverrideFields fields;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) return Error{key + " must be a string"};
    if (!set_field(fields, key, value.get<std::string>()))
      return Error{"unknown field \"" + key + "\" (" + kFieldNames + ")"};
  }
  auto o = make_override(fields, OverrideSource::kApi, now);
  if (o && o->expires && *o->expires <= now) return Error{"until is in the past"};
  return o;
}

}  // namespace fedns::health
