// The propagation controller (see propagator.hpp).
#include "sync/propagation/propagator.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "common/log.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/propagation/cluster_action.hpp"
#include "sync/propagation/desired_object.hpp"
#include "sync/propagation/federated_object.hpp"
#include "sync/propagation/placement.hpp"

namespace fedns::sync::propagation {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApiPath = "/apis/federation.fedns.io/v1alpha1";
// Queue keys: "N:namespace/name" (FederatedObject) and "C:name" (ClusterFederatedObject).
constexpr const char* kNamespacedPrefix = "N:";
constexpr const char* kClusterPrefix = "C:";
// How long a write may take to come back through the member's watch before we look again anyway.
constexpr auto kEchoWait = 5s;

std::string host_path(const std::string& key) {
  if (key.rfind(kClusterPrefix, 0) == 0)
    return std::string(kApiPath) + "/clusterfederatedobjects/" + key.substr(2);
  const std::string rest = key.substr(2);
  const auto slash = rest.find('/');
  return std::string(kApiPath) + "/namespaces/" + rest.substr(0, slash) + "/federatedobjects/" +
         rest.substr(slash + 1);
}

std::string describe_failure(const Result<WriteOutcome>& r) {
  if (!r) return r.error().message;
  std::string out = std::to_string(r->status);
  if (!r->reason.empty()) out += " " + r->reason;
  if (!r->message.empty()) out += ": " + r->message;
  return out;
}

std::string annotation(const nlohmann::json& object, const char* key) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  const auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return {};
  const auto it = annotations->find(key);
  return it != annotations->end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool being_deleted(const nlohmann::json& object) {
  const auto meta = object.find("metadata");
  return meta != object.end() && meta->is_object() && meta->contains("deletionTimestamp") &&
         !(*meta)["deletionTimestamp"].is_null();
}

// Merge patch bodies, built outside the coroutines (GCC 12 miscompiles nested braced json initialisers
// in a coroutine frame: "array used as initializer").
std::string finalizers_patch(const std::vector<std::string>& finalizers,
                             const std::string& resource_version) {
  nlohmann::json meta = nlohmann::json::object();
  meta["finalizers"] = finalizers;
  meta["resourceVersion"] = resource_version;  // optimistic: a concurrent change makes it a 409
  nlohmann::json body = nlohmann::json::object();
  body["metadata"] = std::move(meta);
  return body.dump();
}

std::string orphan_patch() {
  nlohmann::json body = nlohmann::json::object();
  body["metadata"]["labels"][kManagedLabel] = nullptr;
  body["metadata"]["annotations"][kOriginAnnotation] = nullptr;
  return body.dump();
}

// A MemberCluster's status with its Ready condition, or nothing when `current` says it already.
std::optional<std::string> member_status_patch(const nlohmann::json& current, std::int64_t generation,
                                               bool ready, const std::string& reason,
                                               const std::string& message) {
  nlohmann::json cond = nlohmann::json::object();
  cond["type"] = "Ready";
  cond["status"] = ready ? "True" : "False";
  cond["reason"] = reason;
  cond["message"] = message;
  cond["lastTransitionTime"] = rfc3339_now();
  if (current.is_object() && current.contains("conditions") && current["conditions"].is_array()) {
    for (const auto& c : current["conditions"]) {
      if (c.is_object() && c.value("type", "") == "Ready" && c.value("status", "") == cond["status"] &&
          c.contains("lastTransitionTime")) {
        cond["lastTransitionTime"] = c["lastTransitionTime"];
      }
    }
  }
  nlohmann::json status = nlohmann::json::object();
  status["observedGeneration"] = generation;
  status["conditions"] = nlohmann::json::array();
  status["conditions"].push_back(std::move(cond));
  if (current == status) return std::nullopt;
  nlohmann::json body = nlohmann::json::object();
  body["status"] = std::move(status);
  return body.dump();
}

// A field of an object, or null (GCC 12 cannot pass string literals to nlohmann's forwarding-reference key
// parameters inside a coroutine either: these helpers take std::string).
nlohmann::json field(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nlohmann::json(nullptr) : *it;
}

// status.clusters[] by name.
std::map<std::string, nlohmann::json> status_entries(const nlohmann::json& status) {
  std::map<std::string, nlohmann::json> out;
  const auto clusters = field(status, "clusters");
  if (!clusters.is_array()) return out;
  for (const auto& c : clusters) {
    const auto name = field(c, "name");
    if (name.is_string()) out[name.get<std::string>()] = c;
  }
  return out;
}

// A status.clusters[] entry as it stands (for a cluster that cannot be looked at yet).
ClusterEntry entry_from_status(const nlohmann::json& entry, const std::optional<LastWrite>& last) {
  ClusterEntry e{entry.value("name", ""), ClusterStatus::kOK, entry.value("message", ""), last, {}};
  e.status = cluster_status_from_string(entry.value("status", "OK")).value_or(ClusterStatus::kOK);
  if (entry.contains("remoteStatus")) e.remote_status = entry["remoteStatus"].dump();
  e.dns = entry.value("dns", "");
  return e;
}

}  // namespace

// A member cluster's API connection and its informers (our managed objects, one informer per enabled type).
// Shared with the coroutines that use it, so that a reconnect can replace it while old requests finish.
struct Propagator::Connection {
  std::unique_ptr<ApiClient> client;
  std::unique_ptr<ApiWriter> writer;
  std::map<std::string, std::unique_ptr<Reflector>> informers;  // by type target
  void stop() {
    for (auto& [target, informer] : informers)
      informer->stop();
    if (client) client->cancel_streams();
  }
};

