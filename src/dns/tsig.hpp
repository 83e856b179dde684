// Transaction signatures (TSIG, RFC 8945): verifying a signed request and signing responses, single or a
// stream of them (a zone transfer), and signing our own requests (NOTIFY). HMAC comes from OpenSSL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "dns/name.hpp"

namespace fedns::dns {

// HMAC-MD5 is left out on purpose (RFC 8945 6: deprecated).
enum class TsigAlgorithm : std::uint8_t { kHmacSha1, kHmacSha224, kHmacSha256, kHmacSha384, kHmacSha512 };

// "hmac-sha256" (the names of RFC 8945 6, with or without the trailing dot).
Result<TsigAlgorithm> parse_tsig_algorithm(std::string_view text);
// The algorithm's name in lower-case wire form.
std::string_view tsig_algorithm_wire(TsigAlgorithm algorithm) noexcept;
std::size_t tsig_mac_size(TsigAlgorithm algorithm) noexcept;

struct TsigKey {
  std::string name;  // lower-case wire form
  TsigAlgorithm algorithm = TsigAlgorithm::kHmacSha256;
  std::string secret;  // the shared secret's bytes (decoded from base64)
};

// A key from its configured parts; the secret is base64 (as `tsig-keygen`, `keymgr -t` and `dig -y` use).
Result<TsigKey> make_tsig_key(std::string_view name, std::string_view algorithm,
                              std::string_view base64_secret);

// TSIG errors (RFC 8945 3), carried in the TSIG record; the header says NOTAUTH.
namespace tsig_error {
inline constexpr std::uint16_t kBadSig = 16;
inline constexpr std::uint16_t kBadKey = 17;
inline constexpr std::uint16_t kBadTime = 18;
inline constexpr std::uint16_t kBadTrunc = 22;
}  // namespace tsig_error

inline constexpr std::size_t kMaxTsigMac = 64;

// The TSIG record of a received message (the last record of its additional section).
struct TsigRecord {
  std::size_t offset = 0;  // where the record starts in the message
  NameBuffer key_name;     // case-folded
  NameBuffer algorithm;    // case-folded
  std::uint64_t time_signed = 0;
  std::uint16_t fudge = 0;
  std::span<const std::uint8_t> mac;
  std::uint16_t original_id = 0;
  std::uint16_t error = 0;
  std::span<const std::uint8_t> other;
};

// Reads the TSIG record starting at `offset`; false when it is malformed or not the message's end.
bool parse_tsig_record(std::span<const std::uint8_t> message, std::size_t offset, TsigRecord& out) noexcept;

// What checking a signed request found: error 0 and the key it was signed with, or the TSIG error to return.
struct TsigVerdict {
  std::uint16_t error = 0;
  const TsigKey* key = nullptr;  // set when the key is known (also for BADSIG and BADTIME)
  std::array<std::uint8_t, kMaxTsigMac> mac{};
  std::size_t mac_size = 0;
};

// Checks the request's MAC with the key it names (RFC 8945 5.2): unknown key or algorithm -> BADKEY, a MAC
// that does not match (or is truncated, which we do not accept) -> BADSIG, signed outside the fudge window of
// `now` (seconds since the epoch) -> BADTIME.
TsigVerdict verify_tsig_request(std::span<const std::uint8_t> message, const TsigRecord& record,
                                std::span<const TsigKey> keys, std::uint64_t now) noexcept;

// Checks a response to our own signed request (a NOTIFY's answer), signed with `key` over `request_mac`.
bool verify_tsig_response(std::span<const std::uint8_t> message, const TsigKey& key,
                          std::span<const std::uint8_t> request_mac) noexcept;

// Octets the TSIG record for `key` takes (for reserving room before signing).
std::size_t tsig_record_size(const TsigKey& key, std::size_t other_size = 0) noexcept;

// Signs a request, a response or a stream of responses with one key: the first message covers the request's
// MAC (none for a request of our own) and all TSIG variables, each later one the previous MAC and the timers
// only (RFC 8945 5.3.1). Allocation-free apart from OpenSSL's HMAC context.
class TsigSigner {
 public:
  TsigSigner(const TsigKey& key, std::span<const std::uint8_t> request_mac) noexcept;

  // Appends the TSIG record to the message in buffer[0, size) and counts it in ARCOUNT. Returns the new size,
  // or 0 when it does not fit in the buffer. `error` != 0 (BADTIME) signs an error response; its `other`
  // carries our time.
  std::size_t sign(std::span<std::uint8_t> buffer, std::size_t size, std::uint64_t now,
                   std::uint16_t error = 0) noexcept;

  [[nodiscard]] std::span<const std::uint8_t> last_mac() const noexcept { return {mac_.data(), mac_size_}; }

 private:
  const TsigKey* key_;
  std::array<std::uint8_t, kMaxTsigMac> mac_{};  // the request's MAC, then each message's
  std::size_t mac_size_ = 0;
  bool first_ = true;
};

// Appends an unsigned TSIG record carrying `error` (BADKEY, BADSIG: the MAC is empty, RFC 8945 5.3.2) that
// names the request's key and algorithm. Returns the new size, or 0 when it does not fit.
std::size_t append_tsig_error(std::span<std::uint8_t> buffer, std::size_t size, const TsigRecord& request,
                              std::uint16_t error, std::uint64_t now) noexcept;

}  // namespace fedns::dns
