// TSIG (RFC 8945) checked against an independent implementation: ldns signs queries that we verify, and
// verifies what we sign (single responses and the messages of a stream), plus each way a signature fails.
#include "dns/tsig.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <vector>

#include "dns/test_packets.hpp"

namespace fedns::dns {
namespace {

constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";

TsigKey key(const char* name = "xfr-key.", const char* algorithm = "hmac-sha256",
            const char* secret = kSecret) {
  auto k = make_tsig_key(name, algorithm, secret);
  EXPECT_TRUE(k) << k.error().message;
  return k.value();
}

std::uint64_t now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

// A query signed by ldns with `secret`.
std::vector<std::uint8_t> ldns_signed_query(const char* algorithm, const char* secret = kSecret,
                                            const char* key_name = "xfr-key.") {
  ldns_pkt* pkt = nullptr;
  EXPECT_EQ(ldns_pkt_query_new_frm_str(&pkt, "example.test.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0),
            LDNS_STATUS_OK);
  ldns_pkt_set_id(pkt, 0x4242);
  EXPECT_EQ(ldns_pkt_tsig_sign(pkt, key_name, secret, 300, algorithm, nullptr), LDNS_STATUS_OK);
  return test::wire_of(pkt);
}

TsigRecord tsig_of(const std::vector<std::uint8_t>& message) {
  Query query;
  EXPECT_EQ(parse_query(message, query), ParseStatus::kOk);
  EXPECT_NE(query.tsig_offset, 0U);
  TsigRecord record;
  EXPECT_TRUE(parse_tsig_record(message, query.tsig_offset, record));
  return record;
}

TEST(Tsig, KeysAreCheckedWhenMade) {
  EXPECT_FALSE(make_tsig_key("k.", "hmac-md5", kSecret));  // deprecated, refused
  EXPECT_FALSE(make_tsig_key("k.", "hmac-sha256", "not base64!"));
  EXPECT_FALSE(make_tsig_key("k.", "hmac-sha256", "c2hvcnQ="));  // 5 octets
  EXPECT_FALSE(make_tsig_key("bad..name", "hmac-sha256", kSecret));
  const TsigKey k = key("XFR-Key", "HMAC-SHA512.");
  EXPECT_EQ(k.name, std::string("\x07xfr-key\x00", 9));  // case-folded, absolute
  EXPECT_EQ(k.algorithm, TsigAlgorithm::kHmacSha512);
  EXPECT_EQ(k.secret, "secret-secret-secret-secret-secret");
}

// ldns 1.8 has no HMAC-SHA224 or -SHA384; those two are checked against ourselves (RoundTrips).
TEST(Tsig, QueriesSignedByLdnsVerifyForEveryAlgorithmItHas) {
  for (const char* algorithm : {"hmac-sha1.", "hmac-sha256.", "hmac-sha512."}) {
    SCOPED_TRACE(algorithm);
    const auto message = ldns_signed_query(algorithm);
    const std::vector<TsigKey> keys = {key("other."), key("xfr-key.", algorithm)};
    const TsigVerdict verdict = verify_tsig_request(message, tsig_of(message), keys, now());
    EXPECT_EQ(verdict.error, 0);
    EXPECT_EQ(verdict.key, &keys[1]);
    EXPECT_EQ(verdict.mac_size, tsig_mac_size(keys[1].algorithm));
  }
}

TEST(Tsig, EachFailureGetsItsError) {
  const auto message = ldns_signed_query("hmac-sha256.");
  const TsigRecord record = tsig_of(message);
  // A key we do not know, or the right name with another algorithm: BADKEY.
  EXPECT_EQ(verify_tsig_request(message, record, std::vector<TsigKey>{key("other.")}, now()).error,
            tsig_error::kBadKey);
  EXPECT_EQ(
      verify_tsig_request(message, record, std::vector<TsigKey>{key("xfr-key.", "hmac-sha512")}, now()).error,
      tsig_error::kBadKey);
  // Another secret, or one changed octet of the message: BADSIG.
  const std::vector<TsigKey> wrong = {
      key("xfr-key.", "hmac-sha256", "d3JvbmctY2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LQ==")};
  EXPECT_EQ(verify_tsig_request(message, record, wrong, now()).error, tsig_error::kBadSig);
  auto tampered = message;
  tampered[3] ^= 0x01;  // the RD flag
  const std::vector<TsigKey> right = {key()};
  EXPECT_EQ(verify_tsig_request(tampered, tsig_of(tampered), right, now()).error, tsig_error::kBadSig);
  // Signed more than the fudge (300 s) away from our clock: BADTIME, but the key is known (the error
  // answer is signed).
  const TsigVerdict late = verify_tsig_request(message, record, right, now() + 301);
  EXPECT_EQ(late.error, tsig_error::kBadTime);
  EXPECT_NE(late.key, nullptr);
  EXPECT_EQ(verify_tsig_request(message, record, right, now() + 299).error, 0);
}

TEST(Tsig, ATsigThatIsNotLastIsMalformed) {
  auto message = ldns_signed_query("hmac-sha256.");
  // Another record after the TSIG: bump ARCOUNT and append an empty A record of the root.
  message[11] = 2;
  for (const int b : {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0})
    message.push_back(static_cast<std::uint8_t>(b));
  Query query;
  EXPECT_EQ(parse_query(message, query), ParseStatus::kFormErr);
}

// What we sign, ldns verifies: a response to ldns's query, then a stream of three messages (timers only
// after the first, each covering the previous MAC).
TEST(Tsig, LdnsVerifiesWhatWeSign) {
  const auto query = ldns_signed_query("hmac-sha256.");
  const std::vector<TsigKey> keys = {key()};
  const TsigVerdict verdict = verify_tsig_request(query, tsig_of(query), keys, now());
  ASSERT_EQ(verdict.error, 0);
  TsigSigner signer(keys[0], {verdict.mac.data(), verdict.mac_size});

  ldns_rdf* request_mac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 0, nullptr);
  {
    // ldns wants the request MAC as an INT16_DATA rdf: length, then the octets.
    std::vector<std::uint8_t> data = {0, static_cast<std::uint8_t>(verdict.mac_size)};
    data.insert(data.end(), verdict.mac.begin(), verdict.mac.begin() + static_cast<long>(verdict.mac_size));
    ldns_rdf_deep_free(request_mac);
    request_mac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, data.size(), data.data());
  }
  ldns_rdf* previous = ldns_rdf_clone(request_mac);
  for (int message = 0; message < 3; ++message) {
    SCOPED_TRACE(message);
    std::vector<std::uint8_t> out(4096);
    // A response: the query's header with QR, and the question (12 + 18 octets of the query).
    std::copy(query.begin(), query.begin() + 30, out.begin());
    out[2] |= 0x80;
    out[10] = out[11] = 0;
    const std::size_t size = signer.sign(out, 30, now());
    ASSERT_GT(size, 30U);
    out.resize(size);
    ldns_pkt* pkt = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&pkt, out.data(), out.size()), LDNS_STATUS_OK);
    EXPECT_TRUE(
        ldns_pkt_tsig_verify_next(pkt, out.data(), out.size(), "xfr-key.", kSecret, previous, message > 0));
    ldns_rdf_deep_free(previous);
    const auto last = signer.last_mac();
    std::vector<std::uint8_t> data = {0, static_cast<std::uint8_t>(last.size())};
    data.insert(data.end(), last.begin(), last.end());
    previous = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, data.size(), data.data());
    ldns_pkt_free(pkt);
  }
  ldns_rdf_deep_free(previous);
  ldns_rdf_deep_free(request_mac);
}

