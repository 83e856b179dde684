// Differential test: the same zone file served by fedns and by a real Knot DNS (knotd, Debian package), the
// same queries to both; rcode, AA/TC flags and every section must agree. Knot is the reference implementation
// here.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "support/fedns_server.hpp"
#include "support/knot_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kZone = R"($ORIGIN diff.test.
$TTL 300
@          3600 IN SOA ns1.diff.test. hostmaster.diff.test. 7 3600 600 604800 120
@               IN NS    ns1
@               IN NS    ns2.elsewhere.example.
@               IN MX    10 mail
@               IN TXT   "v=spf1 -all"
ns1             IN A     192.0.2.53
ns1             IN AAAA  2001:db8::53
mail            IN A     192.0.2.25
www             IN A     192.0.2.1
www             IN A     192.0.2.2
www             IN AAAA  2001:db8::1
alias           IN CNAME www
chain           IN CNAME alias
out             IN CNAME www.example.com.
broken          IN CNAME nowhere
_sip._udp       IN SRV   10 60 5060 www
_sip._udp       IN SRV   20 40 5060 mail
a.b.c           IN TXT   "deep"
*.wild          IN A     192.0.2.77
*.wild          IN MX    5 mail
*.cname-wild    IN CNAME www
sub             IN NS    ns.sub
sub             IN NS    ns.other.example.
ns.sub          IN A     192.0.2.99
host.sub        IN A     192.0.2.100
txt             IN TXT   "one" "two"
ptr             IN PTR   www.diff.test.
)";

struct Query {
  std::string name;
  ldns_rr_type type;
};

const std::vector<Query>& queries() {
  static const std::vector<Query> list = {
      {"diff.test.", LDNS_RR_TYPE_SOA},
      {"diff.test.", LDNS_RR_TYPE_NS},
      {"diff.test.", LDNS_RR_TYPE_MX},
      {"diff.test.", LDNS_RR_TYPE_TXT},
      {"diff.test.", LDNS_RR_TYPE_A},
      {"www.diff.test.", LDNS_RR_TYPE_A},
      {"WWW.Diff.Test.", LDNS_RR_TYPE_AAAA},
      {"www.diff.test.", LDNS_RR_TYPE_MX},
      {"nothing.diff.test.", LDNS_RR_TYPE_A},
      {"alias.diff.test.", LDNS_RR_TYPE_A},
      {"chain.diff.test.", LDNS_RR_TYPE_AAAA},
      {"alias.diff.test.", LDNS_RR_TYPE_CNAME},
      {"out.diff.test.", LDNS_RR_TYPE_A},
      {"broken.diff.test.", LDNS_RR_TYPE_A},
      {"_sip._udp.diff.test.", LDNS_RR_TYPE_SRV},
      {"c.diff.test.", LDNS_RR_TYPE_A},
      {"b.c.diff.test.", LDNS_RR_TYPE_TXT},
      {"a.b.c.diff.test.", LDNS_RR_TYPE_TXT},
      {"x.a.b.c.diff.test.", LDNS_RR_TYPE_TXT},
      {"host.wild.diff.test.", LDNS_RR_TYPE_A},
      {"x.y.wild.diff.test.", LDNS_RR_TYPE_MX},
      {"host.wild.diff.test.", LDNS_RR_TYPE_AAAA},
      {"wild.diff.test.", LDNS_RR_TYPE_A},
      {"*.wild.diff.test.", LDNS_RR_TYPE_A},
      {"q.cname-wild.diff.test.", LDNS_RR_TYPE_A},
      {"sub.diff.test.", LDNS_RR_TYPE_NS},
      {"sub.diff.test.", LDNS_RR_TYPE_A},
      {"host.sub.diff.test.", LDNS_RR_TYPE_A},
      {"deep.host.sub.diff.test.", LDNS_RR_TYPE_MX},
      {"sub.diff.test.", LDNS_RR_TYPE_DS},
      {"txt.diff.test.", LDNS_RR_TYPE_TXT},
      {"ptr.diff.test.", LDNS_RR_TYPE_PTR},
      {"ns1.diff.test.", LDNS_RR_TYPE_AAAA},
      {"mail.diff.test.", LDNS_RR_TYPE_TXT},
  };
  return list;
}

// The parts of a reply compared between servers.
std::string summary(const Bytes& reply) {
  auto p = parse(reply);
  if (!p) return "unparseable";
  std::string out = "rcode=" + std::to_string(ldns_pkt_get_rcode(p.get())) +
                    " aa=" + std::to_string(ldns_pkt_aa(p.get())) +
                    " tc=" + std::to_string(ldns_pkt_tc(p.get())) +
                    " edns=" + std::to_string(ldns_pkt_edns(p.get())) + "\n";
  for (const auto& [label, list] :
       {std::pair{"answer", ldns_pkt_answer(p.get())}, std::pair{"authority", ldns_pkt_authority(p.get())},
        std::pair{"additional", ldns_pkt_additional(p.get())}}) {
    out += std::string(label) + ":\n";
    for (const auto& rr : section(list))
      out += "  " + rr + "\n";
  }
  return out;
}

TEST(Differential, SameAnswersAsKnot) {
  if (run_command("test -x /usr/sbin/knotd").exit_code != 0)
    GTEST_FAIL() << "knotd missing: run scripts/install-deps";
  TempDir dir;
  const std::string zone_file = dir.write("diff.test.zone", kZone);
  KnotServer knot(dir, "diff.test", zone_file);
  FednsServer fedns("  - origin: diff.test.\n    file: " + zone_file + "\n");
  int compared = 0;
  for (const bool edns : {false, true}) {
    for (const auto& q : queries()) {
      const Bytes query = ldns_query(q.name, q.type, LDNS_RR_CLASS_IN, edns);
      const auto ours = udp_exchange("127.0.0.1", fedns.port(), query);
      const auto theirs = udp_exchange("127.0.0.1", knot.port(), query);
      ASSERT_TRUE(ours && theirs) << q.name;
      EXPECT_EQ(summary(*ours), summary(*theirs)) << q.name << " " << ldns_rr_type2str(q.type)
                                                  << (edns ? " +edns" : "") << " (left: fedns, right: knot)";
      ++compared;
    }
  }
  EXPECT_EQ(compared, 2 * static_cast<int>(queries().size()));
}

}  // namespace
}  // namespace fedns::e2e
