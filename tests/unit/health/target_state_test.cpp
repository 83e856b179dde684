// The anti-flap rule (gdnsd's up/down/ok thresholds), the health-derived TTL and the RTT average, fed by
// hand.
#include "health/target_state.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fedns::health {
namespace {

// Feeds "S"uccess / "F"ailure checks; returns the health after each as "U"/"D".
std::string feed(TargetState& state, const std::string& checks) {
  std::string out;
  for (const char c : checks) {
    state.record(c == 'S');
    out.push_back(state.up() ? 'U' : 'D');
  }
  return out;
}

TEST(TargetState, GoesDownAfterFallFailuresAndUpAfterRiseSuccesses) {
  TargetState state({.rise = 3, .fall = 2, .ok = 2});
  EXPECT_TRUE(state.up()) << "a new target starts up: Kubernetes already called it ready";
  EXPECT_EQ(feed(state, "SFF"), "UUD");
  EXPECT_EQ(feed(state, "SSFSSS"), "DDDDDU") << "rise counts consecutive successes only";
}

TEST(TargetState, FailuresAreForgottenOnlyAfterOkConsecutiveSuccesses) {
  TargetState state({.rise = 6, .fall = 3, .ok = 3});
  // Two failures, then three successes forgive them: three more failures are needed.
  EXPECT_EQ(feed(state, "FFSSS"), "UUUUU");
  EXPECT_EQ(feed(state, "FF"), "UU");
  EXPECT_EQ(feed(state, "F"), "D");
}

TEST(TargetState, AFlappingTargetGoesDownAndStaysDown) {
  TargetState state({.rise = 6, .fall = 3, .ok = 3});
  // Every other check fails: never ok successes in a row, so failures add up; down, it never gets 6 in a row.
  const std::string seen = feed(state, "FSFSFSFSFSFSFSFSFSF");
  EXPECT_EQ(seen.substr(0, 5), "UUUUD");
  EXPECT_EQ(seen.find('U', 5), std::string::npos) << seen;
  EXPECT_EQ(feed(state, "SSSSSS"), "DDDDDU");
}

TEST(TargetState, ChecksToChangeAndTheHealthDerivedTtl) {
  TargetState state({.rise = 6, .fall = 3, .ok = 3});
  EXPECT_EQ(state.checks_to_change(), 3);
  EXPECT_EQ(health_ttl(state, std::chrono::seconds(10), 5, 300), 30u);
  state.record(false);
  EXPECT_EQ(state.checks_to_change(), 2);
  EXPECT_EQ(health_ttl(state, std::chrono::seconds(10), 5, 300), 20u) << "shorter once a failure was seen";
  state.record(false);
  state.record(false);
  EXPECT_FALSE(state.up());
  EXPECT_EQ(state.checks_to_change(), 6);
  EXPECT_EQ(health_ttl(state, std::chrono::seconds(100), 5, 300), 300u) << "clamped to the maximum";
  EXPECT_EQ(health_ttl(state, std::chrono::seconds(0), 5, 300), 6u) << "an interval under 1 s counts as 1 s";
  EXPECT_EQ(health_ttl(state, std::chrono::seconds(1), 30, 300), 30u) << "clamped to the minimum";
}

TEST(LatencyAverage, FollowsAChangeAndDampsAnOutlier) {
  LatencyAverage rtt;
  EXPECT_FALSE(rtt.value().has_value());
  rtt.add(std::chrono::microseconds(1000));
  EXPECT_EQ(rtt.value()->count(), 1000);
  rtt.add(std::chrono::microseconds(5000));  // one outlier moves it by a quarter of the difference
  EXPECT_EQ(rtt.value()->count(), 2000);
  for (int i = 0; i < 20; ++i)
    rtt.add(std::chrono::microseconds(400));
  EXPECT_NEAR(static_cast<double>(rtt.value()->count()), 400.0, 5.0);
}

}  // namespace
}  // namespace fedns::health
