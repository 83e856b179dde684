// A worker's memo of where its recent clients are: placing a client (the CIDR tables, then the GeoIP
// database's search tree and its record) cost a geo answer ~600 instructions and several cold cache lines per
// query, and a worker sees the same client subnets over and over (a resolver's ECS /24s, a pod's address).
// Direct-mapped and fixed-size: a lookup is one hash and one line, nothing is allocated per query, and
// nothing is shared between threads. An entry holds only for the locator that placed it (ClientLocator::
// generation()), so a new snapshot's locator never reads the last one's answers.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dns/client_location.hpp"

namespace fedns::dns {

class LocationCache {
 public:
  static constexpr std::size_t kEntries = 512;

  LocationCache() : entries_(std::make_unique<std::array<Entry, kEntries>>()) {}

  // What `locator.locate(address)` returns, from the memo when this client was placed by this locator before.
  Located locate(const ClientLocator& locator, const ClientAddress& address) noexcept {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::memcpy(&high, address.bytes.data(), 8);
    std::memcpy(&low, address.bytes.data() + 8, 8);
    const std::uint64_t key_bits = (std::uint64_t{address.prefix} << 1) | (address.v6 ? 1 : 0);
    const std::uint64_t mixed = (high ^ (low * kMix) ^ (key_bits << 48)) * kMix;
    Entry& e = (*entries_)[mixed >> kShift];
    if (e.generation == locator.generation() && e.high == high && e.low == low && e.key_bits == key_bits)
      return e.located;
    e.generation = locator.generation();
    e.high = high;
    e.low = low;
    e.key_bits = key_bits;
    e.located = locator.locate(address);
    return e.located;
  }

 private:
  static constexpr std::uint64_t kMix = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio (Fibonacci hashing)
  static constexpr unsigned kShift = 64 - 9;                    // the top 9 bits index 512 entries
  static_assert(kEntries == std::size_t{1} << (64 - kShift));

  struct Entry {
    std::uint64_t generation = 0;  // 0: empty (locators count from 1)
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::uint64_t key_bits = 0;
    Located located;
  };
  std::unique_ptr<std::array<Entry, kEntries>> entries_;
};

}  // namespace fedns::dns
