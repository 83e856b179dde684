// The one way to include Boost.Asio: Boost 1.74 needs <utility> first on GCC 12 for its coroutine support.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
