// Minimal leveled logging to stderr: one line per event, timestamped, written with a single call.
#include "common/log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>

namespace fedns::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "?";
}

// "propagation: member cluster north ready" -> ("propagation", "member cluster north ready"): messages start
// with the part of fedns they come from, a lower-case word or two before the first ": ".
std::pair<std::string_view, std::string_view> split_component(std::string_view message) {
  const auto colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 24) return {{}, message};
  for (const char c : message.substr(0, colon))
    if (!((c >= 'a' && c <= 'z') || c == ' ' || c == '-' || c == '_')) return {{}, message};
  return {message.substr(0, colon), message.substr(colon + 2)};
}

// JSON string contents (RFC 8259 7); logfmt quotes the same way.
void escape_into(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += hex;
        } else {
          out += c;
        }
    }
  }
}
}  // namespace

void set_level(Level level) {
  g_level.store(level, std::memory_order_relaxed);
}

void set_format(Format format) {
  g_format.store(format, std::memory_order_relaxed);
}

std::string format_line(Format format, Level level, std::string_view message,
                        std::chrono::system_clock::time_point when) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(when);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[40];
  const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03lldZ", static_cast<long long>(millis));
  std::string line;
  line.reserve(message.size() + 64);
  switch (format) {
    case Format::kText:
      line.append(stamp).append(" ").append(level_name(level)).append(" ").append(message);
      break;
    case Format::kLogfmt: {
      const auto [component, text] = split_component(message);
      line.append("time=").append(stamp).append(" level=").append(level_name(level));
      if (!component.empty()) {
        line.append(" component=\"");
        escape_into(line, component);
        line.append("\"");
      }
      line.append(" msg=\"");
      escape_into(line, text);
      line.append("\"");
      break;
    }
    case Format::kJson: {
      const auto [component, text] = split_component(message);
      line.append("{\"time\":\"")
          .append(stamp)
          .append("\",\"level\":\"")
          .append(level_name(level))
          .append("\"");
      if (!component.empty()) {
        line.append(",\"component\":\"");
        escape_into(line, component);
        line.append("\"");
      }
      line.append(",\"msg\":\"");
      escape_into(line, text);
      line.append("\"}");
      break;
    }
  }
  line.append("\n");
  return line;
}

void write(Level level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  const std::string line =
      format_line(g_format.load(std::memory_order_relaxed), level, message, std::chrono::system_clock::now());
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace fedns::log