struct Propagator::Member {
  MemberClusterSpec spec;
  std::string fingerprint;  // the MemberCluster's spec and labels: a change reconnects
  std::shared_ptr<Connection> connection;
  bool ready = false;
  int failures = 0;
  std::string reason = "Connecting";
  std::string message = "not connected yet";
  bool stopped = false;
  bool reconnect = false;
  std::string secret_version;  // the Secret's resourceVersion the connection was made from
  // Member objects we wrote whose watch event has not come yet ("target ns/name" -> when written).
  struct Echo {
    std::string resource_version;  // what our write returned
    std::chrono::steady_clock::time_point written;
  };
  std::map<std::string, Echo> awaiting_echo;
  std::unique_ptr<asio::steady_timer> timer;
};

// What one reconcile ended with, for the work queue.
struct Propagator::Outcome {
  bool failed = false;                             // retry with backoff
  std::optional<std::chrono::milliseconds> again;  // look again after this (waiting for a cache)
};

Propagator::Propagator(asio::io_context& io, ApiClient& host, PropagatorOptions options)
    : io_(io),
      host_(host),
      host_writer_(host, options.field_manager),
      options_(std::move(options)),
      tasks_(io, "propagation"),
      queue_(io, options_.backoff) {
  const auto ref = [](const char* plural, const char* kind) {
    ResourceRef r;
    r.api_path = kApiPath;
    r.plural = plural;
    r.kind = kind;
    return r;
  };
  objects_ = std::make_unique<Reflector>(host_, ref("federatedobjects", "FederatedObject"),
                                         options_.reflector, enqueue_handlers(kNamespacedPrefix));
  cluster_objects_ =
      std::make_unique<Reflector>(host_, ref("clusterfederatedobjects", "ClusterFederatedObject"),
                                  options_.reflector, enqueue_handlers(kClusterPrefix));
  member_clusters_ =
      std::make_unique<Reflector>(host_, ref("memberclusters", "MemberCluster"), options_.reflector,
                                  rebuild_handlers(members_pending_, &Propagator::members_changed));
  types_ = std::make_unique<Reflector>(host_, ref("federatedtypeconfigs", "FederatedTypeConfig"),
                                       options_.reflector,
                                       rebuild_handlers(types_pending_, &Propagator::types_changed));
}

Propagator::~Propagator() = default;

void Propagator::spawn(asio::awaitable<void> work) {
  tasks_.spawn(std::move(work));
}

InformerHandlers Propagator::enqueue_handlers(const std::string& prefix) {
  return {[this, prefix](const KubeObject& o) {
            queue_.add(prefix + o.meta().key());
            placement_changed(prefix + o.meta().key());
            notify_object(prefix + o.meta().key());
          },
          [this, prefix](const KubeObject&, const KubeObject& o) {
            queue_.add(prefix + o.meta().key());
            placement_changed(prefix + o.meta().key());
            notify_object(prefix + o.meta().key());
          },
          [this, prefix](const KubeObject& o) {
            written_.erase(prefix + o.meta().key());
            queue_.add(prefix + o.meta().key());
            placement_changed(prefix + o.meta().key());
            notify_object(prefix + o.meta().key());
          }};
}

void Propagator::notify_object(const std::string& queue_key) {
  if (!options_.on_object_event || queue_key.rfind(kNamespacedPrefix, 0) != 0) return;
  // After the informer's store has the change (handlers run before it).
  asio::post(io_, [this, key = queue_key.substr(2)] {
    if (!stopping_) options_.on_object_event(key);
  });
}

void Propagator::notify_clusters() {
  if (!options_.on_clusters_changed) return;
  asio::post(io_, [this] {
    if (!stopping_) options_.on_clusters_changed();
  });
}

const KubeObject* Propagator::federated_object(const std::string& key) const {
  const auto& store = objects_->store();
  const auto it = store.find(key);
  return it != store.end() ? &it->second : nullptr;
}

const KubeObject* Propagator::member_object(const std::string& cluster, const std::string& target,
                                            const std::string& key) const {
  const auto member = members_.find(cluster);
  if (member == members_.end() || !member->second->connection) return nullptr;
  const auto& informers = member->second->connection->informers;
  const auto informer = informers.find(target);
  if (informer == informers.end()) return nullptr;
  const auto& store = informer->second->store();
  const auto it = store.find(key);
  return it != store.end() ? &it->second : nullptr;
}

InformerHandlers Propagator::rebuild_handlers(bool& pending, void (Propagator::*rebuild)()) {
  // Handlers run before the informer's store holds the change: the rebuild from the store is posted (and a
  // burst of events, such as a LIST, makes one rebuild).
  const auto later = [this, &pending, rebuild](const KubeObject&) {
    if (std::exchange(pending, true)) return;
    asio::post(io_, [this, &pending, rebuild] {
      pending = false;
      if (!stopping_) (this->*rebuild)();
    });
  };
  return {later, [later](const KubeObject&, const KubeObject& o) { later(o); }, later};
}

std::vector<MemberCluster> Propagator::placement_clusters() const {
  std::vector<MemberCluster> out;
  for (const auto& [name, member] : members_) {
    MemberCluster c{name, {}};
    for (const auto& [k, v] : member->spec.labels)
      c.labels[k] = v;
    out.push_back(std::move(c));
  }
  return out;
}

