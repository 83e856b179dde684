// SOA serials that follow the data (RFC 1982 arithmetic): a zone with names generated from the catalog gets a
// new serial whenever its data changes, so secondaries see the change (and NOTIFY can tell them).
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <string>

#include "model/zone_set.hpp"

namespace fedns::dns {

// RFC 1982 3.2: whether serial `a` is newer than `b`.
inline bool serial_newer(std::uint32_t a, std::uint32_t b) noexcept {
  return a != b && static_cast<std::int32_t>(a - b) > 0;
}

// The serial in the SOA RDATA (wire form), 0 when it is too short to hold one.
std::uint32_t soa_serial(std::string_view soa_rdata) noexcept;

// Lives as long as the server (across reloads), so serials never go back while it runs. For a zone without
// generated names the configured serial is served as is (the operator owns it). For one with generated names
// it is the largest of: the configured serial, the clock (seconds since the epoch, so a restart does not go
// back either), and the last one plus one, taken whenever the zone's data changed since the last snapshot.
// The versions replaced are kept (the last kHistory of them, sharing unchanged shards) for IXFR.
class ZoneSerials {
 public:
  static constexpr std::size_t kHistory = 64;

  // Sets each served zone's SOA to the serial it is served with; returns the origins whose serial changed.
  std::vector<std::string> stamp(model::ZoneSet& zones,
                                 std::uint32_t now = static_cast<std::uint32_t>(std::time(nullptr)));

 private:
  struct State {
    std::shared_ptr<const model::Zone> base;
    std::shared_ptr<const model::GeneratedNames> generated;
    bool unsure = false;  // a zone that becomes complete is news for a secondary too
    std::uint32_t serial = 0;
    std::shared_ptr<const model::RRset> soa;
    std::shared_ptr<const std::vector<model::ZoneVersion>> history;
  };
  std::map<std::string, State, std::less<>> zones_;
};

}  // namespace fedns::dns
