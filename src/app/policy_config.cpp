// Policy entries: `steps` is a list whose items are a step name ("locality") or a one-key mapping of the
// name to its settings ({weighted: {count: 2}}, or {max-answers: 2} for the steps that take a count).
#include "app/policy_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "app/config.hpp"
#include "app/config_checker.hpp"
#include "sync/shard_builder.hpp"

namespace fedns::app {
namespace {

using model::PolicyStepKind;

const std::map<std::string, PolicyStepKind>& step_kinds() {
  static const std::map<std::string, PolicyStepKind> kinds = {
      {"locality", PolicyStepKind::kLocality},      {"geo-nearest", PolicyStepKind::kGeoNearest},
      {"latency", PolicyStepKind::kLatency},        {"priority", PolicyStepKind::kPriority},
      {"weighted", PolicyStepKind::kWeighted},      {"sticky", PolicyStepKind::kSticky},
      {"round-robin", PolicyStepKind::kRoundRobin}, {"max-answers", PolicyStepKind::kMaxAnswers},
  };
  return kinds;
}

std::set<std::string> settings_of(PolicyStepKind kind) {
  switch (kind) {
    case PolicyStepKind::kGeoNearest:
      return {"within_km"};
    case PolicyStepKind::kLatency:
      return {"source", "within"};
    case PolicyStepKind::kWeighted:
    case PolicyStepKind::kMaxAnswers:
      return {"count"};
    case PolicyStepKind::kSticky:
      return {"count", "ipv4_prefix", "ipv6_prefix"};
    default:
      return {};
  }
}

void parse_step(Checker& c, const YAML::Node& item, const std::string& where, bool first,
                std::vector<model::PolicyStep>& out) {
  std::string name;
  YAML::Node settings;
  if (item.IsScalar()) {
    name = item.Scalar();
  } else if (item.IsMap() && item.size() == 1) {
    name = item.begin()->first.as<std::string>("");
    settings = item.begin()->second;
  } else {
    c.error(item, where + " must be a step name or {name: settings}");
    return;
  }
  const std::string at = where + " (" + name + ")";
  if (name == "health") {  // health always comes first (the records that are down never reach a step)
    if (!first) c.error(item, at + ": health is always the first step; list it first or not at all");
    return;
  }
  const auto kind = step_kinds().find(name);
  if (kind == step_kinds().end()) {
    std::string known = "health";
    for (const auto& [k, v] : step_kinds())
      known += ", " + k;
    c.error(item, where + ": unknown step \"" + name + "\" (known: " + known + ")");
    return;
  }
  model::PolicyStep step;
  step.kind = kind->second;
  const std::set<std::string> known = settings_of(step.kind);
  if (settings && settings.IsScalar() && known.contains("count")) {
    c.integer(settings, at + ".count", step.count, 1, 256);
  } else if (settings && !settings.IsNull()) {
    if (known.empty()) {
      c.error(settings, at + " takes no settings");
    } else if (c.keys(settings, at, known)) {
      if (const auto n = settings["count"]) c.integer(n, at + ".count", step.count, 1, 256);
      if (const auto n = settings["within_km"]) {
        double km = 0;
        if (c.number(n, at + ".within_km", 0, 40075, km)) step.within = static_cast<float>(km);
      }
      if (const auto n = settings["within"]) {
        std::chrono::milliseconds ms{0};
        if (c.duration(n, at + ".within", ms)) step.within = static_cast<float>(ms.count());
      }
      if (const auto n = settings["source"]) {
        std::string source;
        if (c.string(n, at + ".source", source)) {
          if (source == "matrix") {
            step.latency = model::LatencySource::kMatrix;
          } else if (source == "measured") {
            step.latency = model::LatencySource::kMeasured;
          } else {
            c.error(n, at + ".source must be matrix (geo.latency) or measured (probe RTT)");
          }
        }
      }
      if (const auto n = settings["ipv4_prefix"]) c.integer(n, at + ".ipv4_prefix", step.v4_prefix, 0, 32);
      if (const auto n = settings["ipv6_prefix"]) c.integer(n, at + ".ipv6_prefix", step.v6_prefix, 0, 128);
    }
  }
  out.push_back(step);
}

// A mapping of cluster name -> whole number up to `max` (weights, priorities).
template <class T>
void cluster_numbers(Checker& c, const YAML::Node& n, const std::string& what, const std::string& must_be,
                     std::uint64_t max, std::map<std::string, T>& out) {
  if (!n.IsMap()) {
    c.error(n, what + " must be " + must_be);
    return;
  }
  for (const auto& item : n) {
    const std::string cluster = item.first.as<std::string>("");
    T value = 0;
    if (c.integer(item.second, what + "." + cluster, value, 0, max)) out[cluster] = value;
  }
}

// steps, weights, priorities (the part an entry and an annotation share).
void parse_body(Checker& c, const YAML::Node& node, const std::string& where, PolicyConfig& p) {
  if (const auto steps = node["steps"]; !steps) {
    c.error(node, where + ".steps is required (a list such as [locality, round-robin])");
  } else if (!steps.IsSequence() || steps.size() == 0) {
    c.error(steps, where + ".steps must be a non-empty list");
  } else {
    for (std::size_t i = 0; i < steps.size(); ++i)
      parse_step(c, steps[i], where + ".steps[" + std::to_string(i) + "]", i == 0, p.steps);
  }
  if (const auto n = node["weights"]) {
    // ready-endpoints: each cluster weighs what it has ready (its replicas), so that a cluster running 2 of
    // 30 replicas is not drawn a third of the time.
    if (n.IsScalar() && n.as<std::string>("") == "ready-endpoints") {
      p.weights_from_endpoints = true;
    } else {
      cluster_numbers(c, n, where + ".weights", "a mapping of cluster -> weight, or ready-endpoints", 1000000,
                      p.weights);
    }
  }
  if (const auto n = node["priorities"]) {
    cluster_numbers(c, n, where + ".priorities", "a mapping of cluster -> priority (lower first)", 65534,
                    p.priorities);
  }
}

}  // namespace

void parse_policies(Checker& c, const YAML::Node& node, std::vector<PolicyConfig>& out) {
  if (!node.IsSequence()) {
    c.error(node, "policies must be a list of {service, steps, weights, priorities}");
    return;
  }
  std::set<model::ServiceKey> seen;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    std::string where = "policies[" + std::to_string(i) + "]";
    if (!c.keys(item, where, {"service", "steps", "weights", "priorities"})) continue;
    PolicyConfig policy;
    if (const std::string text = read_service_key(c, item, where, seen, "policies", policy.service);
        !text.empty())
      where += " (" + text + ")";
    parse_body(c, item, where, policy);
    out.push_back(std::move(policy));
  }
}

