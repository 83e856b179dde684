// The delegation preflight (see check_delegation.hpp).
#include "app/check_delegation.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "app/config.hpp"
#include "app/query_client.hpp"

namespace fedns::app {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string text_of(const ldns_rdf* rdf) {
  if (rdf == nullptr) return {};
  char* raw = ldns_rdf2str(rdf);
  std::string out = raw != nullptr ? raw : "";
  free(raw);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
  return lower(out);
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

bool in_zone(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with("." + zone));
}

// What one side says: the NS names at the zone, and addresses by name and type ("A", "AAAA").
struct Side {
  std::set<std::string> ns;
  std::map<std::string, std::map<std::string, std::set<std::string>>> addresses;
};

void collect_addresses(const ldns_rr_list* list, Side& side) {
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    const ldns_rr_type type = ldns_rr_get_type(rr);
    if (type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) continue;
    side.addresses[text_of(ldns_rr_owner(rr))][type == LDNS_RR_TYPE_A ? "A" : "AAAA"].insert(
        text_of(ldns_rr_rdf(rr, 0)));
  }
}

std::set<std::string> ns_names(const ldns_rr_list* list, const std::string& zone) {
  std::set<std::string> out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && text_of(ldns_rr_owner(rr)) == zone)
      out.insert(text_of(ldns_rr_rdf(rr, 0)));
  }
  return out;
}

std::string rcode_of(const ldns_pkt* p) {
  char* raw = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));
  std::string out = raw != nullptr ? raw : "?";
  free(raw);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
  return out;
}

class Report {
 public:
  void ok(const std::string& line) { std::cout << "ok        " << line << "\n"; }
  void mismatch(const std::string& line) {
    ++mismatches_;
    std::cout << "MISMATCH  " << line << "\n";
  }
  [[nodiscard]] int mismatches() const { return mismatches_; }

 private:
  int mismatches_ = 0;
};

}  // namespace

