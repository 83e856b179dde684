// The federated object's status (see propagation_status.hpp).
#include "sync/propagation/propagation_status.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace fedns::sync::propagation {

PropagatedCondition summarise(const std::vector<ClusterEntry>& entries, bool deleting) {
  if (deleting) {
    if (entries.empty()) return {true, "Deleted", "removed from every member cluster"};
    std::string waiting;
    for (const auto& e : entries)
      waiting += (waiting.empty() ? "" : ", ") + e.name;
    return {false, "Deleting", "waiting for removal from " + waiting};
  }
  if (entries.empty()) return {false, "NoClustersSelected", "the placement selects no member cluster"};
  std::string failed;
  std::size_t count = 0;
  for (const auto& e : entries) {
    if (e.status == ClusterStatus::kOK) continue;
    ++count;
    if (count <= 3) failed += std::string(failed.empty() ? "" : "; ") + e.name + ": " + to_string(e.status);
  }
  if (count == 0) {
    return {
        true, "OK",
        "propagated to " + std::to_string(entries.size()) + " cluster" + (entries.size() == 1 ? "" : "s")};
  }
  if (count > 3) failed += "; and " + std::to_string(count - 3) + " more";
  return {false, "ClusterPropagationFailed", failed};
}

std::map<std::string, LastWrite> last_writes(const nlohmann::json& status) {
  std::map<std::string, LastWrite> out;
  if (!status.is_object()) return out;
  const auto clusters = status.find("clusters");
  if (clusters == status.end() || !clusters->is_array()) return out;
  for (const auto& c : *clusters) {
    if (!c.is_object()) continue;
    const auto name = c.find("name");
    const auto hash = c.find("desiredHash");
    const auto rv = c.find("memberResourceVersion");
    if (name == c.end() || !name->is_string() || hash == c.end() || !hash->is_string()) continue;
    out[name->get<std::string>()] = {hash->get<std::string>(),
                                     rv != c.end() && rv->is_string() ? rv->get<std::string>() : ""};
  }
  return out;
}

std::optional<std::string> status_patch(const nlohmann::json& current, std::int64_t generation,
                                        const PropagatedCondition& condition,
                                        const std::vector<ClusterEntry>& entries, const std::string& now) {
  nlohmann::json status = nlohmann::json::object();
  status["observedGeneration"] = generation;
  nlohmann::json cond = {{"type", "Propagated"},
                         {"status", condition.propagated ? "True" : "False"},
                         {"reason", condition.reason},
                         {"message", condition.message},
                         {"lastTransitionTime", now}};
  if (current.is_object()) {
    if (const auto old = current.find("conditions"); old != current.end() && old->is_array()) {
      for (const auto& c : *old) {
        if (c.is_object() && c.value("type", "") == "Propagated" && c.value("status", "") == cond["status"] &&
            c.contains("lastTransitionTime")) {
          cond["lastTransitionTime"] = c["lastTransitionTime"];
        }
      }
    }
  }
  status["conditions"] = nlohmann::json::array({cond});
  auto clusters = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json c = {{"name", e.name}, {"status", to_string(e.status)}};
    if (!e.message.empty()) c["message"] = e.message;
    if (!e.dns.empty()) c["dns"] = e.dns;
    if (e.last) {
      c["desiredHash"] = e.last->desired_hash;
      if (!e.last->member_resource_version.empty())
        c["memberResourceVersion"] = e.last->member_resource_version;
    }
    if (!e.remote_status.empty()) {
      auto remote = nlohmann::json::parse(e.remote_status, nullptr, false);
      if (remote.is_object()) c["remoteStatus"] = std::move(remote);
    }
    clusters.push_back(std::move(c));
  }
  status["clusters"] = std::move(clusters);
  if (current == status) return std::nullopt;
  // A merge patch replaces lists whole, and a null removes what the new status no longer has.
  nlohmann::json patch_status = status;
  if (current.is_object()) {
    for (const auto& [key, value] : current.items()) {
      if (!patch_status.contains(key)) patch_status[key] = nullptr;
    }
  }
  return nlohmann::json{{"status", std::move(patch_status)}}.dump();
}

std::string rfc3339_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {text, n};
}

}  // namespace fedns::sync::propagation
