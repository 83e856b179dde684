// Response building: header and question echo, all-or-nothing RRsets with compression, truncation, OPT.
#include "dns/response_builder.hpp"

#include <algorithm>
#include <cstring>

namespace fedns::dns {

ResponseBuilder::ResponseBuilder(std::span<std::uint8_t> out, std::size_t max_size) noexcept
    : writer_(out, max_size), max_size_(std::min(max_size, out.size())) {}

void ResponseBuilder::begin(const Query& query, std::span<const std::uint8_t> raw_query) noexcept {
  id_ = query.id;
  // Echo the opcode, RD and CD (RFC 1035 4.1.1; RFC 6840 5.9); RA stays clear: we do not recurse.
  flags_ =
      static_cast<std::uint16_t>(flag::kQR | (query.flags & (flag::kOpcodeMask | flag::kRD | flag::kCD)));
  writer_.rollback({0, 0});
  static constexpr std::uint8_t kZeroHeader[kHeaderSize] = {};
  (void)writer_.bytes(kZeroHeader, kHeaderSize);
  if (query.question_ok && writer_.bytes(raw_query.data() + kHeaderSize, query.question_end - kHeaderSize)) {
    qdcount_ = 1;
    writer_.add_compression_target(kHeaderSize);
  }
  after_question_ = writer_.size();
}

void ResponseBuilder::reserve_tail(std::size_t bytes) noexcept {
  tail_reserve_ = bytes;
  writer_.set_limit(max_size_ > bytes ? max_size_ - bytes : 0);
}

bool ResponseBuilder::write_rr_body(std::uint16_t type, std::uint16_t klass, std::uint32_t ttl,
                                    const model::RData& rdata) noexcept {
  if (!writer_.u16(type) || !writer_.u16(klass) || !writer_.u32(ttl)) return false;
  const std::size_t rdlen_at = writer_.size();
  if (!writer_.u16(0)) return false;
  const std::string_view wire = rdata.wire;
  std::size_t done = 0;
  for (std::uint8_t i = 0; i < rdata.compressible_names; ++i) {
    const std::size_t at = rdata.name_offsets[i];
    if (!writer_.bytes(wire.data() + done, at - done)) return false;
    std::size_t end = at;
    while (end < wire.size() && wire[end] != 0)
      end += 1 + static_cast<std::uint8_t>(wire[end]);
    ++end;
    if (!writer_.name(wire.substr(at, end - at))) return false;
    done = end;
  }
  if (!writer_.bytes(wire.data() + done, wire.size() - done)) return false;
  writer_.patch_u16(rdlen_at, static_cast<std::uint16_t>(writer_.size() - rdlen_at - 2));
  return true;
}

template <class Next>
bool ResponseBuilder::add_each(Section section, std::string_view owner, std::uint16_t type,
                               std::uint16_t klass, std::uint32_t ttl, Next next) noexcept {
  const auto start = writer_.mark();
  // The owner is compressed once; later records of the set repeat its encoding (a pointer) or point at it,
  // which is what a compression search would find, without searching again.
  std::size_t owner_at = 0;
  std::size_t owner_len = 0;
  bool ok = true;
  std::size_t written = 0;
  while (ok) {
    const model::RData* rdata = next();
    if (rdata == nullptr) break;
    if (written++ == 0) {
      owner_at = writer_.size();
      ok = writer_.name(owner);
      owner_len = writer_.size() - owner_at;
    } else if (owner_len <= 2) {
      ok = writer_.bytes(writer_.data() + owner_at, owner_len);
    } else if (owner_at < 0x4000) {
      ok = writer_.u16(static_cast<std::uint16_t>(0xC000 | owner_at));
    } else {
      ok = writer_.name(owner);
    }
    ok = ok && write_rr_body(type, klass, ttl, *rdata);
  }
  if (!ok) {
    writer_.rollback(start);
    return false;
  }
  counts_[static_cast<int>(section)] =
      static_cast<std::uint16_t>(counts_[static_cast<int>(section)] + written);
  return true;
}

bool ResponseBuilder::add_rrset(Section section, std::string_view owner, const model::RRset& set,
                                std::uint16_t klass, const std::uint32_t* ttl_override,
                                RecordFilter filter) noexcept {
  std::size_t i = 0;
  return add_each(section, owner, set.type, klass, ttl_override != nullptr ? *ttl_override : set.ttl,
                  [&]() noexcept -> const model::RData* {
                    while (i < set.rdatas.size()) {
                      const model::RData& rdata = set.rdatas[i++];
                      if (passes(filter, rdata)) return &rdata;
                    }
                    return nullptr;
                  });
}

bool ResponseBuilder::add_records(Section section, std::string_view owner, const model::RRset& set,
                                  std::span<const std::uint16_t> indices, std::uint16_t klass,
                                  std::uint32_t ttl) noexcept {
  std::size_t i = 0;
  return add_each(section, owner, set.type, klass, ttl, [&]() noexcept -> const model::RData* {
    return i < indices.size() ? &set.rdatas[indices[i++]] : nullptr;
  });
}

bool ResponseBuilder::add_record(Section section, std::string_view owner, std::uint16_t type,
                                 std::uint16_t klass, std::uint32_t ttl,
                                 std::span<const std::uint8_t> rdata) noexcept {
  const auto start = writer_.mark();
  if (!writer_.name(owner) || !writer_.u16(type) || !writer_.u16(klass) || !writer_.u32(ttl) ||
      !writer_.u16(static_cast<std::uint16_t>(rdata.size())) || !writer_.bytes(rdata.data(), rdata.size())) {
    writer_.rollback(start);
    return false;
  }
  ++counts_[static_cast<int>(section)];
  return true;
}

void ResponseBuilder::truncate() noexcept {
  writer_.rollback({after_question_, 0});
  if (qdcount_ != 0) writer_.add_compression_target(kHeaderSize);
  counts_[0] = counts_[1] = counts_[2] = 0;
  flags_ |= flag::kTC;
}

std::size_t ResponseBuilder::opt_size(const OptReply& edns) noexcept {
  std::size_t size = 11;  // root name, type, class, TTL, RDLENGTH
  if (!edns.nsid.empty()) size += 4 + edns.nsid.size();
  if (edns.client_subnet != nullptr) size += 8 + (edns.client_subnet->source_prefix + 7u) / 8u;
  return size;
}

std::size_t ResponseBuilder::finish(const OptReply* edns) noexcept {
  // The OPT record is written after one bounds check for all of it (room was kept back by reserve_tail):
  // every answer carries one, and a check per field cost ~150 instructions. If it does not fit, none of it is
  // written.
  std::uint8_t* p = nullptr;
  if (edns != nullptr) {
    writer_.set_limit(max_size_);
    p = writer_.claim(opt_size(*edns));
  }
  if (p != nullptr) {
    const auto put16 = [&p](std::uint16_t v) noexcept {
      p[0] = static_cast<std::uint8_t>(v >> 8);
      p[1] = static_cast<std::uint8_t>(v);
      p += 2;
    };
    const auto ext_rcode = static_cast<std::uint32_t>(rcode_ >> 4);
    const std::uint32_t ttl = (ext_rcode << 24) | (edns->dnssec_ok ? kEdnsDoBit : 0u);
    *p++ = 0;  // the root name
    put16(type::kOPT);
    put16(edns->udp_payload);
    put16(static_cast<std::uint16_t>(ttl >> 16));
    put16(static_cast<std::uint16_t>(ttl));
    put16(static_cast<std::uint16_t>(opt_size(*edns) - 11));
    if (!edns->nsid.empty()) {
      put16(edns_option::kNsid);
      put16(static_cast<std::uint16_t>(edns->nsid.size()));
      std::memcpy(p, edns->nsid.data(), edns->nsid.size());
      p += edns->nsid.size();
    }
    if (edns->client_subnet != nullptr) {
      const ClientSubnet& ecs = *edns->client_subnet;
      const std::size_t address_len = (ecs.source_prefix + 7u) / 8u;
      put16(edns_option::kClientSubnet);
      put16(static_cast<std::uint16_t>(4 + address_len));
      put16(ecs.family);
      *p++ = ecs.source_prefix;
      *p++ = edns->client_subnet_scope;
      std::memcpy(p, ecs.address, address_len);
    }
    ++counts_[static_cast<int>(Section::kAdditional)];
  }
  std::uint8_t* h = writer_.data();
  const auto flags = static_cast<std::uint16_t>(flags_ | (rcode_ & flag::kRcodeMask));
  const std::uint16_t words[6] = {id_, flags, qdcount_, counts_[0], counts_[1], counts_[2]};
  for (int i = 0; i < 6; ++i) {
    h[2 * i] = static_cast<std::uint8_t>(words[i] >> 8);
    h[2 * i + 1] = static_cast<std::uint8_t>(words[i]);
  }
  return writer_.size();
}

}  // namespace fedns::dns
