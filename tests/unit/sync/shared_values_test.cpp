// Values shared between their holders, and forgotten once nobody holds them.
#include "sync/shared_values.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fedns::sync {
namespace {

TEST(SharedValues, EqualValuesShareOneCopy) {
  SharedValues<std::string> pool;
  const auto a = pool.intern("node-1");
  const auto b = pool.intern(std::string("node-") + "1");
  const auto c = pool.intern("node-2");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(*c, "node-2");
  EXPECT_EQ(pool.size(), 2u);
}

TEST(SharedValues, ValuesNobodyHoldsAreForgottenAsNodesChurn) {
  SharedValues<std::string> pool;
  const auto kept = pool.intern("node-kept");
  // An autoscaled cluster: 10,000 nodes come and go, each held for a while and released.
  for (int i = 0; i < 10000; ++i) {
    const auto held = pool.intern("node-" + std::to_string(i));
    EXPECT_EQ(*held, "node-" + std::to_string(i));
  }
  EXPECT_LT(pool.size(), 200u) << "released values were never swept";
  EXPECT_EQ(pool.intern("node-kept"), kept);
  // A value released and asked for again is a fresh, correct copy.
  const auto again = pool.intern("node-9999");
  EXPECT_EQ(*again, "node-9999");
}

}  // namespace
}  // namespace fedns::sync
