// Allocation-free DNS message writer with name compression and rollback (RFC 1035 4.1.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace fedns::dns {

class WireWriter {
 public:
  // A position to roll back to: the write offset and how many compression targets were known then.
  struct Mark {
    std::size_t size;
    std::size_t targets;
  };

  WireWriter(std::span<std::uint8_t> buffer, std::size_t limit) noexcept
      : buf_(buffer), limit_(limit < buffer.size() ? limit : buffer.size()) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
  void set_limit(std::size_t limit) noexcept { limit_ = limit < buf_.size() ? limit : buf_.size(); }
  [[nodiscard]] std::uint8_t* data() noexcept { return buf_.data(); }

  [[nodiscard]] Mark mark() const noexcept { return {size_, target_count_}; }
  void rollback(Mark m) noexcept {
    size_ = m.size;
    target_count_ = m.targets;
  }

  bool u8(std::uint8_t v) noexcept {
    if (limit_ - size_ < 1) return false;
    buf_[size_++] = v;
    return true;
  }
  bool u16(std::uint16_t v) noexcept {
    if (limit_ - size_ < 2) return false;
    buf_[size_++] = static_cast<std::uint8_t>(v >> 8);
    buf_[size_++] = static_cast<std::uint8_t>(v);
    return true;
  }
  bool u32(std::uint32_t v) noexcept {
    if (limit_ - size_ < 4) return false;
    for (int shift = 24; shift >= 0; shift -= 8)
      buf_[size_++] = static_cast<std::uint8_t>(v >> shift);
    return true;
  }
  bool bytes(const void* data, std::size_t n) noexcept {
    if (limit_ - size_ < n) return false;
    if (n != 0) std::memcpy(buf_.data() + size_, data, n);
    size_ += n;
    return true;
  }
  // The next n octets, for a caller that writes a record of known size after one bounds check; nullptr (and
  // nothing claimed) when they do not fit.
  [[nodiscard]] std::uint8_t* claim(std::size_t n) noexcept {
    if (limit_ - size_ < n) return nullptr;
    std::uint8_t* at = buf_.data() + size_;
    size_ += n;
    return at;
  }
  void patch_u16(std::size_t at, std::uint16_t v) noexcept {
    buf_[at] = static_cast<std::uint8_t>(v >> 8);
    buf_[at + 1] = static_cast<std::uint8_t>(v);
  }

  // Registers an uncompressed name already present in the buffer (such as the echoed question) so later names
  // compress against it.
  void add_compression_target(std::size_t offset) noexcept;

  // Writes an uncompressed wire name, replacing its longest suffix already in the message by a pointer.
  bool name(std::string_view wire, bool compress = true) noexcept;

 private:
  // Compares the name at `offset` in the buffer (following pointers) with an uncompressed wire name,
  // ignoring ASCII case.
  [[nodiscard]] bool equals_at(std::size_t offset, std::string_view wire) const noexcept;

  static constexpr std::size_t kMaxTargets = 128;
  std::span<std::uint8_t> buf_;
  std::size_t limit_;
  std::size_t size_ = 0;
  std::uint16_t targets_[kMaxTargets];  // only the first target_count_ entries are meaningful
  std::size_t target_count_ = 0;
};

}  // namespace fedns::dns
