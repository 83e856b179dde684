// Publishing immutable snapshots from the control plane to lock-free readers on the data plane.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace fedns {

// The control plane stores a new snapshot under a mutex and bumps an atomic generation. Readers keep their
// own shared_ptr and take the mutex only when the generation moved, so the per-query cost is one acquire
// load. (std::atomic<std::shared_ptr> is not lock-free on GCC 12; see ../shared/DESIGN.md.)
template <class T>
class SnapshotPublisher {
 public:
  void publish(std::shared_ptr<const T> snapshot) {
    std::lock_guard lock(mutex_);
    current_ = std::move(snapshot);
    generation_.fetch_add(1, std::memory_order_release);
  }

  [[nodiscard]] std::shared_ptr<const T> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

  [[nodiscard]] std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
  std::atomic<std::uint64_t> generation_{0};
};

template <class T>
class SnapshotReader {
 public:
  explicit SnapshotReader(const SnapshotPublisher<T>& publisher) : publisher_(&publisher) { refresh(); }

  // The newest snapshot, owned: for work that outlives one call (a zone transfer). Takes the mutex.
  [[nodiscard]] std::shared_ptr<const T> hold() const { return publisher_->current(); }

  // Returns the newest snapshot; the pointer stays valid until the next call from this reader.
  const T* get() noexcept {
    if (publisher_->generation() != seen_) refresh();
    return local_.get();
  }

 private:
  void refresh() noexcept {
    seen_ = publisher_->generation();
    local_ = publisher_->current();
  }

  const SnapshotPublisher<T>* publisher_;
  std::shared_ptr<const T> local_;
  std::uint64_t seen_ = 0;
};

}  // namespace fedns
