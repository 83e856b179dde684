// Metrics: workers bump their own counters; here they are summed when Prometheus scrapes, so the query path
// never touches a shared atomic (../shared/DESIGN.md section 7).
#include "app/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <chrono>
#include <functional>

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

ClientMetric gauge(double value) {
  ClientMetric m;
  m.gauge.value = value;
  return m;
}

}  // namespace

MetricsCollector::MetricsCollector(std::vector<const dns::WorkerCounters*> workers, const ServerState& state)
    : workers_(std::move(workers)), state_(state) {}

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

  family("fedns_snapshot_generation", "Generation of the zone snapshot being served.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(state_.snapshot_generation.load())));
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  family("fedns_snapshot_age_seconds", "Seconds since the snapshot being served was built.",
         MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(now_ms - state_.snapshot_built_unix_ms.load()) / 1000.0));
  family("fedns_zones", "Zones being served.", MetricType::Gauge)
      .metric.push_back(gauge(static_cast<double>(state_.zones.load())));
  auto& reloads =
      family("fedns_config_reloads_total", "Config reloads (SIGHUP), by result.", MetricType::Counter);
  reloads.metric.push_back(counter(static_cast<double>(state_.reloads_ok.load()), {{"result", "ok"}}));
  reloads.metric.push_back(
      counter(static_cast<double>(state_.reloads_failed.load()), {{"result", "failed"}}));
  return families;
}

std::string MetricsCollector::render() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace fedns::app
