// The query path end to end in-process: each authoritative behaviour with the RFC section it follows.
// Every response is parsed by ldns, an independent implementation.
#include "dns/responder.hpp"

#include <gtest/gtest.h>

#include "allocation_counter.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

using test::make_query;
using test::QueryOptions;
using test::section_text;

constexpr const char* kRecords = R"(
www        IN A     192.0.2.1
www        IN A     192.0.2.2
www        IN AAAA  2001:db8::1
alias      IN CNAME www
chain1     IN CNAME chain2
chain2     IN CNAME www.example.
loop1      IN CNAME loop2
loop2      IN CNAME loop1
dangling   IN CNAME nothing
external   IN CNAME www.elsewhere.test.
mail       IN MX    10 mx
mx         IN A     192.0.2.25
_http._tcp.svc IN SRV 0 5 80 www
a.b.c      IN TXT   "deep"
*.wild     IN A     192.0.2.77
*.wild     IN TXT   "wildcard"
sub        IN NS    ns.sub
ns.sub     IN A     192.0.2.99
big        IN TXT   "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT   "1123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT   "2123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT   "3123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT   "4123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT   "5123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
)";

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZoneSource zone;
    zone.origin = "example.";
    zone.default_ttl = 300;
    zone.soa = SoaFields{
        .mname = "ns1.example.", .rname = "admin.example.", .serial = 2026112601, .minimum = 60, .ttl = 3600};
    zone.name_servers = {{"ns1.example.", {"192.0.2.53"}}};
    zone.records = kRecords;
    auto zones = build_zone_set({zone});
    ASSERT_TRUE(zones.ok()) << zones.error().message;
    snapshot_.zones = std::move(zones.value());
    snapshot_.options.nsid = "fedns-test";
    snapshot_.options.identity = "test-host";
    snapshot_.options.version = "fedns 0.1.0";
  }

  test::Packet ask(const std::vector<std::uint8_t>& query, Transport transport = Transport::kUdp) {
    last_size_ = respond(query, out_, {transport}, snapshot_, counters_);
    if (last_size_ == 0) return nullptr;
    auto pkt = test::parse_with_ldns(out_.data(), last_size_);
    EXPECT_NE(pkt, nullptr) << "ldns rejected our response";
    return pkt;
  }
  test::Packet ask(const std::string& name, QueryOptions o = {}, Transport t = Transport::kUdp) {
    return ask(make_query(name, o), t);
  }

  ServingSnapshot snapshot_;
  WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
  std::size_t last_size_ = 0;
};

TEST_F(ResponderTest, PositiveAnswerIsAuthoritativeWithoutRecursion) {  // RFC 1035 4.1.1
  auto r = ask("www.example.");
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(ldns_pkt_aa(r.get()));
  EXPECT_TRUE(ldns_pkt_qr(r.get()));
  EXPECT_TRUE(ldns_pkt_rd(r.get()));   // copied
  EXPECT_FALSE(ldns_pkt_ra(r.get()));  // we do not recurse
  EXPECT_EQ(ldns_pkt_id(r.get()), 0x1234);
  EXPECT_EQ(section_text(ldns_pkt_answer(r.get())),
            (std::vector<std::string>{"www.example. 300 IN A 192.0.2.1", "www.example. 300 IN A 192.0.2.2"}));
}

TEST_F(ResponderTest, QuestionEchoedWithClientCase) {  // 0x20 mixed case survives (RFC 1035 7.3 matching)
  ask("wWw.ExAmple.");
  ASSERT_GT(last_size_, 12u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out_.data()) + 13, 3), "wWw");
  auto r = test::parse_with_ldns(out_.data(), last_size_);
  char* owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r.get()), 0)));
  EXPECT_STREQ(owner, "wWw.ExAmple.");  // answer owner compressed to the question
  free(owner);                          // NOLINT(cppcoreguidelines-no-malloc)
}

