// The query path as a fixed table of stages. Each stage either answers (and stops the pipeline) or passes the
// query on. Later issues add stages (ACL, service answers, policies) to this one table.
#include "dns/responder.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <random>
#include <string_view>

#include "dns/chaos_answer.hpp"
#include "dns/response_builder.hpp"
#include "dns/zone_answer.hpp"

namespace fedns::dns {
namespace {

struct QueryState {
  const Query& query;
  const RequestInfo& info;
  const ServingSnapshot& snapshot;
  ResponseBuilder& response;
  ClientContext& client;
  WorkerCounters& counters;
  const model::ServedZone* zone = nullptr;  // set by the authority stage
};

ClientAddress source_address(const sockaddr* peer) noexcept;

// Where the client is asked from: its EDNS Client Subnet when it sent one (RFC 7871 7.1.1), else the source
// address of the query.
ClientAddress client_address(const Query& query, const sockaddr* peer) noexcept {
  if (!query.edns.has_client_subnet) return source_address(peer);
  ClientAddress a;
  const ClientSubnet& ecs = query.edns.client_subnet;
  a.v6 = ecs.family == 2;
  std::copy(std::begin(ecs.address), std::end(ecs.address), a.bytes.begin());
  a.prefix = ecs.source_prefix;
  return a;
}

ClientAddress source_address(const sockaddr* peer) noexcept {
  ClientAddress a;
  a.prefix = 0;  // no address to go by (a test, an unknown family): nobody is placed
  if (peer == nullptr) return a;
  if (peer->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(peer);
    std::memcpy(a.bytes.data(), &in->sin_addr, 4);
    a.prefix = 32;
  } else if (peer->sa_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(peer);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&in->sin6_addr);
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: placed as the IPv4 address it is.
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(b, kMapped, 12) == 0) {
      std::memcpy(a.bytes.data(), b + 12, 4);
      a.prefix = 32;
    } else {
      a.v6 = true;
      std::memcpy(a.bytes.data(), b, 16);
      a.prefix = 128;
    }
  }
  return a;
}

enum class Flow : std::uint8_t { kNext, kAnswered };

// RFC 1996 (NOTIFY) and RFC 2136 (UPDATE) are handled explicitly: fedns is a primary that accepts neither,
// so both get NOTAUTH outside our zones; inside, NOTIFY is NOTAUTH (we are no secondary) and UPDATE REFUSED.
Flow stage_opcode(QueryState& s) noexcept {
  if (s.query.opcode == opcode::kQuery) return Flow::kNext;
  const bool ours = s.snapshot.zones.find_zone(s.query.qname.view()) != nullptr;
  if (s.query.opcode == opcode::kUpdate && ours) {
    s.response.set_rcode(rcode::kRefused);
  } else {
    s.response.set_rcode(rcode::kNotAuth);
  }
  return Flow::kAnswered;
}

// RFC 6891 6.1.3: a version we do not speak gets BADVERS with our version (0) in the OPT.
Flow stage_edns_version(QueryState& s) noexcept {
  if (!s.query.edns.present || s.query.edns.version == 0) return Flow::kNext;
  s.response.set_rcode(rcode::kBadVers);
  return Flow::kAnswered;
}

Flow stage_class(QueryState& s) noexcept {
  if (s.query.qclass == klass::kIN) return Flow::kNext;
  if (s.query.qclass == klass::kCH) {
    answer_chaos(s.query, s.snapshot.options, s.response);
  } else {
    s.response.set_rcode(rcode::kRefused);
  }
  return Flow::kAnswered;
}

// Meta query types that are not lookups: zone transfers (refused until transfer ACLs exist), and the
// obsolete MAILA/MAILB (RFC 1035 3.2.3, RFC 8906 3.1.3.1: answer, do not ignore).
Flow stage_meta_qtype(QueryState& s) noexcept {
  switch (s.query.qtype) {
    case type::kAXFR:
    case type::kIXFR:
      s.response.set_rcode(rcode::kRefused);
      return Flow::kAnswered;
    case type::kMAILA:
    case type::kMAILB:
      s.response.set_rcode(rcode::kNotImp);
      return Flow::kAnswered;
    default:
      return Flow::kNext;
  }
}

// Names outside every zone we serve are refused: we are not a resolver.
Flow stage_authority(QueryState& s) noexcept {
  s.zone = s.snapshot.zones.find_zone(s.query.qname.view());
  if (s.zone != nullptr) return Flow::kNext;
  s.response.set_rcode(rcode::kRefused);
  return Flow::kAnswered;
}

