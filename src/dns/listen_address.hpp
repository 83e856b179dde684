// Listen addresses as written in config and on the command line: "127.0.0.1:53", "[::1]:53", ":53".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "common/result.hpp"

namespace fedns::dns {

struct ListenAddress {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  [[nodiscard]] std::string to_string() const;
};

// Parses "ADDR:PORT" ("[V6]:PORT" for IPv6). A port of 0 is refused: we never listen on a random port.
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace fedns::dns
