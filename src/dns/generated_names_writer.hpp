// Staging and copy-on-write publication of one zone's generated names (model::GeneratedNames): changes are
// staged by name, and publish() copies only the shards they touch, their groups and the root, sharing the
// rest with every snapshot already published (decision 0004).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/zone_set.hpp"

namespace fedns::dns {

struct PublishCost {
  std::size_t shards_copied = 0;
  std::size_t groups_copied = 0;
  std::size_t nodes_copied = 0;  // nodes carried over from the previous shards, plus the new ones
};

class GeneratedNamesWriter {
 public:
  GeneratedNamesWriter() : current_(std::make_shared<const model::GeneratedNames>()) {}

  // The node `name` gets at the next publish (nullopt: it goes). A later stage of the same name wins.
  void stage(const std::string& name, std::optional<model::Node> node);
  // Everything staged so far, sharing untouched shards with the previous result.
  std::shared_ptr<const model::GeneratedNames> publish();
  [[nodiscard]] const PublishCost& last_cost() const { return last_cost_; }

 private:
  std::shared_ptr<const model::GeneratedNames> current_;
  // Group -> shard -> name -> the node it gets (nullopt: removed), until the next publish().
  std::map<std::size_t, std::map<std::size_t, std::map<std::string, std::optional<model::Node>>>> pending_;
  PublishCost last_cost_;
};

}  // namespace fedns::dns
