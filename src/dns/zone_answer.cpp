// Authoritative lookup over zone data (RFC 1034 4.3.2), answering with exact matches, NODATA/NXDOMAIN with
// the SOA (RFC 2308), referrals at zone cuts, wildcard synthesis (RFC 4592), CNAME chains and minimal ANY
// (RFC 8482).
#include "dns/zone_answer.hpp"

#include <array>

#include <algorithm>
#include <cstring>

namespace fedns::dns {
namespace {

constexpr int kMaxChain = 8;  // CNAME links followed inside our zones before we stop (loop guard)

struct LabelOffsets {
  std::uint8_t at[128];
  std::size_t count = 0;  // labels excluding the root
};

LabelOffsets label_offsets(std::string_view name) noexcept {
  LabelOffsets offsets;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0 && offsets.count < 128) {
    offsets.at[offsets.count++] = static_cast<std::uint8_t>(pos);
    pos += 1 + static_cast<std::uint8_t>(name[pos]);
  }
  return offsets;
}

// The outcome of looking one name up in one zone.
enum class Step : std::uint8_t { kDone, kFollowCname };

// What an answer holds of a set: all of it (of one tier), the records whose health target is up (of one
// tier), or nothing.
enum class Pick : std::uint8_t { kAll, kUp, kNone };

struct Picked {
  Pick pick = Pick::kAll;
  std::uint32_t ttl = 0;
  int tier = RecordFilter::kAnyTier;
  std::uint16_t client_region = model::kNoLocality;  // tiers ranked by the client's location
  std::uint16_t client_zone = model::kNoLocality;
};

// Health at query time (issue 5): counts the set's records that are up per tier, answers the nearest tier
// with something up, else the last-resort records, else applies the set's fallback; and takes the smallest
// health-derived TTL of what is answered. Sets are small; a scan allocates nothing.
Picked pick_tiers(const model::RRset& set, const model::HealthTable* health, std::uint16_t client_region,
                  std::uint16_t client_zone) noexcept {
  constexpr std::size_t kLastResort = 3;  // counters: tiers zone, region, global, then last resort
  std::array<std::uint16_t, 4> up{};
  std::array<std::uint16_t, 4> total{};
  std::array<std::uint32_t, 4> up_ttl{set.ttl, set.ttl, set.ttl, set.ttl};
  std::array<std::uint32_t, 4> all_ttl{set.ttl, set.ttl, set.ttl, set.ttl};
  for (const auto& rdata : set.rdatas) {
    const std::uint8_t rank = tier_of(rdata, client_region, client_zone);
    const std::size_t tier =
        rank == model::kLastResortTier ? kLastResort : std::min<std::size_t>(rank, model::kTierGlobal);
    const model::TargetStatus* status = health == nullptr || rdata.health_target == model::kNoTarget
                                            ? nullptr
                                            : health->find(rdata.health_target);
    const std::uint32_t ttl = status != nullptr && status->ttl != 0 ? status->ttl : set.ttl;
    ++total[tier];
    all_ttl[tier] = std::min(all_ttl[tier], ttl);
    if (status == nullptr || status->up) {
      ++up[tier];
      up_ttl[tier] = std::min(up_ttl[tier], ttl);
    }
  }
  const bool tiered = total[model::kTierRegion] + total[model::kTierGlobal] != 0;
  if (tiered) {
    for (int tier = model::kTierZone; tier <= model::kTierGlobal; ++tier) {
      const auto t = static_cast<std::size_t>(tier);
      if (up[t] != 0) return {up[t] == total[t] ? Pick::kAll : Pick::kUp, up_ttl[t], tier};
    }
  } else {
    const std::size_t all = total[model::kTierZone];
    const std::size_t ups = up[model::kTierZone];
    if (ups == all && all != 0) return {Pick::kAll, up_ttl[0]};
    if (ups != 0) {
      if (set.health.fallback == model::HealthFallback::kThreshold &&
          ups * 100 < static_cast<std::size_t>(set.health.threshold_percent) * all) {
        return {Pick::kAll, all_ttl[0]};
      }
      return {Pick::kUp, up_ttl[0]};
    }
  }
  // Nothing up.
  if (total[kLastResort] != 0) return {Pick::kAll, all_ttl[kLastResort], model::kLastResortTier};
  if (set.health.fallback == model::HealthFallback::kClosed) return {Pick::kNone, 0};
  return {Pick::kAll, std::min({all_ttl[0], all_ttl[1], all_ttl[2]})};
}

// `client`: the query's client, placed on demand (null: none), for hierarchy sets.
Picked pick(const model::RRset& set, const model::HealthTable* health, ClientContext* client) noexcept {
  if (!set.health_checked) return {Pick::kAll, set.ttl};
  std::uint16_t client_region = model::kNoLocality;
  std::uint16_t client_zone = model::kNoLocality;
  if (set.health.fallback == model::HealthFallback::kHierarchy && client != nullptr) {
    client->depended();  // placed or not, the answer is the client's: the ECS scope says how far it holds
    if (const Located* located = client->location()) {
      client_region = located->location.region;
      client_zone = located->location.zone;
    }
  }
  Picked out = pick_tiers(set, health, client_region, client_zone);
  out.client_region = client_region;
  out.client_zone = client_zone;
  return out;
}

class ZoneAnswerer {
 public:
  ZoneAnswerer(const Query& query, Transport transport, ResponseBuilder& response,
               const AnswerInputs& inputs) noexcept
      : query_(query), transport_(transport), response_(response), in_(inputs) {}