// Our own requests (NOTIFY) carry no request MAC; ldns verifies them as queries, and a response signed over
// their MAC verifies with verify_tsig_response.
TEST(Tsig, OurRequestsAndTheirAnswers) {
  const TsigKey k = key();
  std::vector<std::uint8_t> request = test::make_query("example.test.", {.id = 7, .qtype = 6});
  request.resize(4096);
  TsigSigner ours(k, {});
  const std::size_t size =
      ours.sign(request, test::make_query("example.test.", {.id = 7, .qtype = 6}).size(), now());
  ASSERT_NE(size, 0U);
  request.resize(size);
  ldns_pkt* pkt = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&pkt, request.data(), request.size()), LDNS_STATUS_OK);
  EXPECT_TRUE(ldns_pkt_tsig_verify(pkt, request.data(), request.size(), "xfr-key.", kSecret, nullptr));
  ldns_pkt_free(pkt);

  // The answer, signed by a peer holding the same key over our MAC.
  const std::vector<TsigKey> keys = {k};
  const TsigVerdict verdict = verify_tsig_request(request, tsig_of(request), keys, now());
  ASSERT_EQ(verdict.error, 0);
  std::vector<std::uint8_t> answer(request.begin(), request.begin() + 30);
  answer[2] |= 0x80;
  answer[10] = answer[11] = 0;  // the request's TSIG is not part of the answer
  answer.resize(4096);
  TsigSigner theirs(k, {verdict.mac.data(), verdict.mac_size});
  const std::size_t answer_size = theirs.sign(answer, 30, now());
  answer.resize(answer_size);
  EXPECT_TRUE(verify_tsig_response(answer, k, ours.last_mac()));
  answer[answer.size() - 10] ^= 0x40;  // inside the MAC
  EXPECT_FALSE(verify_tsig_response(answer, k, ours.last_mac()));
}

TEST(Tsig, Sha224AndSha384RoundTrip) {
  for (const char* algorithm : {"hmac-sha224", "hmac-sha384"}) {
    const std::vector<TsigKey> keys = {key("xfr-key.", algorithm)};
    std::vector<std::uint8_t> request = test::make_query("example.test.");
    const std::size_t size = request.size();
    request.resize(size + tsig_record_size(keys[0]));
    TsigSigner signer(keys[0], {});
    ASSERT_EQ(signer.sign(request, size, now()), request.size());
    const TsigVerdict verdict = verify_tsig_request(request, tsig_of(request), keys, now());
    EXPECT_EQ(verdict.error, 0);
    EXPECT_EQ(verdict.mac_size, tsig_mac_size(keys[0].algorithm));
  }
}

TEST(Tsig, SigningNeverWritesPastTheBuffer) {
  const TsigKey k = key();
  std::vector<std::uint8_t> message = test::make_query("example.test.");
  const std::size_t size = message.size();
  message.resize(size + tsig_record_size(k) - 1);
  TsigSigner signer(k, {});
  EXPECT_EQ(signer.sign(message, size, now()), 0U);
  message.resize(size + tsig_record_size(k));
  EXPECT_EQ(signer.sign(message, size, now()), message.size());
}

}  // namespace
}  // namespace fedns::dns
