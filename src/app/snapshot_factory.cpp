// Serving snapshot construction from config and catalog.
#include "app/snapshot_factory.hpp"

#include <functional>
#include <tuple>

#include "dns/cluster_view_records.hpp"
#include "dns/federation_records.hpp"
#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/service_records.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::app {
namespace {
constexpr std::size_t kMaxAnnotatedPolicies = 10000;  // distinct annotation texts remembered
}  // namespace

Result<SnapshotFactory> SnapshotFactory::create(const Config& config) {
  SnapshotFactory factory;
  dns::ClientLocator::Config where;
  using Coordinates = dns::ClientLocator::Config::Coordinates;
  auto coordinates = [](const std::optional<double>& lat, const std::optional<double>& lon) {
    return lat && lon ? std::optional<Coordinates>({static_cast<float>(*lat), static_cast<float>(*lon)})
                      : std::nullopt;
  };
  for (const auto& l : config.geo.locations)
    where.table.push_back({l.cidr, l.region, l.zone, coordinates(l.latitude, l.longitude)});
  for (const auto& cluster : config.clusters) {
    where.clusters.push_back({cluster.name, cluster.region, cluster.zone, cluster.networks,
                              coordinates(cluster.latitude, cluster.longitude)});
  }
  where.geoip = config.geo.geoip;
  where.countries = config.geo.countries;
  for (const auto& l : config.geo.latency)
    where.latency.push_back({l.from, l.to, static_cast<float>(l.latency.count())});
  auto locator = dns::ClientLocator::build(where);
  if (!locator) return locator.error().wrap("geo");
  factory.locator_ = std::make_shared<const dns::ClientLocator>(std::move(locator.value()));
  for (const auto& cluster : config.clusters) {
    factory.localities_[cluster.name] = {factory.locator_->id(cluster.region),
                                         factory.locator_->id(cluster.zone)};
    factory.cluster_ids_[cluster.name] = factory.locator_->id(cluster.name);
  }
  for (std::size_t i = 0; i < config.policies.size(); ++i) {
    const PolicyConfig& policy = config.policies[i];
    factory.policies_[policy.service] =
        make_answer_policy(policy, "policies[" + std::to_string(i) + "]", config.clusters, *factory.locator_);
  }
  factory.clusters_ = config.clusters;
  factory.geo_ = config.geo;
  std::vector<dns::ZoneSource> sources = config.zones;
  const bool catalog = !config.clusters.empty();
  if (catalog) {
    auto wanted = dns::name_from_text(config.catalog.zone);
    if (!wanted) return wanted.error().wrap("catalog.zone");
    dns::fold_case(*wanted);
    factory.catalog_zone_ = *wanted;
    for (auto& source : sources) {
      auto origin = dns::name_from_text(source.origin);
      if (!origin) continue;
      dns::fold_case(*origin);
      // MCS DNS specification: dns-version.<zone> TXT "1.0.0" (RFC 1035 TXT wire: a length-prefixed string),
      // unless the zone's own records already say it.
      if (*origin == *wanted && source.records.find("dns-version") == std::string::npos)
        source.generated.push_back({std::string("\x0b") + "dns-version" + *wanted, dns::type::kTXT,
                                    config.catalog.ttl, std::string("\x05") + "1.0.0", "catalog"});
    }
  }
  auto zones = dns::build_zone_set(sources);
  if (!zones) return zones.error();
  factory.zones_ = std::move(zones.value());
  if (catalog) {
    const model::ServedZone* served = factory.zones_.mutable_zone(factory.catalog_zone_);
    if (served == nullptr) return Error{"catalog.zone " + config.catalog.zone + " is not one of zones:"};
    factory.ttl_ = config.catalog.ttl;
    factory.names_.emplace(factory.catalog_zone_, config.catalog.ttl, served->base);
    std::vector<dns::ReverseNamesBuilder::ZoneInput> reverse;
    for (const auto& text : config.catalog.reverse_zones) {
      auto origin = dns::name_from_text(text);
      if (!origin) return origin.error().wrap("catalog.reverse_zones");
      dns::fold_case(*origin);
      const model::ServedZone* zone = factory.zones_.mutable_zone(*origin);
      if (zone == nullptr) return Error{"catalog.reverse_zones: " + text + " is not one of zones:"};
      reverse.push_back({*origin, zone->base});
    }
    if (!reverse.empty())
      factory.reverse_.emplace(std::move(reverse), factory.catalog_zone_, config.catalog.ttl);
    // An opt-in zone with its own renderer, made for the zone's lower-case wire origin.
    auto extra = [&](const std::string& text, const std::string& setting,
                     const std::function<dns::NamesRenderer(const std::string&)>& renderer) -> Result<void> {
      auto origin = dns::name_from_text(text);
      if (!origin) return origin.error().wrap(setting);
      dns::fold_case(*origin);
      const model::ServedZone* zone = factory.zones_.mutable_zone(*origin);
      if (zone == nullptr) return Error{setting + " " + text + " is not one of zones:"};
      factory.extra_.push_back({*origin, dns::GeneratedNamesBuilder(*origin, zone->base, renderer(*origin))});
      return {};
    };
    const std::uint32_t ttl = config.catalog.ttl;
    if (!config.catalog.cluster_view_zone.empty()) {
      auto added = extra(config.catalog.cluster_view_zone, "catalog.cluster_view_zone",
                         [ttl](const std::string& origin) -> dns::NamesRenderer {
                           return [origin, ttl](const model::MergedService& service, dns::RenderedNames& out,
                                                std::vector<std::string>& dropped) {
                             dns::render_cluster_view_names(service, origin, ttl, out, dropped);
                           };
                         });
      if (!added) return added.error();
    }
    if (const auto& federation = config.catalog.federation) {
      auto added = extra(federation->zone, "catalog.federation.zone",
                         [&](const std::string& origin) -> dns::NamesRenderer {
                           dns::FederationLayout layout;
                           layout.zone_wire = origin;
                           layout.federation = federation->name;
                           layout.cname_fallback = federation->cname_fallback;
                           for (const auto& cluster : config.clusters)
                             layout.clusters[cluster.name] = {cluster.region, cluster.zone};
                           return [layout = std::move(layout), ttl](const model::MergedService& service,
                                                                    dns::RenderedNames& out,
                                                                    std::vector<std::string>& dropped) {
                             dns::render_federation_names(service, layout, ttl, out, dropped);
                           };
                         });
      if (!added) return added.error();
    }
  }
  factory.options_.edns_udp_payload = config.server.edns_udp_payload;
  factory.options_.nsid = config.server.nsid;
  factory.options_.identity = config.server.identity;
  factory.options_.version = config.server.version;
  if (!config.server.explain_label.empty()) {
    auto allow = std::make_shared<dns::CidrTable>();
    for (const auto& cidr : config.server.explain_allow) {
      if (auto added = allow->add(cidr, {}); !added) return added.error().wrap("server.explain.allow");
    }
    allow->seal();
    factory.options_.explain.label = config.server.explain_label;
    for (auto& ch : factory.options_.explain.label)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    factory.options_.explain.allow = std::move(allow);
  }
  if (!config.transfer.keys.empty()) {
    auto policy = make_transfer_policy(config.transfer);
    if (!policy) return policy.error();
    factory.options_.transfer = std::move(policy.value());
  }
  return factory;
}

