// End to end: EDNS(0) behaviour (RFC 6891), NSID (RFC 5001), client subnet (RFC 7871) and truncation.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <thread>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

// The IPv4 flags-and-offset field of fedns's answer to `query`, as the answer crossed loopback: read through
// a raw socket, which sees every UDP datagram the host receives. nullopt when raw sockets are not allowed
// here (CAP_NET_RAW), or no answer came.
std::optional<std::uint16_t> answer_fragment_field(std::uint16_t server_port, const Bytes& query) {
  const int raw = ::socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
  if (raw < 0) return std::nullopt;
  const int client = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (client < 0 || ::bind(client, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::getsockname(client, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (client >= 0) ::close(client);
    ::close(raw);
    return std::nullopt;
  }
  const std::uint16_t client_port = ntohs(address.sin_port);
  address.sin_port = htons(server_port);
  ::sendto(client, query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&address),
           sizeof address);
  std::optional<std::uint16_t> field;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  Bytes packet(65535);
  while (!field && std::chrono::steady_clock::now() < deadline) {
    pollfd p{raw, POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) continue;
    const ssize_t n = ::recv(raw, packet.data(), packet.size(), 0);
    if (n < static_cast<ssize_t>(sizeof(iphdr))) continue;
    iphdr ip{};
    std::memcpy(&ip, packet.data(), sizeof ip);
    const std::size_t header = ip.ihl * 4U;
    if (static_cast<std::size_t>(n) < header + sizeof(udphdr)) continue;
    udphdr udp{};
    std::memcpy(&udp, packet.data() + header, sizeof udp);
    if (ntohs(udp.source) == server_port && ntohs(udp.dest) == client_port) field = ntohs(ip.frag_off);
  }
  ::close(client);
  ::close(raw);
  return field;
}

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

// RFC 9715 R1: an answer that fits any path (limits.edns_udp_payload up to 1232, the default) leaves with DF
// set, so no router fragments it and no forged second fragment can complete it. A limit above that is the
// operator accepting fragmentation, and answers leave without DF; a reload switches between the two.
TEST(Fragmentation, DontFragmentUpToFlagDaySizeAndFollowsTheLimitOnReload) {
  if (const int raw = ::socket(AF_INET, SOCK_RAW, IPPROTO_UDP); raw >= 0) {
    ::close(raw);
  } else {
    GTEST_SKIP() << "raw sockets need CAP_NET_RAW";
  }
  FednsServer server;
  const Bytes query = ldns_query("www.example.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, true);
  const auto field = answer_fragment_field(server.port(), query);
  ASSERT_TRUE(field);
  EXPECT_EQ(*field, IP_DF);  // DF, not a fragment

  server.rewrite_config(standard_zones_yaml(), "  limits: {edns_udp_payload: 4096}\n");
  server.process().signal(SIGHUP);
  std::optional<std::uint16_t> reloaded;
  for (int i = 0; i < 100 && reloaded != 0; ++i) {  // each worker's socket changes with its next batch
    std::this_thread::sleep_for(20ms);
    reloaded = answer_fragment_field(server.port(), query);
  }
  EXPECT_EQ(reloaded, 0);
  const auto r = server.dig("www.example.test +bufsize=4096");
  EXPECT_TRUE(has(r.output, "udp: 4096")) << r.output;
}

}  // namespace
}  // namespace fedns::e2e
