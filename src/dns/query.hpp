// A received query, parsed once: header, question and the EDNS OPT record (RFC 1035 4.1, RFC 6891 6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/name.hpp"

namespace fedns::dns {

// EDNS Client Subnet option as received (RFC 7871 6).
struct ClientSubnet {
  std::uint16_t family = 0;  // 1 = IPv4, 2 = IPv6
  std::uint8_t source_prefix = 0;
  std::uint8_t scope_prefix = 0;
  std::uint8_t address[16] = {};  // only the first ceil(source_prefix / 8) octets are meaningful
};

struct Edns {
  bool present = false;
  std::uint16_t udp_payload = 0;
  std::uint8_t version = 0;
  bool dnssec_ok = false;
  bool nsid_requested = false;
  bool has_client_subnet = false;
  ClientSubnet client_subnet;
};

enum class ParseStatus : std::uint8_t {
  kOk,
  kDrop,  // not a query we answer at all: too short for a header, or QR set (RFC 8906 3.1.1 allows silence)
  kFormErr,  // header readable, the rest malformed: answer FORMERR
  kNotImp,   // an opcode we do not implement: answer NOTIMP (RFC 1035 4.1.1, RFC 8906 3.1.4)
};

struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::uint8_t opcode = 0;
  std::uint16_t qdcount = 0;
  bool question_ok = false;      // the question parsed and can be echoed
  std::size_t question_end = 0;  // offset after the question
  NameBuffer qname;              // case-folded copy used for lookups
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  Edns edns;
  std::size_t tsig_offset = 0;  // where its TSIG record starts (the last record, RFC 8945 5.1); 0: unsigned
};

// Parses the header, the single question and the additional section. Never reads past the message.
ParseStatus parse_query(std::span<const std::uint8_t> message, Query& out) noexcept;

}  // namespace fedns::dns
