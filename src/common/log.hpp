// Minimal leveled logging to stderr for the control plane (the data plane never logs per query).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace fedns::log {

enum class Level { kDebug, kInfo, kWarn, kError };
// kText: "2026-11-27T14:00:00.000Z info propagation: ..."; kLogfmt: time=... level=info component=...
// msg="..."; kJson: one object per line {"time","level","component","msg"} (the component is the message's
// leading "propagation: " part, when it has one).
enum class Format { kText, kLogfmt, kJson };

void set_level(Level level);
void set_format(Format format);
void write(Level level, std::string_view message);
// The line write() emits (with its newline), for tests.
std::string format_line(Format format, Level level, std::string_view message,
                        std::chrono::system_clock::time_point when);

inline void debug(std::string_view m) {
  write(Level::kDebug, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}
inline void warn(std::string_view m) {
  write(Level::kWarn, m);
}
inline void error(std::string_view m) {
  write(Level::kError, m);
}

}  // namespace fedns::log
