// The explain trace: the normal answer path run for A and AAAA with a PolicyTrace that writes down what each
// part decided, then those lines as TXT records.
#include "dns/explain_answer.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <limits>
#include <vector>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/zone_answer.hpp"

namespace fedns::dns {
namespace {

constexpr std::size_t kMaxListed = 24;  // records listed per set; the rest are counted

std::string address_text(const ClientAddress& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), text, sizeof text);
  return text;
}

std::string record_text(std::uint16_t type, const model::RData& rdata) {
  char text[INET6_ADDRSTRLEN] = {};
  if (type == type::kA && rdata.wire.size() == 4) {
    inet_ntop(AF_INET, rdata.wire.data(), text, sizeof text);
    return text;
  }
  if (type == type::kAAAA && rdata.wire.size() == 16) {
    inet_ntop(AF_INET6, rdata.wire.data(), text, sizeof text);
    return text;
  }
  if (type == type::kCNAME) return name_to_text(rdata.wire);
  return "(" + std::to_string(rdata.wire.size()) + " octets)";
}

std::string number(double v, const char* format) {
  char text[32];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// How a step's measured value reads.
std::string value_text(model::PolicyStepKind kind, float value) {
  if (value == std::numeric_limits<float>::infinity()) return "unknown";
  switch (kind) {
    case model::PolicyStepKind::kLocality: {
      static const char* const kRanks[] = {"same cluster", "same zone", "same region", "elsewhere"};
      return kRanks[std::min(3, static_cast<int>(value))];
    }
    case model::PolicyStepKind::kGeoNearest:
      return number(angle_km(-value), "%.0f km");
    case model::PolicyStepKind::kLatency:
      return number(value, "%.1f ms");
    case model::PolicyStepKind::kPriority:
      return value >= 65535 ? "priority unlisted" : number(value, "priority %.0f");
    case model::PolicyStepKind::kWeighted:
      return number(value, "weight %.0f");
    case model::PolicyStepKind::kSticky:
      return number(value, "hash %.0f");
    default:
      return number(value, "%g");
  }
}

const char* source_text(LocationSource source) {
  switch (source) {
    case LocationSource::kTable:
      return "the geo.locations table";
    case LocationSource::kCluster:
      return "a member cluster's network";
    case LocationSource::kGeoip:
      return "the GeoIP database";
    case LocationSource::kNone:
      break;
  }
  return "nothing (not placed)";
}

class ExplainTrace final : public PolicyTrace {
 public:
  ExplainTrace(const ClientLocator* locator, const model::HealthTable* health,
               std::vector<std::string>& lines)
      : locator_(locator), health_(health), lines_(lines) {}

  void begin_set(std::string_view owner, const model::RRset& set, const Candidates& passed) override {
    type_ = set.type;
    lines_.push_back(type_name() + " " + name_to_text(owner) + ": " + std::to_string(set.rdatas.size()) +
                     " record(s), " + std::to_string(passed.size) + " after health" +
                     (set.policy != nullptr ? ", policy from " + set.policy->source : ", no policy"));
    for (std::size_t i = 0; i < set.rdatas.size() && i < kMaxListed; ++i) {
      const model::RData& r = set.rdatas[i];
      bool in = false;
      for (const auto index : passed.view())
        in = in || index == i;
      std::string line = "  " + record_text(set.type, r) + " " + where(r) + ": ";
      const model::TargetStatus* status = health_ == nullptr || r.health_target == model::kNoTarget
                                              ? nullptr
                                              : health_->find(r.health_target);
      if (in) {
        line += "candidate";
      } else if (status != nullptr && !status->up) {
        line += "excluded by health (down)";
      } else if (r.tier == model::kLastResortTier) {
        line += "last resort, not needed (something else is up)";
      } else {
        line += "excluded by the fallback tiers (a nearer tier is up)";
      }
      if (status != nullptr) {
        line += status->up ? ", up" : ", down";
        if (status->rtt_us != 0) line += number(status->rtt_us / 1000.0, ", rtt %.1f ms");
      }
      lines_.push_back(std::move(line));
    }
    if (set.rdatas.size() > kMaxListed)
      lines_.push_back("  ... " + std::to_string(set.rdatas.size() - kMaxListed) + " more");
  }

  void step(const model::PolicyStep& step, const model::RRset& set, const Candidates& before,
            std::span<const float> values, const Candidates& after, std::string_view note) override {
    std::string kept;
    std::string dropped;
    for (std::size_t i = 0; i < before.size; ++i) {
      const std::uint16_t index = before.at[i];
      bool stays = false;
      for (const auto a : after.view())
        stays = stays || a == index;
      std::string item = record_text(set.type, set.rdatas[index]);
      if (i < values.size()) item += " (" + value_text(step.kind, values[i]) + ")";
      std::string& list = stays ? kept : dropped;
      list += (list.empty() ? "" : ", ") + item;
    }
    std::string line = "step " + std::string(model::step_name(step.kind)) + ": ";
    if (!note.empty()) line += "no decision (" + std::string(note) + "); ";
    line += "kept " + (kept.empty() ? std::string("nothing") : kept);
    if (!dropped.empty()) line += "; dropped " + dropped;
    lines_.push_back(std::move(line));
  }

  void end_set(const model::RRset& set, const Candidates& answered, std::uint32_t ttl) override {
    std::string list;
    for (const auto index : answered.view())
      list += (list.empty() ? "" : ", ") + record_text(set.type, set.rdatas[index]);
    lines_.push_back("answer " + type_name() + ": " + (list.empty() ? "nothing" : list) + ", ttl " +
                     std::to_string(ttl));
  }

 private:
  [[nodiscard]] std::string type_name() const {
    return type_ == type::kA ? "A" : type_ == type::kAAAA ? "AAAA" : "TYPE" + std::to_string(type_);
  }
  [[nodiscard]] std::string where(const model::RData& r) const {
    if (locator_ == nullptr || r.cluster == model::kNoLocality)
      return r.tier == model::kLastResortTier ? "(last resort)" : "";
    std::string out = "cluster " + locator_->name(r.cluster);
    if (r.region != model::kNoLocality) out += " region " + locator_->name(r.region);
    if (r.zone != model::kNoLocality) out += " zone " + locator_->name(r.zone);
    return out;
  }

  const ClientLocator* locator_;
  const model::HealthTable* health_;
  std::vector<std::string>& lines_;
  std::uint16_t type_ = 0;
};

const char* rcode_text(std::uint16_t rcode) {
  switch (rcode) {
    case rcode::kNoError:
      return "NOERROR";
    case rcode::kServFail:
      return "SERVFAIL";
    case rcode::kNXDomain:
      return "NXDOMAIN";
    case rcode::kRefused:
      return "REFUSED";
    default:
      return "other";
  }
}

std::vector<std::string> explain(const ExplainRequest& r) {
  std::vector<std::string> lines;
  lines.push_back("explain " + name_to_text(r.name) + " by " +
                  (r.identity.empty() ? "fedns" : std::string(r.identity)));
  const ClientAddress& a = r.client.address();
  const Located& placed = r.client.located();
  const Location& l = placed.location;
  std::string client = "client " + address_text(a) + "/" + std::to_string(a.prefix) +
                       (r.from_ecs ? " (EDNS Client Subnet)" : " (source address)") + ": placed by " +
                       source_text(placed.source);
  const ClientLocator* locator = r.client.locator();
  if (locator != nullptr) {
    if (l.cluster != kNoName) client += ", cluster " + locator->name(l.cluster);
    if (l.region != kNoName) client += ", region " + locator->name(l.region);
    if (l.zone != kNoName) client += ", zone " + locator->name(l.zone);
  }
  if (l.country[0] != '\0') client += ", country " + std::string(l.country.data(), 2);
  if (l.has_coordinates) client += number(l.latitude, ", at %.2f") + number(l.longitude, ",%.2f");
  client += ", holds for /" + std::to_string(placed.scope);
  lines.push_back(std::move(client));

  std::vector<std::uint8_t> buffer(kMaxMessage);
  for (const std::uint16_t qtype : {type::kA, type::kAAAA}) {
    Query q = r.query;
    q.qtype = qtype;
    q.question_ok = false;
    q.qname.size = static_cast<std::uint8_t>(r.name.size());
    std::copy(r.name.begin(), r.name.end(), q.qname.data);
    ResponseBuilder scratch(buffer, buffer.size());
    scratch.begin(q, {});
    ClientContext asking(locator, a);  // its own, so that the scope is this type's
    ExplainTrace trace(locator, r.health, lines);
    answer_from_zone(r.zones, r.zone, q, Transport::kTcp, scratch, {r.health, &asking, r.random, &trace});
    lines.push_back(std::string(qtype == type::kA ? "result A: " : "result AAAA: ") +
                    rcode_text(scratch.rcode()) + ", " + std::to_string(scratch.count(Section::kAnswer)) +
                    " answer record(s), ECS scope /" + std::to_string(asking.depends() ? asking.scope() : 0));
  }
  return lines;
}

}  // namespace

