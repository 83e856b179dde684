// Query parsing: header checks, the question, and the OPT pseudo-record with its options.
#include "dns/query.hpp"

#include "dns/protocol.hpp"
#include "dns/wire_reader.hpp"

namespace fedns::dns {
namespace {

// RFC 7871 6 and 7.1.2: the family must be known, the prefix fit the family, the address carry exactly
// ceil(SOURCE PREFIX-LENGTH / 8) octets with the bits past the prefix zero, and SCOPE be zero in a query.
bool parse_client_subnet(const std::uint8_t* data, std::uint16_t len, ClientSubnet& out) noexcept {
  if (len < 4) return false;
  out.family = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
  out.source_prefix = data[2];
  out.scope_prefix = data[3];
  const unsigned max_prefix = out.family == 1 ? 32 : out.family == 2 ? 128 : 0;
  if (max_prefix == 0 || out.source_prefix > max_prefix || out.scope_prefix != 0) return false;
  const std::size_t address_len = (out.source_prefix + 7u) / 8u;
  if (len != 4 + address_len) return false;
  for (std::size_t i = 0; i < address_len; ++i)
    out.address[i] = data[4 + i];
  if (const unsigned spare = out.source_prefix % 8; spare != 0) {
    const auto mask = static_cast<std::uint8_t>(0xFFu >> spare);
    if ((out.address[address_len - 1] & mask) != 0) return false;
  }
  return true;
}

bool parse_opt(WireReader& reader, std::uint16_t klass, std::uint32_t ttl, Edns& edns) noexcept {
  std::uint16_t rdlen = 0;
  if (!reader.u16(rdlen)) return false;
  edns.present = true;
  edns.udp_payload = klass;
  edns.version = static_cast<std::uint8_t>(ttl >> 16);
  edns.dnssec_ok = (ttl & kEdnsDoBit) != 0;
  const std::uint8_t* rdata = nullptr;
  if (!reader.bytes(rdlen, rdata)) return false;
  WireReader opt(std::span<const std::uint8_t>(rdata, rdlen));
  while (opt.remaining() > 0) {
    std::uint16_t code = 0;
    std::uint16_t len = 0;
    const std::uint8_t* data = nullptr;
    if (!opt.u16(code) || !opt.u16(len) || !opt.bytes(len, data)) return false;
    switch (code) {
      case edns_option::kNsid:
        edns.nsid_requested = true;  // RFC 5001 2.1: the request's payload is empty; any content is ignored
        break;
      case edns_option::kClientSubnet:
        if (edns.has_client_subnet || !parse_client_subnet(data, len, edns.client_subnet)) return false;
        edns.has_client_subnet = true;
        break;
      default:
        break;  // RFC 6891 6.1.2: unknown options are ignored
    }
  }
  return true;
}

}  // namespace

ParseStatus parse_query(std::span<const std::uint8_t> message, Query& q) noexcept {
  WireReader reader(message);
  std::uint16_t ancount = 0;
  std::uint16_t nscount = 0;
  std::uint16_t arcount = 0;
  if (!reader.u16(q.id) || !reader.u16(q.flags) || !reader.u16(q.qdcount) || !reader.u16(ancount) ||
      !reader.u16(nscount) || !reader.u16(arcount)) {
    return ParseStatus::kDrop;
  }
  if ((q.flags & flag::kQR) != 0) return ParseStatus::kDrop;  // a response: never answer (RFC 1035 4.1.1)
  q.opcode = static_cast<std::uint8_t>((q.flags & flag::kOpcodeMask) >> flag::kOpcodeShift);
  const bool known_opcode =
      q.opcode == opcode::kQuery || q.opcode == opcode::kNotify || q.opcode == opcode::kUpdate;
  if (q.qdcount != 1) return known_opcode ? ParseStatus::kFormErr : ParseStatus::kNotImp;

  if (!reader.question_name(q.qname) || !reader.u16(q.qtype) || !reader.u16(q.qclass)) {
    return known_opcode ? ParseStatus::kFormErr : ParseStatus::kNotImp;
  }
  q.question_end = reader.pos();
  q.question_ok = true;
  if (!known_opcode) return ParseStatus::kNotImp;

  // A standard query carries no answer or authority records (NOTIFY and UPDATE may; RFC 1996, 2136), but
  // IXFR carries the client's SOA in the authority section (RFC 1995 3).
  if (q.opcode == opcode::kQuery && (ancount != 0 || (nscount != 0 && q.qtype != type::kIXFR)))
    return ParseStatus::kFormErr;
  for (std::uint32_t i = 0; i < std::uint32_t{ancount} + nscount; ++i) {
    NameBuffer skipped;
    std::uint16_t rdlen = 0;
    if (!reader.name(skipped) || !reader.skip(8) || !reader.u16(rdlen) || !reader.skip(rdlen)) {
      return ParseStatus::kFormErr;
    }
  }
  for (std::uint16_t i = 0; i < arcount; ++i) {
    const std::size_t record_start = reader.pos();
    NameBuffer owner;
    std::uint16_t type = 0;
    std::uint16_t klass = 0;
    std::uint32_t ttl = 0;
    if (!reader.name(owner) || !reader.u16(type) || !reader.u16(klass) || !reader.u32(ttl)) {
      return ParseStatus::kFormErr;
    }
    if (type == type::kOPT) {
      // RFC 6891 6.1.1: one OPT, owned by the root; a second one is FORMERR.
      if (q.edns.present || owner.size != 1 || !parse_opt(reader, klass, ttl, q.edns))
        return ParseStatus::kFormErr;
    } else {
      std::uint16_t rdlen = 0;
      if (!reader.u16(rdlen) || !reader.skip(rdlen)) return ParseStatus::kFormErr;
      if (type == type::kTSIG) {
        // RFC 8945 5.1: the TSIG record is the last one, of class ANY; anything else is FORMERR.
        if (i + 1 != arcount || klass != klass::kANY) return ParseStatus::kFormErr;
        q.tsig_offset = record_start;
      }
    }
  }
  return ParseStatus::kOk;
}

}  // namespace fedns::dns
