// Small pieces of wire form shared by the record generators (MCS names, the cluster view, the federation
// zone): names from labels, address records from text, SRV rdata.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "dns/zone_source.hpp"
#include "model/catalog.hpp"

namespace fedns::dns {

// `labels` (leftmost first, folded to lower case) + `suffix` (wire), or empty when a label is empty or longer
// than 63 octets, `suffix` is empty (a name already too long) or the result would exceed 255 octets
// (RFC 1035 2.3.4).
std::string make_name(std::initializer_list<std::string_view> labels, std::string_view suffix);

// Fills rr.type and rr.rdata with the A or AAAA for address text; false when it is neither.
bool address_record(const std::string& text, WireRecord& rr);

// The label an endpoint answers under: its hostname, or its address with '-' for '.' and ':' (as Kubernetes
// DNS names pods), so SRV targets are unique per endpoint.
std::string endpoint_label(const model::EndpointRecord& endpoint);

// "_tcp" for "TCP" (RFC 2782).
std::string protocol_label(const std::string& protocol);

// SRV rdata (RFC 2782) with priority 0: the answer policies order clusters, not SRV priorities.
std::string srv_rdata(std::uint16_t weight, std::uint16_t port, const std::string& target);

using model::published;

}  // namespace fedns::dns
