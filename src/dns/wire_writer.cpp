// Allocation-free DNS message writer: name compression against names already written.
#include "dns/wire_writer.hpp"

#include <cstring>

#include "dns/name.hpp"

namespace fedns::dns {

void WireWriter::add_compression_target(std::size_t offset) noexcept {
  // Every label start of the name is a target; pointers can only address the first 16 KiB (14 bits).
  std::size_t at = offset;
  while (at < size_ && buf_[at] != 0 && (buf_[at] & 0xC0) == 0) {
    if (at < 0x4000 && target_count_ < kMaxTargets)
      targets_[target_count_++] = static_cast<std::uint16_t>(at);
    at += 1 + buf_[at];
  }
}

bool WireWriter::equals_at(std::size_t offset, std::string_view wire) const noexcept {
  // Most matches are the very bytes written before (an answer's owner is the question's name): one memcmp
  // over the whole name, root label included, instead of a case-folding walk (600 instructions per answer).
  if (!wire.empty() && buf_[offset] == static_cast<std::uint8_t>(wire[0]) && offset + wire.size() <= size_ &&
      std::memcmp(buf_.data() + offset, wire.data(), wire.size()) == 0) {
    return true;
  }
  std::size_t at = offset;
  std::size_t i = 0;
  for (int hops = 0; hops < 64;) {
    const std::uint8_t len = buf_[at];
    if ((len & 0xC0) == 0xC0) {
      at = (std::size_t{len & 0x3Fu} << 8) | buf_[at + 1];
      ++hops;
      continue;
    }
    if (i >= wire.size() || static_cast<std::uint8_t>(wire[i]) != len) return false;
    if (len == 0) return true;
    for (std::size_t k = 1; k <= len; ++k) {
      if (fold_case(buf_[at + k]) != fold_case(static_cast<std::uint8_t>(wire[i + k]))) return false;
    }
    at += 1 + len;
    i += 1 + len;
  }
  return false;
}

bool WireWriter::name(std::string_view wire, bool compress) noexcept {
  std::size_t suffix = 0;  // offset into `wire` of the suffix being matched
  std::size_t pointer = 0;
  bool found = false;
  if (compress) {
    while (suffix < wire.size() && wire[suffix] != 0) {
      const std::string_view tail = wire.substr(suffix);
      for (std::size_t t = 0; t < target_count_; ++t) {
        if (equals_at(targets_[t], tail)) {
          pointer = targets_[t];
          found = true;
          break;
        }
      }
      if (found) break;
      suffix += 1 + static_cast<std::uint8_t>(wire[suffix]);
    }
  } else {
    suffix = wire.size() - 1;  // everything but the root label is written out
  }
  const std::size_t start = size_;
  const std::size_t prefix_len = found ? suffix : wire.size();
  if (!bytes(wire.data(), prefix_len)) return false;
  if (found && !u16(static_cast<std::uint16_t>(0xC000 | pointer))) {
    size_ = start;
    return false;
  }
  if (compress) {
    // The labels just written become targets for later names.
    std::size_t at = 0;
    while (at < suffix && at < prefix_len && wire[at] != 0) {
      if (start + at < 0x4000 && target_count_ < kMaxTargets) {
        targets_[target_count_++] = static_cast<std::uint16_t>(start + at);
      }
      at += 1 + static_cast<std::uint8_t>(wire[at]);
    }
  }
  return true;
}

}  // namespace fedns::dns
