// Query parsing: header rules, the question, and EDNS (RFC 1035 4.1, RFC 6891 6, RFC 7871 6).
#include "dns/query.hpp"

#include <gtest/gtest.h>

#include "dns/test_packets.hpp"

namespace fedns::dns {
namespace {

using test::make_query;
using test::QueryOptions;

TEST(Query, ParsesQuestionAndFoldsCaseForLookup) {
  const auto packet = make_query("WwW.Example.", {.qtype = 28});
  Query q;
  ASSERT_EQ(parse_query(packet, q), ParseStatus::kOk);
  EXPECT_EQ(q.id, 0x1234);
  EXPECT_EQ(q.qtype, 28);
  EXPECT_EQ(q.qclass, 1);
  EXPECT_EQ(q.qname.view(), std::string_view("\x03www\x07"
                                             "example\x00",
                                             13));
  EXPECT_FALSE(q.edns.present);
}

TEST(Query, ShortHeaderAndResponsesAreDropped) {  // RFC 1035 4.1.1: QR=1 is a response
  Query q;
  const std::vector<std::uint8_t> short_packet = {1, 2, 3};
  EXPECT_EQ(parse_query(short_packet, q), ParseStatus::kDrop);
  auto packet = make_query("example.", {.flags = 0x8000});
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kDrop);
}

TEST(Query, QdcountOtherThanOneIsFormErr) {
  auto packet = make_query("example.");
  packet[5] = 2;
  Query q;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kFormErr);
  packet[5] = 0;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kFormErr);
}

TEST(Query, UnknownOpcodeIsNotImp) {                         // RFC 1035 4.1.1, RFC 8906 3.1.4
  auto packet = make_query("example.", {.flags = 2 << 11});  // STATUS
  Query q;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kNotImp);
  EXPECT_TRUE(q.question_ok);
}

TEST(Query, CompressedQuestionIsFormErr) {
  std::vector<std::uint8_t> packet = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1};
  Query q;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kFormErr);
}

TEST(Query, ParsesEdnsPayloadVersionDoAndNsid) {  // RFC 6891 6.1.3, RFC 5001 2.1
  QueryOptions o{.edns = true, .udp_payload = 4096, .edns_version = 0, .dnssec_ok = true};
  test::append_option(o.edns_options, 3, {});
  test::append_option(o.edns_options, 65001, {1, 2, 3});  // unknown: ignored
  Query q;
  ASSERT_EQ(parse_query(make_query("example.", o), q), ParseStatus::kOk);
  EXPECT_TRUE(q.edns.present);
  EXPECT_EQ(q.edns.udp_payload, 4096);
  EXPECT_TRUE(q.edns.dnssec_ok);
  EXPECT_TRUE(q.edns.nsid_requested);
}

TEST(Query, TwoOptRecordsAreFormErr) {  // RFC 6891 6.1.1
  auto packet = make_query("example.", {.edns = true});
  const std::vector<std::uint8_t> opt(packet.end() - 11, packet.end());
  packet.insert(packet.end(), opt.begin(), opt.end());
  packet[11] = 2;
  Query q;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kFormErr);
}

TEST(Query, TruncatedOptIsFormErr) {
  auto packet = make_query("example.", {.edns = true});
  packet.pop_back();
  Query q;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kFormErr);
}

TEST(Query, OptOptionOverrunningRdataIsFormErr) {
  QueryOptions o{.edns = true};
  o.edns_options = {0, 3, 0, 8, 1};  // option claims 8 octets, 1 present
  Query q;
  EXPECT_EQ(parse_query(make_query("example.", o), q), ParseStatus::kFormErr);
}

TEST(Query, ClientSubnetValidation) {  // RFC 7871 6, 7.1.2
  auto with_ecs = [](std::vector<std::uint8_t> data) {
    QueryOptions o{.edns = true};
    test::append_option(o.edns_options, 8, data);
    Query q;
    return std::make_pair(parse_query(make_query("example.", o), q), q);
  };
  auto [ok_status, ok_query] = with_ecs({0, 1, 24, 0, 192, 0, 2});
  EXPECT_EQ(ok_status, ParseStatus::kOk);
  EXPECT_TRUE(ok_query.edns.has_client_subnet);
  EXPECT_EQ(ok_query.edns.client_subnet.source_prefix, 24);
  EXPECT_EQ(with_ecs({0, 1, 33, 0, 1, 2, 3, 4, 5}).first, ParseStatus::kFormErr);  // prefix > 32
  EXPECT_EQ(with_ecs({0, 1, 24, 0, 192, 0}).first, ParseStatus::kFormErr);         // address too short
  EXPECT_EQ(with_ecs({0, 1, 24, 0, 192, 0, 2, 0}).first, ParseStatus::kFormErr);   // address too long
  EXPECT_EQ(with_ecs({0, 1, 23, 0, 192, 0, 3}).first, ParseStatus::kFormErr);      // bits past the prefix
  EXPECT_EQ(with_ecs({0, 1, 24, 8, 192, 0, 2}).first, ParseStatus::kFormErr);      // scope in a query
  EXPECT_EQ(with_ecs({0, 3, 0, 0}).first, ParseStatus::kFormErr);                  // unknown family
  EXPECT_EQ(with_ecs({0, 2, 0, 0}).first, ParseStatus::kOk);                       // IPv6 /0 is valid
}

TEST(Query, AnswerRecordsInAQueryAreFormErr) {
  auto packet = make_query("example.");
  packet[7] = 1;  // ANCOUNT = 1 with no record present
  Query q;
  EXPECT_EQ(parse_query(packet, q), ParseStatus::kFormErr);
}

}  // namespace
}  // namespace fedns::dns
