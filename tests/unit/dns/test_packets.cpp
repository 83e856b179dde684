// Test helpers: query construction and ldns-based response parsing.
#include "dns/test_packets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

namespace fedns::test {

namespace {
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
}  // namespace

void append_option(std::vector<std::uint8_t>& out, std::uint16_t code,
                   const std::vector<std::uint8_t>& data) {
  put16(out, code);
  put16(out, static_cast<std::uint16_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

std::vector<std::uint8_t> wire_of(ldns_pkt* packet) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, packet, &size), LDNS_STATUS_OK);
  std::vector<std::uint8_t> out(wire, wire + size);
  free(wire);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocated it
  ldns_pkt_free(packet);
  return out;
}

std::vector<std::uint8_t> make_query(const std::string& name, const QueryOptions& o) {
  std::vector<std::uint8_t> out;
  put16(out, o.id);
  put16(out, o.flags);
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, o.edns ? 1 : 0);
  std::string label;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (!label.empty()) {
        out.push_back(static_cast<std::uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
      }
      label.clear();
    } else {
      label.push_back(name[i]);
    }
  }
  out.push_back(0);
  put16(out, o.qtype);
  put16(out, o.qclass);
  if (o.edns) {
    out.push_back(0);
    put16(out, 41);
    put16(out, o.udp_payload);
    out.push_back(0);
    out.push_back(o.edns_version);
    put16(out, o.dnssec_ok ? 0x8000 : 0);
    put16(out, static_cast<std::uint16_t>(o.edns_options.size()));
    out.insert(out.end(), o.edns_options.begin(), o.edns_options.end());
  }
  return out;
}

Packet SnapshotClient::ask(const dns::ServingSnapshot& snapshot, const std::string& name,
                           std::uint16_t qtype) {
  const std::size_t size = dns::respond(make_query(name, {.qtype = qtype}), out_,
                                        {dns::Transport::kUdp, health_}, snapshot, counters_);
  return parse_with_ldns(out_.data(), size);
}

std::vector<std::string> SnapshotClient::answer(const dns::ServingSnapshot& snapshot, const std::string& name,
                                                std::uint16_t qtype) {
  const Packet packet = ask(snapshot, name, qtype);
  return sorted(section_text(ldns_pkt_answer(packet.get())));
}

std::vector<std::string> sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace fedns::test
