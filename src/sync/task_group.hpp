// Coroutines spawned on one io_context and counted, so that their owner can tell when every one has ended
// (a controller's stop() returns at once; the server waits for stopped()). An exception that ends one is
// logged with the owner's name instead of being lost.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "common/asio.hpp"
#include "common/log.hpp"

namespace fedns::sync {

class TaskGroup {
 public:
  TaskGroup(boost::asio::io_context& io, std::string owner) : io_(io), owner_(std::move(owner)) {}

  void spawn(boost::asio::awaitable<void> work) {
    ++running_;
    boost::asio::co_spawn(io_, std::move(work), [this](const std::exception_ptr& e) {
      --running_;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error(owner_ + ": a task ended with an exception: " + ex.what());
      }
    });
  }
  [[nodiscard]] bool empty() const { return running_ == 0; }

 private:
  boost::asio::io_context& io_;
  std::string owner_;
  int running_ = 0;
};

}  // namespace fedns::sync