void Propagator::service_changed(const std::string& namespace_, const std::string& name) {
  if (const auto owner = service_owner_.find(namespace_ + "/" + name); owner != service_owner_.end())
    queue_.add(owner->second);
}

void Propagator::placement_changed(const std::string& key) {
  if (!options_.on_service_placement || key.rfind(kNamespacedPrefix, 0) != 0) return;
  placement_dirty_.insert(key);
  if (std::exchange(placement_pending_, true)) return;
  // After the informer's store has the change (handlers run before it), and once per burst.
  asio::post(io_, [this] {
    placement_pending_ = false;
    if (!stopping_) publish_placements();
  });
}

void Propagator::publish_placements() {
  if (!objects_->has_synced() || !member_clusters_->has_synced() || members_pending_) {
    // A selector over member clusters not listed yet would place the service nowhere: wait for them.
    spawn([](Propagator* self) -> asio::awaitable<void> {
      co_await self->sleep(std::chrono::milliseconds(200));
      if (!self->stopping_ && !self->placement_dirty_.empty())
        self->placement_changed(*self->placement_dirty_.begin());
    }(this));
    return;
  }
  const std::vector<MemberCluster> clusters = placement_clusters();
  const std::set<std::string> dirty = std::exchange(placement_dirty_, {});
  for (const std::string& key : dirty) {
    std::optional<std::set<std::string>> placed;
    std::string service;  // "namespace/name" of the member Services
    if (const KubeObject* found = find_host_object(key)) {
      const auto parsed = parse_federated_object(found->json());
      if (parsed && parsed->api_version == "v1" && parsed->kind == "Service") {
        service = parsed->member_key();
        std::set<std::string> names;
        if (!parsed->deleting) {
          for (auto& name : place(parsed->placement, clusters))
            names.insert(std::move(name));
        }
        placed = std::move(names);
      }
    }
    const auto it = placements_.find(key);
    if (it == placements_.end() ? !placed
                                : (placed && it->second.service == service && *placed == it->second.clusters))
      continue;
    const auto announce = [this](const std::string& of, std::optional<std::set<std::string>> placed_in) {
      const auto slash = of.find('/');
      options_.on_service_placement(of.substr(0, slash), of.substr(slash + 1), std::move(placed_in));
    };
    if (it != placements_.end()) {
      // No longer a federated Service, or its template's name changed: the old name is free again.
      if (!placed || it->second.service != service) {
        announce(it->second.service, std::nullopt);
        service_owner_.erase(it->second.service);
      }
      placements_.erase(it);
    }
    if (placed) {
      placements_[key] = {service, *placed};
      service_owner_[service] = key;
      announce(service, std::move(placed));
    }
  }
}

asio::awaitable<void> Propagator::resync_services() {
  while (!stopping_) {
    co_await sleep(options_.dns_resync);
    if (!leading_ || stopping_ || !options_.dns_state) continue;
    for (const auto& [key, placement] : placements_)
      queue_.add(key);
  }
}

void Propagator::start() {
  for (auto* r : {types_.get(), member_clusters_.get(), objects_.get(), cluster_objects_.get()})
    spawn(r->run());
  for (int i = 0; i < std::max(1, options_.workers); ++i)
    spawn(worker());
  if (options_.dns_state) spawn(resync_services());
}

bool Propagator::synced() const {
  return objects_->has_synced() && cluster_objects_->has_synced() && member_clusters_->has_synced() &&
         types_->has_synced();
}

void Propagator::set_leading(bool leading) {
  if (leading == leading_) return;
  leading_ = leading;
  log::info(leading ? "propagation: leading; reconciling every federated object"
                    : "propagation: no longer leading; writes stop");
  // The status is the record of what was written; a new term starts from it.
  written_.clear();
  status_written_.clear();
  if (!leading) return;
  enqueue_all();
  for (const auto& [name, member] : members_)
    spawn(write_member_status(name));
}

void Propagator::stop() {
  stopping_ = true;
  leading_ = false;
  queue_.shut_down();
  for (auto* r : {types_.get(), member_clusters_.get(), objects_.get(), cluster_objects_.get()})
    r->stop();
  for (auto& [name, member] : members_) {
    member->stopped = true;
    if (member->connection) member->connection->stop();
    if (member->timer) member->timer->cancel();
  }
  for (const auto& timer : sleepers_)
    timer->cancel();
  // Host requests in flight (a status write waiting on a slow apiserver) end now, not at their timeout: the
  // server waits only briefly for stopped().
  host_.cancel_streams();
}

std::vector<MemberClusterState> Propagator::member_clusters() const {
  std::vector<MemberClusterState> out;
  for (const auto& [name, m] : members_)
    out.push_back({name, m->ready, m->reason, m->message});
  return out;
}

std::map<std::string, std::size_t> Propagator::status_counts() const {
  std::map<std::string, std::size_t> out;
  for (const Reflector* store : {objects_.get(), cluster_objects_.get()}) {
    for (const auto& [key, object] : store->store()) {
      std::string state = "Unknown";
      const auto conditions = field(field(object.json(), "status"), "conditions");
      if (conditions.is_array()) {
        for (const auto& c : conditions) {
          if (field(c, "type") != "Propagated") continue;
          const auto status = field(c, "status");
          const auto reason = field(c, "reason");
          state = (status.is_string() ? status.get<std::string>() : "Unknown") + " " +
                  (reason.is_string() ? reason.get<std::string>() : "");
        }
      }
      ++out[state];
    }
  }
  return out;
}

