// The policy steps, each a pass over at most kMaxPolicyCandidates indices with a value per candidate.
#include "dns/answer_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/hash.hpp"

namespace fedns::dns {
namespace {

constexpr float kUnknown = std::numeric_limits<float>::infinity();
constexpr double kEarthRadiusKm = 6371.0088;  // the mean radius

using Values = std::array<float, kMaxPolicyCandidates>;

std::uint64_t fnv1a(std::uint64_t h, const std::uint8_t* data, std::size_t size) noexcept {
  for (std::size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 0x100000001B3ULL;
  return h;
}

class StepRunner {
 public:
  StepRunner(const model::RRset& set, const model::AnswerPolicy& policy, Candidates& candidates,
             const AnswerInputs& in) noexcept
      : set_(set), policy_(policy), c_(candidates), in_(in) {}

  void run(const model::PolicyStep& step) noexcept {
    step_ = &step;
    if (in_.trace != nullptr) before_.assign(c_);  // only the trace needs the candidates as they were
    std::size_t measured = 0;                      // how many values the step filled (for the trace)
    const char* note = "";
    switch (step.kind) {
      case model::PolicyStepKind::kLocality:
        note = locality(measured);
        break;
      case model::PolicyStepKind::kGeoNearest:
        note = geo_nearest(measured);
        break;
      case model::PolicyStepKind::kLatency:
        note = latency(measured);
        break;
      case model::PolicyStepKind::kPriority:
        for (std::size_t i = 0; i < c_.size; ++i)
          values_[i] = policy_.cluster(rdata(i).cluster).priority;
        measured = c_.size;
        keep_best(0);
        break;
      case model::PolicyStepKind::kWeighted:
        measured = weighted();
        break;
      case model::PolicyStepKind::kSticky:
        measured = sticky();
        break;
      case model::PolicyStepKind::kRoundRobin:
        if (in_.random != nullptr && c_.size > 1) {
          std::rotate(c_.at.begin(), c_.at.begin() + static_cast<std::ptrdiff_t>(in_.random->below(c_.size)),
                      c_.at.begin() + static_cast<std::ptrdiff_t>(c_.size));
        }
        break;
      case model::PolicyStepKind::kMaxAnswers:
        c_.size = std::min<std::size_t>(c_.size, step.count);
        break;
    }
    if (in_.trace != nullptr) in_.trace->step(step, set_, before_, {values_.data(), measured}, c_, note);
  }

 private:
  const model::RData& rdata(std::size_t i) const noexcept { return set_.rdatas[c_.at[i]]; }

  // Keeps the candidates whose value is at most the smallest known one plus `within`; order kept. Nothing
  // known: keeps everything.
  bool keep_best(float within) noexcept {
    float best = kUnknown;
    for (std::size_t i = 0; i < c_.size; ++i)
      best = std::min(best, values_[i]);
    if (best == kUnknown) return false;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < c_.size; ++i) {
      if (values_[i] <= best + within) c_.at[kept++] = c_.at[i];
    }
    c_.size = kept;
    return true;
  }

  const char* locality(std::size_t& measured) noexcept {
    if (in_.client == nullptr) return "no client";
    in_.client->depended();
    const Located& where = in_.client->located();
    const Location& l = where.location;
    if (l.cluster == kNoName && l.region == kNoName) return "client not placed";
    for (std::size_t i = 0; i < c_.size; ++i) {
      const model::RData& r = rdata(i);
      values_[i] = l.cluster != kNoName && r.cluster == l.cluster ? 0
                   : l.zone != kNoName && r.zone == l.zone        ? 1
                   : l.region != kNoName && r.region == l.region  ? 2
                                                                  : 3;
    }
    measured = c_.size;
    keep_best(0);
    return "";
  }

  // Values are angles' cosines, negated (smaller is nearer, as keep_best wants); the slack in kilometres
  // becomes a cosine once per query. Explain shows kilometres (angle_km()).
  const char* geo_nearest(std::size_t& measured) noexcept {
    if (in_.client == nullptr) return "no client";
    in_.client->depended();
    const Location& l = in_.client->located().location;
    model::UnitVector client;
    if (l.has_coordinates) {
      client = l.position;
    } else {
      const model::PolicyCluster& own = policy_.cluster(l.cluster);
      if (l.cluster == kNoName || !own.has_coordinates) return "client has no coordinates";
      client = own.position;
    }
    float nearest = -2;
    for (std::size_t i = 0; i < c_.size; ++i) {
      const model::PolicyCluster& at = policy_.cluster(rdata(i).cluster);
      const float cosine = at.position.dot(client);
      values_[i] = at.has_coordinates ? -cosine : kUnknown;
      if (at.has_coordinates) nearest = std::max(nearest, cosine);
    }
    measured = c_.size;
    if (nearest < -1.5F) return "no candidate has coordinates";
    float slack = 0;
    if (step_->within > 0) {  // within `within` km of the nearest: cosine above cos(angle + within / R)
      const double angle =
          std::acos(std::clamp(static_cast<double>(nearest), -1.0, 1.0)) + step_->within / kEarthRadiusKm;
      slack = nearest - static_cast<float>(std::cos(std::min(angle, 3.14159265358979323846)));
    }
    keep_best(slack + 1e-6F);  // float rounding: two candidates in one place must not split
    return "";
  }

  const char* latency(std::size_t& measured) noexcept {
    if (step_->latency == model::LatencySource::kMeasured) {
      for (std::size_t i = 0; i < c_.size; ++i) {
        const model::TargetStatus* status =
            in_.health == nullptr ? nullptr : in_.health->find(rdata(i).health_target);
        values_[i] = status != nullptr && status->rtt_us != 0 ? static_cast<float>(status->rtt_us) / 1000.0F
                                                              : kUnknown;
      }
      measured = c_.size;
      return keep_best(step_->within) ? "" : "no RTT measured yet";
    }
    if (in_.client == nullptr || in_.client->locator() == nullptr) return "no client";
    in_.client->depended();
    const Location& l = in_.client->located().location;
    if (l.region == kNoName) return "client has no region";
    for (std::size_t i = 0; i < c_.size; ++i) {
      const float ms = in_.client->locator()->latency(l.region, rdata(i).region);
      values_[i] = ms < 0 ? kUnknown : ms;
    }
    measured = c_.size;
    return keep_best(step_->within) ? "" : "no latency configured from the client's region";
  }

  // Draws `count` records by weight without replacement, in draw order: each draw picks a remaining record
  // with probability weight / remaining weight (zero weights only once nothing else is left).
  std::size_t weighted() noexcept {
    std::array<std::uint32_t, kMaxPolicyCandidates> weight;  // NOLINT: written before read, not zeroed
    for (std::size_t i = 0; i < c_.size; ++i) {
      weight[i] = policy_.cluster(rdata(i).cluster).weight;
      values_[i] = static_cast<float>(weight[i]);  // the trace's, in the order before the step
    }
    const std::size_t draws = std::min<std::size_t>(step_->count, c_.size);
    for (std::size_t d = 0; d < draws; ++d) {
      std::uint64_t total = 0;
      for (std::size_t i = d; i < c_.size; ++i)
        total += weight[i];
      std::size_t chosen = d;
      if (in_.random != nullptr && total == 0) {
        chosen = d + static_cast<std::size_t>(in_.random->below(c_.size - d));
      } else if (in_.random != nullptr) {
        std::uint64_t r = in_.random->below(total);
        for (std::size_t i = d; i < c_.size; ++i) {
          if (r < weight[i]) {
            chosen = i;
            break;
          }
          r -= weight[i];
        }
      }
      std::swap(c_.at[d], c_.at[chosen]);
      std::swap(weight[d], weight[chosen]);
    }
    const std::size_t measured = c_.size;
    c_.size = draws;
    return measured;
  }

  // Rendezvous hashing: each record scores hash(client subnet, record); the highest `count` are answered.
  // A client keeps its answer while its records stay, and a record leaving moves only its own clients.
  std::size_t sticky() noexcept {
    std::uint64_t key = 0xCBF29CE484222325ULL;  // FNV-1a's offset basis
    if (in_.client != nullptr) {
      const ClientAddress& a = in_.client->address();
      const std::uint8_t prefix = std::min(a.prefix, a.v6 ? step_->v6_prefix : step_->v4_prefix);
      in_.client->depended(prefix);
      std::array<std::uint8_t, 18> subnet{};
      subnet[0] = a.v6 ? 6 : 4;
      subnet[1] = prefix;
      for (std::size_t bit = 0; bit < prefix; bit += 8) {
        const std::size_t left = prefix - bit;
        const auto mask = static_cast<std::uint8_t>(left >= 8 ? 0xFF : 0xFF << (8 - left));
        subnet[2 + bit / 8] = a.bytes[bit / 8] & mask;
      }
      key = fnv1a(key, subnet.data(), subnet.size());
    }
    std::array<std::uint64_t, kMaxPolicyCandidates> score;  // NOLINT: written before read, not zeroed
    for (std::size_t i = 0; i < c_.size; ++i) {
      const std::string& wire = rdata(i).wire;
      score[i] = mix64(fnv1a(key, reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()));
      values_[i] = static_cast<float>(score[i] >> 40U);  // shown by explain; the full score decides
    }
    const std::size_t keep = std::min<std::size_t>(step_->count, c_.size);
    for (std::size_t d = 0; d < keep; ++d) {  // partial selection sort: keep is small
      std::size_t best = d;
      for (std::size_t i = d + 1; i < c_.size; ++i) {
        if (score[i] > score[best]) best = i;
      }
      std::swap(score[d], score[best]);
      std::swap(c_.at[d], c_.at[best]);
    }
    const std::size_t measured = c_.size;
    c_.size = keep;
    return measured;
  }

  const model::RRset& set_;
  const model::AnswerPolicy& policy_;
  Candidates& c_;
  const AnswerInputs& in_;
  const model::PolicyStep* step_ = nullptr;
  Candidates before_;
  Values values_;  // NOLINT: each step writes its candidates' values before reading them
};

}  // namespace

std::uint64_t SplitMixRandom::next() noexcept {
  state_ += 0x9E3779B97F4A7C15ULL;
  return mix64(state_);
}

float distance_km(float lat1, float lon1, float lat2, float lon2) noexcept {
  return angle_km(
      model::UnitVector::from_degrees(lat1, lon1).dot(model::UnitVector::from_degrees(lat2, lon2)));
}

float angle_km(float cosine) noexcept {
  return static_cast<float>(kEarthRadiusKm * std::acos(std::clamp(static_cast<double>(cosine), -1.0, 1.0)));
}

void apply_policy(const model::RRset& set, const model::AnswerPolicy& policy, Candidates& candidates,
                  const AnswerInputs& inputs) noexcept {
  StepRunner runner(set, policy, candidates, inputs);
  for (const auto& step : policy.steps) {
    if (candidates.size == 0) return;
    const std::size_t before = candidates.size;
    runner.run(step);
    if (inputs.counters != nullptr) {
      const auto kind = static_cast<std::size_t>(step.kind);
      (candidates.size < before ? inputs.counters->narrowed : inputs.counters->kept_all)[kind].add();
    }
  }
}

}  // namespace fedns::dns