TEST_F(ResponderTest, NxdomainCarriesSoaWithNegativeTtl) {  // RFC 2308 2.1, 3, 5
  auto r = ask("nope.example.");
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(ldns_pkt_aa(r.get()));
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
  auto auth = section_text(ldns_pkt_authority(r.get()));
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0], "example. 60 IN SOA ns1.example. admin.example. 2026112601 3600 600 604800 60");
}

TEST_F(ResponderTest, NodataCarriesSoa) {  // RFC 2308 2.2
  auto r = ask("www.example.", {.qtype = LDNS_RR_TYPE_MX});
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
  EXPECT_EQ(ldns_pkt_nscount(r.get()), 1);
}

TEST_F(ResponderTest, EmptyNonTerminalIsNodataNotNxdomain) {  // RFC 4592 2.2.2, RFC 8020
  for (const char* name : {"b.c.example.", "c.example."}) {
    auto r = ask(name);
    ASSERT_TRUE(r);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR) << name;
    EXPECT_EQ(ldns_pkt_nscount(r.get()), 1) << name;
  }
}

TEST_F(ResponderTest, ApexSoaAndNsWithGlue) {  // RFC 1034 4.3.2 step 6: additional section processing
  auto soa = ask("example.", {.qtype = LDNS_RR_TYPE_SOA});
  EXPECT_EQ(ldns_pkt_ancount(soa.get()), 1);
  auto ns = ask("example.", {.qtype = LDNS_RR_TYPE_NS});
  EXPECT_EQ(section_text(ldns_pkt_answer(ns.get())),
            std::vector<std::string>{"example. 300 IN NS ns1.example."});
  EXPECT_EQ(section_text(ldns_pkt_additional(ns.get())),
            std::vector<std::string>{"ns1.example. 300 IN A 192.0.2.53"});
}

TEST_F(ResponderTest, CnameChainIsFollowedInsideOurZones) {  // RFC 1034 4.3.2 step 3a
  auto r = ask("chain1.example.");
  ASSERT_TRUE(r);
  EXPECT_EQ(section_text(ldns_pkt_answer(r.get())),
            (std::vector<std::string>{"chain1.example. 300 IN CNAME chain2.example.",
                                      "chain2.example. 300 IN CNAME www.example.",
                                      "www.example. 300 IN A 192.0.2.1", "www.example. 300 IN A 192.0.2.2"}));
}

TEST_F(ResponderTest, CnameQueryIsNotFollowed) {
  auto r = ask("alias.example.", {.qtype = LDNS_RR_TYPE_CNAME});
  EXPECT_EQ(section_text(ldns_pkt_answer(r.get())),
            std::vector<std::string>{"alias.example. 300 IN CNAME www.example."});
}

TEST_F(ResponderTest, DanglingCnameIsNxdomainWithTheCname) {  // RFC 6604 2.1: rcode of the last link
  auto r = ask("dangling.example.");
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 1);
}

TEST_F(ResponderTest, CnameOutOfOurZonesStops) {
  auto r = ask("external.example.");
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 1);
}

TEST_F(ResponderTest, CnameLoopTerminates) {
  auto r = ask("loop1.example.");
  ASSERT_TRUE(r);
  EXPECT_LE(ldns_pkt_ancount(r.get()), 10);
}

