// What the data plane reads per query: zones plus server-wide answer options, published as one snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/snapshot.hpp"
#include "dns/client_location.hpp"
#include "dns/explain_answer.hpp"
#include "dns/transfer_policy.hpp"
#include "model/health_table.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

struct AnswerOptions {
  std::uint16_t edns_udp_payload = 1232;  // what we advertise and the largest UDP answer we send
  std::string nsid;                       // raw NSID payload; empty = NSID off (RFC 5001)
  std::string identity;                   // CHAOS id.server / hostname.bind; empty = refused
  std::string version;                    // CHAOS version.bind / version.server; empty = refused
  ExplainOptions explain;                 // TXT _explain.<name> (dns/explain_answer.hpp)
  // TSIG keys and who may transfer which zone (dns/transfer_policy.hpp); null: no keys, no transfers.
  std::shared_ptr<const TransferPolicy> transfer;
};

struct ServingSnapshot {
  model::ZoneSet zones;
  AnswerOptions options;
  std::shared_ptr<const ClientLocator> locator;  // null: clients are not placed
  std::chrono::system_clock::time_point built_at;
};

// What a worker reads per query: the zones and the health table, each published on its own (a health flap
// does not rebuild zones). One acquire load each per query; a server without health checks has no table.
class ServingReader {
 public:
  explicit ServingReader(const SnapshotPublisher<ServingSnapshot>& zones,
                         const SnapshotPublisher<model::HealthTable>* health = nullptr)
      : zones_(zones) {
    if (health != nullptr) health_.emplace(*health);
  }

  const ServingSnapshot* snapshot() noexcept { return zones_.get(); }
  [[nodiscard]] std::shared_ptr<const ServingSnapshot> hold() const { return zones_.hold(); }
  const model::HealthTable* health() noexcept { return health_ ? health_->get() : nullptr; }

 private:
  SnapshotReader<ServingSnapshot> zones_;
  std::optional<SnapshotReader<model::HealthTable>> health_;
};

}  // namespace fedns::dns
