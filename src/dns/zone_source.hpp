// A zone as configured: origin, SOA fields, name servers with glue, and records in zone-file syntax.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/answer_policy.hpp"
#include "model/health_table.hpp"

namespace fedns::dns {

struct SoaFields {
  std::string mname;                    // empty: the first name server
  std::string rname;                    // empty: hostmaster.<origin>
  std::optional<std::uint32_t> serial;  // empty: seconds since the epoch at load time
  std::uint32_t refresh = 3600;
  std::uint32_t retry = 600;
  std::uint32_t expire = 604800;
  std::uint32_t minimum = 30;        // the negative-caching TTL (RFC 2308 4)
  std::optional<std::uint32_t> ttl;  // empty: the zone's default TTL
};

struct NameServer {
  std::string name;
  std::vector<std::string> addresses;  // glue, only for names inside the zone
};

// A record already in wire form, from a generator such as the service catalog (no text parsing needed).
struct WireRecord {
  std::string owner;  // lower-case wire form, absolute
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string rdata;                                 // uncompressed wire form
  std::string where;                                 // "service shop/web", for errors
  model::TargetId health_target = model::kNoTarget;  // what the record points at, when health-checked
  model::HealthPolicy health;                        // the service's fallback, for a health-checked set
  std::uint8_t tier = 0;                             // model::kTierZone ..., or model::kLastResortTier
  std::uint16_t region = model::kNoLocality;         // the record's cluster's locality ids
  std::uint16_t zone = model::kNoLocality;
  std::uint16_t cluster = model::kNoLocality;         // the record's cluster's id (answer policies)
  std::shared_ptr<const model::AnswerPolicy> policy;  // the service's answer policy, if any
};

struct ZoneSource {
  std::string origin;
  std::uint32_t default_ttl = 30;
  std::optional<SoaFields> soa;  // required unless `file` provides the SOA
  std::vector<NameServer> name_servers;
  std::string records;                // zone-file syntax (RFC 1035 5), relative names are under the origin
  std::string records_location;       // "config.yaml:14", prefixed to record errors
  int records_first_line = 1;         // line of the first record line in that file
  std::string file;                   // an RFC 1035 master file
  std::vector<WireRecord> generated;  // records in wire form, checked like the others
};

}  // namespace fedns::dns
