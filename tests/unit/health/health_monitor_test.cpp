// The monitor against a real TCP server on loopback that goes down and comes back: the published table
// follows within interval x fall + 100 ms (issue 5's bound), a flapping target stays out, removal is prompt.
#include "health/health_monitor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <tuple>

namespace fedns::health {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

class HealthMonitorTest : public testing::Test {
 protected:
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto future = task.get_future();
    asio::post(io_, [&task] { task(); });
    return future.get();
  }
  void SetUp() override {
    monitor_ = std::make_unique<HealthMonitor>(io_, publisher_);
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    on_io([this] {
      monitor_->stop();
      listener_.reset();
      return 0;
    });
    io_.stop();
    thread_.join();
  }
  // The listening port: accepting (up) or closed (connections refused).
  void listen(bool up) {
    on_io([&] {
      if (!up) {
        listener_.reset();
        return 0;
      }
      listener_ = std::make_unique<tcp::acceptor>(io_);
      const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port_);
      listener_->open(at.protocol());
      listener_->set_option(asio::socket_base::reuse_address(true));
      listener_->bind(at);
      listener_->listen();
      port_ = listener_->local_endpoint().port();
      return 0;
    });
  }
  static ProbeSpec spec(Thresholds thresholds) {
    ProbeSpec s;
    s.kind = ProbeKind::kTcp;
    s.interval = 100ms;
    s.timeout = 200ms;
    s.jitter = 0;
    s.thresholds = thresholds;
    return s;
  }
  TargetId add_target(Thresholds thresholds = {.rise = 2, .fall = 2, .ok = 2}) {
    return on_io([this, thresholds] {
      Target t{"test target", asio::ip::make_address("127.0.0.1"), spec(thresholds)};
      t.spec.port = port_;
      return monitor_->add(t);
    });
  }
  bool published_up(TargetId id) {
    const auto table = publisher_.current();
    return table == nullptr || table->up(id);
  }
  // How long until the published table says `up` for the target (or nullopt after `limit`).
  std::optional<std::chrono::milliseconds> time_until(TargetId id, bool up, std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      const auto table = publisher_.current();
      if (table != nullptr && table->find(id) != nullptr && table->up(id) == up)
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     start);
      std::this_thread::sleep_for(2ms);
    }
    return std::nullopt;
  }

  asio::io_context io_;
  SnapshotPublisher<model::HealthTable> publisher_;
  std::unique_ptr<HealthMonitor> monitor_;
  std::unique_ptr<tcp::acceptor> listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(HealthMonitorTest, ATargetGoesOutWithinIntervalTimesFallAndComesBackAfterRise) {
  listen(true);
  const TargetId id = add_target();
  ASSERT_TRUE(time_until(id, true, 2s).has_value()) << "the new target was never published";
  std::this_thread::sleep_for(250ms);  // a few good checks
  EXPECT_TRUE(published_up(id));
  EXPECT_TRUE(on_io([&] { return monitor_->rtt(id).has_value(); })) << "successful probes measure the RTT";

  listen(false);
  const auto down = time_until(id, false, 2s);
  ASSERT_TRUE(down.has_value()) << "a refused target never went down";
  EXPECT_LE(*down, 2 * 100ms + 100ms) << "interval x fall + 100 ms";

  listen(true);
  const auto back = time_until(id, true, 2s);
  ASSERT_TRUE(back.has_value()) << "the target never came back";
  EXPECT_GE(*back, 100ms) << "back after rise (2) checks, not at the first";
  EXPECT_EQ(on_io([&] { return monitor_->stats().transitions; }), 2u);
}

