// The health monitor at scale (issue 5, sections 6 and 8): N TCP targets probed every interval against a
// real loopback listener. It prints
//   - the control thread's CPU per probe and in total, against the anchor measured in the same run: the same
//     number of plain blocking connect+close calls (the kernel's share, which no prober can avoid);
//   - how late a handler posted every 10 ms runs on the control io_context (what informer processing would
//     wait), with probes running against the anchor of the same loop without probes;
//   - failover: the listener closes, and each target's time until the monitor calls it DOWN, against the
//     bound interval x fall (+ jitter).
// Usage: fedns_health_bench [targets=10000] [seconds=10] [interval_ms=1000]
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "common/log.hpp"
#include "health/health_monitor.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

// Lateness of a handler posted every 10 ms on `io`, in ms, for `duration`.
std::vector<double> lateness(asio::io_context& io, std::chrono::milliseconds duration) {
  std::vector<double> late;
  asio::steady_timer timer(io);
  const auto end = Clock::now() + duration;
  std::function<void()> arm = [&] {
    const auto due = Clock::now() + std::chrono::milliseconds(10);
    timer.expires_at(due);
    timer.async_wait([&, due](const boost::system::error_code& ec) {
      if (ec) return;
      late.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
      if (Clock::now() < end) arm();
    });
  };
  arm();
  io.restart();
  while (Clock::now() < end)
    io.run_for(std::chrono::milliseconds(100));
  io.restart();  // the loop may have run out of work (the anchor has nothing else on it)
  return late;
}

}  // namespace

int main(int argc, char** argv) {
  const int targets = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  const int interval_ms = argc > 3 ? std::atoi(argv[3]) : 1000;
  fedns::log::set_level(fedns::log::Level::kWarn);

  // The listener: an accept loop on its own thread, so probes find a real peer (and the backlog never fills).
  asio::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor.listen(4096);
  const auto port = acceptor.local_endpoint().port();
  std::atomic<bool> serving{true};
  std::thread server([&] {
    while (serving) {
      boost::system::error_code ec;
      tcp::socket peer(server_io);
      acceptor.accept(peer, ec);
      if (ec) break;
    }
  });

  asio::io_context io;
  // Anchor 1: the control loop's lateness with nothing else on it.
  const auto idle_late = lateness(io, std::chrono::seconds(3));

  fedns::SnapshotPublisher<fedns::model::HealthTable> publisher;
  fedns::health::HealthMonitor monitor(io, publisher);
  std::vector<Clock::duration> down_after(static_cast<std::size_t>(targets), Clock::duration::zero());
  Clock::time_point closed_at{};
  monitor.on_transition = [&](fedns::health::TargetId id, const fedns::health::Target&,
                              fedns::health::Health health, const std::string&) {
    if (health == fedns::health::Health::kDown && closed_at != Clock::time_point{})
      down_after[id] = Clock::now() - closed_at;
  };
  fedns::health::ProbeSpec spec;
  spec.kind = fedns::health::ProbeKind::kTcp;
  spec.port = port;
  spec.interval = std::chrono::milliseconds(interval_ms);
  spec.timeout = std::min(spec.interval, std::chrono::milliseconds(1000));
  for (int i = 0; i < targets; ++i)
    monitor.add({"bench " + std::to_string(i), asio::ip::make_address("127.0.0.1"), spec});
  io.run_for(std::chrono::milliseconds(2 * interval_ms));  // every target checked at least once

  const auto probes_before = monitor.stats().probes;
  const double cpu_before = thread_cpu_seconds();
  const auto started = Clock::now();
  const auto busy_late = lateness(io, std::chrono::seconds(seconds));
  const double cpu = thread_cpu_seconds() - cpu_before;
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();
  const auto probes = monitor.stats().probes - probes_before;

  // Anchor 2: the same number of blocking connect+close calls, timed by this thread's CPU.
  const auto raw_count = std::min<std::uint64_t>(probes, 20000);
  const double raw_before = thread_cpu_seconds();
  for (std::uint64_t i = 0; i < raw_count; ++i) {
    tcp::socket s(io);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  }
  const double raw_cpu_per = (thread_cpu_seconds() - raw_before) / static_cast<double>(raw_count);

  // Failover: the listener goes (shutdown ends the blocking accept and refuses new connections); every
  // target must go DOWN.
  serving = false;
  closed_at = Clock::now();
  ::shutdown(acceptor.native_handle(), SHUT_RDWR);
  server.join();
  acceptor.close();
  const auto limit = Clock::now() + std::chrono::milliseconds(interval_ms * (spec.thresholds.fall + 3));
  while (Clock::now() < limit && monitor.down_count() < static_cast<std::size_t>(targets))
    io.run_for(std::chrono::milliseconds(50));
  std::vector<double> failover_ms;
  for (const auto& d : down_after) {
    if (d != Clock::duration::zero())
      failover_ms.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  monitor.stop();

  const double per_probe_us = cpu / static_cast<double>(probes) * 1e6;
  std::printf("targets %d, interval %d ms, %.1f s measured: %llu probes (%.0f/s)\n", targets, interval_ms,
              wall, static_cast<unsigned long long>(probes), static_cast<double>(probes) / wall);
  std::printf(
      "control thread CPU: %.1f%% of one core, %.1f us per probe; anchor (blocking connect+close): "
      "%.1f us -> ratio %.2f\n",
      100 * cpu / wall, per_probe_us, raw_cpu_per * 1e6, per_probe_us / (raw_cpu_per * 1e6));
  std::printf(
      "control loop lateness (a handler every 10 ms) p50/p99/max: %.2f / %.2f / %.2f ms with probes; "
      "%.2f / %.2f / %.2f ms idle (anchor)\n",
      percentile(busy_late, 0.5), percentile(busy_late, 0.99), percentile(busy_late, 1.0),
      percentile(idle_late, 0.5), percentile(idle_late, 0.99), percentile(idle_late, 1.0));
  std::printf(
      "failover (listener closed -> DOWN), %zu of %d targets: p50 %.0f ms, p90 %.0f, p99 %.0f, max %.0f; "
      "bound interval x fall = %d ms (+ %.0f%% jitter)\n",
      failover_ms.size(), targets, percentile(failover_ms, 0.5), percentile(failover_ms, 0.9),
      percentile(failover_ms, 0.99), percentile(failover_ms, 1.0), interval_ms * spec.thresholds.fall,
      spec.jitter * 100);
  return failover_ms.size() == static_cast<std::size_t>(targets) ? 0 : 1;
}
