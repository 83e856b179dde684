// The controller work queue on a real io_context: a key waits once however often it is added; a key added
// while held is handed out again only after done(), never twice at once; failures back off exponentially up
// to the cap and forget() starts over; delayed adds keep the earliest time; shut_down() wakes waiting
// workers.
#include "sync/work_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fedns::sync {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Takes up to `count` keys (calling done() on each unless `hold`), then stops the context.
std::vector<std::string> take(asio::io_context& io, WorkQueue& q, std::size_t count, bool hold = false) {
  std::vector<std::string> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (out.size() < count) {
          auto key = co_await q.get();
          if (!key) break;
          out.push_back(*key);
          if (!hold) q.done(*key);
        }
        io.stop();
      },
      asio::detached);
  io.run_for(2s);
  io.restart();
  return out;
}

TEST(WorkQueue, AKeyWaitsOnceAndIsNeverHandedOutTwiceAtOnce) {
  asio::io_context io;
  WorkQueue q(io, {});
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.length(), 2u);
  EXPECT_EQ(take(io, q, 1, true), std::vector<std::string>{"a"});
  q.add("a");  // changed again while a worker holds it
  EXPECT_EQ(q.length(), 1u) << "only b: a waits for done()";
  EXPECT_EQ(take(io, q, 1), std::vector<std::string>{"b"});
  q.done("a");
  EXPECT_EQ(take(io, q, 1), std::vector<std::string>{"a"}) << "handed out again after done()";
  EXPECT_EQ(q.length(), 0u);
}

TEST(WorkQueue, FailuresBackOffExponentiallyUpToTheCapAndForgetStartsOver) {
  asio::io_context io;
  WorkQueue q(io, {50ms, 200ms});
  std::vector<long long> delays;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 5; ++i) {
          const auto before = std::chrono::steady_clock::now();
          q.add_rate_limited("broken");
          auto key = co_await q.get();
          delays.push_back(
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - before)
                  .count());
          q.done(*key);
        }
        io.stop();
      },
      asio::detached);
  io.run_for(5s);
  io.restart();
  ASSERT_EQ(delays.size(), 5u);
  const long long expected[] = {50, 100, 200, 200, 200};  // base, doubling, capped (uncapped: 400, 800)
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_GE(delays[i], expected[i]) << "retry " << i;
    EXPECT_LT(delays[i], expected[i] + 150) << "retry " << i;  // slack for a loaded machine, below 2x
  }
  EXPECT_EQ(q.failures("broken"), 5);
  q.forget("broken");
  EXPECT_EQ(q.failures("broken"), 0);
}

TEST(WorkQueue, DelayedAddsKeepTheEarliestTimeAndAnImmediateAddWins) {
  asio::io_context io;
  WorkQueue q(io, {});
  q.add_after("later", 300ms);
  q.add_after("soon", 30ms);
  q.add_after("later", 60ms);  // earlier than before: kept
  q.add_after("soon", 500ms);  // later than before: ignored
  EXPECT_EQ(q.waiting(), 2u);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(take(io, q, 2), (std::vector<std::string>{"soon", "later"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 250ms);
  q.add_after("x", 1s);
  q.add("x");
  EXPECT_EQ(q.waiting(), 0u) << "ready now";
  EXPECT_EQ(take(io, q, 1), std::vector<std::string>{"x"});
}

TEST(WorkQueue, ShutDownWakesWaitingWorkers) {
  asio::io_context io;
  WorkQueue q(io, {});
  int ended = 0;
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (co_await q.get()) {
          }
          ++ended;
        },
        asio::detached);
  }
  asio::steady_timer t(io, 20ms);
  t.async_wait([&](const boost::system::error_code&) { q.shut_down(); });
  io.run_for(2s);
  EXPECT_EQ(ended, 2);
  q.add("after");
  EXPECT_EQ(q.length(), 0u) << "nothing is queued after shut_down()";
}

// A bug once: every woken worker re-armed the shared timer, which cancelled the other workers' waits, which
// re-armed it in turn: several idle workers spun at 100% CPU. Idle workers must cost nothing.
TEST(WorkQueue, SeveralIdleWorkersSleep) {
  asio::io_context io;
  WorkQueue q(io, {});
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (auto key = co_await q.get()) {
            got.push_back(*key);
            q.done(*key);
          }
        },
        asio::detached);
  }
  io.run_for(20ms);  // all four start waiting
  q.add("a");
  io.run_for(20ms);  // one of them takes it; all wait again
  const std::size_t handlers = io.run_for(200ms);
  EXPECT_LT(handlers, 10u) << "idle workers ran " << handlers << " handlers in 200 ms";
  EXPECT_EQ(got, std::vector<std::string>{"a"});
  q.add("b");
  q.add("c");
  io.run_for(20ms);
  EXPECT_EQ(got.size(), 3u);
  q.shut_down();
  io.run_for(20ms);
}

}  // namespace
}  // namespace fedns::sync
