// Zone transfer out and the serials it depends on: every message of a transfer is parsed and its TSIG
// verified by ldns (an independent implementation), as a stream; what is refused is refused with the right
// code; serials follow the generated names and never go back.
#include "dns/zone_transfer.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <random>
#include <set>

#include "dns/generated_names_writer.hpp"
#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"
#include "dns/zone_serials.hpp"

namespace fedns::dns {
namespace {

using test::Packet;
using test::parse_with_ldns;

constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
constexpr const char* kOtherSecret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI=";
const std::string kOrigin = name_from_text("example.test.").value();

std::uint64_t now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

ZoneSource zone_source(const std::string& origin, std::string records) {
  ZoneSource zone;
  zone.origin = origin;
  zone.default_ttl = 30;
  zone.soa = SoaFields{.serial = 7, .minimum = 5};
  zone.name_servers = {{"ns1." + origin, {"127.0.0.1"}}};
  zone.records = std::move(records);
  return zone;
}

model::Node address_node(const std::string& name, std::uint8_t last_octet, std::uint8_t tier = 0) {
  model::Node node;
  node.name = name_from_text(name).value();
  model::RRset set;
  set.type = type::kA;
  set.ttl = 5;
  model::RData rdata;
  rdata.wire = std::string{'\xC0', '\x00', '\x02', static_cast<char>(last_octet)};
  rdata.tier = tier;
  set.rdatas.push_back(rdata);
  node.rrsets.push_back(std::move(set));
  return node;
}

std::shared_ptr<const TransferPolicy> policy(const std::vector<std::string>& zones = {},
                                             const std::vector<std::string>& from = {}) {
  auto p = std::make_shared<TransferPolicy>();
  p->keys.push_back(make_tsig_key("xfr-key.", "hmac-sha256", kSecret).value());
  p->keys.push_back(make_tsig_key("other-key.", "hmac-sha256", kOtherSecret).value());
  TransferPeer peer;
  peer.name = "secondary";
  peer.key = 0;
  for (const auto& z : zones)
    peer.zones.push_back(name_from_text(z).value());
  if (!from.empty()) {
    auto table = std::make_shared<CidrTable>();
    for (const auto& cidr : from)
      EXPECT_TRUE(table->add(cidr, {}));
    table->seal();
    peer.from = table;
  }
  p->secondaries.push_back(std::move(peer));
  return p;
}

// A request for `qtype` of `name`, signed with `key` (null: unsigned); IXFR carries `serial` in its SOA.
std::vector<std::uint8_t> request(const std::string& name, std::uint16_t qtype, const TsigKey* key,
                                  std::uint32_t serial = 0) {
  ldns_pkt* pkt = nullptr;
  EXPECT_EQ(
      ldns_pkt_query_new_frm_str(&pkt, name.c_str(), static_cast<ldns_rr_type>(qtype), LDNS_RR_CLASS_IN, 0),
      LDNS_STATUS_OK);
  ldns_pkt_set_id(pkt, 0x5151);
  if (qtype == type::kIXFR) {
    ldns_rr* soa = nullptr;
    const std::string text = name + " 30 IN SOA ns1." + name + " hostmaster." + name + " " +
                             std::to_string(serial) + " 3600 600 604800 5";
    EXPECT_EQ(ldns_rr_new_frm_str(&soa, text.c_str(), 0, nullptr, nullptr), LDNS_STATUS_OK);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa);
  }
  std::vector<std::uint8_t> out = test::wire_of(pkt);
  const std::size_t size = out.size();
  if (key != nullptr) {
    out.resize(size + tsig_record_size(*key));
    TsigSigner signer(*key, {});
    EXPECT_EQ(signer.sign(out, size, now()), out.size());
  }
  return out;
}

// The request's MAC as ldns wants it (INT16_DATA: length, then the octets).
ldns_rdf* mac_rdf(std::span<const std::uint8_t> mac) {
  std::vector<std::uint8_t> data = {static_cast<std::uint8_t>(mac.size() >> 8),
                                    static_cast<std::uint8_t>(mac.size())};
  data.insert(data.end(), mac.begin(), mac.end());
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, data.size(), data.data());
}

