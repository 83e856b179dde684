// hash_bytes: every input octet reaches the top bits (placement uses them), lengths count, short and long
// strings take their own paths; mix64 is SplitMix64's finaliser (its published first outputs).
#include "common/hash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fedns {
namespace {

TEST(Hash, Mix64IsSplitMix64sFinaliser) {
  // SplitMix64 seeded with 0: each output is the finaliser of the state after adding the increment.
  std::uint64_t state = 0;
  state += 0x9E3779B97F4A7C15ULL;
  EXPECT_EQ(mix64(state), 0xE220A8397B1DCDAFULL);
  state += 0x9E3779B97F4A7C15ULL;
  EXPECT_EQ(mix64(state), 0x6E789E6AA1B965F4ULL);
}

TEST(Hash, EveryBitOfEveryOctetReachesTheTopSixteenBits) {
  // A 40-octet name: flipping any one of its 320 bits must change the top 16 bits of the hash, as it would
  // for all but about 1 in 65,536 flips with a random function.
  for (const std::size_t length : {3U, 8U, 13U, 40U}) {
    const std::string name = std::string(
                                 "\x03svc\x05"
                                 "bench\x03svc\x0a"
                                 "clusterset\x05local")
                                 .substr(0, length);
    const std::uint64_t top = hash_bytes(name) >> 48U;
    int unchanged = 0;
    for (std::size_t octet = 0; octet < name.size(); ++octet) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string flipped = name;
        flipped[octet] = static_cast<char>(flipped[octet] ^ (1 << bit));
        if (hash_bytes(flipped) >> 48U == top) ++unchanged;
      }
    }
    EXPECT_EQ(unchanged, 0) << "length " << length;
  }
}

TEST(Hash, LengthCountsAndRepeatsAgree) {
  EXPECT_NE(hash_bytes(std::string_view("a", 1)), hash_bytes(std::string_view("a\0", 2)));
  EXPECT_NE(hash_bytes(""), hash_bytes(std::string_view("\0", 1)));
  EXPECT_NE(hash_bytes("abcdefgh"), hash_bytes("abcdefghabcdefgh"));
  EXPECT_EQ(hash_bytes("web.shop.svc"), hash_bytes(std::string("web.shop.svc")));
}

}  // namespace
}  // namespace fedns
