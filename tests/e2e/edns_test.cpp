// End to end: EDNS(0) behaviour (RFC 6891), NSID (RFC 5001), client subnet (RFC 7871) and truncation.
#include <gtest/gtest.h>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

class Edns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new FednsServer(standard_zones_yaml(), "  nsid: \"e2e-nsid\"\n"); }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0);
    delete server_;
  }
  static FednsServer* server_;
};
FednsServer* Edns::server_ = nullptr;

TEST_F(Edns, OptEchoedWithOurPayloadSize) {  // RFC 6891 6.2.3
  const auto r = server_->dig("www.example.test +bufsize=4096");
  EXPECT_TRUE(has(r.output, "EDNS: version: 0, flags:; udp: 1232")) << r.output;
  const auto plain = server_->dig("www.example.test +noedns");
  EXPECT_FALSE(has(plain.output, "OPT PSEUDOSECTION")) << plain.output;
}

TEST_F(Edns, DoBitCopied) {  // RFC 3225 3
  const auto r = server_->dig("www.example.test +dnssec");
  EXPECT_TRUE(has(r.output, "EDNS: version: 0, flags: do; udp: 1232")) << r.output;
}

TEST_F(Edns, VersionAboveZeroIsBadvers) {  // RFC 6891 6.1.3
  const auto r = server_->dig("www.example.test +edns=1 +noednsneg");
  EXPECT_TRUE(has(r.output, "status: BADVERS")) << r.output;
  EXPECT_TRUE(has(r.output, "EDNS: version: 0")) << r.output;
}

TEST_F(Edns, UnknownOptionsIgnoredNotEchoed) {  // RFC 6891 6.1.2
  const auto r = server_->dig("www.example.test +ednsopt=65001:abcd");
  EXPECT_TRUE(has(r.output, "status: NOERROR")) << r.output;
  const auto opt_start = r.output.find("OPT PSEUDOSECTION");
  const auto opt_end = r.output.find("QUESTION SECTION");
  ASSERT_NE(opt_start, std::string::npos) << r.output;
  EXPECT_FALSE(has(r.output.substr(opt_start, opt_end - opt_start), "65001")) << r.output;
}

TEST_F(Edns, NsidReturnedWhenAsked) {  // RFC 5001 2.2
  const auto r = server_->dig("www.example.test +nsid");
  EXPECT_TRUE(has(r.output, "NSID: 65 32 65 2d 6e 73 69 64 (\"e2e-nsid\")")) << r.output;
  const auto k = server_->kdig("www.example.test +nsid");
  EXPECT_TRUE(has(k.output, "e2e-nsid")) << k.output;
}

TEST_F(Edns, ClientSubnetEchoedWithScope) {  // RFC 7871 7.2.1
  const auto r = server_->kdig("www.example.test +subnet=198.51.100.0/24");
  EXPECT_TRUE(has(r.output, "CLIENT-SUBNET: 198.51.100.0/24/0")) << r.output;
}

TEST_F(Edns, MalformedOptIsFormerr) {  // RFC 6891 6.1.1
  Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, true);
  q.push_back(0x00);  // RDLENGTH now disagrees with what follows: the OPT overruns
  q[q.size() - 3] = 0x00;
  q[q.size() - 2] = 0x09;
  auto reply = server_->udp(q);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[3] & 0x0F, LDNS_RCODE_FORMERR);
}

TEST_F(Edns, TwoOptRecordsAreFormerr) {  // RFC 6891 6.1.1
  Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, true);
  const Bytes opt(q.end() - 11, q.end());
  q.insert(q.end(), opt.begin(), opt.end());
  q[11] = 2;
  auto reply = server_->udp(q);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[3] & 0x0F, LDNS_RCODE_FORMERR);
}

TEST_F(Edns, InvalidClientSubnetIsFormerr) {                                    // RFC 7871 7.1.2
  const auto r = server_->dig("www.example.test +ednsopt=8:0001210001020304");  // /33 for IPv4
  EXPECT_TRUE(has(r.output, "status: FORMERR")) << r.output;
}

TEST_F(Edns, TruncatedOverUdpCompleteOverTcp) {  // RFC 1035 4.2.1, RFC 2181 9, RFC 7766 5
  const auto udp = server_->dig("big.example.test TXT +ignore +noedns");
  EXPECT_TRUE(has(udp.output, "flags: qr aa tc rd;")) << udp.output;
  const auto small = server_->dig("big.example.test TXT +ignore +bufsize=1232");
  EXPECT_TRUE(has(small.output, " tc ")) << small.output;
  const auto retried = server_->dig("big.example.test TXT");  // dig retries over TCP on TC
  EXPECT_TRUE(has(retried.output, "ANSWER: 8")) << retried.output;
  EXPECT_TRUE(has(retried.output, "(TCP)")) << retried.output;
  const auto k = server_->kdig("big.example.test TXT +tcp");
  EXPECT_TRUE(has(k.output, "ANSWER: 8")) << k.output;
}

}  // namespace
}  // namespace fedns::e2e