  Step lookup(const model::ServedZone& zone, std::string_view name, NameBuffer& next) noexcept {
    const LabelOffsets labels = label_offsets(name);
    const std::size_t zone_labels = label_count(zone.zone().origin);
    const std::size_t below_apex = labels.count - zone_labels;  // labels of `name` under the origin

    // Zone cuts above or at the name turn the answer into a referral (RFC 1034 4.3.2 step 3b), except a DS
    // query at the cut itself, which the parent side answers (RFC 4035 3.1.4.1).
    const model::Node* exact = nullptr;
    bool exists_so_far = true;
    if (zone.zone().has_delegations) {
      for (std::size_t j = below_apex; j-- > 0;) {
        const model::Node* node = zone.find(name.substr(labels.at[j]));
        if (node == nullptr) {
          exists_so_far = false;
          break;
        }
        if (node->delegation && !(j == 0 && query_.qtype == type::kDS)) {
          referral(zone, *node, name.substr(labels.at[j]));
          return Step::kDone;
        }
        if (j == 0) exact = node;
      }
    } else {
      exact = zone.find(name);
      exists_so_far = exact != nullptr;
    }
    if (exact == nullptr && exists_so_far && below_apex == 0) exact = &zone.zone().apex_node();

    if (exact != nullptr) return answer_node(zone, *exact, name, next);

    // No such name: a wildcard child of the closest encloser answers for it (RFC 4592 3.3.1), else NXDOMAIN.
    for (std::size_t j = 1; j <= below_apex; ++j) {
      const model::Node* encloser = zone.find(name.substr(labels.at[j]));
      if (encloser == nullptr) continue;
      if (encloser->wildcard_child != model::kNoNode) {
        return answer_node(zone, zone.zone().nodes[encloser->wildcard_child], name, next);
      }
      break;
    }
    negative(zone, rcode::kNXDomain);
    return Step::kDone;
  }