TEST_F(ResponderTest, WildcardSynthesisUsesQueryName) {  // RFC 4592 3.3.1
  auto r = ask("anything.wild.example.");
  EXPECT_EQ(section_text(ldns_pkt_answer(r.get())),
            std::vector<std::string>{"anything.wild.example. 300 IN A 192.0.2.77"});
  auto deeper = ask("x.y.wild.example.", {.qtype = LDNS_RR_TYPE_TXT});
  EXPECT_EQ(ldns_pkt_ancount(deeper.get()), 1);
  auto nodata = ask("z.wild.example.", {.qtype = LDNS_RR_TYPE_MX});
  EXPECT_EQ(ldns_pkt_get_rcode(nodata.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(nodata.get()), 0);
}

TEST_F(ResponderTest, DelegationGivesReferralWithGlueWithoutAA) {  // RFC 1034 4.3.2 step 3b
  auto r = ask("host.sub.example.");
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
  EXPECT_FALSE(ldns_pkt_aa(r.get()));
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
  EXPECT_EQ(section_text(ldns_pkt_authority(r.get())),
            std::vector<std::string>{"sub.example. 300 IN NS ns.sub.example."});
  EXPECT_EQ(section_text(ldns_pkt_additional(r.get())),
            std::vector<std::string>{"ns.sub.example. 300 IN A 192.0.2.99"});
}

TEST_F(ResponderTest, MxAndSrvTargetsGetAdditionalAddresses) {  // RFC 1035 3.3.9, RFC 2782
  auto mx = ask("mail.example.", {.qtype = LDNS_RR_TYPE_MX});
  EXPECT_EQ(section_text(ldns_pkt_additional(mx.get())),
            std::vector<std::string>{"mx.example. 300 IN A 192.0.2.25"});
  auto srv = ask("_http._tcp.svc.example.", {.qtype = LDNS_RR_TYPE_SRV});
  EXPECT_EQ(ldns_pkt_ancount(srv.get()), 1);
  EXPECT_EQ(ldns_pkt_arcount(srv.get()), 3);  // A x2 + AAAA of www
}

TEST_F(ResponderTest, AnyIsMinimalOverUdpAndCompleteOverTcp) {  // RFC 8482 4.1
  auto udp = ask("www.example.", {.qtype = LDNS_RR_TYPE_ANY});
  EXPECT_EQ(ldns_pkt_ancount(udp.get()), 2);  // one RRset: the A set
  auto tcp = ask("www.example.", {.qtype = LDNS_RR_TYPE_ANY}, Transport::kTcp);
  EXPECT_EQ(ldns_pkt_ancount(tcp.get()), 3);
}

TEST_F(ResponderTest, OutsideOurZonesIsRefused) {  // RFC 8906 3.1.2
  auto r = ask("www.elsewhere.test.");
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_REFUSED);
  EXPECT_FALSE(ldns_pkt_aa(r.get()));
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
}

TEST_F(ResponderTest, ResponsesAreDroppedAndShortPacketsIgnored) {  // RFC 1035 4.1.1
  EXPECT_EQ(ask("www.example.", {.flags = 0x8000}), nullptr);
  EXPECT_EQ(last_size_, 0u);
  EXPECT_EQ(ask(std::vector<std::uint8_t>{0, 1, 2}), nullptr);
  EXPECT_EQ(counters_.dropped.get(), 2u);
}

TEST_F(ResponderTest, BadQdcountIsFormErr) {
  auto packet = make_query("www.example.");
  packet[5] = 2;
  auto r = ask(packet);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_FORMERR);
  EXPECT_EQ(counters_.malformed.get(), 1u);
}

TEST_F(ResponderTest, UnknownOpcodeIsNotImpNotifyAndUpdateExplicit) {  // RFC 1035 4.1.1, 1996, 2136
  auto status = ask("www.example.", {.flags = 2 << 11});
  EXPECT_EQ(ldns_pkt_get_rcode(status.get()), LDNS_RCODE_NOTIMPL);
  auto notify = ask("example.", {.qtype = LDNS_RR_TYPE_SOA, .flags = 4 << 11});
  EXPECT_EQ(ldns_pkt_get_rcode(notify.get()), LDNS_RCODE_NOTAUTH);
  EXPECT_EQ(ldns_pkt_get_opcode(notify.get()), LDNS_PACKET_NOTIFY);
  auto update = ask("example.", {.qtype = LDNS_RR_TYPE_SOA, .flags = 5 << 11});
  EXPECT_EQ(ldns_pkt_get_rcode(update.get()), LDNS_RCODE_REFUSED);
  auto update_elsewhere = ask("other.test.", {.qtype = LDNS_RR_TYPE_SOA, .flags = 5 << 11});
  EXPECT_EQ(ldns_pkt_get_rcode(update_elsewhere.get()), LDNS_RCODE_NOTAUTH);
}

