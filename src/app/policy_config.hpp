// Answer policies in config (`policies:`) and in the fedns.io/answer-policy Service annotation: reading and
// checking them, and turning one into the model the data plane evaluates (model/answer_policy.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dns/client_location.hpp"
#include "model/answer_policy.hpp"
#include "model/catalog.hpp"

namespace YAML {
class Node;
}

namespace fedns::app {

class Checker;
struct ClusterConfig;
struct GeoConfig;

struct PolicyConfig {
  model::ServiceKey service;  // empty in an annotation
  std::vector<model::PolicyStep> steps;
  std::map<std::string, std::uint32_t> weights;     // cluster -> weight (default: the cluster's weight)
  bool weights_from_endpoints = false;              // weights: ready-endpoints
  std::map<std::string, std::uint16_t> priorities;  // cluster -> priority (lower first; default: last)
};

// `policies:`: a list of {service, steps, weights, priorities}.
void parse_policies(Checker& c, const YAML::Node& node, std::vector<PolicyConfig>& out);

// What a policy asks of the rest of the config: clusters it names exist, geo-nearest has coordinates to go
// by, a latency matrix step has a matrix. One message per problem, each naming the step.
std::vector<std::string> policy_problems(const PolicyConfig& policy,
                                         const std::vector<ClusterConfig>& clusters, const GeoConfig& geo);

// A Service's fedns.io/answer-policy annotation: a YAML (or JSON) mapping like a policies entry without
// `service`, e.g. {steps: [locality, {weighted: {count: 2}}], weights: {east: 3}}.
Result<PolicyConfig> parse_answer_policy_annotation(const std::string& text);

// The policy with the clusters' traits (weights, priorities, coordinates) by the ids the locator gives them.
std::shared_ptr<const model::AnswerPolicy> make_answer_policy(const PolicyConfig& policy, std::string source,
                                                              const std::vector<ClusterConfig>& clusters,
                                                              const dns::ClientLocator& locator);

// weights: ready-endpoints: the service's own copy of its policy in which each cluster's records weigh, in
// all, what the cluster has ready (its replicas): a ClusterSetIP cluster's weight (ready endpoints x 1000) is
// split over its addresses; a headless service's records are its endpoints and weigh the same each. Needs the
// shards' cluster ids (set when the service is rendered).
std::shared_ptr<const model::AnswerPolicy> weighted_by_endpoints(const model::AnswerPolicy& policy,
                                                                 const model::MergedService& service);

}  // namespace fedns::app