 private:
  Step answer_node(const model::ServedZone& zone, const model::Node& node, std::string_view owner,
                   NameBuffer& next) noexcept {
    const std::uint16_t qtype = query_.qtype;
    if (qtype != type::kCNAME && qtype != type::kANY) {
      if (const model::RRset* cname = node.find(type::kCNAME); cname != nullptr) {
        if (!add(Section::kAnswer, owner, *cname)) return Step::kDone;
        // Continue with the target, case-folded, for the lookup; the writer keeps the zone's case.
        const std::string_view target = cname->rdatas.front().wire;
        next.size = static_cast<std::uint8_t>(target.size());
        for (std::size_t i = 0; i < target.size(); ++i)
          next.data[i] = fold_case(static_cast<std::uint8_t>(target[i]));
        return Step::kFollowCname;
      }
    }
    if (qtype == type::kANY) return answer_any(zone, node, owner);
    const model::RRset* set = qtype == type::kSOA ? served_soa(zone, node) : node.find(qtype);
    const Picked picked = set == nullptr ? Picked{Pick::kNone, 0} : pick(*set, in_.health, in_.client);
    if (picked.pick == Pick::kNone) {
      // NODATA: the name exists, the type does not (RFC 2308 2.2), or nothing it points at is up and the
      // service fails closed.
      negative(zone, rcode::kNoError);
      return Step::kDone;
    }
    if (!add(Section::kAnswer, owner, *set, picked)) return Step::kDone;
    answered_ = set;
    additional_for_answer(zone);
    return Step::kDone;
  }

  // ANY (RFC 8482 4.1): over UDP one RRset is enough; over TCP there is no amplification to fear. A set whose
  // targets are all down and that fails closed does not count as an answer. Out of line: rare, and it keeps
  // answer_node small enough to be inlined on the common path.
  [[gnu::noinline]] Step answer_any(const model::ServedZone& zone, const model::Node& node,
                                    std::string_view owner) noexcept {
    if (node.rrsets.empty()) {
      negative(zone, rcode::kNoError);
      return Step::kDone;
    }
    bool answered = false;
    for (const auto& node_set : node.rrsets) {
      const model::RRset* served = node_set.type == type::kSOA ? zone.soa_set() : &node_set;
      const model::RRset& set = served != nullptr ? *served : node_set;
      const Picked picked = pick(set, in_.health, in_.client);
      if (picked.pick == Pick::kNone) continue;
      if (!add(Section::kAnswer, owner, set, picked)) return Step::kDone;
      answered = true;
      if (transport_ == Transport::kUdp) break;
    }
    if (!answered) negative(zone, rcode::kNoError);
    additional_for_answer(zone);
    return Step::kDone;
  }

  // The apex's SOA is the served one, whose serial may follow the generated names (out of line, as above).
  [[gnu::noinline]] static const model::RRset* served_soa(const model::ServedZone& zone,
                                                          const model::Node& node) noexcept {
    return &node == &zone.zone().apex_node() ? zone.soa_set() : node.find(type::kSOA);
  }

  void referral(const model::ServedZone& zone, const model::Node& cut, std::string_view cut_name) noexcept {
    response_.clear_flags(flag::kAA);
    const model::RRset* ns = cut.find(type::kNS);
    if (!add(Section::kAuthority, cut_name, *ns)) return;
    add_glue(zone, *ns);
  }

  void negative(const model::ServedZone& served, std::uint16_t rcode) noexcept {
    if (served.unsure_negatives) {
      // The zone's data is still arriving (member clusters not synced yet): "no such name" could be false,
      // and a cached NXDOMAIN would outlive the truth, so the answer is "cannot say now" (RFC 8914 would add
      // why).
      response_.set_rcode(rcode::kServFail);
      return;
    }
    response_.set_rcode(rcode);
    const model::Zone& zone = served.zone();
    const model::RRset* soa = served.soa_set();
    if (soa == nullptr) return;
    // RFC 2308 3: the SOA's TTL in a negative answer is min(SOA TTL, SOA MINIMUM).
    if (!response_.add_rrset(Section::kAuthority, zone.origin, *soa, klass::kIN, &zone.negative_ttl)) {
      response_.truncate();
    }
  }