void SnapshotFactory::load_catalog(const sync::Catalog& catalog, std::vector<std::string>& dropped) {
  if (!names_) return;
  catalog.for_each_service(
      [&](const model::MergedService& service) { render(service.key, &service, dropped); });
}

std::shared_ptr<const model::AnswerPolicy> SnapshotFactory::policy_for(const model::MergedService& service,
                                                                       std::vector<std::string>& dropped) {
  if (const auto it = policies_.find(service.key); it != policies_.end()) return it->second;  // config wins
  if (service.answer_policy.empty()) return nullptr;
  if (annotated_policies_.size() >= kMaxAnnotatedPolicies)
    annotated_policies_.clear();  // texts are untrusted
  const auto [it, fresh] = annotated_policies_.try_emplace(service.answer_policy);
  if (!fresh) return it->second;
  const std::string where = "service " + service.key.text() + ": annotation fedns.io/answer-policy: ";
  auto parsed = parse_answer_policy_annotation(service.answer_policy);
  std::vector<std::string> problems;
  if (!parsed) {
    problems.push_back(parsed.error().message);
  } else {
    problems = policy_problems(parsed.value(), clusters_, geo_);
  }
  if (!problems.empty()) {  // answered without a policy, and said once per text
    for (const auto& problem : problems)
      dropped.push_back(where + problem);
    return nullptr;
  }
  it->second = make_answer_policy(parsed.value(), "annotation", clusters_, *locator_);
  return it->second;
}

