#include "dns/zone_diff.hpp"

#include <algorithm>

namespace fedns::dns {
namespace {

bool is_data(const model::RData& rdata) {
  return rdata.tier != model::kLastResortTier;
}

void all_records(const model::Node& node, const model::RRset& set, std::vector<RecordRef>& out) {
  for (std::size_t i = 0; i < set.rdatas.size(); ++i) {
    if (is_data(set.rdatas[i])) out.push_back({&node, &set, static_cast<std::uint16_t>(i)});
  }
}

bool contains(const model::RRset& set, const std::string& wire) {
  return std::any_of(set.rdatas.begin(), set.rdatas.end(),
                     [&](const model::RData& r) { return is_data(r) && r.wire == wire; });
}

// Records of `from`'s set that `other` lacks (other null: all of them).
void missing(const model::Node& node, const model::RRset& from, const model::RRset* other,
             std::vector<RecordRef>& out) {
  for (std::size_t i = 0; i < from.rdatas.size(); ++i) {
    const model::RData& r = from.rdatas[i];
    if (is_data(r) && (other == nullptr || !contains(*other, r.wire)))
      out.push_back({&node, &from, static_cast<std::uint16_t>(i)});
  }
}

void diff_nodes(const model::Node* a, const model::Node* b, ZoneDiff& out) {
  if (a == nullptr) {
    for (const auto& set : b->rrsets)
      all_records(*b, set, out.added);
    return;
  }
  if (b == nullptr) {
    for (const auto& set : a->rrsets)
      all_records(*a, set, out.deleted);
    return;
  }
  // Sets are sorted by type: merge them.
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a->rrsets.size() || j < b->rrsets.size()) {
    const model::RRset* sa = i < a->rrsets.size() ? &a->rrsets[i] : nullptr;
    const model::RRset* sb = j < b->rrsets.size() ? &b->rrsets[j] : nullptr;
    if (sa != nullptr && (sb == nullptr || sa->type < sb->type)) {
      all_records(*a, *sa, out.deleted);
      ++i;
    } else if (sb != nullptr && (sa == nullptr || sb->type < sa->type)) {
      all_records(*b, *sb, out.added);
      ++j;
    } else if (sa != nullptr && sb != nullptr) {
      const bool same_ttl = sa->ttl == sb->ttl;
      missing(*a, *sa, same_ttl ? sb : nullptr, out.deleted);
      missing(*b, *sb, same_ttl ? sa : nullptr, out.added);
      ++i;
      ++j;
    }
  }
}

bool shadowed(const model::Zone& base, const model::Node& node) {
  const model::Node* configured = base.find(node.name);
  return configured != nullptr && !configured->rrsets.empty();
}

void diff_shards(const model::Zone& base, const model::NameShard* a, const model::NameShard* b,
                 ZoneDiff& out) {
  static const model::NameShard kEmpty;
  const auto& left = (a != nullptr ? *a : kEmpty).nodes;
  const auto& right = (b != nullptr ? *b : kEmpty).nodes;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < left.size() || j < right.size()) {
    const model::Node* na = i < left.size() ? &left[i] : nullptr;
    const model::Node* nb = j < right.size() ? &right[j] : nullptr;
    if (na != nullptr && (nb == nullptr || na->name < nb->name)) {
      if (!shadowed(base, *na)) diff_nodes(na, nullptr, out);
      ++i;
    } else if (nb != nullptr && (na == nullptr || nb->name < na->name)) {
      if (!shadowed(base, *nb)) diff_nodes(nullptr, nb, out);
      ++j;
    } else if (na != nullptr && nb != nullptr) {
      if (!shadowed(base, *na)) diff_nodes(na, nb, out);
      ++i;
      ++j;
    }
  }
}

}  // namespace

ZoneDiff diff_generated(const model::Zone& base, const model::GeneratedNames* before,
                        const model::GeneratedNames* after) {
  ZoneDiff out;
  if (before == after) return out;
  for (std::size_t g = 0; g < model::GeneratedNames::kGroups; ++g) {
    const model::ShardGroup* ga = before != nullptr ? before->group(g).get() : nullptr;
    const model::ShardGroup* gb = after != nullptr ? after->group(g).get() : nullptr;
    if (ga == gb) continue;  // shared: unchanged
    for (std::size_t s = 0; s < model::ShardGroup::kSize; ++s) {
      const model::NameShard* sa = ga != nullptr ? ga->shards[s].get() : nullptr;
      const model::NameShard* sb = gb != nullptr ? gb->shards[s].get() : nullptr;
      if (sa != sb) diff_shards(base, sa, sb, out);
    }
  }
  return out;
}

}  // namespace fedns::dns
