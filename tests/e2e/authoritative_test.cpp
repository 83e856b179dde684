// End to end: the real fedns binary answering real clients (dig, kdig, nsupdate, an ldns-built client).
// One test per authoritative behaviour, each with the RFC section it checks.
#include <gtest/gtest.h>

#include <regex>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

class Authoritative : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new FednsServer(); }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0);
    delete server_;
    server_ = nullptr;
  }
  static FednsServer* server_;
};
FednsServer* Authoritative::server_ = nullptr;

TEST_F(Authoritative, DigPositiveAnswerAuthoritativeNoRecursion) {  // RFC 1035 4.1.1: AA set, RA clear
  const auto r = server_->dig("www.example.test A");                // dig sets RD by default
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(has(r.output, "status: NOERROR")) << r.output;
  EXPECT_TRUE(has(r.output, "flags: qr aa rd;")) << r.output;  // rd copied, no ra
  EXPECT_TRUE(has(r.output, "WARNING: recursion requested but not available")) << r.output;
  EXPECT_TRUE(has(r.output, "www.example.test.\t300\tIN\tA\t192.0.2.1")) << r.output;
}

TEST_F(Authoritative, KdigAaaaOverIpv6) {
  const auto r =
      run_command("kdig @::1 -p " + std::to_string(server_->port()) + " +short www.example.test AAAA");
  EXPECT_EQ(r.output, "2001:db8::1\n");
}

TEST_F(Authoritative, RefusedOutsideOurZones) {  // RFC 8906 3.1.2 (we are not a resolver)
  const auto r = server_->dig("www.example.org A");
  EXPECT_TRUE(has(r.output, "status: REFUSED")) << r.output;
  auto p = server_->ask("www.example.org.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(p);
  EXPECT_FALSE(ldns_pkt_aa(p.get()));
}

TEST_F(Authoritative, NxdomainAndNodataWithSoaAndNegativeTtl) {  // RFC 2308 2.1, 2.2, 3, 5
  const auto nx = server_->dig("missing.example.test A");
  EXPECT_TRUE(has(nx.output, "status: NXDOMAIN")) << nx.output;
  EXPECT_TRUE(
      has(nx.output, "example.test.\t\t60\tIN\tSOA\tns1.example.test. admin.example.test. 2026112601"))
      << nx.output;  // TTL = min(SOA TTL 3600, MINIMUM 60)
  auto nodata = server_->ask("www.example.test.", LDNS_RR_TYPE_MX);
  ASSERT_TRUE(nodata);
  EXPECT_EQ(ldns_pkt_get_rcode(nodata.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(nodata.get()), 0);
  EXPECT_EQ(section(ldns_pkt_authority(nodata.get())).size(), 1u);
}

TEST_F(Authoritative, EmptyNonTerminalIsNodata) {  // RFC 8020 2, RFC 4592 2.2.2
  for (const char* name : {"b.deep.example.test", "deep.example.test"}) {
    const auto r = server_->kdig(std::string(name) + " A");
    EXPECT_TRUE(has(r.output, "status: NOERROR")) << r.output;
    EXPECT_TRUE(has(r.output, "ANSWER: 0")) << r.output;
  }
}

TEST_F(Authoritative, ApexSoaAndNsWithGlue) {  // RFC 1034 4.3.2 step 6
  const auto ns = server_->dig("example.test NS");
  EXPECT_TRUE(has(ns.output, "example.test.\t\t300\tIN\tNS\tns1.example.test.")) << ns.output;
  EXPECT_TRUE(has(ns.output, "ns1.example.test.\t300\tIN\tA\t127.0.0.1")) << ns.output;
  EXPECT_TRUE(has(ns.output, "ns1.example.test.\t300\tIN\tAAAA\t::1")) << ns.output;
  const auto soa = server_->dig("example.test SOA +short");
  EXPECT_EQ(soa.output, "ns1.example.test. admin.example.test. 2026112601 3600 600 604800 60\n");
}

TEST_F(Authoritative, CnameChainFollowed) {  // RFC 1034 4.3.2 step 3a
  const auto r = server_->dig("chain.example.test A +short");
  EXPECT_EQ(r.output, "alias.example.test.\nwww.example.test.\n192.0.2.1\n192.0.2.2\n");
}

TEST_F(Authoritative, WildcardSynthesis) {  // RFC 4592 3.3.1
  const auto r = server_->dig("host.wild.example.test A");
  EXPECT_TRUE(has(r.output, "host.wild.example.test.\t300\tIN\tA\t192.0.2.77")) << r.output;
}

TEST_F(Authoritative, ReferralBelowZoneCut) {  // RFC 1034 4.3.2 step 3b
  const auto r = server_->dig("x.sub.example.test A +norec");
  EXPECT_TRUE(has(r.output, "flags: qr;")) << r.output;  // not authoritative
  EXPECT_TRUE(has(r.output, "AUTHORITY: 1")) << r.output;
  EXPECT_TRUE(has(r.output, "ns.sub.example.test.\t300\tIN\tA\t192.0.2.99")) << r.output;
}

TEST_F(Authoritative, AnyIsAnsweredMinimallyOverUdp) {  // RFC 8482 4.1
  auto p = server_->ask("www.example.test.", LDNS_RR_TYPE_ANY);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 2);  // the A RRset only
  const auto tcp = server_->dig("www.example.test ANY +tcp");
  EXPECT_TRUE(has(tcp.output, "ANSWER: 3")) << tcp.output;
}

TEST_F(Authoritative, SrvWithTargetAddresses) {  // RFC 2782
  const auto r = server_->dig("_http._tcp.www.example.test SRV");
  EXPECT_TRUE(has(r.output, "0 5 80 www.example.test.")) << r.output;
  EXPECT_TRUE(has(r.output, "ADDITIONAL: 4")) << r.output;  // A x2, AAAA, OPT
}

TEST_F(Authoritative, QuestionCaseIsEchoed) {  // 0x20 (draft-vixie-dnsext-dns0x20): answer in the asked case
  auto reply = server_->udp(ldns_query("WwW.ExAmPlE.TeSt.", LDNS_RR_TYPE_A));
  ASSERT_TRUE(reply);
  auto p = parse(*reply);
  ASSERT_TRUE(p);
  char* qname = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p.get()), 0)));
  char* owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(p.get()), 0)));
  EXPECT_STREQ(qname, "WwW.ExAmPlE.TeSt.");
  EXPECT_STREQ(owner, "WwW.ExAmPlE.TeSt.");
  free(qname);  // NOLINT(cppcoreguidelines-no-malloc)
  free(owner);  // NOLINT(cppcoreguidelines-no-malloc)
}

