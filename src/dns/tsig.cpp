// TSIG (RFC 8945) over OpenSSL's HMAC. Hand-written framing rather than ldns's tsig functions: those work on
// ldns_pkt objects, so every 64 KiB transfer message would be parsed and rendered again just to be signed.
#include "dns/tsig.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "dns/protocol.hpp"
#include "dns/wire_reader.hpp"

namespace fedns::dns {
namespace {

constexpr std::uint16_t kFudge = 300;  // seconds either way (RFC 8945 10 recommends 300)

struct AlgorithmInfo {
  TsigAlgorithm algorithm;
  std::string_view text;  // its name, without the trailing dot
  std::string_view wire;
  const char* digest;  // OpenSSL's digest name
  std::size_t mac_size;
};

constexpr AlgorithmInfo kAlgorithms[] = {
    {TsigAlgorithm::kHmacSha1, "hmac-sha1", std::string_view("\x09hmac-sha1\x00", 11), "SHA1", 20},
    {TsigAlgorithm::kHmacSha224, "hmac-sha224", std::string_view("\x0bhmac-sha224\x00", 13), "SHA224", 28},
    {TsigAlgorithm::kHmacSha256, "hmac-sha256", std::string_view("\x0bhmac-sha256\x00", 13), "SHA256", 32},
    {TsigAlgorithm::kHmacSha384, "hmac-sha384", std::string_view("\x0bhmac-sha384\x00", 13), "SHA384", 48},
    {TsigAlgorithm::kHmacSha512, "hmac-sha512", std::string_view("\x0bhmac-sha512\x00", 13), "SHA512", 64},
};

const AlgorithmInfo& info(TsigAlgorithm algorithm) noexcept {
  for (const auto& a : kAlgorithms) {
    if (a.algorithm == algorithm) return a;
  }
  return kAlgorithms[2];
}

// One HMAC computation; OpenSSL's HMAC implementation is fetched once per process.
class Hmac {
 public:
  explicit Hmac(const TsigKey& key) noexcept {
    static EVP_MAC* const kMac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (kMac == nullptr) return;
    ctx_ = EVP_MAC_CTX_new(kMac);
    if (ctx_ == nullptr) return;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                            const_cast<char*>(info(key.algorithm).digest), 0),
                           OSSL_PARAM_construct_end()};
    ok_ = EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.secret.data()), key.secret.size(),
                       params) == 1;
  }
  ~Hmac() { EVP_MAC_CTX_free(ctx_); }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void update(const void* data, std::size_t size) noexcept {
    if (ok_ && size != 0) ok_ = EVP_MAC_update(ctx_, static_cast<const unsigned char*>(data), size) == 1;
  }
  void u16(std::uint16_t v) noexcept {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    update(b, 2);
  }
  void u48(std::uint64_t v) noexcept {
    std::uint8_t b[6];
    for (int i = 0; i < 6; ++i)
      b[i] = static_cast<std::uint8_t>(v >> (8 * (5 - i)));
    update(b, 6);
  }
  // The MAC, or 0 on an OpenSSL failure.
  std::size_t finish(std::uint8_t* out) noexcept {
    std::size_t size = 0;
    if (!ok_ || EVP_MAC_final(ctx_, out, &size, kMaxTsigMac) != 1) return 0;
    return size;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

// The message as it was before the TSIG record was added: the original ID, one fewer additional record.
void digest_unsigned_message(Hmac& hmac, std::span<const std::uint8_t> message, std::size_t tsig_offset,
                             std::uint16_t original_id) noexcept {
  std::uint8_t header[kHeaderSize];
  std::memcpy(header, message.data(), kHeaderSize);
  header[0] = static_cast<std::uint8_t>(original_id >> 8);
  header[1] = static_cast<std::uint8_t>(original_id);
  const std::uint16_t arcount = static_cast<std::uint16_t>((header[10] << 8) | header[11]) - 1;
  header[10] = static_cast<std::uint8_t>(arcount >> 8);
  header[11] = static_cast<std::uint8_t>(arcount);
  hmac.update(header, kHeaderSize);
  hmac.update(message.data() + kHeaderSize, tsig_offset - kHeaderSize);
}

// The TSIG variables (RFC 8945 4.3.3), or only the timers for a later message of a stream.
void digest_variables(Hmac& hmac, std::string_view key_name, std::string_view algorithm,
                      std::uint64_t time_signed, std::uint16_t fudge, std::uint16_t error,
                      std::span<const std::uint8_t> other, bool timers_only) noexcept {
  if (!timers_only) {
    hmac.update(key_name.data(), key_name.size());
    hmac.u16(klass::kANY);
    const std::uint8_t ttl[4] = {0, 0, 0, 0};
    hmac.update(ttl, 4);
    hmac.update(algorithm.data(), algorithm.size());
  }
  hmac.u48(time_signed);
  hmac.u16(fudge);
  if (timers_only) return;
  hmac.u16(error);
  hmac.u16(static_cast<std::uint16_t>(other.size()));
  hmac.update(other.data(), other.size());
}

void put_u16(std::uint8_t* at, std::uint16_t v) noexcept {
  at[0] = static_cast<std::uint8_t>(v >> 8);
  at[1] = static_cast<std::uint8_t>(v);
}

// Writes a TSIG record at buffer[size] and bumps ARCOUNT; 0 when it does not fit.
std::size_t write_record(std::span<std::uint8_t> buffer, std::size_t size, std::string_view key_name,
                         std::string_view algorithm, std::uint64_t time_signed, std::uint16_t fudge,
                         std::span<const std::uint8_t> mac, std::uint16_t original_id, std::uint16_t error,
                         std::span<const std::uint8_t> other) noexcept {
  const std::size_t rdlength = algorithm.size() + 6 + 2 + 2 + mac.size() + 2 + 2 + 2 + other.size();
  const std::size_t total = key_name.size() + 10 + rdlength;
  if (size < kHeaderSize || buffer.size() < size || buffer.size() - size < total || rdlength > 0xFFFF)
    return 0;
  std::uint8_t* p = buffer.data() + size;
  std::memcpy(p, key_name.data(), key_name.size());
  p += key_name.size();
  put_u16(p, type::kTSIG);
  put_u16(p + 2, klass::kANY);
  std::memset(p + 4, 0, 4);
  put_u16(p + 8, static_cast<std::uint16_t>(rdlength));
  p += 10;
  std::memcpy(p, algorithm.data(), algorithm.size());
  p += algorithm.size();
  for (int i = 0; i < 6; ++i)
    *p++ = static_cast<std::uint8_t>(time_signed >> (8 * (5 - i)));
  put_u16(p, fudge);
  put_u16(p + 2, static_cast<std::uint16_t>(mac.size()));
  p += 4;
  if (!mac.empty()) std::memcpy(p, mac.data(), mac.size());
  p += mac.size();
  put_u16(p, original_id);
  put_u16(p + 2, error);
  put_u16(p + 4, static_cast<std::uint16_t>(other.size()));
  p += 6;
  if (!other.empty()) std::memcpy(p, other.data(), other.size());
  const std::uint16_t arcount = static_cast<std::uint16_t>((buffer[10] << 8) | buffer[11]) + 1;
  put_u16(buffer.data() + 10, arcount);
  return size + total;
}

// Where the last record of the message starts when it is a TSIG record; 0 otherwise.
std::size_t find_tsig(std::span<const std::uint8_t> message) noexcept {
  WireReader reader(message);
  std::uint16_t counts[4] = {};
  if (!reader.skip(4)) return 0;
  for (auto& c : counts) {
    if (!reader.u16(c)) return 0;
  }
  for (std::uint16_t i = 0; i < counts[0]; ++i) {
    NameBuffer name;
    if (!reader.name(name) || !reader.skip(4)) return 0;
  }
  const std::uint32_t records = std::uint32_t{counts[1]} + counts[2] + counts[3];
  std::size_t last = 0;
  std::uint16_t last_type = 0;
  for (std::uint32_t i = 0; i < records; ++i) {
    last = reader.pos();
    NameBuffer name;
    std::uint16_t rdlength = 0;
    if (!reader.name(name) || !reader.u16(last_type) || !reader.skip(6) || !reader.u16(rdlength) ||
        !reader.skip(rdlength)) {
      return 0;
    }
  }
  return counts[3] != 0 && last_type == type::kTSIG ? last : 0;
}

}  // namespace

