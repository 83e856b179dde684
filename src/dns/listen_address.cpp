// Listen address parsing.
#include "dns/listen_address.hpp"

#include <charconv>

namespace fedns::dns {

std::string ListenAddress::to_string() const {
  return address.is_v6() ? "[" + address.to_string() + "]:" + std::to_string(port)
                         : address.to_string() + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Error{"listen address " + quoted + " needs a port (ADDR:PORT)"};
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return Error{"listen address " + quoted + ": port must be 1-65535"};
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Error{"listen address " + quoted + ": write IPv6 addresses in brackets, e.g. [::1]:53"};
  }
  if (host.empty()) host = "0.0.0.0";
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(host), error);
  if (error)
    return Error{"listen address " + quoted + ": \"" + std::string(host) + "\" is not an IP address"};
  return ListenAddress{address, static_cast<std::uint16_t>(port)};
}

}  // namespace fedns::dns