void Propagator::enqueue_all() {
  for (const auto& [key, object] : objects_->store())
    queue_.add(kNamespacedPrefix + key);
  for (const auto& [key, object] : cluster_objects_->store())
    queue_.add(kClusterPrefix + key);
}

asio::awaitable<void> Propagator::sleep(std::chrono::milliseconds duration) {
  auto timer = std::make_unique<asio::steady_timer>(io_, duration);
  auto* raw = timer.get();
  sleepers_.insert(std::move(timer));
  boost::system::error_code ec;
  co_await raw->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::erase_if(sleepers_, [raw](const auto& t) { return t.get() == raw; });
}

// --- types and member clusters ---------------------------------------------------------------------------

void Propagator::types_changed() {
  std::map<std::string, FederatedType> fresh;
  for (const auto& [key, object] : types_->store()) {
    auto type = parse_federated_type(object.json());
    if (!type) {
      log::warn("propagation: " + type.error().message + " (ignored)");
      continue;
    }
    const std::string target = type->target();
    if (const auto clash = fresh.find(target); clash != fresh.end()) {
      log::warn("propagation: FederatedTypeConfigs " + clash->second.name + " and " + type->name +
                " both name " + target + "; using " + clash->second.name);
      continue;
    }
    fresh.emplace(target, std::move(*type));
  }
  const bool changed =
      fresh.size() != type_by_target_.size() ||
      !std::equal(fresh.begin(), fresh.end(), type_by_target_.begin(), [](const auto& a, const auto& b) {
        return a.first == b.first && a.second.enabled == b.second.enabled &&
               a.second.resource == b.second.resource && a.second.namespaced == b.second.namespaced &&
               a.second.collect_status == b.second.collect_status &&
               a.second.retain_fields == b.second.retain_fields;
      });
  if (!changed) return;
  type_by_target_ = std::move(fresh);
  for (auto& [name, member] : members_)
    start_member_informers(member);
  enqueue_all();
}

void Propagator::members_changed() {
  std::map<std::string, MemberClusterSpec> specs;
  std::map<std::string, std::string> fingerprints;
  for (const auto& [key, object] : member_clusters_->store()) {
    const auto json = object.json();
    auto spec = parse_member_cluster(json);
    if (!spec) {
      log::warn("propagation: " + spec.error().message + " (ignored)");
      continue;
    }
    fingerprints[spec->name] = spec->api_endpoint + " " + spec->secret_namespace + "/" + spec->secret_name;
    specs.emplace(spec->name, std::move(*spec));
  }
  bool changed = false;
  for (auto it = members_.begin(); it != members_.end();) {
    const auto spec = specs.find(it->first);
    if (spec != specs.end() && fingerprints[it->first] == it->second->fingerprint) {
      // Same endpoint and secret: new labels or region change placement, not the connection.
      if (spec->second.labels != it->second->spec.labels || spec->second.region != it->second->spec.region ||
          spec->second.zone != it->second->spec.zone) {
        it->second->spec = spec->second;
        changed = true;
      }
      ++it;
      continue;
    }
    // Gone or changed: its connection stops (a changed one is started again below).
    it->second->stopped = true;
    if (it->second->connection) it->second->connection->stop();
    if (it->second->timer) it->second->timer->cancel();
    log::info("propagation: member cluster " + it->first + (spec == specs.end() ? " removed" : " changed"));
    it = members_.erase(it);
    changed = true;
  }
  for (auto& [name, spec] : specs) {
    if (members_.contains(name)) continue;
    auto member = std::make_shared<Member>();
    member->spec = std::move(spec);
    member->fingerprint = fingerprints[name];
    member->timer = std::make_unique<asio::steady_timer>(io_);
    members_.emplace(name, member);
    spawn(run_member(member));
    changed = true;
  }
  if (!changed) return;
  enqueue_all();
  notify_clusters();
  for (const auto& [key, object] : objects_->store())
    placement_changed(kNamespacedPrefix + key);
}

void Propagator::start_member_informers(const std::shared_ptr<Member>& member) {
  const auto& conn = member->connection;
  if (!conn) return;
  // Informers for types no longer enabled stop; the connection keeps them until their coroutines end.
  for (auto it = conn->informers.begin(); it != conn->informers.end(); ++it) {
    const auto type = type_by_target_.find(it->first);
    if (type == type_by_target_.end() || !type->second.enabled) it->second->stop();
  }
  for (const auto& [target, type] : type_by_target_) {
    if (!type.enabled) continue;
    if (const auto running = conn->informers.find(target); running != conn->informers.end()) {
      // A type that was stopped and enabled again gets a fresh informer.
      if (running->second->stats().state != ReflectorState::kStopped) continue;
      conn->informers.erase(running);
    }
    ResourceRef ref;
    ref.api_path = type.api_path();
    ref.plural = type.resource;
    ref.kind = type.kind;
    ref.label_selector = std::string(kManagedLabel) + "=true";
    const std::string prefix = type.namespaced ? kNamespacedPrefix : kClusterPrefix;
    const std::string cluster = member->spec.name;
    // A member object belongs to the federated object its origin annotation names (its own name may differ:
    // spec.template.metadata.name). Federated objects are always namespaced like their targets.
    const auto owner = [prefix](const KubeObject& o) {
      std::string origin = annotation(o.json(), kOriginAnnotation);
      return prefix + (origin.empty() ? o.meta().key() : origin);
    };
    const auto seen = [this, owner](const KubeObject& o) {
      queue_.add(owner(o));
      notify_object(owner(o));
    };
    // A deletion after our write: nothing more of that write will come back.
    const std::string echo_prefix = target + " ";  // (a structured binding cannot be captured in C++20)
    const auto gone = [this, owner, cluster, echo_prefix](const KubeObject& o) {
      if (const auto m = members_.find(cluster); m != members_.end())
        m->second->awaiting_echo.erase(echo_prefix + o.meta().key());
      queue_.add(owner(o));
      notify_object(owner(o));
    };
    auto informer = std::make_unique<Reflector>(
        *conn->client, ref, options_.reflector,
        InformerHandlers{seen, [seen](const KubeObject&, const KubeObject& o) { seen(o); }, gone});
    auto* raw = informer.get();
    conn->informers.emplace(target, std::move(informer));
    // The coroutine holds the connection: the informer and its client outlive a reconnect until it ends.
    spawn([](std::shared_ptr<Connection> keep, Reflector* r) -> asio::awaitable<void> {
      co_await r->run();
      keep.reset();
    }(conn, raw));
  }
}