TEST_F(HealthMonitorTest, TheTableCarriesEachTargetsMeasuredRttForLatencyAnswers) {
  listen(true);
  const TargetId id = add_target();
  ASSERT_TRUE(time_until(id, true, 2s).has_value());
  // No state change after the first publication: the RTT alone publishes the table again (at most once a
  // second), so latency answers do not wait for a transition.
  const auto start = std::chrono::steady_clock::now();
  std::uint32_t rtt_us = 0;
  while (rtt_us == 0 && std::chrono::steady_clock::now() - start < 3s) {
    const auto table = publisher_.current();
    if (table != nullptr && table->find(id) != nullptr) rtt_us = table->find(id)->rtt_us;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(rtt_us, 0u) << "a loopback connect takes microseconds, never zero";
  EXPECT_LT(rtt_us, 200000u) << "below the probe timeout";
}

TEST_F(HealthMonitorTest, AFlappingTargetStaysOut) {
  listen(true);
  // rise 3: an up phase of 100 ms holds at most two checks 100 ms apart, whatever the phase.
  const TargetId id = add_target({.rise = 3, .fall = 2, .ok = 2});
  ASSERT_TRUE(time_until(id, true, 2s).has_value());
  // Down for about one check, up for about one check, for two seconds: failures add up, and once down the
  // target never sees `rise` successes in a row.
  bool went_down = false;
  bool came_back = false;
  for (int i = 0; i < 10; ++i) {
    listen(false);
    std::this_thread::sleep_for(100ms);
    went_down = went_down || !published_up(id);
    listen(true);
    std::this_thread::sleep_for(100ms);
    if (went_down && published_up(id)) came_back = true;
  }
  EXPECT_TRUE(went_down) << "a target failing every other check stayed in";
  EXPECT_FALSE(came_back) << "a flapping target came back";
}

TEST_F(HealthMonitorTest, RemovedTargetsStopAndTheirIdsAreReusedOnlyAfterAPublication) {
  listen(true);
  const TargetId first = add_target();
  ASSERT_TRUE(time_until(first, true, 2s).has_value());
  // Removed and replaced in one step (a catalog change re-rendering a service): the zone published before
  // the next table still names `first`, so the newcomer must not take its id yet.
  const TargetId second = on_io([&] {
    monitor_->remove(first);
    Target t{"replacement", asio::ip::make_address("127.0.0.1"), spec({.rise = 2, .fall = 2, .ok = 2})};
    t.spec.port = port_;
    return monitor_->add(t);
  });
  EXPECT_NE(second, first);
  on_io([&] {
    monitor_->remove(second);
    return 0;
  });
  const auto probes = on_io([&] { return monitor_->stats().probes; });
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(on_io([&] { return monitor_->stats().probes; }), probes) << "a removed target is still probed";
  EXPECT_EQ(on_io([&] { return monitor_->target_count(); }), 0u);
  const TargetId third = add_target();
  EXPECT_TRUE(third == first || third == second) << "ids are reused once a table was published";
}

// A cluster check (a custom probe the test switches) takes the cluster's targets out and brings them back;
// overrides beat it in their documented order.
TEST_F(HealthMonitorTest, AFailingClusterCheckTakesTheClustersTargetsOutAndOverridesWin) {
  auto healthy = std::make_shared<std::atomic<bool>>(true);
  const auto [check, shared, own, other] = on_io([&] {
    Target c;
    c.name = "cluster east API";
    c.spec.kind = ProbeKind::kCustom;
    c.spec.interval = 50ms;
    c.spec.timeout = 50ms;
    c.spec.jitter = 0;
    c.spec.thresholds = {.rise = 1, .fall = 1, .ok = 1};
    c.scope = {"east", "", "", TargetRole::kClusterCheck};
    c.custom = [healthy](std::chrono::milliseconds) -> asio::awaitable<ProbeResult> {
      co_return ProbeResult{healthy->load(), {}, healthy->load() ? "" : "readyz said no"};
    };
    const TargetId c_id = monitor_->add(std::move(c));
    Target t{"web in east", asio::ip::make_address("127.0.0.9"), {}, {"east", "shop/web", "127.0.0.9"}};
    t.spec.kind = ProbeKind::kNone;
    const TargetId own_id = monitor_->add(t);
    t.scope.cluster = "west";
    const TargetId other_id = monitor_->add(t);
    return std::tuple{c_id, monitor_->cluster_target("east"), own_id, other_id};
  });
  ASSERT_TRUE(time_until(shared, true, 1s).has_value());
  EXPECT_EQ(on_io([&] { return monitor_->cluster_target("east"); }), shared)
      << "one shared target per cluster";

  healthy->store(false);
  ASSERT_TRUE(time_until(shared, false, 1s).has_value()) << "the cluster's shared target stayed up";
  ASSERT_TRUE(time_until(own, false, 1s).has_value()) << "a target of its own in the cluster stayed up";
  EXPECT_TRUE(published_up(other)) << "another cluster's target went down";
  const auto clusters = on_io([&] { return monitor_->clusters(); });
  ASSERT_TRUE(clusters.contains("east"));
  EXPECT_FALSE(clusters.at("east").up);
  EXPECT_NE(clusters.at("east").reason.find("readyz said no"), std::string::npos)
      << clusters.at("east").reason;

  // A cluster UP override ignores the failing check; a service DOWN override beats it for the service.
  auto set = [&](std::vector<HealthOverride> list) {
    on_io([&] {
      monitor_->set_overrides(OverrideSet(list));
      return 0;
    });
  };
  HealthOverride cluster_up{"api:1", OverrideSource::kApi, "east", "", "", true, {}, ""};
  HealthOverride service_down{"file:0", OverrideSource::kFile, "", "shop/web", "", false, {}, ""};
  set({cluster_up});
  ASSERT_TRUE(time_until(shared, true, 1s).has_value());
  ASSERT_TRUE(time_until(own, true, 1s).has_value());
  set({cluster_up, service_down});
  ASSERT_TRUE(time_until(own, false, 1s).has_value()) << "the more specific override lost";
  ASSERT_TRUE(time_until(other, false, 1s).has_value())
      << "a service override without a cluster is everywhere";
  EXPECT_TRUE(published_up(shared)) << "a service override touched the cluster's shared target";

  set({});
  healthy->store(true);
  ASSERT_TRUE(time_until(own, true, 1s).has_value());
  ASSERT_TRUE(time_until(other, true, 1s).has_value());
  EXPECT_GE(on_io([&] { return monitor_->stats().cluster_transitions; }), 2u);
  (void)check;
}

TEST(RttHistogram, SamplesLandInTheFirstBucketThatHoldsThem) {
  RttHistogram h;
  h.add(std::chrono::microseconds(300));      // 0.3 ms -> le 0.5
  h.add(std::chrono::microseconds(1000));     // 1 ms, on the bound -> le 1
  h.add(std::chrono::microseconds(42000));    // 42 ms -> le 50
  h.add(std::chrono::microseconds(9000000));  // 9 s -> only +Inf
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[1], 1u);
  EXPECT_EQ(h.counts[6], 1u);
  std::uint64_t in_buckets = 0;
  for (const auto c : h.counts)
    in_buckets += c;
  EXPECT_EQ(in_buckets, 3u);
  EXPECT_EQ(h.count, 4u);
  EXPECT_NEAR(h.sum_ms, 0.3 + 1 + 42 + 9000, 1e-9);
}

}  // namespace
}  // namespace fedns::health