TEST_F(Authoritative, ResponsesAreNeverAnswered) {  // RFC 1035 4.1.1: QR=1 is a response; answering loops
  Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_A);
  q[2] |= 0x80;
  EXPECT_FALSE(udp_exchange("127.0.0.1", server_->port(), q, std::chrono::milliseconds(300)));
  EXPECT_TRUE(server_->ask("www.example.test.", LDNS_RR_TYPE_A));  // and it still serves others
}

TEST_F(Authoritative, QdcountOtherThanOneIsFormerr) {  // RFC 1035 4.1.2, RFC 9619
  Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_A);
  q[5] = 2;
  auto reply = server_->udp(q);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[3] & 0x0F, LDNS_RCODE_FORMERR);
  Bytes empty(q.begin(), q.begin() + 12);
  empty[5] = 0;
  reply = server_->udp(empty);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[3] & 0x0F, LDNS_RCODE_FORMERR);
}

TEST_F(Authoritative, UnknownOpcodeIsNotimp) {  // RFC 1035 4.1.1, RFC 8906 3.1.4
  Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_A);
  q[2] = static_cast<std::uint8_t>((q[2] & 0x87) | (2 << 3));  // opcode STATUS
  auto reply = server_->udp(q);
  ASSERT_TRUE(reply);
  auto p = parse(*reply);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOTIMPL);
}

TEST_F(Authoritative,
       NotifyIsNotauthWeAreNoSecondary) {  // RFC 1996: NOTIFY is for secondaries; fedns is a primary
  const auto r = server_->dig("+opcode=notify example.test SOA");
  EXPECT_TRUE(has(r.output, "opcode: NOTIFY")) << r.output;
  EXPECT_TRUE(has(r.output, "status: NOTAUTH")) << r.output;
}

TEST_F(Authoritative, DynamicUpdateIsRefused) {  // RFC 2136 3.8: we accept no updates
  const std::string script = "server 127.0.0.1 " + std::to_string(server_->port()) +
                             "\nzone example.test.\nupdate add new.example.test. 60 A 192.0.2.5\nsend\n";
  const std::string file = server_->dir().write("update.txt", script);
  const auto r = run_command("nsupdate -t 3 " + file);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.output, "REFUSED")) << r.output;
  EXPECT_FALSE(server_->dig("new.example.test A +short").output.find("192.0.2.5") != std::string::npos);
}

TEST_F(Authoritative, ChaosIdentificationAndNsid) {  // RFC 4892, RFC 5001
  const auto version = server_->dig("version.bind CH TXT +short");
  EXPECT_EQ(version.output, "\"fedns " FEDNS_VERSION "\"\n");
  const auto id = server_->dig("id.server CH TXT +short");
  EXPECT_FALSE(id.output.empty());
  const auto other = server_->dig("authors.bind CH TXT");
  EXPECT_TRUE(has(other.output, "status: REFUSED")) << other.output;
}

TEST_F(Authoritative, TransfersRefusedWithoutConfiguration) {  // RFC 5936 6: transfers only when allowed
  const auto r = server_->dig("example.test AXFR");
  EXPECT_TRUE(has(r.output, "Transfer failed") || has(r.output, "REFUSED")) << r.output;
}

}  // namespace
}  // namespace fedns::e2e
