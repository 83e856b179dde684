// Duration parsing (see duration.hpp).
#include "common/duration.hpp"

#include <charconv>
#include <cstdint>

namespace fedns {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{}) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60000;
  } else if (unit == "h") {
    scale = 3600000;
  } else {
    return std::nullopt;
  }
  constexpr std::uint64_t kDayMs = 86400000;
  if (value > kDayMs || value * scale > kDayMs) return std::nullopt;
  return std::chrono::milliseconds(value * scale);
}

}  // namespace fedns
