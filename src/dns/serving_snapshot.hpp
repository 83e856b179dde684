// What the data plane reads per query: zones plus server-wide answer options, published as one snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "model/zone_set.hpp"

namespace fedns::dns {

struct AnswerOptions {
  std::uint16_t edns_udp_payload = 1232;  // what we advertise and the largest UDP answer we send
  std::string nsid;                       // raw NSID payload; empty = NSID off (RFC 5001)
  std::string identity;                   // CHAOS id.server / hostname.bind; empty = refused
  std::string version;                    // CHAOS version.bind / version.server; empty = refused
};

struct ServingSnapshot {
  model::ZoneSet zones;
  AnswerOptions options;
  std::chrono::system_clock::time_point built_at;
};

}  // namespace fedns::dns
