// Evaluating a service's answer policy per query (model/answer_policy.hpp): the records health let through
// go down the steps in order, each narrowing or ordering them. Runs on the query path: works on indices in
// a fixed array on the stack, allocates nothing, takes no lock. Everything it depends on comes in through
// AnswerInputs, so tests drive it with a scripted random source.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/client_location.hpp"
#include "dns/worker_counters.hpp"
#include "model/health_table.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// The random draws of weighted and round-robin steps. One per worker thread (no sharing, no lock).
class PolicyRandom {
 public:
  virtual ~PolicyRandom() = default;
  virtual std::uint64_t next() noexcept = 0;
  // A number below `n` (n > 0). The modulo bias is below 2^-40 for the set sizes and weights in use.
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }
};

// SplitMix64 (Steele, Lea, Flood 2014): fast, 64-bit state, passes BigCrush; no cryptographic claims needed.
class SplitMixRandom final : public PolicyRandom {
 public:
  explicit SplitMixRandom(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept override;

 private:
  std::uint64_t state_;
};

// A set's records that an answer may hold, as indices into RRset::rdatas, in answer order. A set larger than
// this answers its first kMaxPolicyCandidates records through the policy (more never fit a UDP answer).
inline constexpr std::size_t kMaxPolicyCandidates = 256;
struct Candidates {
  // Only the first `size` entries are ever read: not zeroed, since every answer builds one (zeroing it
  // cost 512 bytes of stores per query). Copy with assign(), which copies those alone.
  std::array<std::uint16_t, kMaxPolicyCandidates> at;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  std::size_t size = 0;

  void assign(const Candidates& other) noexcept {
    std::copy_n(other.at.begin(), other.size, at.begin());
    size = other.size;
  }

  [[nodiscard]] std::span<const std::uint16_t> view() const noexcept { return {at.data(), size}; }
  void push(std::uint16_t index) noexcept {
    if (size < at.size()) at[size++] = index;
  }
};

// What explain records of each step (dns/explain_answer.hpp). `values`: what the step measured per candidate
// of `before` (geo-nearest: the angle's cosine negated, angle_km(-v) km; latency ms; locality rank; priority;
// weight; hash), index for index, or empty; `note`: why the step did nothing, or empty.
class PolicyTrace {
 public:
  virtual ~PolicyTrace() = default;
  // A set being answered at `owner`: `passed` are the records health let through (in set order), before the
  // policy; `answered` what the answer holds, with `ttl`.
  virtual void begin_set(std::string_view owner, const model::RRset& set, const Candidates& passed) = 0;
  virtual void end_set(const model::RRset& set, const Candidates& answered, std::uint32_t ttl) = 0;
  virtual void step(const model::PolicyStep& step, const model::RRset& set, const Candidates& before,
                    std::span<const float> values, const Candidates& after, std::string_view note) = 0;
};

// What a query's answer depends on besides the zones: health, the client, randomness, and an explain trace.
struct AnswerInputs {
  const model::HealthTable* health = nullptr;  // null: no table yet, everything counts as up
  ClientContext* client = nullptr;             // locality, geo-nearest, latency matrix, sticky
  PolicyRandom* random = nullptr;              // weighted, round-robin (null: no randomness, first records)
  PolicyTrace* trace = nullptr;                // explain only
  PolicyStepCounters* counters = nullptr;      // the worker's, for metrics (null: not counted)
};

// Runs `policy`'s steps over `candidates` (records of `set` health let through), leaving the records to
// answer, in order. A step that cannot decide (a client that is not placed, no coordinates, no latency
// figures) keeps everything and says why to the trace; no step leaves an answer empty that was not.
void apply_policy(const model::RRset& set, const model::AnswerPolicy& policy, Candidates& candidates,
                  const AnswerInputs& inputs) noexcept;

// Great-circle distance in kilometres (mean Earth radius).
float distance_km(float lat1, float lon1, float lat2, float lon2) noexcept;
// The great-circle distance of an angle given by its cosine (geo-nearest's measure is the cosine, negated).
float angle_km(float cosine) noexcept;

}  // namespace fedns::dns
