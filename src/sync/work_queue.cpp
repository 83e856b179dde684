// Controller work queue (see work_queue.hpp).
#include "sync/work_queue.hpp"

#include <algorithm>

namespace fedns::sync {

namespace asio = boost::asio;

WorkQueue::WorkQueue(asio::io_context& io, Backoff backoff)
    : backoff_(backoff), signal_(io), delay_timer_(io) {
  signal_.expires_at(asio::steady_timer::time_point::max());
}

void WorkQueue::wake() {
  signal_.cancel();
}

void WorkQueue::add(const std::string& key) {
  if (shut_down_ || dirty_.count(key) != 0) return;
  dirty_.insert(key);
  waiting_.erase(key);                      // ready now: an earlier delayed add is moot
  if (processing_.count(key) != 0) return;  // re-queued by done()
  queue_.push_back(key);
  wake();
}

void WorkQueue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  if (shut_down_) return;
  if (delay <= std::chrono::milliseconds::zero()) {
    add(key);
    return;
  }
  const auto at = Clock::now() + delay;
  const auto it = waiting_.find(key);
  if (it != waiting_.end() && it->second <= at) return;  // already due earlier
  waiting_[key] = at;
  arm_delay_timer();
}

void WorkQueue::add_rate_limited(const std::string& key) {
  const int n = failures_[key]++;
  auto delay = backoff_.base;
  for (int i = 0; i < n && delay < backoff_.max; ++i)
    delay *= 2;
  add_after(key, std::min(delay, backoff_.max));
}

int WorkQueue::failures(const std::string& key) const {
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::arm_delay_timer() {
  if (waiting_.empty()) return;
  const auto earliest = std::min_element(waiting_.begin(), waiting_.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
  delay_timer_.expires_at(earliest->second);
  delay_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or shut down
    const auto now = Clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second <= now) {
        const std::string key = it->first;
        it = waiting_.erase(it);
        add(key);
      } else {
        ++it;
      }
    }
    arm_delay_timer();
  });
}

asio::awaitable<std::optional<std::string>> WorkQueue::get() {
  while (queue_.empty() && !shut_down_) {
    boost::system::error_code ec;
    // The timer never expires (time_point::max); wake() cancels the waits. It must not be re-armed here:
    // expires_at() cancels the other workers' waits, and they would re-arm it in turn, for ever.
    co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (shut_down_) co_return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  co_return key;
}

void WorkQueue::done(const std::string& key) {
  processing_.erase(key);
  if (dirty_.count(key) != 0 && !shut_down_) {  // added while it was being processed
    queue_.push_back(key);
    wake();
  }
}

void WorkQueue::shut_down() {
  shut_down_ = true;
  waiting_.clear();
  delay_timer_.cancel();
  wake();
}

}  // namespace fedns::sync
