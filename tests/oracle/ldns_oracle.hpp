// The independent oracle of the test suites: DNS messages parsed and printed by ldns, not by our own code.
#pragma once

#include <ldns/ldns.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fedns::test {

struct PacketDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

// Parses with ldns; a null result means ldns rejected the message.
Packet parse_with_ldns(const std::uint8_t* data, std::size_t size);

// The records of a section as ldns prints them ("name. TTL CLASS TYPE rdata", tabs as spaces), sorted.
std::vector<std::string> section_text(const ldns_rr_list* list);

}  // namespace fedns::test
