// The replica scheduler's controller (see scheduling_controller.hpp).
#include "sync/propagation/scheduling_controller.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "sync/propagation/federated_object.hpp"
#include "sync/propagation/placement.hpp"
#include "sync/propagation/propagation_status.hpp"
#include "sync/propagation/replica_scheduler.hpp"
#include "sync/propagation/scheduling_preference.hpp"

namespace fedns::sync::propagation {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApiPath = "/apis/federation.fedns.io/v1alpha1";

std::string object_path(const std::string& plural, const std::string& key) {
  const auto slash = key.find('/');
  return std::string(kApiPath) + "/namespaces/" + key.substr(0, slash) + "/" + plural + "/" +
         key.substr(slash + 1);
}

// Kinds whose spec.replicas exists even when a template leaves it out (the API defaults it).
bool has_replicas(const FederatedObject& object) {
  static const std::set<std::string> kKinds{"apps/v1 Deployment", "apps/v1 StatefulSet", "apps/v1 ReplicaSet",
                                            "v1 ReplicationController"};
  if (kKinds.count(object.api_version + " " + object.kind) != 0) return true;
  const auto tmpl = nlohmann::json::parse(object.template_text, nullptr, false);
  const auto spec = tmpl.is_object() ? tmpl.find("spec") : tmpl.end();
  return spec != tmpl.end() && spec->is_object() && spec->contains("replicas") &&
         (*spec)["replicas"].is_number_integer();
}

struct Condition {
  bool ok = false;
  std::string reason;
  std::string message;
};

struct ClusterEntry {
  std::string name;
  bool available = false;
  std::int64_t desired = 0;
  std::int64_t scheduled = 0;
  std::optional<std::int64_t> replicas;  // observed, when the member object is known
  std::optional<std::int64_t> ready;
  std::string message;  // why it is not available
};

std::int64_t integer(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// The preference's status, or nothing when `current` says it already.
std::optional<std::string> status_patch(const nlohmann::json& current, std::int64_t generation,
                                        const Condition& condition,
                                        const std::vector<ClusterEntry>& entries) {
  nlohmann::json cond = nlohmann::json::object();
  cond["type"] = "Scheduled";
  cond["status"] = condition.ok ? "True" : "False";
  cond["reason"] = condition.reason;
  cond["message"] = condition.message;
  cond["lastTransitionTime"] = rfc3339_now();
  if (current.is_object() && current.contains("conditions") && current["conditions"].is_array()) {
    for (const auto& c : current["conditions"]) {
      if (c.is_object() && c.value("type", "") == "Scheduled" && c.value("status", "") == cond["status"] &&
          c.contains("lastTransitionTime"))
        cond["lastTransitionTime"] = c["lastTransitionTime"];
    }
  }
  nlohmann::json status = nlohmann::json::object();
  status["observedGeneration"] = generation;
  status["conditions"] = nlohmann::json::array();
  status["conditions"].push_back(std::move(cond));
  std::int64_t scheduled = 0;
  std::int64_t ready = 0;
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json c = nlohmann::json::object();
    c["name"] = e.name;
    c["available"] = e.available;
    c["desiredReplicas"] = e.desired;
    c["scheduledReplicas"] = e.scheduled;
    if (e.replicas) c["replicas"] = *e.replicas;
    if (e.ready) c["readyReplicas"] = *e.ready;
    if (!e.message.empty()) c["message"] = e.message;
    scheduled += e.scheduled;
    ready += e.ready.value_or(0);
    clusters.push_back(std::move(c));
  }
  if (!entries.empty()) {
    status["clusters"] = std::move(clusters);
    status["scheduledReplicas"] = scheduled;
    status["readyReplicas"] = ready;
  }
  if (current == status) return std::nullopt;
  nlohmann::json body = nlohmann::json::object();
  // Fields of the old status that the new one lacks are removed (merge patch: null).
  if (current.is_object()) {
    for (const auto& [k, v] : current.items())
      if (!status.contains(k)) status[k] = nullptr;
  }
  body["status"] = std::move(status);
  return body.dump();
}

// The FederatedObject's spec.scheduledReplicas set to `next` (clusters no longer in it removed), guarded by
// the object's resourceVersion (a concurrent change makes it a 409, and the preference is looked at again).
std::string scheduled_patch(const std::map<std::string, std::int64_t>& current,
                            const std::map<std::string, std::int64_t>& next,
                            const std::string& resource_version) {
  nlohmann::json replicas = nlohmann::json::object();
  for (const auto& [name, n] : current)
    if (!next.contains(name)) replicas[name] = nullptr;
  for (const auto& [name, n] : next)
    replicas[name] = n;
  nlohmann::json body = nlohmann::json::object();
  body["metadata"]["resourceVersion"] = resource_version;
  body["spec"]["scheduledReplicas"] = next.empty() ? nlohmann::json(nullptr) : std::move(replicas);
  return body.dump();
}

std::string layout_text(const std::map<std::string, std::int64_t>& replicas) {
  std::string out;
  for (const auto& [name, n] : replicas)
    out += (out.empty() ? "" : ", ") + name + " " + std::to_string(n);
  return out;
}

// What one reconcile writes.
struct Decision {
  std::optional<std::string> object_patch;  // the FederatedObject's spec.scheduledReplicas
  std::optional<std::string> status_patch;  // the preference's status
  std::optional<std::chrono::milliseconds> again;
  bool step = false;  // the object patch moves replicas between available clusters (a rebalancing step)
  std::map<std::string, std::int64_t> scheduled;  // what the object patch sets
};

struct Inputs {
  const Propagator* propagator = nullptr;
  // What this leader last wrote into the object's scheduledReplicas, while the informer has not shown it yet.
  const std::map<std::string, std::int64_t>* written = nullptr;
  std::optional<std::chrono::steady_clock::time_point> last_step;
  std::chrono::steady_clock::time_point now;
  std::function<std::string(const std::string&)> cluster_down;
};

Decision decide(const std::string& key, const KubeObject& preference_object, const Inputs& in) {
  Decision d;
  const nlohmann::json& json = preference_object.json();
  const nlohmann::json current_status = json.contains("status") ? json["status"] : nlohmann::json(nullptr);
  const std::int64_t generation = preference_object.meta().generation;
  const auto fail = [&](std::string reason, std::string message) {
    d.status_patch =
        status_patch(current_status, generation, {false, std::move(reason), std::move(message)}, {});
    return d;
  };
  auto preference = parse_scheduling_preference(json);
  if (!preference) return fail("InvalidPreference", preference.error().message);
  const KubeObject* target = in.propagator->federated_object(key);
  if (target == nullptr) return fail("TargetNotFound", "no FederatedObject " + key + " to schedule");
  auto object = parse_federated_object(target->json());
  if (!object) return fail("InvalidTarget", object.error().message);
  if (!has_replicas(*object)) {
    return fail("TargetHasNoReplicas", "FederatedObject " + key + " propagates a " + object->kind +
                                           ", whose spec has no replicas field");
  }
  if (object->retain_replicas) {
    return fail("TargetRetainsReplicas",
                "FederatedObject " + key + " sets retainReplicas: the member clusters own spec.replicas");
  }

  // Why each cluster cannot take replicas (empty: it can): its MemberCluster is not Ready, or DNS-side
  // health.
  std::map<std::string, std::string> unready;
  for (const auto& m : in.propagator->member_clusters()) {
    if (!m.ready) {
      unready[m.name] = "MemberCluster not Ready (" + m.reason + ")";
    } else if (in.cluster_down) {
      unready[m.name] = in.cluster_down(m.name);
    } else {
      unready[m.name] = "";
    }
  }
  // What the object holds now (this leader's last write while the informer has not shown it yet).
  const auto& current = in.written != nullptr ? *in.written : object->scheduled_replicas;
  const std::vector<std::string> placed = place(object->placement, in.propagator->placement_clusters());
  if (placed.empty()) return fail("NoClusters", "FederatedObject " + key + " is placed in no member cluster");
  std::vector<SchedulingCluster> clusters;
  std::set<std::string> unavailable;
  std::int64_t mins = 0;
  for (const auto& name : placed) {
    SchedulingCluster c;
    c.name = name;
    const ReplicaBounds* bounds = preference->bounds_for(name);
    c.bounds = bounds != nullptr ? *bounds : ReplicaBounds{0, 0, 0};
    const auto r = unready.find(name);
    c.available = r != unready.end() && r->second.empty();
    if (!c.available) unavailable.insert(name);
    if (const auto it = current.find(name); it != current.end()) c.current = it->second;
    mins += c.bounds.min_replicas;
    clusters.push_back(c);
  }
  if (mins > preference->total_replicas) {
    return fail("InvalidPreference", "the minReplicas of the " + std::to_string(placed.size()) +
                                         " placed clusters add up to " + std::to_string(mins) +
                                         ", above totalReplicas " +
                                         std::to_string(preference->total_replicas));
  }

  const ReplicaPlan plan =
      schedule_replicas(preference->total_replicas, clusters, preference->rebalance, key);
  // Losses and shortfalls at once; moves between available clusters one bounded step per interval.
  std::map<std::string, std::int64_t> next = step_towards(current, plan.replicas, unavailable, 0);
  const bool due = !in.last_step || in.now - *in.last_step >= preference->step_interval;
  if (next != plan.replicas && due) {
    next = step_towards(current, plan.replicas, unavailable, preference->max_move());
    d.step = true;
  }
  if (next != plan.replicas) {
    const auto since =
        in.last_step && !d.step ? in.now - *in.last_step : std::chrono::steady_clock::duration{};
    d.again = std::chrono::duration_cast<std::chrono::milliseconds>(preference->step_interval - since);
  }
  if (next != current) {
    d.object_patch = scheduled_patch(current, next, target->meta().resource_version);
    d.scheduled = next;
  }

  std::vector<ClusterEntry> entries;
  const std::string type = object->api_version + " " + object->kind;
  for (const auto& c : clusters) {
    ClusterEntry e;
    e.name = c.name;
    e.available = c.available;
    if (const auto r = unready.find(c.name); r == unready.end()) {
      e.message = "no MemberCluster of that name";
    } else {
      e.message = r->second;
    }
    e.desired = plan.replicas.at(c.name);
    e.scheduled = next.at(c.name);
    if (const KubeObject* member = in.propagator->member_object(c.name, type, object->member_key())) {
      const nlohmann::json& mj = member->json();
      const nlohmann::json status = mj.contains("status") ? mj["status"] : nlohmann::json::object();
      e.replicas = status.is_object() ? integer(status, "replicas") : 0;
      e.ready = status.is_object() ? integer(status, "readyReplicas") : 0;
    }
    entries.push_back(e);
  }
  Condition condition{true, "Scheduled", layout_text(next)};
  if (next != plan.replicas) {
    condition.reason = "Rebalancing";
    condition.message = layout_text(next) + "; moving towards " + layout_text(plan.replicas) + ", " +
                        std::to_string(preference->max_move()) + " replicas every " +
                        std::to_string(preference->step_interval.count()) + " s";
  } else if (plan.unplaced > 0) {
    condition = {false, "ReplicasNotPlaced",
                 std::to_string(plan.unplaced) + " of " + std::to_string(preference->total_replicas) +
                     " replicas have no available cluster with room (maxReplicas, not ready: " +
                     std::to_string(unavailable.size()) + " of " + std::to_string(placed.size()) + "); " +
                     layout_text(next)};
  }
  if (!plan.mins_not_met.empty() && condition.ok) {
    std::string names;
    for (const auto& n : plan.mins_not_met)
      names += (names.empty() ? "" : ", ") + n;
    condition.message += "; minReplicas not met: " + names;
  }
  d.status_patch = status_patch(current_status, generation, condition, entries);
  return d;
}

// A FederatedObject whose preference is gone gets its scheduledReplicas removed (the template's replicas
// and the overrides apply again).
std::optional<std::string> release_patch(const Propagator& propagator, const std::string& key) {
  const KubeObject* target = propagator.federated_object(key);
  if (target == nullptr) return std::nullopt;
  const auto& json = target->json();
  const auto spec = json.find("spec");
  if (spec == json.end() || !spec->is_object() || !spec->contains("scheduledReplicas")) return std::nullopt;
  return scheduled_patch({}, {}, target->meta().resource_version);
}

}  // namespace

