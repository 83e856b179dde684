// Durations as people write them in config, override files and API requests: "250ms", "10s", "2m", "1h", or a
// bare number of seconds. One parser, so every place accepts the same forms.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace fedns {

// nullopt for anything else, or for more than a day (no setting here needs longer; a typo such as "10000m"
// should not pass).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace fedns