Result<TsigAlgorithm> parse_tsig_algorithm(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  for (const auto& a : kAlgorithms) {
    if (text.size() == a.text.size() &&
        std::equal(text.begin(), text.end(), a.text.begin(), [](char x, char y) {
          return fold_case(static_cast<std::uint8_t>(x)) == static_cast<std::uint8_t>(y);
        })) {
      return a.algorithm;
    }
  }
  return Error{"unknown TSIG algorithm \"" + std::string(text) +
               "\" (hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512)"};
}

std::string_view tsig_algorithm_wire(TsigAlgorithm algorithm) noexcept {
  return info(algorithm).wire;
}
std::size_t tsig_mac_size(TsigAlgorithm algorithm) noexcept {
  return info(algorithm).mac_size;
}

Result<TsigKey> make_tsig_key(std::string_view name, std::string_view algorithm,
                              std::string_view base64_secret) {
  TsigKey key;
  auto wire = name_from_text(std::string(name));
  if (!wire) return wire.error().wrap("key name");
  key.name = *wire;
  fold_case(key.name);
  auto parsed = parse_tsig_algorithm(algorithm);
  if (!parsed) return parsed.error();
  key.algorithm = *parsed;
  std::string text;
  for (const char c : base64_secret) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') text.push_back(c);
  }
  if (text.empty() || text.size() % 4 != 0)
    return Error{"secret: not base64 (length " + std::to_string(text.size()) + ")"};
  key.secret.resize(text.size() / 4 * 3);
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.secret.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Error{"secret: not base64"};
  std::size_t padding = 0;
  for (std::size_t i = text.size(); i-- > 0 && text[i] == '=';)
    ++padding;
  if (padding > 2) return Error{"secret: not base64"};
  key.secret.resize(static_cast<std::size_t>(n) - padding);
  if (key.secret.size() < 16)
    return Error{"secret: shorter than 16 octets (RFC 8945 6 wants at least the MAC size)"};
  return key;
}

