// Runs an io_context until one awaitable completes and hands back its result, for tests that call the
// coroutine API clients one step at a time.
#pragma once

#include <optional>
#include <utility>

#include "common/asio.hpp"

namespace fedns::e2e {

// Result<T> has no default value, which co_spawn's value completion would need: the result lands in an
// optional instead. The context is restarted, so the next call can run it again.
template <class T>
std::optional<T> run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
      boost::asio::detached);
  io.run();
  io.restart();
  return out;
}

}  // namespace fedns::e2e
