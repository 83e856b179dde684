// Probe scheduling, state updates and coalesced publication of the health table.
#include "health/health_monitor.hpp"

#include <algorithm>
#include <iterator>

#include "common/log.hpp"

namespace fedns::health {

namespace asio = boost::asio;

void RttHistogram::add(std::chrono::microseconds rtt) {
  const double ms = static_cast<double>(rtt.count()) / 1000.0;
  ++count;
  sum_ms += ms;
  for (std::size_t i = 0; i < kUpperBoundsMs.size(); ++i) {
    if (ms <= kUpperBoundsMs[i]) {
      ++counts[i];
      return;
    }
  }
}

HealthMonitor::HealthMonitor(asio::io_context& io, SnapshotPublisher<model::HealthTable>& publisher,
                             MonitorOptions options)
    : io_(io), dns_(io), publisher_(publisher), options_(options), publish_timer_(io) {
  tls_insecure_.set_verify_mode(asio::ssl::verify_none);
  tls_verified_.set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  tls_verified_.set_default_verify_paths(ec);  // without system CAs, verifying probes fail and say why
}

HealthMonitor::~HealthMonitor() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; the targets end with io_
  }
}

TargetId HealthMonitor::add(Target target) {
  const TargetState initial(target.spec.thresholds);
  auto entry = std::make_shared<Entry>(
      Entry{std::move(target), initial, {}, true, 0, std::make_unique<asio::steady_timer>(io_)});
  TargetId id = 0;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
    entries_[id] = entry;
  } else {
    id = static_cast<TargetId>(entries_.size());
    entries_.push_back(entry);
  }
  ++active_;
  if (entry->target.spec.kind != ProbeKind::kNone)
    asio::co_spawn(io_, run(std::move(entry), id), asio::detached);
  changed();  // the table grows (the new target up until a probe says otherwise)
  return id;
}

void HealthMonitor::remove(TargetId id) {
  if (id >= entries_.size() || entries_[id] == nullptr) return;
  entries_[id]->active = false;
  entries_[id]->timer->cancel();
  entries_[id] = nullptr;
  released_ids_.push_back(id);  // reusable once a table without it is out (publish())
  --active_;
  changed();
}

void HealthMonitor::stop() {
  cluster_targets_.clear();
  for (TargetId id = 0; id < entries_.size(); ++id)
    remove(id);
  publish_timer_.cancel();
}

TargetId HealthMonitor::cluster_target(const std::string& cluster) {
  if (const auto it = cluster_targets_.find(cluster); it != cluster_targets_.end()) return it->second;
  Target target;
  target.name = "cluster " + cluster;
  target.spec.kind = ProbeKind::kNone;
  target.scope.cluster = cluster;
  const TargetId id = add(std::move(target));
  cluster_targets_.emplace(cluster, id);
  return id;
}

void HealthMonitor::set_overrides(OverrideSet overrides) {
  overrides_ = std::move(overrides);
  changed();
}

const Target* HealthMonitor::target(TargetId id) const {
  return id < entries_.size() && entries_[id] != nullptr ? &entries_[id]->target : nullptr;
}

std::set<std::string> HealthMonitor::clusters_down() const {
  std::set<std::string> down;
  for (const auto& entry : entries_) {
    if (entry != nullptr && entry->target.scope.role == TargetRole::kClusterCheck && !entry->state.up())
      down.insert(entry->target.scope.cluster);
  }
  if (overrides_.empty()) return down;
  std::set<std::string> named;  // every cluster an override could name
  for (const auto& o : overrides_.all()) {
    if (o.specificity() == 0) named.insert(o.cluster);
  }
  for (const auto& cluster : named) {
    if (const auto forced = overrides_.for_cluster(cluster)) {
      if (*forced) {
        down.erase(cluster);
      } else {
        down.insert(cluster);
      }
    }
  }
  return down;
}

bool HealthMonitor::effective_up(const Entry& entry, const std::set<std::string>& down) const {
  const auto& scope = entry.target.scope;
  if (!overrides_.empty()) {
    if (const auto forced = overrides_.for_target(scope.cluster, scope.service, scope.address))
      return *forced;
  }
  return entry.state.up() && (down.empty() || !down.contains(scope.cluster));
}

