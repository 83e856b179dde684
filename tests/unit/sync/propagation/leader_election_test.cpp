// The leader-election timings client-go requires (lease duration > renew deadline > 1.2 x retry period),
// checked before a replica campaigns: a leader must step down before its lease can expire under it.
#include "sync/propagation/leader_election.hpp"

#include <gtest/gtest.h>

namespace fedns::sync::propagation {
namespace {

using std::chrono::milliseconds;

TEST(LeaderElectionConfig, TimingsMustLetALeaderStepDownBeforeItsLeaseExpires) {
  LeaderElectionConfig config;
  config.identity = "fedns-0";
  EXPECT_TRUE(check(config).ok()) << "client-go's defaults: 15 s / 10 s / 2 s";
  const struct {
    milliseconds lease, renew, retry;
    const char* message;
  } bad[] = {
      {milliseconds(10000), milliseconds(10000), milliseconds(2000),
       "leader election: lease_duration must be longer than renew_deadline"},
      {milliseconds(15000), milliseconds(2400), milliseconds(2000),
       "leader election: renew_deadline must be longer than 1.2 x retry_period"},
      {milliseconds(900), milliseconds(500), milliseconds(100),
       "leader election: lease_duration is at least 1s (the lease counts whole seconds)"},
  };
  for (const auto& b : bad) {
    config.lease_duration = b.lease;
    config.renew_deadline = b.renew;
    config.retry_period = b.retry;
    const auto r = check(config);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, b.message);
  }
  config = {};
  EXPECT_EQ(check(config).error().message, "leader election: an identity is needed");
}

}  // namespace
}  // namespace fedns::sync::propagation
