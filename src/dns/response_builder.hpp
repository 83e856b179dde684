// Builds one response in the caller's buffer: header, echoed question, sections, OPT; all-or-nothing RRsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/query.hpp"
#include "dns/wire_writer.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

enum class Section : std::uint8_t { kAnswer = 0, kAuthority = 1, kAdditional = 2 };

// Which records of a health-checked set an answer holds (zone_answer.cpp's pick decides).
struct RecordFilter {
  static constexpr int kAnyTier = -1;           // every record but the last-resort ones
  const model::HealthTable* only_up = nullptr;  // non-null: leave out records whose target is down
  int tier = kAnyTier;                          // one tier only (model::kTierZone ...), or any
  // The client's region and zone ids when tiers rank records by where the client is (tier_of()).
  std::uint16_t client_region = model::kNoLocality;
  std::uint16_t client_zone = model::kNoLocality;
};

// The tier a record is answered in: its own (rendered relative to this replica), or, when the client is
// placed, by the client's location: its zone, its region, anywhere else. Last-resort records stay last.
inline std::uint8_t tier_of(const model::RData& rdata, std::uint16_t client_region,
                            std::uint16_t client_zone) noexcept {
  if (client_region == model::kNoLocality || rdata.tier == model::kLastResortTier) return rdata.tier;
  if (rdata.region != client_region) return model::kTierGlobal;
  return client_zone != model::kNoLocality && rdata.zone == client_zone ? model::kTierZone
                                                                        : model::kTierRegion;
}

// Whether `filter` lets the record through.
inline bool passes(const RecordFilter& filter, const model::RData& rdata) noexcept {
  const std::uint8_t tier = tier_of(rdata, filter.client_region, filter.client_zone);
  if (filter.tier == RecordFilter::kAnyTier ? tier == model::kLastResortTier : tier != filter.tier)
    return false;
  return filter.only_up == nullptr || filter.only_up->up(rdata.health_target);
}

class ResponseBuilder {
 public:
  // `max_size` is the largest message the client accepts (512, its EDNS payload, or 65535 over TCP).
  ResponseBuilder(std::span<std::uint8_t> out, std::size_t max_size) noexcept;

  // Writes the header and, when it parsed, echoes the question byte for byte (keeping the client's 0x20
  // case).
  void begin(const Query& query, std::span<const std::uint8_t> raw_query) noexcept;

  // Reserves room for the OPT record written by finish(), so it always fits (RFC 6891 7).
  void reserve_tail(std::size_t bytes) noexcept;

  // Adds every record of the set that `filter` lets through, or none (the caller decides what a miss means).
  // `ttl_override`, when non-null, replaces the set's TTL (negative answers, RFC 2308 3; health-derived
  // TTLs).
  bool add_rrset(Section section, std::string_view owner, const model::RRset& set, std::uint16_t klass = 1,
                 const std::uint32_t* ttl_override = nullptr, RecordFilter filter = {}) noexcept;
  // Adds the records of the set at `indices`, in that order (an answer policy's choice), with `ttl`.
  bool add_records(Section section, std::string_view owner, const model::RRset& set,
                   std::span<const std::uint16_t> indices, std::uint16_t klass, std::uint32_t ttl) noexcept;
  bool add_record(Section section, std::string_view owner, std::uint16_t type, std::uint16_t klass,
                  std::uint32_t ttl, std::span<const std::uint8_t> rdata) noexcept;

  // Drops everything after the question and sets TC: the client must retry over TCP (RFC 2181 9).
  void truncate() noexcept;

  void set_flags(std::uint16_t flags) noexcept { flags_ |= flags; }
  void clear_flags(std::uint16_t flags) noexcept { flags_ &= static_cast<std::uint16_t>(~flags); }
  [[nodiscard]] std::uint16_t flags() const noexcept { return flags_; }
  void set_rcode(std::uint16_t rcode) noexcept { rcode_ = rcode; }
  [[nodiscard]] std::uint16_t rcode() const noexcept { return rcode_; }
  [[nodiscard]] bool truncated() const noexcept { return (flags_ & flag::kTC) != 0; }
  [[nodiscard]] std::uint16_t count(Section s) const noexcept { return counts_[static_cast<int>(s)]; }

  // Writes the OPT record (when `edns` is given), then the header counts; returns the message size.
  struct OptReply {
    std::uint16_t udp_payload;
    bool dnssec_ok;
    std::string_view nsid;              // empty: no NSID option
    const ClientSubnet* client_subnet;  // echoed with the scope we answer for (RFC 7871 7.2.1)
    std::uint8_t client_subnet_scope;
  };
  std::size_t finish(const OptReply* edns) noexcept;

  static std::size_t opt_size(const OptReply& edns) noexcept;

 private:
  // Writes the records `next()` yields (an RData pointer each, null at the end), all or none.
  template <class Next>
  bool add_each(Section section, std::string_view owner, std::uint16_t type, std::uint16_t klass,
                std::uint32_t ttl, Next next) noexcept;
  // TYPE, CLASS, TTL, RDLENGTH and RDATA of one record whose owner is already written.
  bool write_rr_body(std::uint16_t type, std::uint16_t klass, std::uint32_t ttl,
                     const model::RData& rdata) noexcept;

  WireWriter writer_;
  std::size_t max_size_;
  std::size_t after_question_ = kHeaderSize;
  std::size_t tail_reserve_ = 0;
  std::uint16_t id_ = 0;
  std::uint16_t flags_ = 0;
  std::uint16_t rcode_ = 0;
  std::uint16_t qdcount_ = 0;
  std::uint16_t counts_[3] = {0, 0, 0};
};

}  // namespace fedns::dns