void Propagator::set_member_ready(Member& member, bool ready, std::string reason, std::string message) {
  const bool changed = member.ready != ready || member.reason != reason || member.message != message;
  if (!changed) return;
  if (member.ready != ready) {
    log::info("propagation: member cluster " + member.spec.name +
              (ready ? " ready" : " not ready: " + message));
  }
  member.ready = ready;
  member.reason = std::move(reason);
  member.message = std::move(message);
  enqueue_all();
  notify_clusters();
  if (leading_) spawn(write_member_status(member.spec.name));
}

asio::awaitable<Result<std::shared_ptr<Propagator::Connection>>> Propagator::connect(
    const Member& member, std::string& reason, std::string& secret_version) {
  const auto& spec = member.spec;
  const std::string ns = spec.secret_namespace.empty() ? options_.secrets_namespace : spec.secret_namespace;
  const std::string where = "secret " + ns + "/" + spec.secret_name;
  auto got = co_await host_.request("GET", "/api/v1/namespaces/" + ns + "/secrets/" + spec.secret_name, {},
                                    "application/json", options_.request_timeout);
  if (!got) {
    reason = "SecretNotFound";
    co_return Error{where + ": " + got.error().message};
  }
  if (got->status != 200) {
    reason = "SecretNotFound";
    co_return Error{where + ": the host cluster answered " + std::to_string(got->status)};
  }
  const auto secret = nlohmann::json::parse(got->body, nullptr, false);
  secret_version = field(field(secret, "metadata"), "resourceVersion").is_string()
                       ? field(field(secret, "metadata"), "resourceVersion").get<std::string>()
                       : std::string();
  const auto data = secret.is_object() ? secret.find("data") : secret.end();
  if (!secret.is_object() || data == secret.end() || !data->is_object() || !data->contains("kubeconfig") ||
      !(*data)["kubeconfig"].is_string()) {
    reason = "InvalidKubeconfig";
    co_return Error{where + " has no `kubeconfig` key"};
  }
  auto text = decode_base64((*data)["kubeconfig"].get<std::string>());
  if (!text) {
    reason = "InvalidKubeconfig";
    co_return Error{where + ": " + text.error().message};
  }
  auto creds = parse_kubeconfig(*text, where + " key kubeconfig", ".");
  if (!creds) {
    reason = "InvalidKubeconfig";
    co_return Error{creds.error().message};
  }
  if (creds->server != spec.api_endpoint) {
    reason = "EndpointMismatch";
    co_return Error{where + " is for " + creds->server + ", the MemberCluster says " + spec.api_endpoint};
  }
  auto client = ApiClient::create(io_, std::move(*creds));
  if (!client) {
    reason = "InvalidKubeconfig";
    co_return Error{where + ": " + client.error().message};
  }
  auto conn = std::make_shared<Connection>();
  conn->client = std::move(*client);
  conn->writer = std::make_unique<ApiWriter>(*conn->client, options_.field_manager);
  co_return conn;
}