bool is_explain_query(const Query& query, const ExplainOptions& options, const ClientAddress& peer,
                      std::string_view& name) noexcept {
  if (options.label.empty() || query.qtype != type::kTXT || options.allow == nullptr) return false;
  const std::string_view qname = query.qname.view();
  if (qname.empty() || static_cast<std::uint8_t>(qname[0]) != options.label.size() ||
      qname.substr(1, options.label.size()) != options.label)
    return false;
  if (peer.prefix == 0 || options.allow->find(peer).source != LocationSource::kTable) return false;
  name = qname.substr(1 + options.label.size());
  return true;
}

void answer_explain(const ExplainRequest& request, ResponseBuilder& response) noexcept {
  response.set_flags(flag::kAA);
  std::vector<std::string> records;  // TXT RDATA, one per line
  try {
    const std::vector<std::string> lines = explain(request);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      // A TXT string holds 255 octets: a long line continues in the next string of the same record.
      const std::string line = number(static_cast<double>(i + 1), "%02.0f ") + lines[i];
      std::string& rdata = records.emplace_back();
      for (std::size_t at = 0; at < line.size(); at += 255) {
        const std::size_t n = std::min<std::size_t>(255, line.size() - at);
        rdata.push_back(static_cast<char>(n));
        rdata.append(line, at, n);
      }
    }
  } catch (...) {
    response.set_rcode(rcode::kServFail);
    return;
  }
  for (const auto& rdata : records) {
    if (!response.add_record(Section::kAnswer, request.query.qname.view(), type::kTXT, klass::kIN, 0,
                             {reinterpret_cast<const std::uint8_t*>(rdata.data()), rdata.size()})) {
      response.truncate();
      return;
    }
  }
}

}  // namespace fedns::dns
