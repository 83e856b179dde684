// Metrics: workers bump their own counters; here they are summed when Prometheus scrapes, so the query path
// never touches a shared atomic (../shared/DESIGN.md section 7).
#include "app/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <chrono>
#include <functional>
#include <limits>
#include <map>

#include "app/catalog_sync.hpp"
#include "app/propagation_runner.hpp"
#include "dns/zone_transfer.hpp"
#include "sync/reflector.hpp"

namespace fedns::app {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const char* rcode_name(std::size_t rcode) {
  static const char* const kNames[dns::rcode::kCount] = {
      "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
      "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "12",      "13",      "14",       "15",
      "BADVERS", "BADKEY",  "BADTIME",  "BADMODE",   "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE"};
  return kNames[rcode];
}

ClientMetric counter(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  return m;
}

ClientMetric gauge(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

}  // namespace

MetricsCollector::MetricsCollector(std::vector<const dns::WorkerCounters*> workers, const ServerState& state,
                                   const CatalogSync* catalog, const health::HealthMonitor* health,
                                   const health::OverrideStore* overrides,
                                   const health::ServiceTargets* targets)
    : workers_(std::move(workers)),
      state_(state),
      catalog_(catalog),
      health_(health),
      overrides_(overrides),
      targets_(targets) {}

std::vector<MetricFamily> MetricsCollector::Collect() const {
  auto sum = [&](const std::function<std::uint64_t(const dns::WorkerCounters&)>& get) {
    std::uint64_t total = 0;
    for (const auto* w : workers_)
      total += get(*w);
    return static_cast<double>(total);
  };
  std::vector<MetricFamily> families;
  auto family = [&](const std::string& name, const std::string& help, MetricType type) -> MetricFamily& {
    families.push_back(MetricFamily{name, help, type, {}});
    return families.back();
  };

  auto& by_transport =
      family("fedns_dns_queries_total", "DNS queries received, by transport.", MetricType::Counter);
  by_transport.metric.push_back(
      counter(sum([](const auto& w) { return w.queries_by_transport[0].get(); }), {{"transport", "udp"}}));
  by_transport.metric.push_back(
      counter(sum([](const auto& w) { return w.queries_by_transport[1].get(); }), {{"transport", "tcp"}}));

  auto& by_rcode =
      family("fedns_dns_responses_total", "DNS responses sent, by response code.", MetricType::Counter);
  for (std::size_t r = 0; r < dns::rcode::kCount; ++r) {
    const double v = sum([r](const auto& w) { return w.responses_by_rcode[r].get(); });
    if (v > 0 || r <= dns::rcode::kRefused) by_rcode.metric.push_back(counter(v, {{"rcode", rcode_name(r)}}));
  }

  auto& by_qtype = family("fedns_dns_queries_by_qtype_total", "DNS queries, by query type (bounded set).",
                          MetricType::Counter);
  for (std::size_t t = 0; t < static_cast<std::size_t>(dns::QtypeBucket::kCount); ++t) {
    by_qtype.metric.push_back(counter(sum([t](const auto& w) { return w.queries_by_qtype[t].get(); }),
                                      {{"qtype", dns::kQtypeBucketNames[t]}}));
  }

  auto& steps =
      family("fedns_dns_policy_steps_total",
             "Answer policy steps run, by step and result (narrowed the records, or kept them all).",
             MetricType::Counter);
  for (std::size_t k = 0; k < model::kPolicyStepKindCount; ++k) {
    const char* name = model::step_name(static_cast<model::PolicyStepKind>(k));
    steps.metric.push_back(counter(sum([k](const auto& w) { return w.policy_steps.narrowed[k].get(); }),
                                   {{"step", name}, {"result", "narrowed"}}));
    steps.metric.push_back(counter(sum([k](const auto& w) { return w.policy_steps.kept_all[k].get(); }),
                                   {{"step", name}, {"result", "kept_all"}}));
  }

  family("fedns_dns_truncated_total", "UDP responses truncated (TC=1).", MetricType::Counter)
      .metric.push_back(counter(sum([](const auto& w) { return w.truncated.get(); })));
  family("fedns_dns_malformed_total", "Queries answered FORMERR.", MetricType::Counter)
      .metric.push_back(counter(sum([](const auto& w) { return w.malformed.get(); })));
  family("fedns_dns_dropped_total", "Messages not answered (no header, a response, oversized, send failure).",
         MetricType::Counter)
      .metric.push_back(counter(sum([](const auto& w) { return w.dropped.get(); })));
  family("fedns_dns_tcp_connections_total", "TCP connections accepted.", MetricType::Counter)
      .metric.push_back(counter(sum([](const auto& w) { return w.tcp_accepted.get(); })));
  auto& tcp_closed = family("fedns_dns_tcp_closed_total", "TCP connections closed by the server, by reason.",
                            MetricType::Counter);
  tcp_closed.metric.push_back(
      counter(sum([](const auto& w) { return w.tcp_timeouts.get(); }), {{"reason", "idle"}}));
  tcp_closed.metric.push_back(
      counter(sum([](const auto& w) { return w.tcp_evicted.get(); }), {{"reason", "evicted"}}));
  family("fedns_dns_tcp_open_connections", "TCP connections open now.", MetricType::Gauge)
      .metric.push_back(gauge(sum([](const auto& w) {
        return static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, w.tcp_open.load(std::memory_order_relaxed)));
      })));

  auto& transfers =
      family("fedns_dns_transfers_total", "Zone transfer requests (AXFR, IXFR) over TCP, by how they ended.",
             MetricType::Counter);
  for (std::size_t r = 0; r < dns::kTransferResults; ++r) {
    transfers.metric.push_back(
        counter(sum([r](const auto& w) { return w.transfers[r].get(); }),
                {{"result", dns::transfer_result_name(static_cast<dns::TransferResult>(r))}}));
  }
  family("fedns_dns_transfer_records_total", "Records sent in zone transfers.", MetricType::Counter)
      .metric.push_back(counter(sum([](const auto& w) {
        std::uint64_t n = 0;
        for (const auto& c : w.transfer_records)
          n += c.get();
        return n;
      })));
  family("fedns_dns_tsig_failures_total",
         "Signed queries refused (unknown key, wrong signature, time outside the fudge window), transfers "
         "included.",
         MetricType::Counter)
      .metric.push_back(counter(sum([](const auto& w) { return w.tsig_failures.get(); })));

  if (notify_ != nullptr) {
    auto& notifies = family("fedns_dns_notifies_total",
                            "NOTIFY messages to secondaries: sent (retries included), answered, given up on.",
                            MetricType::Counter);
    notifies.metric.push_back(counter(static_cast<double>(notify_->sent.load()), {{"result", "sent"}}));
    notifies.metric.push_back(
        counter(static_cast<double>(notify_->answered.load()), {{"result", "answered"}}));
    notifies.metric.push_back(counter(static_cast<double>(notify_->failed.load()), {{"result", "failed"}}));
  }

  family("fedns_snapshot_generation", "Generation of the zone snapshot being served.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(state_.snapshot_generation.load())));
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  family("fedns_snapshot_age_seconds", "Seconds since the snapshot being served was built.",
         MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(now_ms - state_.snapshot_built_unix_ms.load()) / 1000.0));
  family("fedns_snapshot_build_seconds",
         "How long the last catalog change took to render into a snapshot and publish it.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(state_.snapshot_build_us.load()) / 1e6));
  family("fedns_zones", "Zones being served.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(state_.zones.load())));
  auto& reloads =
      family("fedns_config_reloads_total", "Config reloads (SIGHUP), by result.", MetricType::Counter);
  reloads.metric.push_back(counter(static_cast<double>(state_.reloads_ok.load()), {{"result", "ok"}}));
  reloads.metric.push_back(
      counter(static_cast<double>(state_.reloads_failed.load()), {{"result", "failed"}}));
  if (catalog_ != nullptr) collect_clusters(families);
  if (health_ != nullptr) collect_health(families);
  if (propagation_ != nullptr) collect_propagation(families);
  return families;
}

// The propagation engine: what it wrote (the "no needless writes" figure), leadership and member clusters
// (labels bounded by the MemberCluster objects).
void MetricsCollector::collect_propagation(std::vector<MetricFamily>& families) const {
  families.reserve(families.size() + 13);
  auto family = [&](const std::string& name, const std::string& help, MetricType type) -> MetricFamily& {
    families.push_back(MetricFamily{name, help, type, {}});
    return families.back();
  };
  const auto& p = propagation_->propagator();
  const auto& s = p.stats();
  const auto number = [](std::uint64_t n) { return static_cast<double>(n); };
  family("fedns_propagation_leader", "1 while this replica holds the propagation lease.", MetricType::Gauge)
      .metric.push_back(gauge(propagation_->leading() ? 1 : 0));
  family("fedns_propagation_reconciles_total", "Federated objects reconciled (while leading).",
         MetricType::Counter)
      .metric.push_back(counter(number(s.reconciles)));
  auto& writes = family("fedns_propagation_writes_total",
                        "Write requests issued, by cluster side and operation.", MetricType::Counter);
  writes.metric.push_back(counter(number(s.member_applies), {{"side", "member"}, {"op", "apply"}}));
  writes.metric.push_back(counter(number(s.member_deletes), {{"side", "member"}, {"op", "delete"}}));
  writes.metric.push_back(counter(number(s.member_orphans), {{"side", "member"}, {"op", "orphan"}}));
  writes.metric.push_back(counter(number(s.status_writes), {{"side", "host"}, {"op", "status"}}));
  writes.metric.push_back(counter(number(s.finalizer_writes), {{"side", "host"}, {"op", "finalizer"}}));
  writes.metric.push_back(
      counter(number(s.member_status_writes), {{"side", "host"}, {"op", "membercluster_status"}}));
  family("fedns_propagation_failed_writes_total", "Write requests that failed (each retried with backoff).",
         MetricType::Counter)
      .metric.push_back(counter(number(s.failed_writes)));
  family("fedns_propagation_member_reads_total", "Existence checks in member clusters before a first create.",
         MetricType::Counter)
      .metric.push_back(counter(number(s.member_reads)));
  family("fedns_propagation_queue_length", "Federated objects waiting to be reconciled.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(p.queue_length())));
  auto& ready =
      family("fedns_propagation_member_cluster_ready",
             "1 while a member cluster's API answers /readyz with our credentials.", MetricType::Gauge);
  for (const auto& m : p.member_clusters())
    ready.metric.push_back(gauge(m.ready ? 1 : 0, {{"cluster", m.name}}));
  auto& objects =
      family("fedns_propagation_objects",
             "Federated objects by their Propagated condition (status and reason).", MetricType::Gauge);
  for (const auto& [state, count] : p.status_counts()) {
    const auto space = state.find(' ');
    objects.metric.push_back(gauge(static_cast<double>(count),
                                   {{"propagated", state.substr(0, space)},
                                    {"reason", space == std::string::npos ? "" : state.substr(space + 1)}}));
  }
  // The replica scheduler (ReplicaSchedulingPreferences).
  auto& preferences =
      family("fedns_scheduler_preferences",
             "Replica scheduling preferences by their Scheduled condition's reason.", MetricType::Gauge);
  for (const auto& [reason, count] : propagation_->scheduler().reason_counts())
    preferences.metric.push_back(gauge(static_cast<double>(count), {{"reason", reason}}));
  const auto& r = propagation_->scheduler().stats();
  family("fedns_scheduler_reconciles_total", "Replica scheduling preferences reconciled (while leading).",
         MetricType::Counter)
      .metric.push_back(counter(number(r.reconciles)));
  auto& scheduler_writes = family("fedns_scheduler_writes_total", "Write requests issued, by object written.",
                                  MetricType::Counter);
  scheduler_writes.metric.push_back(counter(number(r.object_writes), {{"object", "federatedobject"}}));
  scheduler_writes.metric.push_back(counter(number(r.status_writes), {{"object", "preference_status"}}));
  family("fedns_scheduler_failed_writes_total", "Scheduler writes that failed (each retried with backoff).",
         MetricType::Counter)
      .metric.push_back(counter(number(r.failed_writes)));
  family("fedns_scheduler_rebalance_steps_total",
         "Bounded rebalancing steps that moved replicas between available clusters.", MetricType::Counter)
      .metric.push_back(counter(number(r.steps)));
}

// Health: targets, probes, clusters (labels bounded: clusters come from the config) and overrides.
void MetricsCollector::collect_health(std::vector<MetricFamily>& families) const {
  auto family = [&](const std::string& name, const std::string& help, MetricType type) -> MetricFamily& {
    families.push_back(MetricFamily{name, help, type, {}});
    return families.back();
  };
  const auto& stats = health_->stats();
  const std::size_t down = health_->down_count();
  auto& targets = family("fedns_health_targets", "Health-checked targets, by state.", MetricType::Gauge);
  targets.metric.push_back(gauge(static_cast<double>(health_->target_count() - down), {{"state", "up"}}));
  targets.metric.push_back(gauge(static_cast<double>(down), {{"state", "down"}}));
  if (targets_ != nullptr) {
    family("fedns_health_services_without_healthy_targets",
           "Health-checked services none of whose targets is up (answered by their fallback policy).",
           MetricType::Gauge)
        .metric.push_back(gauge(static_cast<double>(targets_->services_without_healthy_targets())));
  }
  family("fedns_health_probes_total", "Health probes run.", MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(stats.probes)));
  family("fedns_health_probe_failures_total", "Health probes that failed.", MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(stats.failures)));
  family("fedns_health_transitions_total", "Targets that went up or down.", MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(stats.transitions)));
  family("fedns_health_table_publications_total", "Health tables published to the DNS workers.",
         MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(stats.publications)));
  ClientMetric rtt;
  rtt.histogram.sample_count = stats.rtt.count;
  rtt.histogram.sample_sum = stats.rtt.sum_ms / 1000.0;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < stats.rtt.counts.size(); ++i) {
    cumulative += stats.rtt.counts[i];
    rtt.histogram.bucket.push_back({cumulative, health::RttHistogram::kUpperBoundsMs[i] / 1000.0});
  }
  rtt.histogram.bucket.push_back({stats.rtt.count, std::numeric_limits<double>::infinity()});
  family("fedns_health_probe_rtt_seconds", "Round-trip time of successful health probes.",
         MetricType::Histogram)
      .metric.push_back(std::move(rtt));
  family("fedns_health_cluster_transitions_total", "Member clusters that went up or down.",
         MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(stats.cluster_transitions)));
  const auto clusters = health_->clusters();
  {
    auto& up = family("fedns_health_cluster_up",
                      "1 while a member cluster counts as up for answers (its checks, or an override).",
                      MetricType::Gauge);
    for (const auto& [name, cluster] : clusters)
      up.metric.push_back(gauge(cluster.up ? 1 : 0, {{"cluster", name}}));
  }
  {
    auto& rtt_avg = family("fedns_health_cluster_rtt_seconds",
                           "Average round-trip time of the probes of a member cluster's targets (EWMA).",
                           MetricType::Gauge);
    for (const auto& [name, cluster] : clusters) {
      if (cluster.rtt)
        rtt_avg.metric.push_back(gauge(static_cast<double>(cluster.rtt->count()) / 1e6, {{"cluster", name}}));
    }
  }
  if (overrides_ == nullptr) return;
  std::map<std::pair<std::string, std::string>, double> active;
  for (const char* source : {"file", "api"}) {
    for (const char* state : {"up", "down"})
      active[{source, state}] = 0;
  }
  for (const auto& o : overrides_->active_list())
    active[{o.source == health::OverrideSource::kApi ? "api" : "file", o.up ? "up" : "down"}] += 1;
  {
    auto& gauge_family = family("fedns_health_overrides_active",
                                "Admin overrides in force, by source and state.", MetricType::Gauge);
    for (const auto& [key, n] : active)
      gauge_family.metric.push_back(gauge(n, {{"source", key.first}, {"state", key.second}}));
  }
  const auto& o = overrides_->stats();
  family("fedns_health_override_file_loads_total", "Override file versions applied.", MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(o.file_loads)));
  family("fedns_health_override_file_errors_total",
         "Override file versions rejected (the previous overrides stayed).", MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(o.file_errors)));
  family("fedns_health_overrides_expired_total", "Overrides that reached their expiry.", MetricType::Counter)
      .metric.push_back(counter(static_cast<double>(o.expired)));
}