// Each worker thread draws from its own generator: no sharing between threads, no lock.
PolicyRandom& thread_random() noexcept {
  thread_local SplitMixRandom random(std::random_device{}() ^
                                     (static_cast<std::uint64_t>(std::random_device{}()) << 32U));
  return random;
}

// TXT _explain.<name> from a client the ACL allows: the decision trace instead of a lookup.
Flow stage_explain(QueryState& s) noexcept {
  std::string_view name;
  if (!is_explain_query(s.query, s.snapshot.options.explain, source_address(s.info.peer), name))
    return Flow::kNext;
  const model::ServedZone* zone = s.snapshot.zones.find_zone(name);
  if (zone == nullptr) return Flow::kNext;
  answer_explain(
      {s.query, name, s.snapshot.zones, *zone, s.info.health, s.client, s.query.edns.has_client_subnet,
       s.info.random != nullptr ? s.info.random : &thread_random(), s.snapshot.options.identity},
      s.response);
  return Flow::kAnswered;
}

Flow stage_zone_answer(QueryState& s) noexcept {
  const AnswerInputs inputs{s.info.health, &s.client,
                            s.info.random != nullptr ? s.info.random : &thread_random(), nullptr,
                            &s.counters.policy_steps};
  answer_from_zone(s.snapshot.zones, *s.zone, s.query, s.info.transport, s.response, inputs);
  return Flow::kAnswered;
}

struct Stage {
  std::string_view name;
  Flow (*run)(QueryState&) noexcept;
};

// The query pipeline, in order. One table, so the whole path is visible in one place.
constexpr Stage kPipeline[] = {
    {"opcode", stage_opcode},           {"edns-version", stage_edns_version}, {"class", stage_class},
    {"meta-qtype", stage_meta_qtype},   {"authority", stage_authority},       {"explain", stage_explain},
    {"zone-answer", stage_zone_answer},
};

std::size_t max_response_size(const Query& query, const RequestInfo& info,
                              const AnswerOptions& options) noexcept {
  if (info.transport == Transport::kTcp) return kMaxMessage;
  if (!query.edns.present) return kMaxUdpPlain;
  // RFC 6891 6.2.5: values below 512 are treated as 512; we never exceed what we advertise.
  const std::size_t client = std::max<std::size_t>(query.edns.udp_payload, kMinEdnsPayload);
  return std::min<std::size_t>(client, std::max<std::size_t>(options.edns_udp_payload, kMinEdnsPayload));
}

}  // namespace

std::size_t respond(std::span<const std::uint8_t> message, std::span<std::uint8_t> out,
                    const RequestInfo& info, const ServingSnapshot& snapshot,
                    WorkerCounters& counters) noexcept {
  Query query;
  const ParseStatus status = parse_query(message, query);
  if (status == ParseStatus::kDrop) {
    counters.dropped.add();
    return 0;
  }
  counters.queries_by_transport[static_cast<std::size_t>(info.transport)].add();

  ResponseBuilder response(out, max_response_size(query, info, snapshot.options));
  response.begin(query, message);

  const bool edns_usable = status == ParseStatus::kOk && query.edns.present;
  ResponseBuilder::OptReply opt{};
  if (edns_usable) {
    opt.udp_payload = snapshot.options.edns_udp_payload;
    opt.dnssec_ok = query.edns.dnssec_ok;
    if (query.edns.nsid_requested) opt.nsid = snapshot.options.nsid;
    // Echoed with scope 0 unless the answer depended on where the client is (RFC 7871 7.2.1; set below).
    if (query.edns.has_client_subnet) opt.client_subnet = &query.edns.client_subnet;
    response.reserve_tail(ResponseBuilder::opt_size(opt));
  }

  if (status == ParseStatus::kFormErr) {
    counters.malformed.add();
    response.set_rcode(rcode::kFormErr);
  } else if (status == ParseStatus::kNotImp) {
    response.set_rcode(rcode::kNotImp);
  } else {
    counters.queries_by_qtype[static_cast<std::size_t>(qtype_bucket(query.qtype))].add();
    ClientContext client(snapshot.locator.get(), client_address(query, info.peer));
    QueryState state{query, info, snapshot, response, client, counters};
    for (const Stage& stage : kPipeline) {
      if (stage.run(state) == Flow::kAnswered) break;
    }
    // The SCOPE PREFIX-LENGTH: how many bits of the client's address the answer holds for.
    if (client.depends()) opt.client_subnet_scope = client.scope();
  }

  const std::size_t size = response.finish(edns_usable ? &opt : nullptr);
  counters.responses_by_rcode[std::min<std::size_t>(response.rcode(), rcode::kCount - 1)].add();
  if (response.truncated()) counters.truncated.add();
  return size;
}

}  // namespace fedns::dns
