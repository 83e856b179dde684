// Non-cryptographic 64-bit hashing for in-process placement: SplitMix64's finaliser (Steele, Lea and Flood
// 2014), and a hash of a byte string that takes eight octets per multiply and ends with that finaliser, so
// every output bit depends on every input bit. For keys the operator's data chooses (names of services,
// clusters' addresses), not for keys a client chooses: nothing here resists chosen collisions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace fedns {

constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

// std::hash over a string_view (MurmurHash2 in libstdc++) costs about three times as much on a 30-octet name.
inline std::uint64_t hash_bytes(std::string_view bytes) noexcept {
  constexpr std::uint64_t kStep = 0x9E3779B97F4A7C15ULL;  // SplitMix64's increment (odd)
  constexpr std::uint64_t kMultiply = 0xBF58476D1CE4E5B9ULL;
  std::uint64_t h = bytes.size() * kStep;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ word) * kMultiply;
    h ^= h >> 31U;
  }
  if (i < bytes.size()) {
    // The last eight octets again, overlapping some already mixed in (a fixed-size copy is one load); a
    // string shorter than eight octets is read one octet at a time.
    std::uint64_t word = 0;
    if (bytes.size() >= 8) {
      std::memcpy(&word, bytes.data() + bytes.size() - 8, 8);
    } else {
      for (; i < bytes.size(); ++i)
        word = (word << 8U) | static_cast<std::uint8_t>(bytes[i]);
    }
    h = (h ^ word) * kMultiply;
  }
  return mix64(h);
}

}  // namespace fedns
