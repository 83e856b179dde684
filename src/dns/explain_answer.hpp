// `dig TXT _explain.<name>` (issue 6 section 4): the decision trace of the answer the asking client would get
// for <name>, as TXT records: where the client was placed and by what, each candidate record with its
// cluster and health, what each policy step kept and dropped and why, what was answered, the TTL and the ECS
// scope. Only for clients the ACL allows (by source address; loopback by default), since the trace shows
// topology. A diagnostic path: unlike every other answer it allocates (its strings), inside a try block.
#pragma once

#include <memory>
#include <string>

#include "dns/answer_policy.hpp"
#include "dns/client_location.hpp"
#include "dns/query.hpp"
#include "dns/response_builder.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

struct ExplainOptions {
  std::string label;                       // lower case, without length; empty: explain is off
  std::shared_ptr<const CidrTable> allow;  // source addresses allowed to ask; null: nobody
};

struct ExplainRequest {
  const Query& query;     // TXT _explain.<name>
  std::string_view name;  // <name>, lower-case wire
  const model::ZoneSet& zones;
  const model::ServedZone& zone;  // <name>'s zone
  const model::HealthTable* health;
  ClientContext& client;  // the asking client (its ECS, else its source address)
  bool from_ecs;          // whether the client's address came from ECS
  PolicyRandom* random;
  std::string_view identity;  // this replica, so that answers from replicas can be told apart
};

// Whether the query asks for an explanation that `peer` may have: TXT, first label the configured one.
// On true, `name` is the rest of the qname.
bool is_explain_query(const Query& query, const ExplainOptions& options, const ClientAddress& peer,
                      std::string_view& name) noexcept;

// Writes the trace as TXT records at the qname (TTL 0, numbered lines, so their order survives caches that
// reorder a set); SERVFAIL when something fails on the way.
void answer_explain(const ExplainRequest& request, ResponseBuilder& response) noexcept;

}  // namespace fedns::dns