SchedulingController::SchedulingController(asio::io_context& io, ApiClient& host,
                                           const Propagator& propagator, const PropagatorOptions& options)
    : io_(io),
      host_writer_(host, options.field_manager + "-scheduler"),
      propagator_(propagator),
      tasks_(io, "replica scheduler"),
      queue_(io, options.backoff),
      cluster_down_(options.cluster_down),
      resync_(options.scheduling_resync) {
  ResourceRef ref;
  ref.api_path = kApiPath;
  ref.plural = "replicaschedulingpreferences";
  ref.kind = "ReplicaSchedulingPreference";
  const auto add = [this](const KubeObject& o) { queue_.add(o.meta().key()); };
  preferences_ = std::make_unique<Reflector>(
      host, ref, options.reflector,
      InformerHandlers{add, [add](const KubeObject&, const KubeObject& o) { add(o); }, add});
}

SchedulingController::~SchedulingController() = default;

void SchedulingController::spawn(asio::awaitable<void> work) {
  tasks_.spawn(std::move(work));
}

void SchedulingController::start() {
  spawn(preferences_->run());
  spawn(worker());
  if (cluster_down_) spawn(resync());
}

// Cluster health changes announce themselves to nobody here: every preference is looked at again now and then
// (nothing is written when nothing changed).
asio::awaitable<void> SchedulingController::resync() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    timer.expires_after(resync_);
    resync_timer_ = &timer;
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    resync_timer_ = nullptr;
    if (leading_ && !stopping_) enqueue_all();
  }
}

