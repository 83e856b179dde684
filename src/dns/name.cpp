// Domain names in wire form: case folding, comparison and text conversion.
#include "dns/name.hpp"

#include <cctype>
#include <cstdio>

namespace fedns::dns {

std::size_t label_count(std::string_view wire) noexcept {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    pos += 1 + static_cast<std::uint8_t>(wire[pos]);
    ++count;
  }
  return count;
}

std::string_view parent_name(std::string_view wire) noexcept {
  if (wire.empty() || wire[0] == 0) return wire;
  const std::size_t skip = 1 + static_cast<std::uint8_t>(wire[0]);
  return skip <= wire.size() ? wire.substr(skip) : std::string_view{};
}

bool is_subdomain(std::string_view name, std::string_view suffix) noexcept {
  if (suffix.size() > name.size()) return false;
  // The suffix must start on a label boundary of `name`.
  std::size_t pos = 0;
  const std::size_t start = name.size() - suffix.size();
  while (pos < start)
    pos += 1 + static_cast<std::uint8_t>(name[pos]);
  return pos == start && name.substr(start) == suffix;
}

void fold_case(std::string& wire) {
  for (auto& c : wire)
    c = static_cast<char>(fold_case(static_cast<std::uint8_t>(c)));
}

Result<std::string> name_from_text(std::string_view text) {
  if (text.empty()) return Error{"empty domain name"};
  std::string wire;
  std::string label;
  auto flush = [&]() -> Result<void> {
    if (label.empty()) return Error{"empty label in \"" + std::string(text) + "\""};
    if (label.size() > kMaxLabelLength)
      return Error{"label longer than 63 octets in \"" + std::string(text) + "\""};
    wire.push_back(static_cast<char>(label.size()));
    wire += label;
    label.clear();
    return {};
  };
  if (text == ".") return std::string(1, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 3 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
          std::isdigit(static_cast<unsigned char>(text[i + 2])) &&
          std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
        const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return Error{"bad escape in \"" + std::string(text) + "\""};
        label.push_back(static_cast<char>(v));
        i += 3;
      } else if (i + 1 < text.size()) {
        label.push_back(text[++i]);
      } else {
        return Error{"dangling escape in \"" + std::string(text) + "\""};
      }
    } else if (c == '.') {
      if (auto r = flush(); !r) return r.error();
    } else {
      label.push_back(c);
    }
  }
  if (!label.empty()) {
    if (auto r = flush(); !r) return r.error();
  }
  wire.push_back('\0');
  if (wire.size() > kMaxNameLength)
    return Error{"name longer than 255 octets: \"" + std::string(text) + "\""};
  return wire;
}

std::string name_to_text(std::string_view wire) {
  if (wire.empty() || wire[0] == 0) return ".";
  std::string out;
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    const std::size_t len = static_cast<std::uint8_t>(wire[pos]);
    for (std::size_t i = pos + 1; i <= pos + len && i < wire.size(); ++i) {
      const auto c = static_cast<unsigned char>(wire[i]);
      if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    pos += 1 + len;
  }
  return out;
}

}  // namespace fedns::dns
