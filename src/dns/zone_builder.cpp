// Zone building: ldns parses the text (records, master files, SOA/NS from config); we validate the zone as a
// whole (RFC 1034, 2181) and render the indexed, pre-encoded form the query path reads.
#include "dns/zone_builder.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "dns/name.hpp"
#include "dns/protocol.hpp"

namespace fedns::dns {
namespace {

struct ParsedRecord {
  std::string owner;  // lower-case wire
  std::uint16_t type;
  std::uint16_t klass;
  std::uint32_t ttl;
  std::string rdata;  // uncompressed wire
  std::string where;
};

struct LdnsRdf {
  ldns_rdf* rdf = nullptr;
  ~LdnsRdf() {
    if (rdf != nullptr) ldns_rdf_deep_free(rdf);
  }
};

std::string rdf_wire(const ldns_rdf* rdf) {
  return {reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf)};
}

Result<ParsedRecord> convert(const ldns_rr* rr, const std::string& where) {
  ParsedRecord out;
  out.owner = rdf_wire(ldns_rr_owner(rr));
  fold_case(out.owner);
  out.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  out.klass = static_cast<std::uint16_t>(ldns_rr_get_class(rr));
  out.ttl = ldns_rr_ttl(rr);
  out.where = where;
  std::unique_ptr<ldns_buffer, decltype(&ldns_buffer_free)> buffer(ldns_buffer_new(512), &ldns_buffer_free);
  if (ldns_rr_rdata2buffer_wire(buffer.get(), rr) != LDNS_STATUS_OK)
    return Error{where + ": cannot encode RDATA"};
  out.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buffer.get())),
                   ldns_buffer_position(buffer.get()));
  return out;
}

// Parses zone-file text, collecting every record and every error (ldns reports one per record, we go on).
void parse_text(FILE* fp, const std::string& origin_text, std::uint32_t default_ttl,
                const std::string& location, int first_line, std::vector<ParsedRecord>& records,
                std::vector<std::string>& errors) {
  LdnsRdf origin{ldns_dname_new_frm_str(origin_text.c_str())};
  LdnsRdf prev{ldns_dname_new_frm_str(origin_text.c_str())};
  std::uint32_t ttl = default_ttl;
  int line = 0;
  for (int guard = 0; guard < 10'000'000 && !std::feof(fp); ++guard) {
    ldns_rr* rr = nullptr;
    const int before = line;
    const ldns_status status = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin.rdf, &prev.rdf, &line);
    const std::string where = location + ":" + std::to_string(first_line + std::max(before, line - 1));
    if (status == LDNS_STATUS_OK) {
      auto parsed = convert(rr, where);
      ldns_rr_free(rr);
      if (parsed) {
        records.push_back(std::move(parsed.value()));
      } else {
        errors.push_back(parsed.error().message);
      }
    } else if (status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_TTL ||
               status == LDNS_STATUS_SYNTAX_ORIGIN) {
      continue;
    } else if (status == LDNS_STATUS_SYNTAX_INCLUDE) {
      errors.push_back(where + ": $INCLUDE is not supported");
    } else {
      errors.push_back(where + ": " + ldns_get_errorstr_by_id(status));
    }
  }
}

void parse_line(const std::string& text, const std::string& origin, std::uint32_t ttl,
                const std::string& where, std::vector<ParsedRecord>& records,
                std::vector<std::string>& errors) {
  FILE* fp = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  if (fp == nullptr) {
    errors.push_back(where + ": out of memory");
    return;
  }
  std::vector<std::string> local;
  parse_text(fp, origin, ttl, where, 0, records, local);
  std::fclose(fp);
  for (auto& e : local)
    errors.push_back(where + ": " + e.substr(e.find(": ") + 2) + " in \"" + text + "\"");
}

struct NodeBuilder {
  std::map<std::uint16_t, model::RRset> sets;
  std::map<std::uint16_t, std::string> first_seen;
};

// The name in RDATA whose addresses go in the additional section, if any (RFC 1035 3.3.9, RFC 2782).
std::string additional_target(std::uint16_t type, const std::string& rdata) {
  std::size_t at = 0;
  if (type == type::kNS) {
    at = 0;
  } else if (type == type::kMX) {
    at = 2;
  } else if (type == type::kSRV) {
    at = 6;
  } else {
    return {};
  }
  if (at >= rdata.size()) return {};
  std::string name = rdata.substr(at);
  fold_case(name);
  return name;
}

std::string soa_text(const ZoneSource& source, const SoaFields& soa, std::uint32_t ttl) {
  const std::string mname = !soa.mname.empty()             ? soa.mname
                            : !source.name_servers.empty() ? source.name_servers.front().name
                                                           : "ns." + source.origin;
  const std::string rname = soa.rname.empty() ? "hostmaster." + source.origin : soa.rname;
  const std::uint32_t serial = soa.serial.value_or(static_cast<std::uint32_t>(std::time(nullptr)));
  return "@ " + std::to_string(ttl) + " IN SOA " + mname + " " + rname + " " + std::to_string(serial) + " " +
         std::to_string(soa.refresh) + " " + std::to_string(soa.retry) + " " + std::to_string(soa.expire) +
         " " + std::to_string(soa.minimum) + "\n";
}

}  // namespace