// The section's records as text, in message order (section_text sorts), with single spaces.
std::vector<std::string> in_order(const ldns_rr_list* list) {
  std::vector<std::string> out;
  for (std::size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    char* text = ldns_rr2str(ldns_rr_list_rr(list, i));
    std::string line;
    for (const char* c = text; *c != '\0' && *c != '\n'; ++c) {
      const char ch = *c == '\t' ? ' ' : *c;
      if (ch != ' ' || line.empty() || line.back() != ' ') line.push_back(ch);
    }
    free(text);
    out.push_back(line);
  }
  return out;
}

struct Transfer {
  std::vector<std::string> records;  // answer records in order, as text
  std::vector<int> rcodes;
  std::vector<std::uint16_t> tsig_errors;  // per message: the TSIG error, or -1 (as 0xFFFF) when unsigned
  bool verified = true;                    // every signed message verified by ldns, as a stream
  std::size_t largest = 0;
};

// Runs a transfer to the end, reading each message with ldns and verifying it as the secondary would.
Transfer run(const ServingSnapshot& snapshot, const std::vector<std::uint8_t>& req,
             const char* peer = "127.0.0.1") {
  auto held = std::shared_ptr<const ServingSnapshot>(&snapshot, [](const ServingSnapshot*) {});
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, peer, &address.sin_addr);
  ZoneTransfer transfer(req, held, reinterpret_cast<const sockaddr*>(&address), now());
  Transfer out;
  // The request's own MAC starts the chain.
  Query query;
  EXPECT_EQ(parse_query(req, query), ParseStatus::kOk);
  ldns_rdf* previous = nullptr;
  if (query.tsig_offset != 0) {
    TsigRecord record;
    EXPECT_TRUE(parse_tsig_record(req, query.tsig_offset, record));
    previous = mac_rdf(record.mac);
  }
  std::vector<std::uint8_t> buffer(65535);
  for (int message = 0; message < 100000; ++message) {
    const std::size_t size = transfer.next(buffer);
    if (size == 0) break;
    out.largest = std::max(out.largest, size);
    ldns_pkt* pkt = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&pkt, buffer.data(), size), LDNS_STATUS_OK);
    if (pkt == nullptr) break;
    out.rcodes.push_back(ldns_pkt_get_rcode(pkt));
    const ldns_rr* tsig = ldns_pkt_tsig(pkt);
    out.tsig_errors.push_back(tsig == nullptr ? 0xFFFF : ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)));
    if (tsig != nullptr && previous != nullptr && ldns_rdf_size(ldns_rr_rdf(tsig, 3)) > 2) {
      out.verified = out.verified && ldns_pkt_tsig_verify_next(pkt, buffer.data(), size, "xfr-key.", kSecret,
                                                               previous, message > 0);
      ldns_rdf_deep_free(previous);
      previous = ldns_rdf_clone(ldns_rr_rdf(tsig, 3));
    }
    for (const auto& line : in_order(ldns_pkt_answer(pkt)))
      out.records.push_back(line);
    ldns_pkt_free(pkt);
  }
  if (previous != nullptr) ldns_rdf_deep_free(previous);
  return out;
}

class ZoneTransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_.zones = build_zone_set({zone_source("example.test.",
                                                  "www IN A 192.0.2.1\n"
                                                  "www IN AAAA 2001:db8::1\n"
                                                  "shadowed IN TXT \"configured\"\n"
                                                  "sub IN NS ns.sub\n"
                                                  "ns.sub IN A 192.0.2.99\n"
                                                  "*.wild IN A 192.0.2.77\n"),
                                      zone_source("other.test.", "x IN A 192.0.2.5\n")})
                          .value();
    snapshot_.options.transfer = policy({"example.test."});
    GeneratedNamesWriter writer;
    writer.stage(name_from_text("svc.example.test.").value(), address_node("svc.example.test.", 10));
    writer.stage(name_from_text("shadowed.example.test.").value(),
                 address_node("shadowed.example.test.", 11));
    model::Node resort = address_node("resort.example.test.", 12);
    resort.rrsets[0].rdatas.push_back(resort.rrsets[0].rdatas[0]);
    resort.rrsets[0].rdatas[1].wire[3] = 13;
    resort.rrsets[0].rdatas[1].tier = model::kLastResortTier;
    writer.stage(resort.name, resort);
    snapshot_.zones.mutable_zone(kOrigin)->generated = writer.publish();
    (void)serials_.stamp(snapshot_.zones, 1'000);
  }
  const TsigKey& key() const { return snapshot_.options.transfer->keys[0]; }
  const TsigKey& other_key() const { return snapshot_.options.transfer->keys[1]; }

  ServingSnapshot snapshot_;
  ZoneSerials serials_;
};

