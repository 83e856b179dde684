// Per-worker query counters: written by one worker thread only, summed by the metrics scrape.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "dns/protocol.hpp"
#include "model/answer_policy.hpp"

namespace fedns::dns {

// A counter with a single writer: a relaxed load+store avoids the locked read-modify-write of fetch_add,
// and the scrape thread still reads a torn-free value.
class LocalCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// The query types counted by name; everything else is "other", so the label set stays bounded.
enum class QtypeBucket : std::uint8_t {
  kA,
  kAAAA,
  kSRV,
  kTXT,
  kNS,
  kSOA,
  kCNAME,
  kPTR,
  kMX,
  kANY,
  kAXFR,
  kIXFR,
  kOther,
  kCount
};

constexpr QtypeBucket qtype_bucket(std::uint16_t qtype) noexcept {
  switch (qtype) {
    case type::kA:
      return QtypeBucket::kA;
    case type::kAAAA:
      return QtypeBucket::kAAAA;
    case type::kSRV:
      return QtypeBucket::kSRV;
    case type::kTXT:
      return QtypeBucket::kTXT;
    case type::kNS:
      return QtypeBucket::kNS;
    case type::kSOA:
      return QtypeBucket::kSOA;
    case type::kCNAME:
      return QtypeBucket::kCNAME;
    case type::kPTR:
      return QtypeBucket::kPTR;
    case type::kMX:
      return QtypeBucket::kMX;
    case type::kANY:
      return QtypeBucket::kANY;
    case type::kAXFR:
      return QtypeBucket::kAXFR;
    case type::kIXFR:
      return QtypeBucket::kIXFR;
    default:
      return QtypeBucket::kOther;
  }
}

constexpr const char* kQtypeBucketNames[] = {"A",   "AAAA", "SRV", "TXT",  "NS",   "SOA",  "CNAME",
                                             "PTR", "MX",   "ANY", "AXFR", "IXFR", "other"};

enum class Transport : std::uint8_t { kUdp, kTcp };

// Answer policy steps run, by step kind: whether the step narrowed the records (took some out) or kept them
// all (it may have reordered them, or could not decide: a client not placed, no coordinates).
struct PolicyStepCounters {
  std::array<LocalCounter, model::kPolicyStepKindCount> narrowed;
  std::array<LocalCounter, model::kPolicyStepKindCount> kept_all;
};

struct WorkerCounters {
  std::array<LocalCounter, 2> queries_by_transport;  // index: Transport
  std::array<LocalCounter, rcode::kCount> responses_by_rcode;
  std::array<LocalCounter, static_cast<std::size_t>(QtypeBucket::kCount)> queries_by_qtype;
  LocalCounter truncated;
  LocalCounter malformed;  // answered FORMERR
  LocalCounter dropped;    // not answered (no header, or a response)
  LocalCounter tcp_accepted;
  LocalCounter tcp_closed;
  LocalCounter tcp_evicted;   // closed to make room under the connection cap
  LocalCounter tcp_timeouts;  // closed after the idle timeout
  PolicyStepCounters policy_steps;
  LocalCounter tsig_failures;                    // signed queries refused: unknown key, bad MAC, bad time
  std::array<LocalCounter, 8> transfers;         // index: dns::TransferResult (zone_transfer.hpp)
  std::array<LocalCounter, 8> transfer_records;  // records sent, by the same index
  std::atomic<std::int64_t> tcp_open{0};
};

}  // namespace fedns::dns
