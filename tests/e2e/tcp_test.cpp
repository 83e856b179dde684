// End to end: DNS over TCP (RFC 7766): framing, pipelining, split reads, idle timeout, connection cap,
// garbage.
#include <gtest/gtest.h>

#include <thread>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

class Tcp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new FednsServer(standard_zones_yaml(), "  limits: {tcp_clients: 4, tcp_idle_timeout: 700ms}\n");
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0);
    delete server_;
  }
  static FednsServer* server_;
};
FednsServer* Tcp::server_ = nullptr;

std::uint16_t id_of(const Bytes& message) {
  return static_cast<std::uint16_t>((message[0] << 8) | message[1]);
}

TEST_F(Tcp, PipelinedQueriesAllAnswered) {  // RFC 7766 6.2.1.1
  TcpClient client("127.0.0.1", server_->port());
  ASSERT_TRUE(client.connected());
  Bytes burst;
  for (std::uint16_t id = 1; id <= 5; ++id) {
    const Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, false, id);
    burst.push_back(static_cast<std::uint8_t>(q.size() >> 8));
    burst.push_back(static_cast<std::uint8_t>(q.size()));
    burst.insert(burst.end(), q.begin(), q.end());
  }
  ASSERT_TRUE(client.send_raw(burst));  // all five in one segment
  for (std::uint16_t id = 1; id <= 5; ++id) {
    auto reply = client.receive();
    ASSERT_TRUE(reply) << "answer " << id;
    EXPECT_EQ(id_of(*reply), id);
    auto p = parse(*reply);
    ASSERT_TRUE(p);
    EXPECT_EQ(ldns_pkt_ancount(p.get()), 2);
  }
}

TEST_F(Tcp, QuerySplitAcrossSegments) {  // RFC 7766 8: the length and message may arrive in pieces
  TcpClient client("127.0.0.1", server_->port());
  const Bytes q = ldns_query("www.example.test.", LDNS_RR_TYPE_AAAA);
  Bytes framed = {static_cast<std::uint8_t>(q.size() >> 8), static_cast<std::uint8_t>(q.size())};
  framed.insert(framed.end(), q.begin(), q.end());
  for (std::uint8_t byte : framed) {
    ASSERT_TRUE(client.send_raw({byte}));
    std::this_thread::sleep_for(5ms);
  }
  auto reply = client.receive();
  ASSERT_TRUE(reply);
  auto p = parse(*reply);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 1);
}

TEST_F(Tcp, LargeAnswerComplete) {  // RFC 7766 5: no TC over TCP
  TcpClient client("127.0.0.1", server_->port());
  ASSERT_TRUE(client.send_framed(ldns_query("big.example.test.", LDNS_RR_TYPE_TXT)));
  auto reply = client.receive();
  ASSERT_TRUE(reply);
  auto p = parse(*reply);
  ASSERT_TRUE(p);
  EXPECT_FALSE(ldns_pkt_tc(p.get()));
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 8);
}

TEST_F(Tcp, IdleConnectionClosedAfterTimeout) {  // RFC 7766 6.2.3
  TcpClient client("127.0.0.1", server_->port());
  ASSERT_TRUE(client.send_framed(ldns_query("www.example.test.", LDNS_RR_TYPE_A)));
  ASSERT_TRUE(client.receive());
  EXPECT_TRUE(client.closed_by_peer(3s));
}

TEST_F(Tcp, StalledHalfQueryClosedAfterTimeout) {  // a slow-loris client cannot hold a slot
  TcpClient client("127.0.0.1", server_->port());
  ASSERT_TRUE(client.send_raw({0, 40, 0x12}));  // announces 40 octets, sends one
  EXPECT_TRUE(client.closed_by_peer(3s));
}

TEST_F(Tcp, IdleClientsCannotExhaustTheConnectionCap) {  // RFC 7766 6.2.3: idle ones make room
  std::vector<std::unique_ptr<TcpClient>> idle;
  for (int i = 0; i < 12; ++i) {
    idle.push_back(std::make_unique<TcpClient>("127.0.0.1", server_->port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  std::this_thread::sleep_for(50ms);
  TcpClient fresh("127.0.0.1", server_->port());
  ASSERT_TRUE(fresh.send_framed(ldns_query("www.example.test.", LDNS_RR_TYPE_A)));
  auto reply = fresh.receive(2s);
  ASSERT_TRUE(reply) << "a new client was locked out by idle ones";
  const auto dig = server_->dig("www.example.test +tcp +short");
  EXPECT_EQ(dig.output, "192.0.2.1\n192.0.2.2\n") << dig.output;
}

TEST_F(Tcp, GarbageStreamIsDroppedAndServerKeepsServing) {
  {
    TcpClient client("127.0.0.1", server_->port());
    Bytes garbage(3000);
    for (std::size_t i = 0; i < garbage.size(); ++i)
      garbage[i] = static_cast<std::uint8_t>(i * 7919 % 251);
    client.send_raw(garbage);
    // The stream either carries an answer to some frame, or is closed; it must not hang the server.
    std::this_thread::sleep_for(100ms);
  }
  {
    TcpClient client("127.0.0.1", server_->port());
    ASSERT_TRUE(client.send_raw({0, 3, 1, 2, 3}));  // too short for a header: hang up
    EXPECT_TRUE(client.closed_by_peer(2s));
  }
  auto p = server_->ask("www.example.test.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 2);
}

}  // namespace
}  // namespace fedns::e2e