TEST_F(ZoneTransferTest, AxfrSendsTheZoneBetweenTwoSoasSignedAsAStream) {
  const Transfer t = run(snapshot_, request("example.test.", type::kAXFR, &key()));
  ASSERT_GE(t.records.size(), 2U);
  EXPECT_TRUE(t.verified);
  EXPECT_EQ(t.records.front(), t.records.back());
  EXPECT_NE(t.records.front().find("SOA"), std::string::npos);
  // The served serial: it follows the generated names (the clock given to stamp() said 1000).
  EXPECT_NE(t.records.front().find(" 1000 3600 600"), std::string::npos) << t.records.front();
  const std::set<std::string> records(t.records.begin() + 1, t.records.end() - 1);
  const std::set<std::string> expected = {
      "example.test. 30 IN NS ns1.example.test.",
      "ns1.example.test. 30 IN A 127.0.0.1",
      "www.example.test. 30 IN A 192.0.2.1",
      "www.example.test. 30 IN AAAA 2001:db8::1",
      "shadowed.example.test. 30 IN TXT \"configured\"",  // the configured name wins over the generated
      "sub.example.test. 30 IN NS ns.sub.example.test.",
      "ns.sub.example.test. 30 IN A 192.0.2.99",
      "*.wild.example.test. 30 IN A 192.0.2.77",
      "svc.example.test. 5 IN A 192.0.2.10",
      "resort.example.test. 5 IN A 192.0.2.12",  // its last-resort record is not zone data
  };
  EXPECT_EQ(records, expected);
  EXPECT_EQ(t.records.size(), expected.size() + 2);
}

TEST_F(ZoneTransferTest, ALargeZoneGoesInSeveralMessagesEachUnder64KiB) {
  std::string records;
  for (int i = 0; i < 3000; ++i)
    records += "t" + std::to_string(i) + " IN TXT \"" + std::string(100, 'x') + "\"\n";
  snapshot_.zones = build_zone_set({zone_source("example.test.", records)}).value();
  const Transfer t = run(snapshot_, request("example.test.", type::kAXFR, &key()));
  EXPECT_TRUE(t.verified);
  EXPECT_EQ(t.records.size(), 3000U + 2 + 2);  // the TXTs, NS, the glue, two SOAs
  EXPECT_GT(t.rcodes.size(), 4U);
  EXPECT_LE(t.largest, 65535U);
  for (const auto e : t.tsig_errors)
    EXPECT_EQ(e, 0);
}

TEST_F(ZoneTransferTest, IxfrFromTheCurrentSerialIsTheSoaAloneAndFromAnOlderOneTheWholeZone) {
  const Transfer current = run(snapshot_, request("example.test.", type::kIXFR, &key(), 1000));
  ASSERT_EQ(current.records.size(), 1U);
  EXPECT_TRUE(current.verified);
  const Transfer newer = run(snapshot_, request("example.test.", type::kIXFR, &key(), 1001));
  EXPECT_EQ(newer.records.size(), 1U);  // a secondary ahead of us is told our serial, not sent back in time
  const Transfer older = run(snapshot_, request("example.test.", type::kIXFR, &key(), 999));
  EXPECT_EQ(older.records.size(), 12U);  // RFC 1995 4: the whole zone in place of differences
  EXPECT_TRUE(older.verified);
}

