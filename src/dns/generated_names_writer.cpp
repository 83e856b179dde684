// Copy-on-write publication of generated names.
#include "dns/generated_names_writer.hpp"

#include <algorithm>

namespace fedns::dns {

void GeneratedNamesWriter::stage(const std::string& name, std::optional<model::Node> node) {
  const std::size_t shard = model::GeneratedNames::shard_of(name);
  pending_[shard / model::ShardGroup::kSize][shard % model::ShardGroup::kSize].insert_or_assign(
      name, std::move(node));
}

std::shared_ptr<const model::GeneratedNames> GeneratedNamesWriter::publish() {
  last_cost_ = {};
  if (pending_.empty()) return current_;
  auto next = std::make_shared<model::GeneratedNames>(*current_);
  for (auto& [group_index, shards] : pending_) {
    const auto& old_group = current_->group(group_index);
    auto group = old_group != nullptr ? std::make_shared<model::ShardGroup>(*old_group)
                                      : std::make_shared<model::ShardGroup>();
    ++last_cost_.groups_copied;
    bool group_empty = true;
    for (auto& [slot, changes] : shards) {
      auto shard = std::make_shared<model::NameShard>();
      if (const auto& old = group->shards[slot]; old != nullptr) {
        shard->nodes.reserve(old->nodes.size() + changes.size());
        for (const auto& node : old->nodes) {
          if (!changes.contains(node.name)) shard->nodes.push_back(node);
        }
      }
      for (auto& [name, node] : changes) {
        if (node) shard->nodes.push_back(std::move(*node));
      }
      std::sort(shard->nodes.begin(), shard->nodes.end(),
                [](const model::Node& a, const model::Node& b) { return a.name < b.name; });
      shard->index_names();
      ++last_cost_.shards_copied;
      last_cost_.nodes_copied += shard->nodes.size();
      group->shards[slot] = shard->nodes.empty() ? nullptr : std::shared_ptr<const model::NameShard>(shard);
    }
    for (const auto& shard : group->shards)
      group_empty = group_empty && shard == nullptr;
    next->set_group(group_index, group_empty ? nullptr : std::shared_ptr<const model::ShardGroup>(group));
  }
  pending_.clear();
  current_ = std::move(next);
  return current_;
}

}  // namespace fedns::dns
