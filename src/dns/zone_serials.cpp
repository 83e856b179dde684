#include "dns/zone_serials.hpp"

#include "dns/protocol.hpp"

namespace fedns::dns {

std::uint32_t soa_serial(std::string_view soa_rdata) noexcept {
  // MNAME and RNAME come first (uncompressed in zone data), then SERIAL and four more 32-bit fields.
  if (soa_rdata.size() < 22) return 0;
  const auto* p = reinterpret_cast<const std::uint8_t*>(soa_rdata.data() + soa_rdata.size() - 20);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

namespace {

void set_serial(std::string& soa_rdata, std::uint32_t serial) noexcept {
  if (soa_rdata.size() < 22) return;
  auto* p = reinterpret_cast<std::uint8_t*>(soa_rdata.data() + soa_rdata.size() - 20);
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(serial >> (8 * (3 - i)));
}

}  // namespace

std::vector<std::string> ZoneSerials::stamp(model::ZoneSet& zones, std::uint32_t now) {
  std::vector<std::string> changed;
  std::map<std::string, State, std::less<>> next;
  for (const auto& zone : zones.zones()) {
    const std::string& origin = zone.base->origin;
    model::ServedZone* served = zones.mutable_zone(origin);
    const model::RRset* base_soa = zone.base->apex_node().find(type::kSOA);
    if (base_soa == nullptr || base_soa->rdatas.empty()) continue;
    const std::uint32_t configured = soa_serial(base_soa->rdatas.front().wire);
    const auto it = zones_.find(origin);
    const bool known = it != zones_.end();
    State state;
    state.base = zone.base;
    state.generated = zone.generated;
    state.unsure = zone.unsure_negatives;
    if (zone.generated == nullptr) {
      state.serial = configured;
    } else if (known && it->second.base == state.base && it->second.generated == state.generated &&
               it->second.unsure == state.unsure && it->second.soa != nullptr) {
      state.serial = it->second.serial;
      state.soa = it->second.soa;
      state.history = it->second.history;
    } else {
      std::uint32_t serial = known ? it->second.serial + 1 : configured;
      if (serial_newer(configured, serial)) serial = configured;
      if (serial_newer(now, serial)) serial = now;
      auto soa = std::make_shared<model::RRset>(*base_soa);
      set_serial(soa->rdatas.front().wire, serial);
      state.serial = serial;
      state.soa = std::move(soa);
      if (known && it->second.soa != nullptr && it->second.serial != serial &&
          it->second.base == state.base) {
        // The version being replaced, for IXFR from it; a reload (another base) starts over.
        auto history = std::make_shared<std::vector<model::ZoneVersion>>();
        if (it->second.history != nullptr) *history = *it->second.history;
        if (history->size() >= kHistory) history->erase(history->begin());
        history->push_back({it->second.serial, it->second.soa, it->second.base, it->second.generated});
        state.history = std::move(history);
      }
    }
    served->soa = state.soa;
    served->history = state.history;
    if (!known || it->second.serial != state.serial) changed.push_back(origin);
    next.emplace(origin, std::move(state));
  }
  zones_ = std::move(next);
  return changed;
}

}  // namespace fedns::dns
