// The transfer message writer: what it compresses (names under the origin, a repeated owner) still reads back
// exactly with ldns, including names whose labels merely look like the origin's tail, owners repeated past
// the reach of a compression pointer, and a message filled to its limit.
#include "dns/transfer_message.hpp"

#include <gtest/gtest.h>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

const std::string kOrigin = name_from_text("example.test.").value();

model::RRset set_of(std::uint16_t type, std::string rdata) {
  model::RRset set;
  set.type = type;
  set.ttl = 300;
  model::RData r;
  r.wire = std::move(rdata);
  mark_compressible_names(type, r);
  set.rdatas.push_back(std::move(r));
  return set;
}

struct Written {
  std::vector<std::uint8_t> bytes;
  std::vector<std::string> answer;  // as ldns reads it, sorted
};

Written write(const std::vector<std::pair<std::string, model::RRset>>& records, std::size_t limit = 65535,
              std::size_t* added = nullptr) {
  const auto request = test::make_query("example.test.", {.qtype = type::kAXFR});
  Written w;
  w.bytes.resize(65535);
  TransferMessage message(w.bytes, limit, request, request.size(), kOrigin);
  std::size_t n = 0;
  for (const auto& [owner, set] : records) {
    if (!message.add(owner, set, set.rdatas[0])) break;
    ++n;
  }
  if (added != nullptr) *added = n;
  EXPECT_EQ(message.records(), n);
  w.bytes.resize(message.finish());
  const auto packet = test::parse_with_ldns(w.bytes.data(), w.bytes.size());
  EXPECT_NE(packet, nullptr);
  if (packet != nullptr) w.answer = test::section_text(ldns_pkt_answer(packet.get()));
  return w;
}

TEST(TransferMessage, NamesUnderTheOriginAndRepeatedOwnersAreCompressedAndReadBack) {
  const std::string www = name_from_text("www.example.test.").value();
  const std::string outside = name_from_text("mail.elsewhere.test.").value();
  const Written w = write({
      {kOrigin, set_of(type::kNS, name_from_text("ns1.example.test.").value())},
      {www, set_of(type::kA, std::string("\xC0\x00\x02\x01", 4))},
      {www, set_of(type::kAAAA, std::string(16, '\x01'))},
      {www, set_of(type::kMX, std::string("\x00\x0A", 2) + outside)},
  });
  EXPECT_EQ(w.answer,
            test::sorted({"example.test. 300 IN NS ns1.example.test.", "www.example.test. 300 IN A 192.0.2.1",
                          "www.example.test. 300 IN AAAA 101:101:101:101:101:101:101:101",
                          "www.example.test. 300 IN MX 10 mail.elsewhere.test."}));
  // The origin as a pointer (2 octets), www as one label and a pointer, then pointers to www.
  EXPECT_LT(w.bytes.size(), 12 + 18 + (2 + 10 + 6) + (6 + 10 + 4) + (2 + 10 + 16) + (2 + 10 + 2 + 22));
}

TEST(TransferMessage, ALabelThatOnlyLooksLikeTheOriginsTailIsWrittenInFull) {
  // "ab\004test.example.test." (a label whose octets end like a label of the origin) is compressed at the
  // right boundary; "x\007example\004test." (one label that ends with the origin's octets) is not under the
  // origin.
  const std::string inside = std::string(
                                 "\x07"
                                 "ab\x04test",
                                 8) +
                             kOrigin;
  const std::string lookalike = std::string(
      "\x0Ex\x07"
      "example\x04test\x00",
      16);
  const Written w = write({{inside, set_of(type::kA, std::string("\xC0\x00\x02\x01", 4))},
                           {kOrigin, set_of(type::kCNAME, lookalike)}});
  EXPECT_EQ(w.answer, test::sorted({"ab\\004test.example.test. 300 IN A 192.0.2.1",
                                    "example.test. 300 IN CNAME x\\007example\\004test."}));
}

TEST(TransferMessage, OwnersPastThePointerReachAndAFullMessage) {
  // 2,000 TXT records of 60 octets under one owner: the owner's first copy is at offset 30 and later ones
  // point to it; a copy past 16 KiB (out of a pointer's reach) is its label and a pointer to the origin.
  std::vector<std::pair<std::string, model::RRset>> records;
  const std::string owner = name_from_text("t.example.test.").value();
  records.reserve(2000);
  for (int i = 0; i < 2000; ++i)
    records.push_back({owner, set_of(type::kTXT, std::string(1, '\x3B') + std::to_string(100000 + i) +
                                                     std::string(53, 'x'))});
  std::size_t added = 0;
  const Written w = write(records, 40000, &added);
  EXPECT_GT(added, 400U);
  EXPECT_LT(added, 2000U);  // stopped at the limit, all or nothing per record
  EXPECT_LE(w.bytes.size(), 40000U);
  EXPECT_EQ(w.answer.size(), added);
  for (const auto& line : w.answer)
    EXPECT_EQ(line.rfind("t.example.test. 300 IN TXT ", 0), 0U) << line;
}

}  // namespace
}  // namespace fedns::dns
