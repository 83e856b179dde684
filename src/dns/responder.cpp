// The query path as a fixed table of stages. Each stage either answers (and stops the pipeline) or passes the
// query on. Later issues add stages (ACL, service answers, policies) to this one table.
#include "dns/responder.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <iterator>
#include <new>
#include <random>
#include <string_view>

#include "dns/chaos_answer.hpp"
#include "dns/response_builder.hpp"
#include "dns/tsig.hpp"
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

// Where the client is asked from: its EDNS Client Subnet when it sent one (RFC 7871 7.1.1), else the source
// address of the query.
ClientAddress client_address(const Query& query, const sockaddr* peer) noexcept {
  if (!query.edns.has_client_subnet) return client_address_of(peer);
  ClientAddress a;
  const ClientSubnet& ecs = query.edns.client_subnet;
  a.v6 = ecs.family == 2;
  std::copy(std::begin(ecs.address), std::end(ecs.address), a.bytes.begin());
  a.prefix = ecs.source_prefix;
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

// Meta query types that are not lookups: zone transfers, which TCP hands to ZoneTransfer before this table
// (dns/zone_transfer.hpp) and which are refused over UDP (RFC 5936 4.2), and the obsolete MAILA/MAILB (RFC
// 1035 3.2.3, RFC 8906 3.1.3.1: answer, do not ignore).
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
  if (!is_explain_query(s.query, s.snapshot.options.explain, client_address_of(s.info.peer), name))
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

namespace {

// Everything after parsing: the pipeline, OPT and counters. `tail` is room kept for a TSIG record. Inlined in
// both callers: as a call it cost the unsigned path ~40 instructions per query (callgrind).
[[gnu::always_inline]] inline std::size_t answer(const Query& query, ParseStatus status,
                                                 std::span<const std::uint8_t> message,
                                                 std::span<std::uint8_t> out, const RequestInfo& info,
                                                 const ServingSnapshot& snapshot, WorkerCounters& counters,
                                                 std::size_t tail) noexcept {
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
  }
  if (edns_usable || tail != 0)
    response.reserve_tail((edns_usable ? ResponseBuilder::opt_size(opt) : 0) + tail);

  if (status == ParseStatus::kFormErr) {
    counters.malformed.add();
    response.set_rcode(rcode::kFormErr);
  } else if (status == ParseStatus::kNotImp) {
    response.set_rcode(rcode::kNotImp);
  } else {
    counters.queries_by_qtype[static_cast<std::size_t>(qtype_bucket(query.qtype))].add();
    ClientContext client(snapshot.locator.get(), client_address(query, info.peer), info.locations);
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

// A signed query (RFC 8945 5.2): checked before it is answered, and the answer signed with the same key. A
// key we do not know or a wrong MAC gets NOTAUTH with the TSIG error and an empty MAC; a bad time NOTAUTH
// signed. Only signed queries pay for this (OpenSSL's HMAC allocates); the unsigned path is untouched.
[[gnu::noinline]] std::size_t respond_signed(const Query& query, std::span<const std::uint8_t> message,
                                             std::span<std::uint8_t> out, const RequestInfo& info,
                                             const ServingSnapshot& snapshot,
                                             WorkerCounters& counters) noexcept {
  TsigRecord record;
  if (!parse_tsig_record(message, query.tsig_offset, record))
    return answer(query, ParseStatus::kFormErr, message, out, info, snapshot, counters, 0);
  const TransferPolicy* policy = snapshot.options.transfer.get();
  const std::span<const TsigKey> keys =
      policy != nullptr ? std::span<const TsigKey>(policy->keys) : std::span<const TsigKey>();
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  const TsigVerdict verdict = verify_tsig_request(message, record, keys, now);
  auto refusal = [&]() noexcept {
    ResponseBuilder response(out, max_response_size(query, info, snapshot.options));
    response.begin(query, message);
    response.set_rcode(rcode::kNotAuth);
    counters.responses_by_rcode[rcode::kNotAuth].add();
    counters.tsig_failures.add();
    return response.finish(nullptr);
  };
  if (verdict.key == nullptr || verdict.error == tsig_error::kBadSig) {
    const std::size_t size = refusal();
    const std::size_t with_tsig = append_tsig_error(out, size, record, verdict.error, now);
    return with_tsig != 0 ? with_tsig : size;
  }
  TsigSigner signer(*verdict.key, {verdict.mac.data(), verdict.mac_size});
  if (verdict.error == tsig_error::kBadTime) {
    const std::size_t size = refusal();
    const std::size_t with_tsig = signer.sign(out, size, now, verdict.error);
    return with_tsig != 0 ? with_tsig : size;
  }
  const std::size_t size =
      answer(query, ParseStatus::kOk, message, out, info, snapshot, counters, tsig_record_size(*verdict.key));
  if (size == 0) return 0;
  const std::size_t with_tsig = signer.sign(out, size, now);
  return with_tsig != 0 ? with_tsig : size;
}

}  // namespace

namespace {

[[gnu::always_inline]] inline std::size_t respond_parsed(const Query& query, ParseStatus status,
                                                         std::span<const std::uint8_t> message,
                                                         std::span<std::uint8_t> out, const RequestInfo& info,
                                                         const ServingSnapshot& snapshot,
                                                         WorkerCounters& counters) noexcept {
  if (status == ParseStatus::kDrop) {
    counters.dropped.add();
    return 0;
  }
  counters.queries_by_transport[static_cast<std::size_t>(info.transport)].add();
  if (status == ParseStatus::kOk && query.tsig_offset != 0)
    return respond_signed(query, message, out, info, snapshot, counters);
  return answer(query, status, message, out, info, snapshot, counters, 0);
}

}  // namespace

std::size_t respond(std::span<const std::uint8_t> message, std::span<std::uint8_t> out,
                    const RequestInfo& info, const ServingSnapshot& snapshot,
                    WorkerCounters& counters) noexcept {
  Query query;
  const ParseStatus status = parse_query(message, query);
  return respond_parsed(query, status, message, out, info, snapshot, counters);
}

void prepare(std::span<const std::uint8_t> message, const ServingSnapshot& snapshot,
             PreparedQuery& out) noexcept {
  // Default-initialised, as respond()'s own Query: its fields' initialisers, not 255 zeroed name octets.
  ::new (static_cast<void*>(&out.query)) Query;
  out.status = parse_query(message, out.query);
  out.names = nullptr;
  if (out.status != ParseStatus::kOk || out.query.qclass != klass::kIN) return;
  const model::ServedZone* zone = snapshot.zones.find_zone(out.query.qname.view());
  if (zone == nullptr || zone->generated == nullptr) return;
  out.names = zone->generated.get();
  out.shard = model::GeneratedNames::shard_of(out.query.qname.view());
  out.names->prefetch_slot(out.shard);
}

void prefetch(const PreparedQuery& prepared) noexcept {
  if (prepared.names != nullptr) prepared.names->prefetch_shard(prepared.shard);
}

std::size_t respond(const PreparedQuery& prepared, std::span<const std::uint8_t> message,
                    std::span<std::uint8_t> out, const RequestInfo& info, const ServingSnapshot& snapshot,
                    WorkerCounters& counters) noexcept {
  return respond_parsed(prepared.query, prepared.status, message, out, info, snapshot, counters);
}

}  // namespace fedns::dns
