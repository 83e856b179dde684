// Bounds-checked reader over a received DNS message; every read reports failure instead of overrunning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/name.hpp"

namespace fedns::dns {

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> message, std::size_t pos = 0) noexcept
      : msg_(message), pos_(pos) {}

  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept {
    return pos_ <= msg_.size() ? msg_.size() - pos_ : 0;
  }

  bool u8(std::uint8_t& out) noexcept {
    if (remaining() < 1) return false;
    out = msg_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& out) noexcept {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>((msg_[pos_] << 8) | msg_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) noexcept {
    if (remaining() < 4) return false;
    out = (std::uint32_t{msg_[pos_]} << 24) | (std::uint32_t{msg_[pos_ + 1]} << 16) |
          (std::uint32_t{msg_[pos_ + 2]} << 8) | std::uint32_t{msg_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool skip(std::size_t n) noexcept {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  bool bytes(std::size_t n, const std::uint8_t*& out) noexcept {
    if (remaining() < n) return false;
    out = msg_.data() + pos_;
    pos_ += n;
    return true;
  }

  // Reads the question of a query: an uncompressed name (nothing precedes it to point at), case-folded as it
  // is copied. The labels are walked first (a step per label), then the whole name is copied and folded eight
  // octets at a time: the question is parsed for every query, and a byte at a time cost ~250 instructions.
  bool question_name(NameBuffer& out) noexcept {
    out.size = 0;
    std::size_t at = pos_;
    for (;;) {
      if (at >= msg_.size()) return false;
      const std::uint8_t len = msg_[at];
      if (len > kMaxLabelLength) return false;  // a pointer or an extended label type
      at += 1 + std::size_t{len};
      if (len == 0) break;
    }
    const std::size_t size = at - pos_;
    if (size > kMaxNameLength) return false;
    fold_copy(msg_.data() + pos_, size, out.data);
    out.size = static_cast<std::uint8_t>(size);
    pos_ = at;
    return true;
  }

  // Reads a name, following compression pointers (RFC 1035 4.1.4), into `out` uncompressed with its original
  // letter case. Each pointer must point strictly before the label it replaces, so no pointer chain can loop;
  // labels are at most 63 octets, names at most 255, and the extended label types (0x40, 0x80) are refused.
  // With allow_compression false (the question of a query), any pointer is an error.
  bool name(NameBuffer& out, bool allow_compression = true) noexcept {
    std::size_t at = pos_;
    std::size_t resume = 0;    // position after the first pointer, where reading continues
    std::size_t limit = pos_;  // pointers must target strictly below this offset
    out.size = 0;
    for (;;) {
      if (at >= msg_.size()) return false;
      const std::uint8_t len = msg_[at];
      if ((len & 0xC0) == 0xC0) {
        if (!allow_compression || at + 1 >= msg_.size()) return false;
        const std::size_t target = (std::size_t{len & 0x3Fu} << 8) | msg_[at + 1];
        if (target >= limit) return false;
        if (resume == 0) resume = at + 2;
        limit = target;
        at = target;
        continue;
      }
      if ((len & 0xC0) != 0) return false;
      if (std::size_t{out.size} + 1 + len > kMaxNameLength) return false;
      if (at + 1 + len > msg_.size()) return false;
      out.data[out.size++] = len;
      if (len == 0) break;
      for (std::size_t i = 0; i < len; ++i)
        out.data[out.size++] = msg_[at + 1 + i];
      at += 1 + len;
    }
    pos_ = resume != 0 ? resume : at + 1;
    return true;
  }

 private:
  std::span<const std::uint8_t> msg_;
  std::size_t pos_;
};

}  // namespace fedns::dns
