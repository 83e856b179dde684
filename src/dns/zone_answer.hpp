// Authoritative answers from zone data: RFC 1034 4.3.2 lookup with referrals, CNAME chains and wildcards.
#pragma once

#include "dns/answer_policy.hpp"
#include "dns/client_location.hpp"
#include "dns/query.hpp"
#include "dns/response_builder.hpp"
#include "dns/worker_counters.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// Answers `query` (class IN, qname inside `zone`) into `response`, setting rcode, AA and sections.
// Sets TC through response.truncate() when the answer or authority section does not fit. Health-checked
// sets are answered by `inputs.health` (null: no table yet, everything counts as up): records whose target
// is down are left out, and the set's fallback decides when too little is up; a hierarchy set ranks its tiers
// by the client's location when it can be placed (and notes that the answer depended on it, for the ECS
// scope). Of what health lets through, a set with an answer policy answers what the policy chooses.
void answer_from_zone(const model::ZoneSet& zones, const model::ServedZone& zone, const Query& query,
                      Transport transport, ResponseBuilder& response,
                      const AnswerInputs& inputs = {}) noexcept;

}  // namespace fedns::dns
