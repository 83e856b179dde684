// The wire form of one DNS query (class IN, RD off), for the benchmarks that ask fedns directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fedns::bench {

// `name` in presentation form without the trailing dot; id 0x5151.
inline std::vector<std::uint8_t> dns_query(const std::string& name, std::uint16_t qtype = 1) {
  std::vector<std::uint8_t> q = {0x51, 0x51, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start < name.size()) {
    const auto dot = name.find('.', start);
    const auto end = dot == std::string::npos ? name.size() : dot;
    q.push_back(static_cast<std::uint8_t>(end - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(end));
    start = end + 1;
  }
  q.insert(q.end(),
           {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype & 0xFF), 0, 1});
  return q;
}

}  // namespace fedns::bench
