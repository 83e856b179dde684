// One message of a zone transfer, written in a single pass. Names are compressed against the zone origin (the
// question's name, at offset 12) and the previous record's owner only: a transfer writes hundreds of
// thousands of names, and searching every earlier name (ResponseBuilder's general compression) cost 90% of
// the CPU of a 300,000-record AXFR (perf), for a few percent fewer octets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "model/zone_set.hpp"

namespace fedns::dns {

class TransferMessage {
 public:
  // Starts a response to `request` (whose question, the zone origin, is copied) in `out`, using at most
  // `limit` octets. `origin` is the zone's lower-case wire name.
  TransferMessage(std::span<std::uint8_t> out, std::size_t limit, std::span<const std::uint8_t> request,
                  std::size_t question_end, std::string_view origin) noexcept;

  // Adds one record of `set`; all of it or nothing (false: the message is full).
  bool add(std::string_view owner, const model::RRset& set, const model::RData& rdata) noexcept;

  // Writes the answer count; returns the message size.
  std::size_t finish() noexcept;
  [[nodiscard]] std::uint16_t records() const noexcept { return records_; }

 private:
  bool name(std::string_view wire, bool owner) noexcept;
  bool bytes(const void* data, std::size_t size) noexcept;
  bool u16(std::uint16_t v) noexcept;

  std::span<std::uint8_t> out_;
  std::size_t limit_;
  std::size_t size_ = 0;
  std::string_view origin_;
  std::string_view last_owner_;
  std::size_t last_owner_at_ = 0;
  std::uint16_t records_ = 0;
};

}  // namespace fedns::dns
