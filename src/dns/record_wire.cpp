// Wire-form helpers of the record generators.
#include "dns/record_wire.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "dns/name.hpp"
#include "dns/protocol.hpp"

namespace fedns::dns {

namespace {

void push_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

}  // namespace

std::string make_name(std::initializer_list<std::string_view> labels, std::string_view suffix) {
  if (suffix.empty()) return {};  // a suffix that was itself too long: no absolute name to make
  std::string wire;
  for (const auto label : labels) {
    if (label.empty() || label.size() > 63) return {};
    wire.push_back(static_cast<char>(label.size()));
    for (const char c : label)
      wire.push_back(static_cast<char>(fold_case(static_cast<std::uint8_t>(c))));
  }
  wire.append(suffix);
  return wire.size() > kMaxNameLength ? std::string{} : wire;
}

bool address_record(const std::string& text, WireRecord& rr) {
  std::array<unsigned char, 16> raw{};
  if (inet_pton(AF_INET, text.c_str(), raw.data()) == 1) {
    rr.type = type::kA;
    rr.rdata.assign(reinterpret_cast<const char*>(raw.data()), 4);
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), raw.data()) == 1) {
    rr.type = type::kAAAA;
    rr.rdata.assign(reinterpret_cast<const char*>(raw.data()), 16);
    return true;
  }
  return false;
}

std::string endpoint_label(const model::EndpointRecord& endpoint) {
  if (!endpoint.hostname.empty()) return endpoint.hostname;
  std::string label = endpoint.addresses.front();
  std::replace(label.begin(), label.end(), '.', '-');
  std::replace(label.begin(), label.end(), ':', '-');
  if (!label.empty() && label.front() == '-') label.insert(label.begin(), '0');
  if (!label.empty() && label.back() == '-') label.push_back('0');
  return label;
}

std::string protocol_label(const std::string& protocol) {
  std::string out = "_";
  for (const char c : protocol)
    out.push_back(static_cast<char>(fold_case(static_cast<std::uint8_t>(c))));
  return out;
}

std::string srv_rdata(std::uint16_t weight, std::uint16_t port, const std::string& target) {
  std::string rdata;
  push_u16(rdata, 0);
  push_u16(rdata, weight);
  push_u16(rdata, port);
  rdata.append(target);
  return rdata;
}

}  // namespace fedns::dns
