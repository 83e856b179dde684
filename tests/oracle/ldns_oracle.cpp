// ldns-based parsing and printing of DNS messages for tests.
#include "oracle/ldns_oracle.hpp"

#include <algorithm>
#include <cstdlib>

namespace fedns::test {

Packet parse_with_ldns(const std::uint8_t* data, std::size_t size) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) return nullptr;
  return Packet(pkt);
}

std::vector<std::string> section_text(const ldns_rr_list* list) {
  std::vector<std::string> out;
  for (std::size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    char* text = ldns_rr2str(ldns_rr_list_rr(list, i));
    std::string line(text);
    std::free(text);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
    while (!line.empty() && line.back() == '\n')
      line.pop_back();
    std::replace(line.begin(), line.end(), '\t', ' ');
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fedns::test
