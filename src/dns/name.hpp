// Domain names in wire form: case folding, comparison and text conversion (RFC 1035 3.1, RFC 4343).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "dns/protocol.hpp"

namespace fedns::dns {

// DNS comparisons are ASCII-case-insensitive only (RFC 4343); bytes outside A-Z are compared exactly.
constexpr std::uint8_t fold_case(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
}

// fold_case on eight octets at once (one per byte of `x`): a byte below 0x80 whose low seven bits are 'A'-'Z'
// gains 0x20, every other byte stays. No carry crosses a byte, since seven bits plus 0x3F stay below 0x100.
constexpr std::uint64_t fold_case8(std::uint64_t x) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = 0x8080808080808080;
  const std::uint64_t seven = x & ~kHigh;
  const std::uint64_t at_least_a = seven + kOnes * (0x80 - 'A');   // high bit: >= 'A'
  const std::uint64_t above_z = seven + kOnes * (0x80 - 'Z' - 1);  // high bit: > 'Z'
  const std::uint64_t upper = at_least_a & ~above_z & ~x & kHigh;
  return x | (upper >> 2);
}

// Copies `size` octets, case-folded, eight at a time. A wire name folds as one string: its length octets are
// at most 63, below 'A'.
inline void fold_copy(const std::uint8_t* from, std::size_t size, std::uint8_t* to) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, from + i, 8);
    chunk = fold_case8(chunk);
    std::memcpy(to + i, &chunk, 8);
  }
  for (; i < size; ++i)
    to[i] = fold_case(from[i]);
}

// A name in uncompressed wire form held inline, so the query path can copy and fold names without allocating.
struct NameBuffer {
  std::uint8_t data[kMaxNameLength];  // left uninitialised on purpose: only the first `size` octets are read
  std::uint8_t size = 0;

  [[nodiscard]] std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data), size}; }
};

// Number of labels excluding the root label.
std::size_t label_count(std::string_view wire) noexcept;

// Wire form of the name with its first label removed (the parent); the root stays the root.
std::string_view parent_name(std::string_view wire) noexcept;

// True when `name` equals `suffix` or lies below it (both uncompressed wire form, already case-folded).
bool is_subdomain(std::string_view name, std::string_view suffix) noexcept;

void fold_case(std::string& wire);

// Control plane helpers: presentation format <-> wire form (absolute names; "\." and "\DDD" escapes).
Result<std::string> name_from_text(std::string_view text);
std::string name_to_text(std::string_view wire);

}  // namespace fedns::dns
