// Authoritative answers from zone data: RFC 1034 4.3.2 lookup with referrals, CNAME chains and wildcards.
#pragma once

#include "dns/client_location.hpp"
#include "dns/query.hpp"
#include "dns/response_builder.hpp"
#include "dns/worker_counters.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// Answers `query` (class IN, qname inside `zone`) into `response`, setting rcode, AA and sections.
// Sets TC through response.truncate() when the answer or authority section does not fit. Health-checked
// sets are answered by `health` (null: no table yet, everything counts as up): records whose target is down
// are left out, and the set's fallback decides when too little is up; a hierarchy set ranks its tiers by
// `client`'s location when it can be placed (and notes that the answer depended on it, for the ECS scope).
void answer_from_zone(const model::ZoneSet& zones, const model::ServedZone& zone, const Query& query,
                      Transport transport, ResponseBuilder& response,
                      const model::HealthTable* health = nullptr, ClientContext* client = nullptr) noexcept;

}  // namespace fedns::dns