bool parse_tsig_record(std::span<const std::uint8_t> message, std::size_t offset, TsigRecord& out) noexcept {
  WireReader reader(message, offset);
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::uint16_t rdlength = 0;
  if (!reader.name(out.key_name) || !reader.u16(type) || !reader.u16(klass) || !reader.u32(ttl) ||
      !reader.u16(rdlength)) {
    return false;
  }
  if (type != type::kTSIG || klass != klass::kANY || ttl != 0 || reader.remaining() != rdlength) return false;
  // Names in TSIG are never compressed (RFC 8945 4.2).
  WireReader rdata(message, reader.pos());
  std::uint16_t high = 0;
  std::uint32_t low = 0;
  std::uint16_t mac_size = 0;
  const std::uint8_t* mac = nullptr;
  std::uint16_t other_size = 0;
  const std::uint8_t* other = nullptr;
  if (!rdata.name(out.algorithm, false) || !rdata.u16(high) || !rdata.u32(low) || !rdata.u16(out.fudge) ||
      !rdata.u16(mac_size) || !rdata.bytes(mac_size, mac) || !rdata.u16(out.original_id) ||
      !rdata.u16(out.error) || !rdata.u16(other_size) || !rdata.bytes(other_size, other) ||
      rdata.remaining() != 0) {
    return false;
  }
  for (std::size_t i = 0; i < out.key_name.size; ++i)
    out.key_name.data[i] = fold_case(out.key_name.data[i]);
  for (std::size_t i = 0; i < out.algorithm.size; ++i)
    out.algorithm.data[i] = fold_case(out.algorithm.data[i]);
  out.offset = offset;
  out.time_signed = (std::uint64_t{high} << 32) | low;
  out.mac = {mac, mac_size};
  out.other = {other, other_size};
  return true;
}

TsigVerdict verify_tsig_request(std::span<const std::uint8_t> message, const TsigRecord& record,
                                std::span<const TsigKey> keys, std::uint64_t now) noexcept {
  TsigVerdict verdict;
  for (const auto& key : keys) {
    if (key.name == record.key_name.view() && tsig_algorithm_wire(key.algorithm) == record.algorithm.view()) {
      verdict.key = &key;
      break;
    }
  }
  if (verdict.key == nullptr) {
    verdict.error = tsig_error::kBadKey;
    return verdict;
  }
  Hmac hmac(*verdict.key);
  digest_unsigned_message(hmac, message, record.offset, record.original_id);
  digest_variables(hmac, record.key_name.view(), record.algorithm.view(), record.time_signed, record.fudge,
                   record.error, record.other, false);
  std::array<std::uint8_t, kMaxTsigMac> expected{};
  const std::size_t size = hmac.finish(expected.data());
  // A truncated MAC (RFC 8945 5.2.2.1) is refused as a bad signature: nothing we talk to sends one.
  if (size == 0 || record.mac.size() != size ||
      CRYPTO_memcmp(expected.data(), record.mac.data(), size) != 0) {
    verdict.error = tsig_error::kBadSig;
    return verdict;
  }
  std::copy_n(record.mac.begin(), size, verdict.mac.begin());
  verdict.mac_size = size;
  const std::uint64_t skew = now > record.time_signed ? now - record.time_signed : record.time_signed - now;
  if (skew > record.fudge) verdict.error = tsig_error::kBadTime;
  return verdict;
}