// One render per changed service, shared by the MCS names and the PTR records.
void SnapshotFactory::render(const model::ServiceKey& key, const model::MergedService* service,
                             std::vector<std::string>& dropped) {
  std::optional<model::MergedService> placed;  // a copy with health targets, localities and the policy
  std::shared_ptr<const model::AnswerPolicy> policy =
      service != nullptr ? policy_for(*service, dropped) : nullptr;
  if (service != nullptr && (targets_ != nullptr || policy != nullptr)) {
    placed = *service;
    if (targets_ != nullptr) targets_->assign(*placed, dropped);
    placed->policy = std::move(policy);
    for (auto& shard : placed->shards) {  // where each cluster is, for answers ranked by the client's
      if (const auto it = localities_.find(shard.cluster); it != localities_.end())
        std::tie(shard.region, shard.zone) = it->second;
      if (const auto it = cluster_ids_.find(shard.cluster); it != cluster_ids_.end())
        shard.cluster_id = it->second;
    }
    if (placed->policy && placed->policy->weights_from_endpoints)
      placed->policy = weighted_by_endpoints(*placed->policy, *placed);
    service = &*placed;
  } else if (service == nullptr && targets_ != nullptr) {
    targets_->release(key);
  }
  dns::RenderedNames names;
  if (service != nullptr) dns::render_mcs_names(*service, catalog_zone_, ttl_, names, dropped);
  names_->update(key, names, dropped);
  if (reverse_) reverse_->update(key, names.records, dropped);
  for (auto& zone : extra_)
    zone.names.update(key, service, dropped);
}

void SnapshotFactory::apply(const sync::CatalogChanges& changes, std::vector<std::string>& dropped) {
  if (!names_) return;
  for (const auto& key : changes.removed)
    render(key, nullptr, dropped);
  for (const auto& service : changes.updated_services)
    render(service.key, &service, dropped);
}

std::shared_ptr<dns::ServingSnapshot> SnapshotFactory::make(bool catalog_ready) {
  auto snapshot = std::make_shared<dns::ServingSnapshot>();
  snapshot->zones = zones_;  // shares the configured zones
  if (names_) {
    model::ServedZone* served = snapshot->zones.mutable_zone(catalog_zone_);
    served->generated = names_->publish();
    served->unsure_negatives = !catalog_ready;
  }
  if (reverse_) {
    for (std::size_t i = 0; i < reverse_->zone_count(); ++i) {
      model::ServedZone* served = snapshot->zones.mutable_zone(reverse_->origin(i));
      served->generated = reverse_->publish(i);
      served->unsure_negatives = !catalog_ready;
    }
  }
  for (auto& zone : extra_) {
    model::ServedZone* served = snapshot->zones.mutable_zone(zone.origin);
    served->generated = zone.names.publish();
    served->unsure_negatives = !catalog_ready;
  }
  snapshot->options = options_;
  snapshot->locator = locator_;
  snapshot->built_at = std::chrono::system_clock::now();
  return snapshot;
}

Result<std::shared_ptr<const dns::TransferPolicy>> make_transfer_policy(const TransferConfig& config) {
  auto policy = std::make_shared<dns::TransferPolicy>();
  for (const auto& k : config.keys) {
    auto key = dns::make_tsig_key(k.name, k.algorithm, k.secret);
    if (!key) return key.error().wrap("transfer key " + k.name);
    policy->keys.push_back(std::move(key.value()));
  }
  for (const auto& s : config.secondaries) {
    dns::TransferPeer peer;
    peer.name = s.name;
    const auto key = std::find_if(config.keys.begin(), config.keys.end(),
                                  [&](const TransferConfig::Key& k) { return k.name == s.key; });
    if (key == config.keys.end()) return Error{"transfer secondary " + s.name + ": no key " + s.key};
    peer.key = static_cast<std::size_t>(key - config.keys.begin());
    for (const auto& zone : s.zones) {
      auto wire = dns::name_from_text(zone);
      if (!wire) return wire.error().wrap("transfer secondary " + s.name);
      dns::fold_case(*wire);
      peer.zones.push_back(std::move(*wire));
    }
    if (!s.from.empty()) {
      auto from = std::make_shared<dns::CidrTable>();
      for (const auto& cidr : s.from) {
        if (auto added = from->add(cidr, {}); !added)
          return added.error().wrap("transfer secondary " + s.name);
      }
      from->seal();
      peer.from = std::move(from);
    }
    peer.notify = s.notify;
    policy->secondaries.push_back(std::move(peer));
  }
  return std::shared_ptr<const dns::TransferPolicy>(std::move(policy));
}

Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(const Config& config, CatalogView view,
                                                                   std::vector<std::string>* dropped) {
  auto factory = SnapshotFactory::create(config);
  if (!factory) return factory.error();
  std::vector<std::string> ignored;
  if (view.catalog != nullptr) factory->load_catalog(*view.catalog, dropped != nullptr ? *dropped : ignored);
  return std::shared_ptr<const dns::ServingSnapshot>(factory->make(view.ready));
}

}  // namespace fedns::app