void SchedulingController::set_leading(bool leading) {
  if (leading == leading_) return;
  leading_ = leading;
  last_step_.clear();
  written_.clear();
  status_written_.clear();
  if (leading) enqueue_all();
}

void SchedulingController::stop() {
  stopping_ = true;
  leading_ = false;
  queue_.shut_down();
  preferences_->stop();
  if (resync_timer_ != nullptr) resync_timer_->cancel();
}

std::map<std::string, std::size_t> SchedulingController::reason_counts() const {
  std::map<std::string, std::size_t> out;
  for (const auto& [key, object] : preferences_->store()) {
    std::string reason = "Unknown";
    const auto& json = object.json();
    const auto status = json.find("status");
    if (status != json.end() && status->is_object() && status->contains("conditions") &&
        (*status)["conditions"].is_array()) {
      for (const auto& c : (*status)["conditions"])
        if (c.is_object() && c.value("type", "") == "Scheduled") reason = c.value("reason", "Unknown");
    }
    ++out[reason];
  }
  return out;
}

void SchedulingController::object_changed(const std::string& key) {
  if (preferences_->store().contains(key)) queue_.add(key);
}

void SchedulingController::clusters_changed() {
  enqueue_all();
}

void SchedulingController::enqueue_all() {
  for (const auto& [key, object] : preferences_->store())
    queue_.add(key);
}