TEST_F(ResponderTest, EdnsEchoedWithOurPayloadAndDoBit) {  // RFC 6891 6.1.3, 6.2.3; RFC 3225 3
  auto r = ask("www.example.", {.edns = true, .udp_payload = 4096, .dnssec_ok = true});
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_edns_udp_size(r.get()), 1232);
  EXPECT_TRUE(ldns_pkt_edns_do(r.get()));
  EXPECT_EQ(ldns_pkt_edns_version(r.get()), 0);
  auto no_do = ask("www.example.", {.edns = true});
  EXPECT_FALSE(ldns_pkt_edns_do(no_do.get()));
  auto plain = ask("www.example.");
  EXPECT_FALSE(ldns_pkt_edns(plain.get()));
}

TEST_F(ResponderTest, UnknownEdnsVersionIsBadvers) {  // RFC 6891 6.1.3
  auto r = ask("www.example.", {.edns = true, .edns_version = 1});
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_edns_extended_rcode(r.get()), 1);  // BADVERS = 16 = (1 << 4) | 0
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), 0);
  EXPECT_EQ(ldns_pkt_edns_version(r.get()), 0);
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
}

TEST_F(ResponderTest, UnknownOptionsAreNotEchoedNsidIs) {  // RFC 6891 6.1.2, RFC 5001 2.2
  QueryOptions o{.edns = true};
  test::append_option(o.edns_options, 65001, {9, 9});
  test::append_option(o.edns_options, 3, {});
  auto r = ask("www.example.", o);
  ASSERT_TRUE(r);
  ldns_rdf* data = ldns_pkt_edns_data(r.get());
  ASSERT_NE(data, nullptr);
  const std::string options(reinterpret_cast<const char*>(ldns_rdf_data(data)), ldns_rdf_size(data));
  EXPECT_EQ(options, std::string("\x00\x03\x00\x0a"
                                 "fedns-test",
                                 14));
}

TEST_F(ResponderTest, ClientSubnetEchoedWithScopeZero) {  // RFC 7871 7.2.1
  QueryOptions o{.edns = true};
  test::append_option(o.edns_options, 8, {0, 1, 24, 0, 198, 51, 100});
  auto r = ask("www.example.", o);
  ldns_rdf* data = ldns_pkt_edns_data(r.get());
  ASSERT_NE(data, nullptr);
  const std::string options(reinterpret_cast<const char*>(ldns_rdf_data(data)), ldns_rdf_size(data));
  EXPECT_EQ(options, std::string("\x00\x08\x00\x07\x00\x01\x18\x00\xc6\x33\x64", 11));
  QueryOptions bad{.edns = true};
  test::append_option(bad.edns_options, 8, {0, 1, 24, 0, 198, 51});
  EXPECT_EQ(ldns_pkt_get_rcode(ask("www.example.", bad).get()), LDNS_RCODE_FORMERR);
}

TEST_F(ResponderTest, LargeAnswerTruncatedOverUdpCompleteOverTcp) {  // RFC 1035 4.2.1, RFC 2181 9, RFC 7766
  auto udp = ask("big.example.", {.qtype = LDNS_RR_TYPE_TXT});
  ASSERT_TRUE(udp);
  EXPECT_TRUE(ldns_pkt_tc(udp.get()));
  EXPECT_LE(last_size_, 512u);
  EXPECT_EQ(ldns_pkt_ancount(udp.get()), 0);
  auto edns = ask("big.example.", {.qtype = LDNS_RR_TYPE_TXT, .edns = true, .udp_payload = 1232});
  EXPECT_FALSE(ldns_pkt_tc(edns.get()));
  EXPECT_EQ(ldns_pkt_ancount(edns.get()), 6);
  auto small = ask("big.example.", {.qtype = LDNS_RR_TYPE_TXT, .edns = true, .udp_payload = 600});
  EXPECT_TRUE(ldns_pkt_tc(small.get()));
  EXPECT_TRUE(ldns_pkt_edns(small.get()));  // OPT survives truncation (RFC 6891 7)
  EXPECT_LE(last_size_, 600u);
  auto tcp = ask("big.example.", {.qtype = LDNS_RR_TYPE_TXT}, Transport::kTcp);
  EXPECT_FALSE(ldns_pkt_tc(tcp.get()));
  EXPECT_EQ(ldns_pkt_ancount(tcp.get()), 6);
}