bool verify_tsig_response(std::span<const std::uint8_t> message, const TsigKey& key,
                          std::span<const std::uint8_t> request_mac) noexcept {
  const std::size_t offset = find_tsig(message);
  TsigRecord record;
  if (offset == 0 || !parse_tsig_record(message, offset, record)) return false;
  if (record.key_name.view() != key.name || record.algorithm.view() != tsig_algorithm_wire(key.algorithm))
    return false;
  if (record.error != 0) return false;
  Hmac hmac(key);
  hmac.u16(static_cast<std::uint16_t>(request_mac.size()));
  hmac.update(request_mac.data(), request_mac.size());
  digest_unsigned_message(hmac, message, record.offset, record.original_id);
  digest_variables(hmac, record.key_name.view(), record.algorithm.view(), record.time_signed, record.fudge,
                   record.error, record.other, false);
  std::array<std::uint8_t, kMaxTsigMac> expected{};
  const std::size_t size = hmac.finish(expected.data());
  return size != 0 && record.mac.size() == size &&
         CRYPTO_memcmp(expected.data(), record.mac.data(), size) == 0;
}

std::size_t tsig_record_size(const TsigKey& key, std::size_t other_size) noexcept {
  return key.name.size() + 10 + tsig_algorithm_wire(key.algorithm).size() + 16 +
         tsig_mac_size(key.algorithm) + other_size;
}

TsigSigner::TsigSigner(const TsigKey& key, std::span<const std::uint8_t> request_mac) noexcept
    : key_(&key), mac_size_(std::min(request_mac.size(), kMaxTsigMac)) {
  std::copy_n(request_mac.begin(), mac_size_, mac_.begin());
}

std::size_t TsigSigner::sign(std::span<std::uint8_t> buffer, std::size_t size, std::uint64_t now,
                             std::uint16_t error) noexcept {
  if (size < kHeaderSize) return 0;
  const std::string_view algorithm = tsig_algorithm_wire(key_->algorithm);
  std::uint8_t other[6] = {};
  std::span<const std::uint8_t> other_data;
  if (error == tsig_error::kBadTime) {  // our time, so the client can see how far off it is (RFC 8945 5.2.3)
    for (int i = 0; i < 6; ++i)
      other[i] = static_cast<std::uint8_t>(now >> (8 * (5 - i)));
    other_data = {other, 6};
  }
  Hmac hmac(*key_);
  // A request of our own has no MAC before it; a response covers the request's, a later message the last.
  if (!first_ || mac_size_ != 0) {
    hmac.u16(static_cast<std::uint16_t>(mac_size_));
    hmac.update(mac_.data(), mac_size_);
  }
  hmac.update(buffer.data(), size);
  digest_variables(hmac, key_->name, algorithm, now, kFudge, error, other_data, !first_);
  std::array<std::uint8_t, kMaxTsigMac> mac{};
  const std::size_t mac_size = hmac.finish(mac.data());
  if (mac_size == 0) return 0;
  const std::uint16_t id = static_cast<std::uint16_t>((buffer[0] << 8) | buffer[1]);
  const std::size_t signed_size = write_record(buffer, size, key_->name, algorithm, now, kFudge,
                                               {mac.data(), mac_size}, id, error, other_data);
  if (signed_size == 0) return 0;
  mac_ = mac;
  mac_size_ = mac_size;
  first_ = false;
  return signed_size;
}

std::size_t append_tsig_error(std::span<std::uint8_t> buffer, std::size_t size, const TsigRecord& request,
                              std::uint16_t error, std::uint64_t now) noexcept {
  return write_record(buffer, size, request.key_name.view(), request.algorithm.view(), now, kFudge, {},
                      request.original_id, error, {});
}

}  // namespace fedns::dns