TEST_F(ZoneTransferTest, WhatIsNotAllowedIsRefusedWithTheRightCode) {
  // Unsigned: REFUSED, unsigned.
  Transfer t = run(snapshot_, request("example.test.", type::kAXFR, nullptr));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_REFUSED});
  EXPECT_EQ(t.tsig_errors, std::vector<std::uint16_t>{0xFFFF});
  EXPECT_TRUE(t.records.empty());
  // A key we do not know: NOTAUTH with BADKEY.
  const TsigKey stranger = make_tsig_key("stranger.", "hmac-sha256", kSecret).value();
  t = run(snapshot_, request("example.test.", type::kAXFR, &stranger));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_NOTAUTH});
  EXPECT_EQ(t.tsig_errors, std::vector<std::uint16_t>{tsig_error::kBadKey});
  // Our key's name with another secret: NOTAUTH with BADSIG.
  const TsigKey forged = make_tsig_key("xfr-key.", "hmac-sha256", kOtherSecret).value();
  t = run(snapshot_, request("example.test.", type::kAXFR, &forged));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_NOTAUTH});
  EXPECT_EQ(t.tsig_errors, std::vector<std::uint16_t>{tsig_error::kBadSig});
  // A known key that no secondary uses for this zone, and a zone the key's secondary is not listed for:
  // REFUSED, signed (the key is good).
  t = run(snapshot_, request("example.test.", type::kAXFR, &other_key()));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_REFUSED});
  EXPECT_EQ(t.tsig_errors, std::vector<std::uint16_t>{0});
  t = run(snapshot_, request("other.test.", type::kAXFR, &key()));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_REFUSED});
  EXPECT_TRUE(t.verified);
  // A name inside a zone, or outside every zone: NOTAUTH.
  t = run(snapshot_, request("www.example.test.", type::kAXFR, &key()));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_NOTAUTH});
  t = run(snapshot_, request("elsewhere.", type::kAXFR, &key()));
  EXPECT_EQ(t.rcodes, std::vector<int>{LDNS_RCODE_NOTAUTH});
}

TEST_F(ZoneTransferTest, SourceNetworksAreEnforced) {
  snapshot_.options.transfer = policy({}, {"10.0.0.0/8"});
  EXPECT_EQ(run(snapshot_, request("example.test.", type::kAXFR, &key()), "127.0.0.1").rcodes,
            std::vector<int>{LDNS_RCODE_REFUSED});
  const Transfer t = run(snapshot_, request("example.test.", type::kAXFR, &key()), "10.1.2.3");
  EXPECT_EQ(t.rcodes.front(), LDNS_RCODE_NOERROR);
  EXPECT_EQ(t.records.size(), 12U);
}

TEST_F(ZoneTransferTest, AZoneStillSyncingIsNotTransferred) {
  snapshot_.zones.mutable_zone(kOrigin)->unsure_negatives = true;
  EXPECT_EQ(run(snapshot_, request("example.test.", type::kAXFR, &key())).rcodes,
            std::vector<int>{LDNS_RCODE_SERVFAIL});
}

TEST_F(ZoneTransferTest, UdpTransfersAreRefusedAndSignedQueriesAreAnsweredSigned) {
  WorkerCounters counters;
  std::vector<std::uint8_t> out(65535);
  const auto axfr = request("example.test.", type::kAXFR, &key());
  std::size_t size = respond(axfr, out, RequestInfo{}, snapshot_, counters);
  Packet p = parse_with_ldns(out.data(), size);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_REFUSED);
  // A signed SOA query (a secondary's refresh): answered with the served serial, and signed.
  const auto soa = request("example.test.", type::kSOA, &key());
  size = respond(soa, out, RequestInfo{}, snapshot_, counters);
  p = parse_with_ldns(out.data(), size);
  ASSERT_NE(ldns_pkt_tsig(p.get()), nullptr);
  Query query;
  ASSERT_EQ(parse_query(soa, query), ParseStatus::kOk);
  TsigRecord record;
  ASSERT_TRUE(parse_tsig_record(soa, query.tsig_offset, record));
  ldns_rdf* mac = mac_rdf(record.mac);
  EXPECT_TRUE(ldns_pkt_tsig_verify(p.get(), out.data(), size, "xfr-key.", kSecret, mac));
  ldns_rdf_deep_free(mac);
  EXPECT_NE(in_order(ldns_pkt_answer(p.get())).at(0).find(" 1000 3600"), std::string::npos);
  // A wrong signature: NOTAUTH, BADSIG, counted.
  const TsigKey forged = make_tsig_key("xfr-key.", "hmac-sha256", kOtherSecret).value();
  size = respond(request("example.test.", type::kSOA, &forged), out, RequestInfo{}, snapshot_, counters);
  p = parse_with_ldns(out.data(), size);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOTAUTH);
  EXPECT_TRUE(ldns_pkt_answer(p.get()) == nullptr || ldns_rr_list_rr_count(ldns_pkt_answer(p.get())) == 0);
  EXPECT_EQ(counters.tsig_failures.get(), 1U);
}

