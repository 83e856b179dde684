// The replica scheduler (see replica_scheduler.hpp for the rule).
#include "sync/propagation/replica_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace fedns::sync::propagation {

namespace {

// FNV-1a: a stable hash (the same rank on every replica and version, unlike std::hash).
std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t h = 14695981039346656037ULL;
  const auto mix = [&h](std::string_view text) {
    for (const char ch : text) {
      h ^= static_cast<unsigned char>(ch);
      h *= 1099511628211ULL;
    }
  };
  mix(a);
  mix("/");
  mix(b);
  return h;
}

struct Slot {
  const SchedulingCluster* cluster = nullptr;
  std::uint64_t hash = 0;
  std::int64_t floor = 0;    // at least this (min, or what it keeps without rebalance)
  std::int64_t ceiling = 0;  // at most this
  double share = 0;          // the weighted share (rule 5)
  std::int64_t given = 0;
};

bool ranks_before(const Slot& a, const Slot& b) {
  if (a.cluster->bounds.weight != b.cluster->bounds.weight)
    return a.cluster->bounds.weight > b.cluster->bounds.weight;
  if (a.hash != b.hash) return a.hash < b.hash;
  return a.cluster->name < b.cluster->name;
}

std::vector<Slot> ranked_slots(const std::vector<SchedulingCluster>& clusters, std::string_view tie_key,
                               std::int64_t total, bool available_only) {
  std::vector<Slot> slots;
  for (const auto& c : clusters) {
    if (available_only && !c.available) continue;
    Slot s;
    s.cluster = &c;
    s.hash = fnv1a(tie_key, c.name);
    s.ceiling = total;
    if (c.bounds.max_replicas)
      s.ceiling = std::min(s.ceiling, std::max<std::int64_t>(0, *c.bounds.max_replicas));
    if (c.capacity) s.ceiling = std::min(s.ceiling, std::max<std::int64_t>(0, *c.capacity));
    s.floor = std::clamp<std::int64_t>(c.bounds.min_replicas, 0, s.ceiling);
    slots.push_back(s);
  }
  std::sort(slots.begin(), slots.end(), ranks_before);
  return slots;
}

// Sum over slots of clamp(lambda * weight, floor, ceiling).
double filled(const std::vector<Slot>& slots, double lambda) {
  double sum = 0;
  for (const auto& s : slots) {
    const double want = lambda * static_cast<double>(std::max<std::int64_t>(0, s.cluster->bounds.weight));
    sum += std::clamp(want, static_cast<double>(s.floor), static_cast<double>(s.ceiling));
  }
  return sum;
}

// Rule 5: the largest lambda whose fill does not pass `total`, then whole replicas.
void water_fill(std::vector<Slot>& slots, std::int64_t total) {
  std::int64_t min_weight = std::numeric_limits<std::int64_t>::max();
  for (const auto& s : slots)
    if (s.cluster->bounds.weight > 0) min_weight = std::min(min_weight, s.cluster->bounds.weight);
  double lambda = 0;
  if (min_weight != std::numeric_limits<std::int64_t>::max()) {
    double low = 0;
    double high = static_cast<double>(total) / static_cast<double>(min_weight) + 1;
    for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
      const double mid = (low + high) / 2;
      (filled(slots, mid) <= static_cast<double>(total) + 1e-9 ? low : high) = mid;
    }
    lambda = low;
  }
  std::int64_t used = 0;
  for (auto& s : slots) {
    const double want = lambda * static_cast<double>(std::max<std::int64_t>(0, s.cluster->bounds.weight));
    s.share = std::clamp(want, static_cast<double>(s.floor), static_cast<double>(s.ceiling));
    // A share a hair below a whole number (floating point) counts as that number.
    s.given = std::min(s.ceiling, static_cast<std::int64_t>(std::floor(s.share + 1e-9)));
    s.given = std::max(s.given, s.floor);
    used += s.given;
  }
  // The leftovers, one each by the largest fraction, rank breaking ties; again while room remains. Only
  // clusters with weight take any: a weight of 0 means just the minimum.
  std::vector<Slot*> order;
  order.reserve(slots.size());
  for (auto& s : slots)
    order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const Slot* a, const Slot* b) {
    const double fa = a->share - std::floor(a->share + 1e-9);
    const double fb = b->share - std::floor(b->share + 1e-9);
    if (std::abs(fa - fb) > 1e-9) return fa > fb;
    return false;  // stable: rank order
  });
  bool room = true;
  while (used < total && room) {
    room = false;
    for (Slot* s : order) {
      if (used >= total) break;
      if (s->given >= s->ceiling || s->cluster->bounds.weight <= 0) continue;  // no weight, no share
      ++s->given;
      ++used;
      room = true;
    }
  }
}

}  // namespace

