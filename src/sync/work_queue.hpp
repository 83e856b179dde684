// A work queue of keys for controllers (client-go's workqueue, for one io_context: no locks): a key waits at
// most once however often it is added; a key added while a worker holds it is processed again after done(),
// never by two workers at once; failures retry with per-key exponential backoff (base x 2^failures, capped)
// so that a broken object costs a retry every few minutes, not a storm; delayed adds keep the earliest time.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/asio.hpp"

namespace fedns::sync {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  struct Backoff {
    std::chrono::milliseconds base{5};
    std::chrono::milliseconds max{std::chrono::minutes(5)};
  };

  WorkQueue(boost::asio::io_context& io, Backoff backoff);

  void add(const std::string& key);
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // After a failure: again in base x 2^(failures so far), at most max.
  void add_rate_limited(const std::string& key);
  // After a success: the key's backoff starts over.
  void forget(const std::string& key) { failures_.erase(key); }
  [[nodiscard]] int failures(const std::string& key) const;

  // The next key (a worker must call done() with it), or nullopt once shut down.
  boost::asio::awaitable<std::optional<std::string>> get();
  void done(const std::string& key);
  // Wakes every get(); keys still queued are not handed out any more.
  void shut_down();

  [[nodiscard]] std::size_t length() const { return queue_.size(); }
  [[nodiscard]] std::size_t waiting() const { return waiting_.size(); }

 private:
  void wake();
  void arm_delay_timer();

  Backoff backoff_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;                       // queued or to be queued again after done()
  std::set<std::string> processing_;                  // handed out, done() not yet called
  std::map<std::string, Clock::time_point> waiting_;  // delayed adds: the earliest time per key
  std::map<std::string, int> failures_;
  boost::asio::steady_timer signal_;       // get() sleeps on it; add() cancels it
  boost::asio::steady_timer delay_timer_;  // fires at the earliest waiting key
  bool shut_down_ = false;
};

}  // namespace fedns::sync