int check_delegation_command(const CheckDelegationArguments& args) {
  std::string zone = lower(args.zone);
  if (!zone.ends_with('.')) zone += '.';
  if (make_query(zone, LDNS_RR_TYPE_NS, false) == nullptr) {
    std::cerr << "fedns check-delegation: \"" << args.zone << "\" is not a domain name\n";
    return 2;
  }
  std::string server_text = args.server;
  if (!args.config.empty()) {
    auto config = load_config(args.config);
    if (!config) {
      std::cerr << config.error().message << "\n";
      return 2;
    }
    if (server_text.empty()) server_text = server_from_config(*config);
  }
  if (server_text.empty()) server_text = "127.0.0.1:53";
  auto server = parse_server(server_text);
  auto parent = parse_server(args.parent);
  if (!server || !parent) {
    std::cerr << "fedns check-delegation: " << (!server ? "--server: " + server.error().message : "")
              << (!parent ? "--parent: " + parent.error().message : "") << "\n";
    return 2;
  }
  const auto ask = [](const dns::ListenAddress& at, const std::string& name, ldns_rr_type type,
                      std::chrono::seconds timeout) {
    return send_query(at, make_query(name, type, false).get(), timeout);
  };

  std::cout << "delegation of " << zone << ": parent " << parent->to_string() << ", fedns "
            << server->to_string() << "\n";
  Report report;
  // The parent's referral.
  auto referral = ask(*parent, zone, LDNS_RR_TYPE_NS, std::chrono::seconds(3));
  if (!referral) {
    std::cerr << "fedns check-delegation: the parent: " << referral.error().message << "\n";
    return 3;
  }
  const ldns_pkt* from_parent = referral->get();
  Side at_parent;
  if (ldns_pkt_aa(from_parent) && !ns_names(ldns_pkt_answer(from_parent), zone).empty()) {
    report.mismatch("the parent answers for " + zone +
                    " itself (authoritative NS in the answer): it serves the zone instead of delegating it");
    at_parent.ns = ns_names(ldns_pkt_answer(from_parent), zone);
  } else {
    at_parent.ns = ns_names(ldns_pkt_authority(from_parent), zone);
  }
  collect_addresses(ldns_pkt_additional(from_parent), at_parent);
  if (at_parent.ns.empty()) {
    report.mismatch("the parent has no delegation for " + zone + " (" + rcode_of(from_parent) +
                    ", no NS records for it in the referral)");
  }

  // What fedns serves.
  auto soa = ask(*server, zone, LDNS_RR_TYPE_SOA, std::chrono::seconds(3));
  if (!soa) {
    std::cerr << "fedns check-delegation: fedns: " << soa.error().message << "\n";
    return 3;
  }
  if (ldns_pkt_get_rcode(soa->get()) != LDNS_RCODE_NOERROR || !ldns_pkt_aa(soa->get()) ||
      ldns_rr_list_rr_count(ldns_pkt_answer(soa->get())) == 0) {
    report.mismatch("fedns does not serve " + zone + " authoritatively (SOA query: " + rcode_of(soa->get()) +
                    (ldns_pkt_aa(soa->get()) ? "" : ", not authoritative") + ")");
  }
  Side at_fedns;
  if (auto ns = ask(*server, zone, LDNS_RR_TYPE_NS, std::chrono::seconds(3)))
    at_fedns.ns = ns_names(ldns_pkt_answer(ns->get()), zone);
  std::set<std::string> all = at_parent.ns;
  all.insert(at_fedns.ns.begin(), at_fedns.ns.end());
  for (const auto& name : all) {
    if (!in_zone(name, zone)) continue;
    for (const ldns_rr_type type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA})
      if (auto a = ask(*server, name, type, std::chrono::seconds(3)))
        collect_addresses(ldns_pkt_answer(a->get()), at_fedns);
  }
  std::cout << "parent NS: " << join(at_parent.ns) << "\nfedns NS:  " << join(at_fedns.ns) << "\n";

  for (const auto& name : all) {
    const bool parent_lists = at_parent.ns.contains(name);
    const bool fedns_lists = at_fedns.ns.contains(name);
    if (parent_lists && !fedns_lists) {
      report.mismatch("the parent delegates to " + name + ", which fedns does not list in its NS set");
    } else if (!parent_lists && fedns_lists) {
      report.mismatch("fedns lists " + name + " in its NS set; the parent does not delegate to it");
    } else {
      report.ok("NS " + name + " at both");
    }
    if (!parent_lists) continue;
    if (!in_zone(name, zone)) {
      report.ok(name + " is outside " + zone + ": no glue needed");
      continue;
    }
    const auto& glue = at_parent.addresses[name];
    const auto& served = at_fedns.addresses[name];
    if (glue.empty()) {
      report.mismatch("no glue at the parent for " + name +
                      ", a name server inside the zone (resolvers cannot "
                      "reach it)");
    }
    for (const std::string type : {"A", "AAAA"}) {
      const auto g = glue.find(type);
      const auto s = served.find(type);
      const std::set<std::string> none;
      const std::set<std::string>& parent_set = g != glue.end() ? g->second : none;
      const std::set<std::string>& fedns_set = s != served.end() ? s->second : none;
      if (parent_set == fedns_set) {
        if (!parent_set.empty()) report.ok("glue " + name + " " + type + ": " + join(parent_set));
      } else {
        report.mismatch("glue " + name + " " + type + ": the parent has " + join(parent_set) +
                        ", fedns serves " + join(fedns_set));
      }
    }
    // Every address the parent hands out must answer for the zone (else: a lame delegation).
    for (const auto& [type, addresses] : glue) {
      for (const auto& address : addresses) {
        auto at = parse_server(address, args.port);
        if (!at) continue;
        auto reply = ask(*at, zone, LDNS_RR_TYPE_SOA, std::chrono::seconds(2));
        const std::string where = name + " at " + at->to_string();
        if (!reply) {
          report.mismatch("lame: " + where + " does not answer (" + reply.error().message + ")");
        } else if (ldns_pkt_get_rcode(reply->get()) != LDNS_RCODE_NOERROR || !ldns_pkt_aa(reply->get())) {
          report.mismatch("lame: " + where + " answers " + rcode_of(reply->get()) +
                          (ldns_pkt_aa(reply->get()) ? "" : ", not authoritatively") + " for " + zone);
        } else {
          report.ok(where + " answers for " + zone + " authoritatively");
        }
      }
    }
  }
  if (report.mismatches() == 0) {
    std::cout << "delegation of " << zone << ": consistent\n";
    return 0;
  }
  std::cout << "delegation of " << zone << ": " << report.mismatches() << " mismatch(es)\n";
  return 1;
}

}  // namespace fedns::app
