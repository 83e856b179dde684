// Values that many objects repeat, kept once and shared: the node and zone of endpoints (thousands of
// endpoints, tens of nodes). Each holder keeps a shared_ptr (16 bytes) instead of its own copy (64 bytes and
// often two heap blocks for real node names such as "ip-10-0-1-23.eu-west-1.compute.internal"). A value that
// nothing holds any more is forgotten at a later sweep, so node churn does not grow the pool for good.
// Single-threaded: the catalog's control thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>

namespace fedns::sync {

template <class T>
class SharedValues {
 public:
  using Handle = std::shared_ptr<const T>;

  Handle intern(T value) {
    if (const auto it = values_.find(value); it != values_.end()) {
      if (auto held = it->second.lock()) return held;
      auto fresh = std::make_shared<const T>(std::move(value));
      it->second = fresh;
      return fresh;
    }
    if (values_.size() >= sweep_at_) sweep();
    auto fresh = std::make_shared<const T>(value);
    values_.emplace(std::move(value), fresh);
    return fresh;
  }

  // Distinct values known, including ones nothing holds that the next sweep forgets.
  [[nodiscard]] std::size_t size() const { return values_.size(); }

 private:
  void sweep() {
    std::erase_if(values_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<std::size_t>(kFirstSweep, 2 * values_.size());
  }

  static constexpr std::size_t kFirstSweep = 64;
  std::map<T, std::weak_ptr<const T>> values_;
  std::size_t sweep_at_ = kFirstSweep;
};

}  // namespace fedns::sync
