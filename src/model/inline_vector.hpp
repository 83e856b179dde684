// A vector that keeps its first N elements inside the object (boost::container::small_vector), for the zone
// data the query path walks: a generated name's shard, node, sets and records then share one allocation and
// a few adjacent cache lines instead of four separate heap blocks (docs/decisions/0009-query-path-memory.md).
// Its moves are noexcept (Boost 1.74 does not declare them so): containers of zone data then move elements
// when they grow instead of copying them, and the aggregates holding these stay nothrow-movable. They cannot
// throw: a heap buffer is taken over, and inline elements (at most N) go to the other side's room for N, so
// nothing is allocated, and these element types move without throwing. clang-tidy cannot see the capacity
// argument, hence the NOLINTs here and on the aggregates in zone_set.hpp.
#pragma once

#include <cstddef>
#include <utility>

#include <boost/container/small_vector.hpp>

namespace fedns::model {

template <typename T, std::size_t N>
class InlineVector : public boost::container::small_vector<T, N> {
  using Base = boost::container::small_vector<T, N>;

 public:
  using Base::Base;
  InlineVector() = default;
  InlineVector(const InlineVector&) = default;
  InlineVector(InlineVector&& other) noexcept  // NOLINT(bugprone-exception-escape): see above
      : Base(std::move(static_cast<Base&>(other))) {}
  InlineVector& operator=(const InlineVector&) = default;
  InlineVector& operator=(InlineVector&& other) noexcept {  // NOLINT(bugprone-exception-escape): see above
    Base::operator=(std::move(static_cast<Base&>(other)));
    return *this;
  }
  ~InlineVector() = default;
};

}  // namespace fedns::model
