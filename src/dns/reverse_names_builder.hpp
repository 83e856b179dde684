// PTR records for the catalog's addresses in configured reverse zones (in-addr.arpa, ip6.arpa): each address
// a service publishes in the MCS zone points back to its name, a headless endpoint's address to its own
// <hostname>.<cluster>.<svc>.<ns>.svc.<zone> name. Several services may publish one address (clusters with
// overlapping ranges), so a PTR set is the union of every service's targets; contributions are kept per
// service so an update re-renders only the addresses it touches. Control thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dns/generated_names_writer.hpp"
#include "dns/zone_source.hpp"
#include "model/catalog.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// The reverse name of an IPv4 or IPv6 address (text), lower-case wire form; empty if it is not an address.
std::string reverse_name(const std::string& address);

class ReverseNamesBuilder {
 public:
  struct ZoneInput {
    std::string origin;  // lower-case wire
    std::shared_ptr<const model::Zone> base;
  };
  ReverseNamesBuilder(std::vector<ZoneInput> zones, std::string catalog_zone_wire, std::uint32_t ttl);

  // Replaces the PTR records `key` contributes with those for the A/AAAA among `records`, the service's MCS
  // records as render_service() makes them (empty: removes them).
  void update(const model::ServiceKey& key, const std::vector<WireRecord>& records,
              std::vector<std::string>& dropped);
  // The same, rendering `service` (null: removes it) first.
  void update(const model::ServiceKey& key, const model::MergedService* service,
              std::vector<std::string>& dropped);
  [[nodiscard]] std::size_t zone_count() const { return zones_.size(); }
  [[nodiscard]] const std::string& origin(std::size_t zone) const { return zones_[zone].origin; }
  std::shared_ptr<const model::GeneratedNames> publish(std::size_t zone);

 private:
  struct ZoneState {
    std::string origin;
    std::shared_ptr<const model::Zone> base;
    GeneratedNamesWriter writer;
    std::map<std::string, std::uint32_t> ents;  // empty non-terminals: how many PTR owners are below each
  };
  void restage(std::size_t zone, const std::string& owner, bool existed);

  std::vector<ZoneState> zones_;
  std::string catalog_zone_;
  std::uint32_t ttl_;
  struct Entry {
    std::size_t zone;
    std::string owner;
  };
  std::map<model::ServiceKey, std::vector<Entry>> owned_;
  // PTR owner -> service -> its targets for that owner.
  std::map<std::string, std::map<model::ServiceKey, std::set<std::string>>> contributions_;
};

}  // namespace fedns::dns