// Applies an IXFR answer (RFC 1995 4: new SOA, then per difference sequence the old SOA, deletions, the new
// SOA, additions; the new SOA last) to a copy of the old zone's records; false when the answer is not that
// shape.
bool apply_ixfr(const std::vector<std::string>& answer, std::set<std::string>& zone) {
  if (answer.size() < 4 || answer.front() != answer.back()) return false;
  const std::string& new_soa = answer.front();
  std::size_t i = 1;
  if (answer[i].find(" SOA ") == std::string::npos || answer[i] == new_soa) return false;
  zone.erase(answer[i++]);  // the old SOA
  for (; i < answer.size() && answer[i] != new_soa; ++i) {
    if (zone.erase(answer[i]) != 1) return false;  // deleting what is not there: a wrong difference
  }
  ++i;  // the new SOA between deletions and additions
  for (; i + 1 < answer.size(); ++i) {
    if (!zone.insert(answer[i]).second) return false;  // adding what is there
  }
  zone.insert(new_soa);
  return i + 1 == answer.size();
}

// The zone as a full transfer sends it: its records as a set (the closing SOA repeats the first).
std::set<std::string> as_set(const Transfer& t) {
  return {t.records.begin(), t.records.end()};
}

TEST_F(ZoneTransferTest, IxfrFromAKeptVersionSendsOnlyWhatChanged) {
  const auto before = as_set(run(snapshot_, request("example.test.", type::kAXFR, &key())));
  // Another address for svc, a new name, resort gone, shadowed's generated record changed (still shadowed).
  GeneratedNamesWriter writer;
  auto* zone = snapshot_.zones.mutable_zone(kOrigin);
  // Start from the published names: stage the same nodes again, then the changes.
  for (std::size_t s = 0; s < model::GeneratedNames::kShards; ++s) {
    if (const auto* shard = zone->generated->shard(s)) {
      for (const auto& node : shard->nodes)
        writer.stage(node.name, node);
    }
  }
  (void)writer.publish();
  writer.stage(name_from_text("svc.example.test.").value(), address_node("svc.example.test.", 20));
  writer.stage(name_from_text("new.example.test.").value(), address_node("new.example.test.", 30));
  writer.stage(name_from_text("resort.example.test.").value(), std::nullopt);
  writer.stage(name_from_text("shadowed.example.test.").value(), address_node("shadowed.example.test.", 40));
  zone->generated = writer.publish();
  (void)serials_.stamp(snapshot_.zones, 1'000);
  const auto after = as_set(run(snapshot_, request("example.test.", type::kAXFR, &key())));

  const Transfer ixfr = run(snapshot_, request("example.test.", type::kIXFR, &key(), 1000));
  EXPECT_TRUE(ixfr.verified);
  // New SOA, old SOA, svc's old address and resort's record, new SOA, svc's new address and the new name,
  // new SOA.
  EXPECT_EQ(ixfr.records.size(), 8U) << ::testing::PrintToString(ixfr.records);
  std::set<std::string> applied = before;
  EXPECT_TRUE(apply_ixfr(ixfr.records, applied)) << ::testing::PrintToString(ixfr.records);
  EXPECT_EQ(applied, after);
  // From a serial never served here: the whole zone.
  EXPECT_EQ(run(snapshot_, request("example.test.", type::kIXFR, &key(), 900)).records.size(),
            after.size() + 1);
}

// Random changes in batches; after each, IXFR from every kept version, applied to what that version's full
// transfer held, gives what a full transfer holds now.
TEST_F(ZoneTransferTest, IxfrDifferencesAgreeWithFullTransfersUnderRandomChanges) {
  std::mt19937 rng(20261127);
  GeneratedNamesWriter writer;
  std::map<std::uint32_t, std::set<std::string>> versions;
  auto* zone = snapshot_.zones.mutable_zone(kOrigin);
  zone->generated = writer.publish();
  (void)serials_.stamp(snapshot_.zones, 2'000);
  auto serial = [&] { return soa_serial(zone->soa_set()->rdatas[0].wire); };
  versions[serial()] = as_set(run(snapshot_, request("example.test.", type::kAXFR, &key())));
  for (int batch = 0; batch < 30; ++batch) {
    for (int change = 0; change < 1 + static_cast<int>(rng() % 6); ++change) {
      const std::string name = "n" + std::to_string(rng() % 40) + ".example.test.";
      if (rng() % 4 == 0) {
        writer.stage(name_from_text(name).value(), std::nullopt);
      } else {
        model::Node node = address_node(name, static_cast<std::uint8_t>(rng() % 3));
        if (rng() % 2 == 0) node.rrsets[0].rdatas.push_back(address_node(name, 9).rrsets[0].rdatas[0]);
        node.rrsets[0].ttl = rng() % 5 == 0 ? 60 : 5;
        writer.stage(node.name, node);
      }
    }
    zone->generated = writer.publish();
    (void)serials_.stamp(snapshot_.zones, 2'000);
    const auto now_full = as_set(run(snapshot_, request("example.test.", type::kAXFR, &key())));
    for (const auto& [from, records] : versions) {
      const Transfer ixfr = run(snapshot_, request("example.test.", type::kIXFR, &key(), from));
      ASSERT_TRUE(ixfr.verified);
      std::set<std::string> applied = records;
      ASSERT_TRUE(apply_ixfr(ixfr.records, applied)) << "batch " << batch << " from " << from;
      ASSERT_EQ(applied, now_full) << "batch " << batch << " from " << from;
    }
    versions[serial()] = now_full;
  }
  EXPECT_EQ(zone->history->size(), 31U);  // the fixture's version and one per batch
}

TEST(ZoneSerials, AStaticZoneKeepsItsConfiguredSerial) {
  auto zones = build_zone_set({zone_source("example.test.", "www IN A 192.0.2.1\n")}).value();
  ZoneSerials serials;
  EXPECT_EQ(serials.stamp(zones, 5'000), std::vector<std::string>{kOrigin});
  EXPECT_EQ(zones.zones()[0].soa, nullptr);
  EXPECT_EQ(soa_serial(zones.zones()[0].soa_set()->rdatas[0].wire), 7U);
  EXPECT_TRUE(serials.stamp(zones, 6'000).empty());  // nothing changed, nothing to announce
}

TEST(ZoneSerials, GeneratedNamesMoveTheSerialForwardOnEveryChangeOnly) {
  auto zones = build_zone_set({zone_source("example.test.", "")}).value();
  GeneratedNamesWriter writer;
  auto served = [&]() -> model::ServedZone& { return *zones.mutable_zone(kOrigin); };
  auto serial = [&] { return soa_serial(served().soa_set()->rdatas[0].wire); };
  served().generated = writer.publish();
  ZoneSerials serials;
  EXPECT_EQ(serials.stamp(zones, 5).size(), 1U);
  EXPECT_EQ(serial(), 7U);  // the configured serial is a floor, and the clock (5) is behind it
  EXPECT_TRUE(serials.stamp(zones, 6).empty());
  EXPECT_EQ(serial(), 7U);
  writer.stage(name_from_text("a.example.test.").value(), address_node("a.example.test.", 1));
  served().generated = writer.publish();
  EXPECT_EQ(serials.stamp(zones, 6).size(), 1U);
  EXPECT_EQ(serial(), 8U);  // one more than the last
  writer.stage(name_from_text("b.example.test.").value(), address_node("b.example.test.", 2));
  served().generated = writer.publish();
  (void)serials.stamp(zones, 1'800'000'000);
  EXPECT_EQ(serial(), 1'800'000'000U);  // the clock, so a restart does not go back
  // The base SOA the query path would otherwise read is untouched (shared with other snapshots).
  EXPECT_EQ(soa_serial(zones.zones()[0].base->apex_node().find(type::kSOA)->rdatas[0].wire), 7U);
  // A zone that becomes complete is news too.
  served().unsure_negatives = true;
  (void)serials.stamp(zones, 1'800'000'000);
  served().unsure_negatives = false;
  EXPECT_EQ(serials.stamp(zones, 1'800'000'000).size(), 1U);
  EXPECT_EQ(serial(), 1'800'000'002U);
}

TEST(ZoneSerials, SerialArithmeticWraps) {
  EXPECT_TRUE(serial_newer(0, 0xFFFFFFFFU));  // RFC 1982: 0 follows 2^32 - 1
  EXPECT_TRUE(serial_newer(5, 4));
  EXPECT_FALSE(serial_newer(4, 5));
  EXPECT_FALSE(serial_newer(7, 7));
  EXPECT_FALSE(serial_newer(0x80000000U + 10, 10) && serial_newer(10, 0x80000000U + 10));
}

}  // namespace
}  // namespace fedns::dns