asio::awaitable<void> Propagator::run_member(std::shared_ptr<Member> member) {
  const std::string name = member->spec.name;
  while (!member->stopped && !stopping_) {
    if (!member->connection || member->reconnect) {
      member->reconnect = false;
      std::string reason;
      std::string secret_version;
      auto conn = co_await connect(*member, reason, secret_version);
      if (member->stopped || stopping_) break;
      if (conn && member->connection && secret_version == member->secret_version) {
        // Credentials rejected, and the Secret is the same: keep the connection (and its informers, which
        // back off on their own) rather than relisting everything at every probe.
        conn = Result<std::shared_ptr<Connection>>(member->connection);
      } else {
        if (member->connection) member->connection->stop();
        member->connection.reset();
      }
      if (!conn) {
        set_member_ready(*member, false, reason, conn.error().message);
        member->timer->expires_after(std::max(options_.probe_interval, std::chrono::milliseconds(5000)));
        boost::system::error_code ec;
        co_await member->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (member->connection != *conn) {
        member->connection = std::move(*conn);
        member->secret_version = secret_version;
        start_member_informers(member);
      }
    }
    const auto conn = member->connection;
    auto probe =
        co_await conn->client->request("GET", "/readyz", {}, "application/json", options_.probe_timeout);
    if (member->stopped || stopping_) break;
    if (probe && probe->status == 200) {
      member->failures = 0;
      set_member_ready(*member, true, "Ready", "the API server is ready");
    } else if (++member->failures >= options_.probe_fall) {
      if (probe && (probe->status == 401 || probe->status == 403)) {
        set_member_ready(*member, false, "CredentialsRejected",
                         "the API server answered " + std::to_string(probe->status) +
                             " to our credentials (expired or revoked?); the secret is read again");
        member->reconnect = true;  // a rotated secret is picked up
      } else {
        set_member_ready(*member, false, "Unreachable",
                         probe ? "/readyz answered " + std::to_string(probe->status) : probe.error().message);
      }
    }
    member->timer->expires_after(options_.probe_interval);
    boost::system::error_code ec;
    co_await member->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (member->connection) member->connection->stop();
}

asio::awaitable<void> Propagator::write_member_status(std::string name) {
  const auto member = members_.find(name);
  const auto object = member_clusters_->store().find(name);
  if (member == members_.end() || object == member_clusters_->store().end() || !leading_) co_return;
  const auto json = object->second.json();
  const auto patch =
      member_status_patch(field(json, "status"), object->second.meta().generation, member->second->ready,
                          member->second->reason, member->second->message);
  if (!patch) co_return;
  ++stats_.member_status_writes;
  const auto r = co_await host_writer_.patch(std::string(kApiPath) + "/memberclusters/" + name + "/status",
                                             PatchType::kMerge, *patch);
  if (!r || !r->ok()) log::warn("propagation: MemberCluster " + name + " status: " + describe_failure(r));
}

// --- reconciling -------------------------------------------------------------------------------------------

asio::awaitable<void> Propagator::worker() {
  while (auto key = co_await queue_.get()) {
    co_await reconcile(*key);
    queue_.done(*key);
  }
}

const KubeObject* Propagator::find_host_object(const std::string& key) const {
  const auto& store = key.rfind(kClusterPrefix, 0) == 0 ? cluster_objects_->store() : objects_->store();
  const auto it = store.find(key.substr(2));
  return it == store.end() ? nullptr : &it->second;
}

asio::awaitable<void> Propagator::reconcile(const std::string& key) {
  if (!leading_ || stopping_) co_return;
  if (!synced()) {
    // The types and member clusters are not all known yet: deciding now could report what is not so.
    queue_.add_after(key, 200ms);
    co_return;
  }
  const KubeObject* found = find_host_object(key);
  if (found == nullptr) {  // deleted (our finalizer was removed, or it never had one)
    written_.erase(key);
    status_written_.erase(key);
    queue_.forget(key);
    co_return;
  }
  const KubeObject host_object = *found;  // a copy: the cache may change while we wait on requests
  ++stats_.reconciles;
  Outcome outcome;
  try {
    outcome = co_await reconcile_object(key, host_object);
  } catch (const std::exception& e) {
    log::error("propagation: " + key + ": " + e.what());
    outcome.failed = true;
  }
  if (outcome.failed) {
    queue_.add_rate_limited(key);
  } else {
    queue_.forget(key);
    if (outcome.again) queue_.add_after(key, *outcome.again);
  }
}

asio::awaitable<bool> Propagator::write_condition_only(const KubeObject& host_object, const std::string& path,
                                                       const PropagatedCondition& condition) {
  const auto json = host_object.json();
  const nlohmann::json current = field(json, "status");
  // Keep the per-cluster entries (they record what was written); only the condition changes.
  auto patch = status_patch(current, host_object.meta().generation, condition, {}, rfc3339_now());
  if (!patch) co_return true;
  auto body = nlohmann::json::parse(*patch);
  body["status"].erase(std::string("clusters"));
  if (field(current, "conditions") == field(field(body, "status"), "conditions") &&
      field(current, "observedGeneration") == nlohmann::json(host_object.meta().generation)) {
    co_return true;
  }
  ++stats_.status_writes;
  const auto r = co_await host_writer_.patch(path + "/status", PatchType::kMerge, body.dump());
  if (!r || !r->ok()) {
    ++stats_.failed_writes;
    log::warn("propagation: status of " + path + ": " + describe_failure(r));
    co_return false;
  }
  co_return true;
}

asio::awaitable<Propagator::Outcome> Propagator::reconcile_object(const std::string& key,
                                                                  const KubeObject& host_object) {
  Outcome outcome;
  const std::string path = host_path(key);
  auto json = host_object.json();
  if (key.rfind(kClusterPrefix, 0) == 0) json[std::string("kind")] = std::string("ClusterFederatedObject");
  auto parsed = parse_federated_object(json);
  if (!parsed) {
    outcome.failed = !co_await write_condition_only(
        host_object, path, PropagatedCondition{false, std::string("InvalidObject"), parsed.error().message});
    co_return outcome;  // a fix to the object queues it again
  }
  const FederatedObject& object = *parsed;
  const auto type_it = type_by_target_.find(object.api_version + " " + object.kind);
  const bool has_finalizer = std::ranges::find(object.finalizers, kFinalizer) != object.finalizers.end();
  if (type_it == type_by_target_.end() || !type_it->second.enabled) {
    if (object.deleting && has_finalizer) {
      // Nothing can be cleaned up without the type: let the deletion go on rather than hang forever.
      log::warn("propagation: " + object.describe() + " deleted while " + object.api_version + " " +
                object.kind + " is not federated; member objects, if any, stay");
    } else {
      // Built apart from the co_await: GCC 12 evaluates both arms of a conditional inside its operand.
      PropagatedCondition condition{false, "TypeNotFederated",
                                    "no FederatedTypeConfig names " + object.api_version + " " + object.kind};
      if (type_it != type_by_target_.end()) {
        condition.reason = "PropagationDisabled";
        condition.message = "FederatedTypeConfig " + type_it->second.name + " has propagation Disabled";
      }
      outcome.failed = !co_await write_condition_only(host_object, path, condition);
      co_return outcome;
    }
  }
  const auto json_status = field(json, "status");

  if (!object.deleting && !has_finalizer) {
    auto finalizers = object.finalizers;
    finalizers.emplace_back(kFinalizer);
    ++stats_.finalizer_writes;
    const auto r = co_await host_writer_.patch(
        path, PatchType::kMerge, finalizers_patch(finalizers, host_object.meta().resource_version));
    if (!r || !r->ok()) {
      ++stats_.failed_writes;
      if (!(r && r->conflict()))
        log::warn("propagation: finalizer on " + object.describe() + ": " + describe_failure(r));
      outcome.failed = true;
      co_return outcome;
    }
  }
  if (type_it == type_by_target_.end() || !type_it->second.enabled) {
    // Being deleted with no type to clean up with: release it.
    auto finalizers = object.finalizers;
    std::erase(finalizers, std::string(kFinalizer));
    ++stats_.finalizer_writes;
    const auto r = co_await host_writer_.patch(
        path, PatchType::kMerge, finalizers_patch(finalizers, host_object.meta().resource_version));
    outcome.failed = !r || !r->ok();
    co_return outcome;
  }
  const FederatedType& type = type_it->second;

  const std::vector<MemberCluster> clusters = placement_clusters();
  const std::vector<std::string> placed =
      object.deleting ? std::vector<std::string>{} : place(object.placement, clusters);

  // Every cluster that matters: placed ones, ones the status lists, ones holding an object of ours.
  std::map<std::string, LastWrite> last = last_writes(json_status);
  if (const auto mine = written_.find(key); mine != written_.end()) {
    for (const auto& [cluster, write] : mine->second)
      last[cluster] = write;
  }
  // The entries the status has now, to keep as they are for a cluster we cannot look at yet.
  const std::map<std::string, nlohmann::json> current_entries = status_entries(json_status);
  std::set<std::string> names(placed.begin(), placed.end());
  for (const auto& [name, entry] : current_entries)
    names.insert(name);
  const std::string member_key = object.member_key();
  const std::string echo_key = type.target() + " " + member_key;
  for (const auto& [name, member] : members_) {
    if (!member->connection) continue;
    const auto informer = member->connection->informers.find(type.target());
    if (informer != member->connection->informers.end() && informer->second->store().contains(member_key))
      names.insert(name);
  }

  std::vector<ClusterEntry> entries;
  const std::string object_path = type.object_path(object.namespace_, object.member_name());
  const bool is_service = object.api_version == "v1" && object.kind == "Service";
  for (const std::string& name : names) {
    const auto member_it = members_.find(name);
    const std::shared_ptr<Member> member = member_it == members_.end() ? nullptr : member_it->second;
    const std::shared_ptr<Connection> conn = member ? member->connection : nullptr;
    const Reflector* informer = nullptr;
    if (conn) {
      const auto it = conn->informers.find(type.target());
      if (it != conn->informers.end()) informer = it->second.get();
    }
    const std::optional<LastWrite> last_write =
        last.contains(name) ? std::optional<LastWrite>(last[name]) : std::nullopt;
    const auto keep_current = [&] {
      if (const auto c = current_entries.find(name); c != current_entries.end())
        entries.push_back(entry_from_status(c->second, last_write));
      outcome.again = std::min(outcome.again.value_or(1000ms), std::chrono::milliseconds(500));
    };
    const bool ready = member && member->ready && conn;
    if (ready && (informer == nullptr || !informer->has_synced())) {
      keep_current();  // the member's cache is still listing: deciding now could create what exists
      continue;
    }
    if (member) {
      const auto echo = member->awaiting_echo.find(echo_key);
      if (echo != member->awaiting_echo.end()) {
        bool arrived = false;
        if (informer != nullptr) {
          const auto cached = informer->store().find(member_key);
          arrived = cached != informer->store().end() &&
                    cached->second.meta().resource_version == echo->second.resource_version;
        }
        if (!arrived && std::chrono::steady_clock::now() - echo->second.written < kEchoWait) {
          keep_current();  // our own write has not come back through the watch yet
          continue;
        }
        member->awaiting_echo.erase(echo);
      }
    }

    ClusterInput input;
    input.placed = std::ranges::binary_search(placed, name);
    input.cluster_known = member != nullptr;
    input.cluster_ready = ready;
    Result<DesiredObject> desired = Error{std::string("not placed")};
    MemberCluster as_placed{name, {}};
    if (const auto it = std::ranges::find(clusters, name, &MemberCluster::name); it != clusters.end())
      as_placed = *it;
    if (input.placed) {
      desired = desired_object(object, as_placed, type.retain_fields);
      input.desired = &desired;
    }
    nlohmann::json member_json;
    if (informer != nullptr) {
      if (const auto it = informer->store().find(member_key); it != informer->store().end()) {
        member_json = it->second.json();
        input.member = MemberObject{it->second.meta().resource_version,
                                    annotation(member_json, kOriginAnnotation), being_deleted(member_json)};
      }
    }
    input.last = last_write;
    const ClusterAction action = decide(object, input);
    ClusterEntry entry{name, action.status, action.message, last_write, {}};
    if (is_service && options_.dns_state && input.placed)
      entry.dns = options_.dns_state(object.namespace_, object.member_name(), name);
    if (type.collect_status && field(member_json, "status").is_object())
      entry.remote_status = field(member_json, "status").dump();

    // Every write checks leadership first: a replica that lost the lease while waiting writes nothing more.
    if (action.kind != ClusterAction::Kind::kNothing && action.kind != ClusterAction::Kind::kReport &&
        !leading_)
      co_return outcome;
    switch (action.kind) {
      case ClusterAction::Kind::kNothing:
      case ClusterAction::Kind::kReport:
        break;
      case ClusterAction::Kind::kApply: {
        if (!input.member && !last_write) {
          // The informer sees only objects with our label: one of that name may exist that is not ours.
          ++stats_.member_reads;
          const auto got = co_await conn->client->request("GET", object_path, {}, "application/json",
                                                          options_.request_timeout);
          if (!got || (got->status != 200 && got->status != 404)) {
            entry.status = action.on_failure;
            entry.message = got ? "reading the existing object: " + std::to_string(got->status)
                                : "reading the existing object: " + got.error().message;
            outcome.failed = true;
            break;
          }
          if (got->status == 200) {
            const auto existing = nlohmann::json::parse(got->body, nullptr, false);
            const std::string origin = existing.is_object() ? annotation(existing, kOriginAnnotation) : "";
            if (origin != object.origin() && !object.adopt_existing) {
              entry.status = ClusterStatus::kAlreadyExists;
              entry.message = "an object of that name exists and is not ours (spec.adoptExisting adopts it)";
              break;
            }
          }
        }
        if (!leading_) co_return outcome;
        ++stats_.member_applies;
        const auto r = co_await conn->writer->patch(object_path, PatchType::kApply, desired->body, true);
        if (!r || !r->ok()) {
          ++stats_.failed_writes;
          entry.status = action.on_failure;
          entry.message = describe_failure(r);
          outcome.failed = true;
          break;
        }
        const LastWrite write{desired->hash, r->object ? r->object->meta().resource_version : ""};
        entry.last = write;
        written_[key][name] = write;
        // Until the member's watch shows this version, the cache is older than what we know.
        if (!input.member || input.member->resource_version != write.member_resource_version)
          member->awaiting_echo[echo_key] = {write.member_resource_version, std::chrono::steady_clock::now()};
        break;
      }
      case ClusterAction::Kind::kDelete: {
        ++stats_.member_deletes;
        const auto r = co_await conn->writer->remove(object_path);
        if (!r || (!r->ok() && r->status != 404)) {
          ++stats_.failed_writes;
          entry.status = action.on_failure;
          entry.message = describe_failure(r);
          outcome.failed = true;
          break;
        }
        entry.message = "deleted; waiting for it to go";
        outcome.again = std::min(outcome.again.value_or(2000ms), std::chrono::milliseconds(2000));
        break;
      }
      case ClusterAction::Kind::kOrphan: {
        ++stats_.member_orphans;
        const auto r = co_await conn->writer->patch(object_path, PatchType::kMerge, orphan_patch());
        if (!r || (!r->ok() && r->status != 404)) {
          ++stats_.failed_writes;
          entry.status = action.on_failure;
          entry.message = "orphaning: " + describe_failure(r);
          outcome.failed = true;
          break;
        }
        if (auto mine = written_.find(key); mine != written_.end()) mine->second.erase(name);
        continue;  // no longer ours: the entry goes
      }
    }
    if (!action.keep_in_status && !outcome.failed) {
      if (auto mine = written_.find(key); mine != written_.end()) mine->second.erase(name);
      continue;
    }
    entries.push_back(std::move(entry));
  }
  std::ranges::sort(entries, {}, &ClusterEntry::name);

  const PropagatedCondition condition = summarise(entries, object.deleting);
  if (const auto patch = status_patch(json_status.is_object() ? json_status : nlohmann::json{},
                                      object.generation, condition, entries, rfc3339_now())) {
    // The same patch against the same (not yet updated) copy of the object: our last write is on its way
    // back through the watch, and sending it again would be a needless write.
    const auto previous = status_written_.find(key);
    const bool repeat = previous != status_written_.end() &&
                        previous->second.first == host_object.meta().resource_version &&
                        previous->second.second == *patch;
    if (!repeat) {
      if (!leading_) co_return outcome;
      ++stats_.status_writes;
      const auto r = co_await host_writer_.patch(path + "/status", PatchType::kMerge, *patch);
      if (!r || !r->ok()) {
        ++stats_.failed_writes;
        if (!r || r->status != 404)
          log::warn("propagation: status of " + object.describe() + ": " + describe_failure(r));
        outcome.failed = true;
        co_return outcome;
      }
      status_written_[key] = {host_object.meta().resource_version, *patch};
    }
  }
  if (object.deleting && entries.empty() && has_finalizer) {
    if (!leading_) co_return outcome;
    auto finalizers = object.finalizers;
    std::erase(finalizers, std::string(kFinalizer));
    ++stats_.finalizer_writes;
    const auto r = co_await host_writer_.patch(
        path, PatchType::kMerge, finalizers_patch(finalizers, host_object.meta().resource_version));
    if (!r || (!r->ok() && r->status != 404)) {
      ++stats_.failed_writes;
      outcome.failed = true;
    } else {
      written_.erase(key);
    }
  }
  co_return outcome;
}

}  // namespace fedns::sync::propagation