asio::awaitable<void> SchedulingController::worker() {
  while (true) {
    auto key = co_await queue_.get();
    if (!key) co_return;
    if (leading_ && !stopping_) co_await reconcile(*key);
    queue_.done(*key);
  }
}

asio::awaitable<void> SchedulingController::reconcile(const std::string& key) {
  ++stats_.reconciles;
  const auto& store = preferences_->store();
  const auto found = store.find(key);
  if (found == store.end()) {  // deleted: hand spec.replicas back to the template and overrides
    last_step_.erase(key);
    written_.erase(key);
    status_written_.erase(key);
    const auto release = release_patch(propagator_, key);
    if (!release) co_return;
    const auto r =
        co_await host_writer_.patch(object_path("federatedobjects", key), PatchType::kMerge, *release);
    if (!r || !r->ok()) {
      ++stats_.failed_writes;
      queue_.add_rate_limited(key);
      co_return;
    }
    ++stats_.object_writes;
    log::info("replica scheduler: " + key + ": preference deleted, scheduledReplicas removed");
    co_return;
  }
  const KubeObject preference = found->second;  // a copy: the store may change while we write
  Inputs in;
  in.propagator = &propagator_;
  in.now = std::chrono::steady_clock::now();
  in.cluster_down = cluster_down_;
  if (const auto it = last_step_.find(key); it != last_step_.end()) in.last_step = it->second;
  const KubeObject* target = propagator_.federated_object(key);
  const std::string target_version = target != nullptr ? target->meta().resource_version : std::string();
  if (const auto it = written_.find(key); it != written_.end()) {
    if (it->second.based_on == target_version) {
      in.written = &it->second.replicas;  // our write has not come back through the watch yet
    } else {
      written_.erase(it);
    }
  }
  const Decision d = decide(key, preference, in);
  const std::string preference_version = preference.meta().resource_version;

  if (d.object_patch) {
    const auto r =
        co_await host_writer_.patch(object_path("federatedobjects", key), PatchType::kMerge, *d.object_patch);
    if (!r || !r->ok()) {
      ++stats_.failed_writes;
      const bool conflict = r && r->conflict();
      if (!conflict) {
        log::warn("replica scheduler: " + key + ": writing scheduledReplicas failed: " +
                  (r ? std::to_string(r->status) + " " + r->message : r.error().message));
      }
      queue_.add_rate_limited(key);  // a 409: the object changed under us; decide again from the new one
      co_return;
    }
    ++stats_.object_writes;
    written_[key] = {target_version, d.scheduled};
    if (d.step) {
      last_step_[key] = in.now;
      ++stats_.steps;
    }
  }
  queue_.forget(key);
  const auto sent = status_written_.find(key);
  if (d.status_patch && (sent == status_written_.end() || sent->second.first != preference_version ||
                         sent->second.second != *d.status_patch)) {
    const auto r = co_await host_writer_.patch(object_path("replicaschedulingpreferences", key) + "/status",
                                               PatchType::kMerge, *d.status_patch);
    if (!r || !r->ok()) {
      ++stats_.failed_writes;
      queue_.add_rate_limited(key);
      co_return;
    }
    ++stats_.status_writes;
    status_written_[key] = {preference_version, *d.status_patch};
  }
  if (d.again) queue_.add_after(key, std::max<std::chrono::milliseconds>(*d.again, 100ms));
}

}  // namespace fedns::sync::propagation
