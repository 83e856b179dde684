// Zone transfer out (AXFR, RFC 5936; IXFR, RFC 1995) over TCP: the request is checked (a zone we serve, a
// TSIG key the transfer policy allows, signed correctly), then the zone streams as messages of up to 64 KiB,
// each signed (RFC 8945 5.3.1), from the snapshot that was current when the request came: a change published
// meanwhile goes out in the next transfer, never half in this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "dns/query.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/tsig.hpp"
#include "dns/zone_diff.hpp"

namespace fedns::dns {

class TransferMessage;

// Whether the message asks for AXFR or IXFR (a standard query), so TCP hands it to a ZoneTransfer.
bool is_transfer_request(std::span<const std::uint8_t> message) noexcept;

// How a transfer request ended, for logs and metrics.
enum class TransferResult : std::uint8_t {
  kFull,         // the whole zone (AXFR, or IXFR answered with the whole zone)
  kUpToDate,     // IXFR from the current serial: our SOA alone
  kIncremental,  // IXFR from a version still kept: what changed since
  kRefused,      // unsigned, or the key is not allowed this zone from there
  kBadTsig,      // unknown key, wrong MAC, or signed at a time too far from ours
  kNotAuth,      // not a zone we serve
  kNotReady,     // the zone's generated names are still arriving
  kMalformed,    // FORMERR
};
inline constexpr std::size_t kTransferResults = 8;
const char* transfer_result_name(TransferResult result) noexcept;

class ZoneTransfer {
 public:
  ZoneTransfer(std::span<const std::uint8_t> request, std::shared_ptr<const ServingSnapshot> snapshot,
               const sockaddr* peer, std::uint64_t now);

  // Writes the next message into `out` (65535 octets or more); 0 once everything has been sent.
  std::size_t next(std::span<std::uint8_t> out) noexcept;

  [[nodiscard]] TransferResult result() const noexcept { return result_; }
  [[nodiscard]] std::uint16_t qtype() const noexcept { return query_.qtype; }
  // One line for the log: who asked for what, and what they got ("... refused: not signed").
  [[nodiscard]] const std::string& description() const noexcept { return description_; }
  [[nodiscard]] std::size_t records() const noexcept { return records_; }
  [[nodiscard]] std::size_t messages() const noexcept { return messages_; }

 private:
  // A full transfer: kFirstSoa, kBase, kGenerated, kLastSoa. An incremental one (RFC 1995 4): kFirstSoa,
  // kOldSoa, kDeleted, kMidSoa, kAdded, kLastSoa (one difference sequence from their version to ours).
  enum class Phase : std::uint8_t {
    kError,
    kFirstSoa,
    kOldSoa,
    kDeleted,
    kMidSoa,
    kAdded,
    kBase,
    kGenerated,
    kLastSoa,
    kDone
  };
  std::size_t error_message(std::span<std::uint8_t> out) noexcept;
  // Writes the message's counts and signs it.
  std::size_t finish(TransferMessage& message, std::span<std::uint8_t> out) noexcept;
  // Advances the cursor to the next record to send; false at the end of the zone's records.
  bool current_record(const model::Node*& node, const model::RRset*& set, std::uint16_t& index) noexcept;
  void advance() noexcept;

  std::vector<std::uint8_t> request_;
  Query query_;
  std::shared_ptr<const ServingSnapshot> snapshot_;
  const model::ServedZone* zone_ = nullptr;
  const TsigKey* key_ = nullptr;
  TsigRecord tsig_;
  std::unique_ptr<TsigSigner> signer_;
  std::uint64_t now_ = 0;
  std::uint16_t rcode_ = 0;
  std::uint16_t tsig_error_ = 0;
  TransferResult result_ = TransferResult::kFull;
  std::string description_;
  Phase phase_ = Phase::kError;
  ZoneDiff diff_;                                // incremental: what changed since their version
  std::shared_ptr<const model::RRset> old_soa_;  // incremental: their version's SOA
  // The cursor: base node / generated shard, node in the shard, set, record.
  std::size_t node_ = 0;
  std::size_t shard_ = 0;
  std::size_t set_ = 0;
  std::size_t record_ = 0;
  std::size_t records_ = 0;
  std::size_t messages_ = 0;
};

}  // namespace fedns::dns