  // Adds what the health table lets through of the set (nothing, and true, when it fails closed), and of
  // that what the set's answer policy chooses, in its order.
  bool add_picked(Section section, std::string_view owner, const model::RRset& set,
                  const Picked& picked) noexcept {
    if (picked.pick == Pick::kNone) return true;
    const RecordFilter filter{picked.pick == Pick::kUp ? in_.health : nullptr, picked.tier,
                              picked.client_region, picked.client_zone};
    if (set.policy == nullptr && in_.trace == nullptr)
      return response_.add_rrset(section, owner, set, klass::kIN, &picked.ttl, filter);
    Candidates candidates;
    for (std::size_t i = 0; i < set.rdatas.size() && i < kMaxPolicyCandidates; ++i) {
      if (passes(filter, set.rdatas[i])) candidates.push(static_cast<std::uint16_t>(i));
    }
    if (in_.trace != nullptr) in_.trace->begin_set(owner, set, candidates);
    if (set.policy != nullptr) apply_policy(set, *set.policy, candidates, in_);
    if (in_.trace != nullptr) in_.trace->end_set(set, candidates, picked.ttl);
    return response_.add_records(section, owner, set, candidates.view(), klass::kIN, picked.ttl);
  }
  bool add_picked(Section section, std::string_view owner, const model::RRset& set) noexcept {
    return add_picked(section, owner, set, pick(set, in_.health, in_.client));
  }

  // Adds the set as picked (computed once by the caller), or sets TC when it does not fit.
  bool add(Section section, std::string_view owner, const model::RRset& set, const Picked& picked) noexcept {
    if (add_picked(section, owner, set, picked)) return true;
    response_.truncate();
    return false;
  }
  bool add(Section section, std::string_view owner, const model::RRset& set) noexcept {
    return add(section, owner, set, pick(set, in_.health, in_.client));
  }

  void additional_for_answer(const model::ServedZone& zone) noexcept {
    if (answered_ != nullptr) add_glue(zone, *answered_);
  }

  // Address records for names in the set's RDATA (NS, MX, SRV targets). They are optional: what does not fit
  // is left out without setting TC (RFC 2181 9).
  void add_glue(const model::ServedZone& zone, const model::RRset& set) noexcept {
    for (const std::uint32_t index : set.additional_nodes) {
      if (!add_addresses(zone.zone().nodes[index])) return;
    }
    if (!set.additional_by_name) return;
    const std::size_t at = set.type == type::kSRV ? 6 : set.type == type::kMX ? 2 : 0;
    auto target_of = [at](const model::RData& rdata) {
      return at >= rdata.wire.size() ? std::string_view{} : std::string_view(rdata.wire).substr(at);
    };
    for (std::size_t i = 0; i < set.rdatas.size(); ++i) {
      const std::string_view target = target_of(set.rdatas[i]);  // generated names are lower case
      if (target.empty()) continue;
      bool seen = false;  // each target's addresses once; sets are small, so a scan beats a set
      for (std::size_t j = 0; j < i && !seen; ++j)
        seen = target_of(set.rdatas[j]) == target;
      if (seen) continue;
      if (const model::Node* node = zone.find(target); node != nullptr && !add_addresses(*node)) return;
    }
  }

  bool add_addresses(const model::Node& target) noexcept {
    for (const std::uint16_t t : {type::kA, type::kAAAA}) {
      const model::RRset* address = target.find(t);
      if (address != nullptr && !add_picked(Section::kAdditional, target.name, *address)) return false;
    }
    return true;
  }

  const Query& query_;
  Transport transport_;
  ResponseBuilder& response_;
  const AnswerInputs& in_;
  const model::RRset* answered_ = nullptr;
};

}  // namespace

void answer_from_zone(const model::ZoneSet& zones, const model::ServedZone& zone, const Query& query,
                      Transport transport, ResponseBuilder& response, const AnswerInputs& inputs) noexcept {
  response.set_flags(flag::kAA);
  response.set_rcode(rcode::kNoError);
  ZoneAnswerer answerer(query, transport, response, inputs);
  const model::ServedZone* current = &zone;
  NameBuffer names[2];
  std::string_view name = query.qname.view();
  for (int link = 0; link <= kMaxChain; ++link) {
    NameBuffer& next = names[link % 2];
    if (answerer.lookup(*current, name, next) != Step::kFollowCname) return;
    // RFC 1034 4.3.2 step 3a: restart at the CNAME target while it is inside our authoritative data.
    current = zones.find_zone(next.view());
    if (current == nullptr) return;
    name = next.view();
  }
}

}  // namespace fedns::dns