TEST_F(ResponderTest, ChaosIdentityAndVersion) {  // RFC 4892 2
  auto id = ask("id.server.", {.qtype = LDNS_RR_TYPE_TXT, .qclass = LDNS_RR_CLASS_CH});
  EXPECT_EQ(section_text(ldns_pkt_answer(id.get())),
            std::vector<std::string>{"id.server. 0 CH TXT \"test-host\""});
  auto version = ask("VERSION.bind.", {.qtype = LDNS_RR_TYPE_TXT, .qclass = LDNS_RR_CLASS_CH});
  EXPECT_EQ(ldns_pkt_ancount(version.get()), 1);
  snapshot_.options.version.clear();  // hidden
  auto hidden = ask("version.bind.", {.qtype = LDNS_RR_TYPE_TXT, .qclass = LDNS_RR_CLASS_CH});
  EXPECT_EQ(ldns_pkt_get_rcode(hidden.get()), LDNS_RCODE_REFUSED);
  auto other = ask("www.example.", {.qclass = LDNS_RR_CLASS_CH});
  EXPECT_EQ(ldns_pkt_get_rcode(other.get()), LDNS_RCODE_REFUSED);
}

// respond() answers single messages: a TCP session hands transfers to ZoneTransfer before it
// (zone_transfer_test), so what reaches it is refused.
TEST_F(ResponderTest, TransfersAreNotAnsweredAsLookups) {
  auto r = ask("example.", {.qtype = LDNS_RR_TYPE_AXFR}, Transport::kTcp);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_REFUSED);
}

TEST_F(ResponderTest, CountersFollowQueries) {
  ask("www.example.");
  ask("nope.example.", {.qtype = LDNS_RR_TYPE_AAAA});
  ask("www.example.", {}, Transport::kTcp);
  EXPECT_EQ(counters_.queries_by_transport[0].get(), 2u);
  EXPECT_EQ(counters_.queries_by_transport[1].get(), 1u);
  EXPECT_EQ(counters_.responses_by_rcode[rcode::kNXDomain].get(), 1u);
  EXPECT_EQ(counters_.queries_by_qtype[static_cast<int>(QtypeBucket::kAAAA)].get(), 1u);
}

TEST_F(ResponderTest, AnsweringAQueryAllocatesNothing) {  // DESIGN.md: the hot path never touches the heap
  const std::vector<std::vector<std::uint8_t>> queries = {
      make_query("www.example."),
      make_query("chain1.example."),
      make_query("nope.example."),
      make_query("x.wild.example."),
      make_query("host.sub.example."),
      make_query("big.example.", {.qtype = LDNS_RR_TYPE_TXT, .edns = true}),
      make_query("id.server.", {.qtype = LDNS_RR_TYPE_TXT, .qclass = LDNS_RR_CLASS_CH})};
  for (const auto& q : queries) {
    const long before = test::allocation_count();
    const std::size_t size = respond(q, out_, {Transport::kUdp}, snapshot_, counters_);
    const long after = test::allocation_count();
    EXPECT_GT(size, 0u);
    EXPECT_EQ(after - before, 0) << "allocations while answering";
  }
}

}  // namespace
}  // namespace fedns::dns