// Names inside RDATA that may be compressed (RFC 3597 4: only the types of RFC 1035).
void mark_compressible_names(std::uint16_t type, model::RData& rdata) {
  const std::string_view wire = rdata.wire;
  auto name_end = [&](std::size_t at) {
    while (at < wire.size() && wire[at] != 0)
      at += 1 + static_cast<std::uint8_t>(wire[at]);
    return at + 1;
  };
  switch (type) {
    case type::kNS:
    case type::kCNAME:
    case type::kPTR:
      rdata.compressible_names = 1;
      rdata.name_offsets[0] = 0;
      break;
    case type::kMX:
      rdata.compressible_names = 1;
      rdata.name_offsets[0] = 2;
      break;
    case type::kSOA:
      rdata.compressible_names = 2;
      rdata.name_offsets[0] = 0;
      rdata.name_offsets[1] = static_cast<std::uint16_t>(name_end(0));
      break;
    default:
      break;
  }
}

Result<model::Zone> build_zone(const ZoneSource& source) {
  std::vector<std::string> errors;
  std::vector<ParsedRecord> records;
  auto origin = name_from_text(source.origin);
  if (!origin) return origin.error().wrap("zone \"" + source.origin + "\": origin");
  std::string origin_wire = *origin;
  fold_case(origin_wire);
  const std::string origin_text = name_to_text(origin_wire);
  const std::string zone_where = "zone " + origin_text;

  if (!source.file.empty()) {
    FILE* fp = std::fopen(source.file.c_str(), "r");
    if (fp == nullptr) {
      errors.push_back(zone_where + ": cannot open file " + source.file);
    } else {
      parse_text(fp, origin_text, source.default_ttl, source.file, 1, records, errors);
      std::fclose(fp);
    }
  }
  if (source.soa) {
    const std::uint32_t ttl = source.soa->ttl.value_or(source.default_ttl);
    parse_line(soa_text(source, *source.soa, ttl), origin_text, ttl, zone_where + ": soa", records, errors);
  }
  for (const auto& ns : source.name_servers) {
    parse_line("@ IN NS " + ns.name + "\n", origin_text, source.default_ttl, zone_where + ": name server",
               records, errors);
    for (const auto& address : ns.addresses) {
      const bool v6 = address.find(':') != std::string::npos;
      parse_line(ns.name + " IN " + (v6 ? "AAAA " : "A ") + address + "\n", origin_text, source.default_ttl,
                 zone_where + ": name server " + ns.name + " glue", records, errors);
    }
  }
  if (!source.records.empty()) {
    FILE* fp = fmemopen(const_cast<char*>(source.records.data()), source.records.size(), "r");
    if (fp != nullptr) {
      const std::string location =
          source.records_location.empty() ? zone_where + ": records" : source.records_location;
      parse_text(fp, origin_text, source.default_ttl, location, source.records_first_line, records, errors);
      std::fclose(fp);
    }
  }

  for (const auto& g : source.generated) {
    ParsedRecord rr;
    rr.owner = g.owner;
    rr.type = g.type;
    rr.klass = klass::kIN;
    rr.ttl = g.ttl;
    rr.rdata = g.rdata;
    rr.where = g.where;
    records.push_back(std::move(rr));
  }

  // Group into nodes and RRsets, checking what RFC 1034/2181 require of a zone.
  std::map<std::string, NodeBuilder> nodes;
  for (auto& rr : records) {
    if (!is_subdomain(rr.owner, origin_wire)) {
      errors.push_back(rr.where + ": " + name_to_text(rr.owner) + " is outside the zone " + origin_text);
      continue;
    }
    if (rr.klass != klass::kIN) {
      errors.push_back(rr.where + ": only class IN is served");
      continue;
    }
    if (rr.type == type::kDNAME) {
      errors.push_back(rr.where + ": DNAME records are not supported");
      continue;
    }
    if (rr.type == type::kSOA && rr.owner != origin_wire) {
      errors.push_back(rr.where + ": SOA only belongs at the zone apex");
      continue;
    }
    NodeBuilder& node = nodes[rr.owner];
    auto [it, fresh] = node.sets.try_emplace(rr.type);
    model::RRset& set = it->second;
    if (fresh) {
      set.type = rr.type;
      set.ttl = rr.ttl;
      node.first_seen[rr.type] = rr.where;
    } else if (set.ttl != rr.ttl) {
      // RFC 2181 5.2: all records of a set share one TTL; a mismatch is almost always a typo.
      errors.push_back(rr.where + ": TTL " + std::to_string(rr.ttl) + " differs from " +
                       std::to_string(set.ttl) + " of the same RRset at " + node.first_seen[rr.type]);
      continue;
    }
    const bool duplicate = std::any_of(set.rdatas.begin(), set.rdatas.end(),
                                       [&](const model::RData& r) { return r.wire == rr.rdata; });
    if (duplicate) continue;  // RFC 2181 5: an RRset holds no duplicates
    model::RData rdata;
    rdata.wire = rr.rdata;
    mark_compressible_names(rr.type, rdata);
    set.rdatas.push_back(std::move(rdata));
  }

  // Zone-wide rules.
  auto apex_it = nodes.find(origin_wire);
  const model::RRset* soa = nullptr;
  if (apex_it == nodes.end() || !apex_it->second.sets.contains(type::kSOA)) {
    errors.push_back(zone_where + ": no SOA record (set soa: or give a master file with one)");
  } else {
    soa = &apex_it->second.sets[type::kSOA];
    if (soa->rdatas.size() != 1) errors.push_back(zone_where + ": more than one SOA record");
    if (!apex_it->second.sets.contains(type::kNS)) {
      errors.push_back(zone_where + ": no NS records at the apex (set ns: or add them to the records)");
    }
  }
  for (auto& [name, node] : nodes) {
    const auto cname = node.sets.find(type::kCNAME);
    if (cname == node.sets.end()) continue;
    if (name == origin_wire) {
      errors.push_back(node.first_seen[type::kCNAME] + ": a CNAME cannot be at the zone apex");
    } else if (node.sets.size() > 1) {
      errors.push_back(node.first_seen[type::kCNAME] + ": " + name_to_text(name) +
                       " has a CNAME and other data (RFC 2181 10.1)");
    } else if (cname->second.rdatas.size() > 1) {
      errors.push_back(node.first_seen[type::kCNAME] + ": " + name_to_text(name) +
                       " has more than one CNAME");
    }
  }
  if (!errors.empty()) {
    return Error::from_lines(errors);
  }

  // Empty non-terminals exist (RFC 4592 2.2.2): a name between the apex and a node answers NODATA.
  std::vector<std::string> names;
  names.reserve(nodes.size());
  for (const auto& [name, node] : nodes)
    names.push_back(name);
  for (const auto& name : names) {
    for (std::string_view parent = parent_name(name); parent.size() > origin_wire.size();
         parent = parent_name(parent)) {
      nodes.try_emplace(std::string(parent));
    }
  }

  model::Zone zone;
  zone.origin = origin_wire;
  zone.nodes.reserve(nodes.size());
  std::map<std::string_view, std::uint32_t> index;
  for (auto& [name, builder] : nodes) {
    model::Node node;
    node.name = name;
    for (auto& [type, set] : builder.sets)
      node.rrsets.push_back(std::move(set));
    node.delegation = name != origin_wire && node.find(type::kNS) != nullptr;
    zone.has_delegations = zone.has_delegations || node.delegation;
    index.emplace(name, static_cast<std::uint32_t>(zone.nodes.size()));
    zone.nodes.push_back(std::move(node));
  }
  zone.apex = index.at(origin_wire);
  for (std::uint32_t i = 0; i < zone.nodes.size(); ++i) {
    const std::string& name = zone.nodes[i].name;
    if (name.size() > 2 && name[0] == 1 && name[1] == '*') {
      zone.nodes[index.at(std::string_view(name).substr(2))].wildcard_child = i;
    }
    for (auto& set : zone.nodes[i].rrsets) {
      std::set<std::uint32_t> seen;
      for (const auto& rdata : set.rdatas) {
        const std::string target = additional_target(set.type, rdata.wire);
        const auto it = target.empty() ? index.end() : index.find(target);
        if (it == index.end()) continue;
        const model::Node& node = zone.nodes[it->second];
        if ((node.find(type::kA) != nullptr || node.find(type::kAAAA) != nullptr) &&
            seen.insert(it->second).second) {
          set.additional_nodes.push_back(it->second);
        }
      }
    }
  }
  const model::RRset& apex_soa = *zone.nodes[zone.apex].find(type::kSOA);
  const std::string& soa_wire = apex_soa.rdatas.front().wire;
  const std::size_t minimum_at = soa_wire.size() - 4;
  const std::uint32_t minimum = (std::uint32_t{static_cast<std::uint8_t>(soa_wire[minimum_at])} << 24) |
                                (std::uint32_t{static_cast<std::uint8_t>(soa_wire[minimum_at + 1])} << 16) |
                                (std::uint32_t{static_cast<std::uint8_t>(soa_wire[minimum_at + 2])} << 8) |
                                std::uint32_t{static_cast<std::uint8_t>(soa_wire[minimum_at + 3])};
  zone.negative_ttl = std::min(apex_soa.ttl, minimum);
  zone.reindex();
  return zone;
}

Result<model::ZoneSet> build_zone_set(const std::vector<ZoneSource>& sources) {
  model::ZoneSet set;
  std::vector<std::string> errors;
  std::set<std::string> origins;
  for (const auto& source : sources) {
    auto zone = build_zone(source);
    if (!zone) {
      errors.push_back(zone.error().message);
      continue;
    }
    if (!origins.insert(zone->origin).second) {
      errors.push_back("zone " + name_to_text(zone->origin) + ": defined twice");
      continue;
    }
    set.add(std::move(zone.value()));
  }
  if (!errors.empty()) {
    return Error::from_lines(errors);
  }
  return set;
}

}  // namespace fedns::dns