// Per member cluster and resource: informer state, staleness and counters (bounded labels: clusters come from
// the config, resources and states are fixed sets).
void MetricsCollector::collect_clusters(std::vector<MetricFamily>& families) const {
  // The families below are filled after all are created: no reallocation may move them meanwhile.
  families.reserve(families.size() + 21);
  auto family = [&](const std::string& name, const std::string& help, MetricType type) -> MetricFamily& {
    families.push_back(MetricFamily{name, help, type, {}});
    return families.back();
  };
  auto& synced = family("fedns_cluster_synced",
                        "1 once all of a cluster's informers completed their first LIST.", MetricType::Gauge);
  auto& stale = family("fedns_cluster_stale",
                       "1 while a cluster is left out of the answers because its API failed for stale_after.",
                       MetricType::Gauge);
  auto& skipped =
      family("fedns_cluster_skipped_objects_total",
             "Objects that could not be converted (logged with the reason).", MetricType::Counter);
  auto& load_errors = family(
      "fedns_cluster_manifest_load_errors_total",
      "Manifest files that could not be read or parsed (their last good objects stay).", MetricType::Counter);
  auto& status_writes =
      family("fedns_cluster_export_status_writes_total",
             "ServiceExport conditions (Valid, Ready, Conflict) written back.", MetricType::Counter);
  auto& status_failures = family(
      "fedns_cluster_export_status_failures_total",
      "Failed ServiceExport status writes (retried with backoff; a 403 stops them).", MetricType::Counter);
  auto& state =
      family("fedns_cluster_informer_state", "1 for the state each informer is in.", MetricType::Gauge);
  auto& contact =
      family("fedns_cluster_last_contact_age_seconds",
             "Seconds since an informer last heard from its API server (LIST page, event or bookmark).",
             MetricType::Gauge);
  auto& objects =
      family("fedns_cluster_cached_objects", "Objects in an informer's cache.", MetricType::Gauge);
  auto& events = family("fedns_cluster_watch_events_total", "Watch events applied.", MetricType::Counter);
  auto& lists = family("fedns_cluster_lists_total", "Complete LISTs (the first one and every relist).",
                       MetricType::Counter);
  auto& expired = family("fedns_cluster_expired_total", "410 Expired answers (each forces a relist).",
                         MetricType::Counter);
  auto& errors = family("fedns_cluster_request_errors_total",
                        "Failed LIST/WATCH requests (each followed by a backoff).", MetricType::Counter);
  auto& bad = family("fedns_cluster_bad_events_total",
                     "Garbled or unusable events and items (relist or skip).", MetricType::Counter);
  auto& oversize = family("fedns_cluster_oversize_objects_total", "Objects over the size cap (skipped).",
                          MetricType::Counter);
  auto& throttled =
      family("fedns_cluster_throttled_total", "429 Too Many Requests answers.", MetricType::Counter);
  const auto now = std::chrono::steady_clock::now();
  for (const auto& watch : catalog_->clusters()) {
    const std::string& cluster = watch->name();
    synced.metric.push_back(gauge(watch->has_synced() ? 1 : 0, {{"cluster", cluster}}));
    stale.metric.push_back(gauge(catalog_->is_stale(cluster) ? 1 : 0, {{"cluster", cluster}}));
    skipped.metric.push_back(counter(static_cast<double>(watch->counters().skipped), {{"cluster", cluster}}));
    load_errors.metric.push_back(
        counter(static_cast<double>(watch->counters().load_errors), {{"cluster", cluster}}));
    status_writes.metric.push_back(
        counter(static_cast<double>(watch->counters().export_status_written), {{"cluster", cluster}}));
    status_failures.metric.push_back(
        counter(static_cast<double>(watch->counters().export_status_failed), {{"cluster", cluster}}));
    for (const auto& [resource, reflector] : watch->informers()) {
      const auto& s = reflector->stats();
      const std::vector<ClientMetric::Label> labels{{"cluster", cluster}, {"resource", resource}};
      for (const auto st :
           {sync::ReflectorState::kStarting, sync::ReflectorState::kListing, sync::ReflectorState::kWatching,
            sync::ReflectorState::kBackingOff, sync::ReflectorState::kStopped}) {
        auto with_state = labels;
        with_state.push_back({"state", std::string(sync::to_string(st))});
        state.metric.push_back(gauge(s.state == st ? 1 : 0, with_state));
      }
      if (s.last_contact != std::chrono::steady_clock::time_point{}) {
        contact.metric.push_back(gauge(std::chrono::duration<double>(now - s.last_contact).count(), labels));
      }
      objects.metric.push_back(gauge(static_cast<double>(reflector->cached()), labels));
      events.metric.push_back(counter(static_cast<double>(s.events), labels));
      lists.metric.push_back(counter(static_cast<double>(s.lists), labels));
      expired.metric.push_back(counter(static_cast<double>(s.expired), labels));
      errors.metric.push_back(counter(static_cast<double>(s.errors), labels));
      bad.metric.push_back(counter(static_cast<double>(s.bad_events), labels));
      oversize.metric.push_back(counter(static_cast<double>(s.oversize), labels));
      throttled.metric.push_back(counter(static_cast<double>(s.throttled), labels));
    }
  }
  family("fedns_catalog_services", "Services published by the catalog.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(catalog_->catalog().service_count())));
  const std::size_t conflicts = catalog_->catalog().conflict_count();
  family("fedns_catalog_export_conflicts",
         "MCS export conflicts (a cluster's export disagrees with the oldest; logged when they begin).",
         MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(conflicts)));
}

std::string MetricsCollector::render() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace fedns::app