bool HealthMonitor::effective_up(TargetId id) const {
  if (id >= entries_.size() || entries_[id] == nullptr) return true;
  return effective_up(*entries_[id], clusters_down_);  // the clusters as of the last table
}

std::map<std::string, ClusterHealth> HealthMonitor::clusters() const {
  std::map<std::string, ClusterHealth> out;
  for (const auto& [name, id] : cluster_targets_)
    out[name];
  for (const auto& [name, rtt] : cluster_rtt_)
    out[name];
  for (const auto& entry : entries_) {
    if (entry == nullptr || entry->target.scope.role != TargetRole::kClusterCheck) continue;
    auto& cluster = out[entry->target.scope.cluster];
    if (!entry->state.up()) {
      cluster.checks_up = false;
      cluster.reason += (cluster.reason.empty() ? "" : "; ") + entry->target.name + ": " + entry->last_error;
    }
  }
  for (const auto& o : overrides_.all()) {
    if (o.specificity() == 0) out[o.cluster];
  }
  for (auto& [name, cluster] : out) {
    cluster.forced = overrides_.for_cluster(name);
    cluster.up = cluster.forced.value_or(cluster.checks_up);
    cluster.rtt = cluster_rtt(name);
  }
  return out;
}

std::optional<std::chrono::microseconds> HealthMonitor::cluster_rtt(const std::string& cluster) const {
  const auto it = cluster_rtt_.find(cluster);
  return it == cluster_rtt_.end() ? std::nullopt : it->second.value();
}

const TargetState* HealthMonitor::state(TargetId id) const {
  return id < entries_.size() && entries_[id] != nullptr ? &entries_[id]->state : nullptr;
}

std::size_t HealthMonitor::down_count() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& entry) {
    return entry != nullptr && !entry->state.up();
  }));
}

std::optional<std::chrono::microseconds> HealthMonitor::rtt(TargetId id) const {
  if (id >= entries_.size() || entries_[id] == nullptr) return std::nullopt;
  return entries_[id]->rtt.value();
}

std::chrono::milliseconds HealthMonitor::next_wait(const ProbeSpec& spec, bool first) {
  const double jitter = std::clamp(spec.jitter, 0.0, 0.5);
  std::uniform_real_distribution<double> spread(first ? 0.0 : 1.0 - jitter, first ? jitter : 1.0 + jitter);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(spec.interval.count()) * spread(random_)));
}

asio::awaitable<ProbeResult> HealthMonitor::probe(const Entry& entry) {
  const asio::ip::tcp::endpoint endpoint(entry.target.address, entry.target.spec.port);
  switch (entry.target.spec.kind) {
    case ProbeKind::kHttp:
      co_return co_await probe_http(io_.get_executor(), endpoint, entry.target.spec);
    case ProbeKind::kHttps:
      co_return co_await probe_https(io_.get_executor(), endpoint, entry.target.spec,
                                     entry.target.spec.tls_verify ? tls_verified_ : tls_insecure_);
    case ProbeKind::kDns:
      co_return co_await dns_.probe({entry.target.address, entry.target.spec.port}, entry.target.spec);
    case ProbeKind::kCustom:
      if (entry.target.custom) co_return co_await entry.target.custom(entry.target.spec.timeout);
      co_return ProbeResult{false, {}, "no check"};
    case ProbeKind::kNone:
      co_return ProbeResult{true, {}, {}};
    case ProbeKind::kTcp:
      break;
  }
  co_return co_await probe_tcp(io_.get_executor(), endpoint, entry.target.spec.timeout);
}