std::vector<std::string> policy_problems(const PolicyConfig& policy,
                                         const std::vector<ClusterConfig>& clusters, const GeoConfig& geo) {
  std::vector<std::string> problems;
  auto known = [&](const std::string& name) {
    return std::any_of(clusters.begin(), clusters.end(),
                       [&](const ClusterConfig& k) { return k.name == name; });
  };
  for (const auto& [cluster, weight] : policy.weights) {
    if (!known(cluster)) problems.push_back("weights: no cluster is named \"" + cluster + "\"");
  }
  for (const auto& [cluster, priority] : policy.priorities) {
    if (!known(cluster)) problems.push_back("priorities: no cluster is named \"" + cluster + "\"");
  }
  const bool coordinates = std::any_of(clusters.begin(), clusters.end(),
                                       [](const ClusterConfig& k) { return k.latitude && k.longitude; });
  const bool regions =
      std::any_of(clusters.begin(), clusters.end(), [](const ClusterConfig& k) { return !k.region.empty(); });
  for (std::size_t i = 0; i < policy.steps.size(); ++i) {
    const model::PolicyStep& step = policy.steps[i];
    const std::string at = "step " + std::to_string(i + 1) + " (" + model::step_name(step.kind) + ")";
    if (step.kind == PolicyStepKind::kGeoNearest && !coordinates)
      problems.push_back(at + ": no cluster has a location (clusters[].location: {latitude, longitude})");
    if (step.kind == PolicyStepKind::kLatency && step.latency == model::LatencySource::kMatrix &&
        geo.latency.empty())
      problems.push_back(at + ": source matrix needs geo.latency (or source: measured)");
    if (step.kind == PolicyStepKind::kLocality && !regions)
      problems.push_back(at + ": no cluster has a region (clusters[].region)");
  }
  return problems;
}

Result<PolicyConfig> parse_answer_policy_annotation(const std::string& text) {
  return parse_annotation<PolicyConfig>(text, {"steps", "weights", "priorities"},
                                        [](Checker& c, const YAML::Node& root, PolicyConfig& policy) {
                                          parse_body(c, root, "policy", policy);
                                        });
}

std::shared_ptr<const model::AnswerPolicy> make_answer_policy(const PolicyConfig& policy, std::string source,
                                                              const std::vector<ClusterConfig>& clusters,
                                                              const dns::ClientLocator& locator) {
  auto out = std::make_shared<model::AnswerPolicy>();
  out->source = std::move(source);
  out->steps = policy.steps;
  out->weights_from_endpoints = policy.weights_from_endpoints;
  for (const auto& cluster : clusters) {
    const std::uint16_t id = locator.id(cluster.name);
    if (id == dns::kNoName) continue;
    if (out->clusters.size() <= id) out->clusters.resize(id + 1U);
    model::PolicyCluster& traits = out->clusters[id];
    const auto weight = policy.weights.find(cluster.name);
    traits.weight = weight != policy.weights.end() ? weight->second : cluster.weight;
    const auto priority = policy.priorities.find(cluster.name);
    if (priority != policy.priorities.end()) traits.priority = priority->second;
    if (cluster.latitude && cluster.longitude)
      traits.set_coordinates(static_cast<float>(*cluster.latitude), static_cast<float>(*cluster.longitude));
  }
  return out;
}

std::shared_ptr<const model::AnswerPolicy> weighted_by_endpoints(const model::AnswerPolicy& policy,
                                                                 const model::MergedService& service) {
  constexpr std::uint32_t kPerEndpoint = 1000;  // room for the split without rounding to 0
  auto out = std::make_shared<model::AnswerPolicy>(policy);
  for (const auto& shard : service.shards) {
    if (shard.cluster_id == model::kNoLocality) continue;
    if (out->clusters.size() <= shard.cluster_id) out->clusters.resize(shard.cluster_id + 1U);
    std::uint32_t ready = 0;
    for (const auto& endpoint : shard.endpoints)
      if (model::published(shard, endpoint)) ++ready;
    const auto records = static_cast<std::uint32_t>(std::max<std::size_t>(1, shard.addresses.size()));
    out->clusters[shard.cluster_id].weight =
        shard.kind == model::ServiceKind::kHeadless ? kPerEndpoint : ready * kPerEndpoint / records;
  }
  return out;
}

}  // namespace fedns::app