std::vector<std::string> scheduling_rank(const std::vector<SchedulingCluster>& clusters,
                                         std::string_view tie_key) {
  std::vector<std::string> out;
  for (const auto& s : ranked_slots(clusters, tie_key, std::numeric_limits<std::int64_t>::max(), false))
    out.push_back(s.cluster->name);
  return out;
}

ReplicaPlan schedule_replicas(std::int64_t total, const std::vector<SchedulingCluster>& clusters,
                              bool rebalance, std::string_view tie_key) {
  ReplicaPlan plan;
  for (const auto& c : clusters)
    plan.replicas[c.name] = 0;
  total = std::max<std::int64_t>(0, total);
  std::vector<Slot> slots = ranked_slots(clusters, tie_key, total, true);

  const std::int64_t mins = std::accumulate(slots.begin(), slots.end(), std::int64_t{0},
                                            [](std::int64_t sum, const Slot& s) { return sum + s.floor; });
  if (mins >= total) {  // rule 3
    std::int64_t left = total;
    for (auto& s : slots) {
      s.given = std::min(s.floor, left);
      left -= s.given;
      if (s.given < s.cluster->bounds.min_replicas) plan.mins_not_met.push_back(s.cluster->name);
    }
  } else {
    if (!rebalance) {  // rule 4
      std::int64_t kept = 0;
      for (const auto& s : slots)
        kept += std::max(s.floor, std::min(s.cluster->current, s.ceiling));
      for (auto& s : slots) {
        const std::int64_t now = std::max(s.floor, std::min(s.cluster->current, s.ceiling));
        if (kept <= total) {
          s.floor = now;  // keeps what it runs, and may get more
        } else {
          s.ceiling = now;  // a smaller total: every cluster shrinks by weight, none grows (nothing moves)
        }
      }
    }
    water_fill(slots, total);
    for (const auto& s : slots)
      if (s.given < s.cluster->bounds.min_replicas) plan.mins_not_met.push_back(s.cluster->name);
  }
  std::int64_t placed = 0;
  for (const auto& s : slots) {
    plan.replicas[s.cluster->name] = s.given;
    placed += s.given;
  }
  plan.unplaced = total - placed;
  return plan;
}

std::map<std::string, std::int64_t> step_towards(const std::map<std::string, std::int64_t>& current,
                                                 const std::map<std::string, std::int64_t>& target,
                                                 const std::set<std::string>& unavailable,
                                                 std::int64_t max_move) {
  std::map<std::string, std::int64_t> next;
  std::int64_t sum = 0;
  std::int64_t wanted = 0;
  for (const auto& [name, want] : target) {
    const auto it = current.find(name);
    std::int64_t now = it != current.end() ? std::max<std::int64_t>(0, it->second) : 0;
    if (unavailable.count(name) != 0) now = want;
    next[name] = now;
    sum += now;
    wanted += want;
  }
  // Clusters by how far they are from the target, largest first (then by name: std::map order, stable).
  const auto by_gap = [&](bool above) {
    std::vector<std::string> names;
    for (const auto& [name, now] : next)
      if (above ? now > target.at(name) : now < target.at(name)) names.push_back(name);
    std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
      return std::abs(next[a] - target.at(a)) > std::abs(next[b] - target.at(b));
    });
    return names;
  };
  for (const auto& name : by_gap(false)) {  // a shortfall is filled at once
    const std::int64_t add = std::min(target.at(name) - next[name], wanted - sum);
    if (add <= 0) break;
    next[name] += add;
    sum += add;
  }
  for (const auto& name : by_gap(true)) {  // an excess is trimmed at once
    const std::int64_t cut = std::min(next[name] - target.at(name), sum - wanted);
    if (cut <= 0) break;
    next[name] -= cut;
    sum -= cut;
  }
  std::int64_t moved = 0;
  while (moved < max_move) {  // moves, bounded
    const auto from = by_gap(true);
    const auto to = by_gap(false);
    if (from.empty() || to.empty()) break;
    const std::int64_t k = std::min({next[from.front()] - target.at(from.front()),
                                     target.at(to.front()) - next[to.front()], max_move - moved});
    next[from.front()] -= k;
    next[to.front()] += k;
    moved += k;
  }
  return next;
}

}  // namespace fedns::sync::propagation