asio::awaitable<void> HealthMonitor::run(std::shared_ptr<Entry> entry, TargetId id) {
  bool first = true;
  while (entry->active) {
    entry->timer->expires_after(next_wait(entry->target.spec, first));
    first = false;
    boost::system::error_code ec;
    co_await entry->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!entry->active) break;
    const ProbeResult result = co_await probe(*entry);
    if (!entry->active) break;  // removed while the probe ran: its id may belong to another target now
    ++stats_.probes;
    if (result.ok) {
      entry->rtt.add(result.rtt);
      stats_.rtt.add(result.rtt);
      if (entry->target.scope.role == TargetRole::kEndpoint && !entry->target.scope.cluster.empty())
        cluster_rtt_[entry->target.scope.cluster].add(result.rtt);
    } else {
      ++stats_.failures;
      entry->last_error = result.error;
    }
    const bool transition = entry->state.record(result.ok);
    const std::uint32_t ttl =
        options_.derive_ttl
            ? health_ttl(entry->state,
                         std::chrono::duration_cast<std::chrono::seconds>(entry->target.spec.interval),
                         options_.min_ttl, options_.max_ttl)
            : 0;
    if (transition) {
      ++stats_.transitions;
      const std::string reason = result.ok ? "" : result.error;
      log::info("health: " + entry->target.name +
                (entry->state.up() ? " is UP" : " is DOWN (" + reason + ")"));
      if (on_transition) on_transition(id, entry->target, entry->state.health(), reason);
    }
    if (transition || ttl != entry->ttl) {
      entry->ttl = ttl;
      changed();
    } else if (result.ok && rtt_drifted(id, *entry)) {
      changed();
    }
  }
}

// Whether the table should be published again for latency answers: the target's RTT moved by more than a
// quarter (and 200 us) since the last table, and the last such publication is a second old (RTT alone never
// publishes more than once a second).
bool HealthMonitor::rtt_drifted(TargetId id, const Entry& entry) {
  const auto rtt = entry.rtt.value();
  if (!rtt) return false;
  const std::int64_t now_us = rtt->count();
  const std::int64_t was_us = id < published_rtt_.size() ? published_rtt_[id] : 0;
  const std::int64_t delta = now_us > was_us ? now_us - was_us : was_us - now_us;
  if (was_us != 0 && (delta * 4 <= was_us || delta <= 200)) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_rtt_publish_ < std::chrono::seconds(1)) return false;
  last_rtt_publish_ = now;
  return true;
}

void HealthMonitor::changed() {
  if (publish_pending_) return;
  publish_pending_ = true;
  publish_timer_.expires_after(kPublishDelay);
  // The handler may run after the monitor is gone (a cancelled wait still completes): it checks first.
  publish_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (alive.expired()) return;
    publish_pending_ = false;
    if (!ec) publish();
  });
}

void HealthMonitor::publish() {
  const std::set<std::string> down = clusters_down();
  if (down != clusters_down_) {
    std::vector<std::string> changed_clusters;
    std::set_symmetric_difference(down.begin(), down.end(), clusters_down_.begin(), clusters_down_.end(),
                                  std::back_inserter(changed_clusters));
    const auto health = clusters();
    for (const auto& cluster : changed_clusters) {
      ++stats_.cluster_transitions;
      const auto it = health.find(cluster);
      const std::string why = it == health.end() ? "" : it->second.forced ? "override" : it->second.reason;
      log::warn("health: cluster " + cluster +
                (down.contains(cluster) ? " is DOWN (" + why + "); its targets leave the answers"
                                        : " is UP" + (why.empty() ? "" : " (" + why + ")")));
    }
    clusters_down_ = down;
  }
  std::vector<model::TargetStatus> statuses(entries_.size());
  published_rtt_.assign(entries_.size(), 0);
  for (std::size_t id = 0; id < entries_.size(); ++id) {
    if (entries_[id] == nullptr) continue;
    const Entry& entry = *entries_[id];
    // Measured latency answers (issue 6) read each record's RTT: an endpoint's own probes, else (a cluster's
    // passive target) its cluster's endpoints'.
    std::optional<std::chrono::microseconds> rtt = entry.rtt.value();
    if (!rtt && entry.target.spec.kind == ProbeKind::kNone) rtt = cluster_rtt(entry.target.scope.cluster);
    const auto rtt_us =
        rtt ? static_cast<std::uint32_t>(std::clamp<std::int64_t>(rtt->count(), 1, 0xFFFFFFFF)) : 0U;
    statuses[id] = {effective_up(entry, down), entry.ttl, rtt_us};
    published_rtt_[id] = rtt_us;
  }
  publisher_.publish(std::make_shared<const model::HealthTable>(std::move(statuses), ++generation_));
  // Records of a zone snapshot published before this table may still name the ids released since the last
  // one; only now may a new target take them.
  free_ids_.insert(free_ids_.end(), released_ids_.begin(), released_ids_.end());
  released_ids_.clear();
  ++stats_.publications;
}

}  // namespace fedns::health
