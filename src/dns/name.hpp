// Domain names in wire form: case folding, comparison and text conversion (RFC 1035 3.1, RFC 4343).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "dns/protocol.hpp"

namespace fedns::dns {

// DNS comparisons are ASCII-case-insensitive only (RFC 4343); bytes outside A-Z are compared exactly.
constexpr std::uint8_t fold_case(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
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
