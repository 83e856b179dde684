// CHAOS-class server identification: id.server, hostname.bind, version.bind, version.server.
#pragma once

#include "dns/query.hpp"
#include "dns/response_builder.hpp"
#include "dns/serving_snapshot.hpp"

namespace fedns::dns {

// Answers TXT/ANY for the identification names with the configured strings (RFC 4892); anything else in
// class CH, and any name whose string is configured empty (hidden), is REFUSED.
void answer_chaos(const Query& query, const AnswerOptions& options, ResponseBuilder& response) noexcept;

}  // namespace fedns::dns
