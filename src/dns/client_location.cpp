// Client location: CIDR tables and MaxMind-format databases (see client_location.hpp).
#include "dns/client_location.hpp"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace fedns::dns {
namespace {

std::array<std::uint8_t, 16> masked(const std::array<std::uint8_t, 16>& bytes, unsigned prefix) noexcept {
  std::array<std::uint8_t, 16> out{};
  const unsigned whole = prefix / 8;
  for (unsigned i = 0; i < whole && i < 16; ++i)
    out[i] = bytes[i];
  if (const unsigned spare = prefix % 8; spare != 0 && whole < 16)
    out[whole] = static_cast<std::uint8_t>(bytes[whole] & (0xFFu << (8 - spare)));
  return out;
}

}  // namespace

ClientAddress ClientAddress::v4(const std::array<std::uint8_t, 4>& address, std::uint8_t prefix) {
  ClientAddress a;
  std::copy(address.begin(), address.end(), a.bytes.begin());
  a.prefix = std::min<std::uint8_t>(prefix, 32);
  return a;
}

ClientAddress ClientAddress::v6_address(const std::array<std::uint8_t, 16>& address, std::uint8_t prefix) {
  ClientAddress a;
  a.v6 = true;
  a.bytes = address;
  a.prefix = std::min<std::uint8_t>(prefix, 128);
  return a;
}

std::optional<ClientAddress> ClientAddress::parse(const std::string& text) {
  std::array<std::uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1)
    return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) return v6_address(bytes);
  return std::nullopt;
}

Result<void> CidrTable::add(const std::string& cidr, const Location& location) {
  const auto slash = cidr.find('/');
  const auto address = ClientAddress::parse(cidr.substr(0, slash));
  if (slash == std::string::npos || !address)
    return Error{"\"" + cidr + "\" is not a network such as 10.0.0.0/8"};
  const unsigned max = address->v6 ? 128 : 32;
  unsigned length = 0;
  const std::string digits = cidr.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit) ||
      (length = static_cast<unsigned>(std::stoul(digits))) > max) {
    return Error{"\"" + cidr + "\": the prefix length must be 0 to " + std::to_string(max)};
  }
  const auto key = masked(address->bytes, length);
  if (key != address->bytes) return Error{"\"" + cidr + "\" has bits set past its prefix length"};
  auto& entries = (address->v6 ? v6_ : v4_).by_length[static_cast<std::uint8_t>(length)];
  const auto at =
      std::lower_bound(entries.begin(), entries.end(), key,
                       [](const Entry& e, const std::array<std::uint8_t, 16>& k) { return e.key < k; });
  if (at != entries.end() && at->key == key) return Error{"\"" + cidr + "\" is listed twice"};
  entries.insert(at, Entry{key, location, static_cast<std::uint8_t>(length)});
  return {};
}

void CidrTable::seal() {
  for (Family* family : {&v4_, &v6_}) {
    family->lengths.clear();
    for (const auto& [length, entries] : family->by_length)
      family->lengths.push_back(length);
    family->longest = family->lengths.empty() ? 0 : family->lengths.front();
    // An entry's answer holds for its whole network only if no longer entry sits inside it; otherwise for as
    // many bits as the longest one inside (a cache must not spread the outer answer over the inner network).
    for (auto& [length, entries] : family->by_length) {
      for (auto& entry : entries) {
        for (const auto& [inner_length, inner] : family->by_length) {
          if (inner_length <= length || inner_length <= entry.scope) continue;
          const bool nested = std::any_of(inner.begin(), inner.end(), [&, l = length](const Entry& e) {
            return masked(e.key, l) == entry.key;
          });
          if (nested) entry.scope = inner_length;
        }
      }
    }
  }
}

Located CidrTable::find(const ClientAddress& address) const noexcept {
  const Family& family = address.v6 ? v6_ : v4_;
  for (const std::uint8_t length : family.lengths) {
    if (length > address.prefix) continue;  // an ECS prefix shorter than the entry cannot be placed by it
    const auto key = masked(address.bytes, length);
    const auto& entries = family.by_length.at(length);
    const auto at =
        std::lower_bound(entries.begin(), entries.end(), key,
                         [](const Entry& e, const std::array<std::uint8_t, 16>& k) { return e.key < k; });
    if (at != entries.end() && at->key == key) return {at->location, LocationSource::kTable, at->scope};
  }
  return {{}, LocationSource::kNone, family.longest};
}

struct GeoipDatabase::Handle {
  MMDB_s mmdb{};
};

Result<std::unique_ptr<GeoipDatabase>> GeoipDatabase::open(const std::string& path) {
  auto db = std::unique_ptr<GeoipDatabase>(new GeoipDatabase());
  db->path_ = path;
  db->handle_ = std::make_unique<Handle>();
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->handle_->mmdb);
  if (status != MMDB_SUCCESS) {
    db->handle_.reset();
    return Error{path + ": " + MMDB_strerror(status)};
  }
  return db;
}

GeoipDatabase::~GeoipDatabase() {
  if (handle_) MMDB_close(&handle_->mmdb);
}

bool GeoipDatabase::has_v6() const {
  return handle_->mmdb.metadata.ip_version == 6;
}

namespace {

// A number at either path (flat first: ip-location-db; then MaxMind's nested layout).
bool coordinate(MMDB_entry_s& entry, const char* flat, const char* nested, float& out) noexcept {
  MMDB_entry_data_s data{};
  if ((MMDB_get_value(&entry, &data, flat, nullptr) != MMDB_SUCCESS || !data.has_data) &&
      (MMDB_get_value(&entry, &data, "location", nested, nullptr) != MMDB_SUCCESS || !data.has_data)) {
    return false;
  }
  if (data.type == MMDB_DATA_TYPE_FLOAT) {
    out = data.float_value;
  } else if (data.type == MMDB_DATA_TYPE_DOUBLE) {
    out = static_cast<float>(data.double_value);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Located GeoipDatabase::find(const ClientAddress& address) const noexcept {
  const auto key = masked(address.bytes, address.prefix);
  sockaddr_storage storage{};
  if (address.v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    std::memcpy(&sa->sin6_addr, key.data(), 16);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    std::memcpy(&sa->sin_addr, key.data(), 4);
  }
  int error = 0;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(&handle_->mmdb, reinterpret_cast<const sockaddr*>(&storage), &error);
  if (error != MMDB_SUCCESS) return {};  // e.g. an IPv6 address in an IPv4-only database
  // An IPv4 address in an IPv6 tree is looked up under ::/96: the network length counts those 96 bits.
  const int netmask = !address.v6 && has_v6() ? std::max(0, result.netmask - 96) : result.netmask;
  Located out{{}, LocationSource::kNone, static_cast<std::uint8_t>(std::clamp(netmask, 0, 128))};
  if (!result.found_entry) return out;
  MMDB_entry_data_s data{};
  if (((MMDB_get_value(&result.entry, &data, "country_code", nullptr) == MMDB_SUCCESS && data.has_data) ||
       (MMDB_get_value(&result.entry, &data, "country", "iso_code", nullptr) == MMDB_SUCCESS &&
        data.has_data)) &&
      data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size == 2) {
    out.location.country = {data.utf8_string[0], data.utf8_string[1], '\0'};
  }
  float latitude = 0;
  float longitude = 0;
  if (coordinate(result.entry, "latitude", "latitude", latitude) &&
      coordinate(result.entry, "longitude", "longitude", longitude)) {
    out.location.has_coordinates = true;
    out.location.latitude = latitude;
    out.location.longitude = longitude;
  }
  if (out.location.country[0] != '\0' || out.location.has_coordinates) out.source = LocationSource::kGeoip;
  return out;
}

std::uint16_t ClientLocator::intern(const std::string& name) {
  if (name.empty()) return kNoName;
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it != names_.end()) return static_cast<std::uint16_t>(it - names_.begin());
  names_.push_back(name);
  return static_cast<std::uint16_t>(names_.size() - 1);
}

const std::string& ClientLocator::name(std::uint16_t id) const {
  static const std::string kNone;
  return id < names_.size() ? names_[id] : kNone;
}

std::uint16_t ClientLocator::id(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  return name.empty() || it == names_.end() ? kNoName : static_cast<std::uint16_t>(it - names_.begin());
}

Result<ClientLocator> ClientLocator::build(const Config& config) {
  ClientLocator locator;
  for (std::size_t i = 0; i < config.table.size(); ++i) {
    const auto& entry = config.table[i];
    Location location;
    location.region = locator.intern(entry.region);
    location.zone = locator.intern(entry.zone);
    if (entry.coordinates) {
      location.has_coordinates = true;
      location.latitude = entry.coordinates->latitude;
      location.longitude = entry.coordinates->longitude;
    }
    if (auto r = locator.table_.add(entry.cidr, location); !r)
      return r.error().wrap("locations[" + std::to_string(i) + "]");
  }
  for (const auto& cluster : config.clusters) {
    Location location;
    location.cluster = locator.intern(cluster.cluster);
    location.region = locator.intern(cluster.region);
    location.zone = locator.intern(cluster.zone);
    if (cluster.coordinates) {
      location.has_coordinates = true;
      location.latitude = cluster.coordinates->latitude;
      location.longitude = cluster.coordinates->longitude;
    }
    for (const auto& cidr : cluster.cidrs) {
      if (auto r = locator.clusters_.add(cidr, location); !r)
        return r.error().wrap("cluster " + cluster.cluster);
    }
  }
  if (locator.names_.size() >= kNoName) return Error{"too many distinct region, zone and cluster names"};
  locator.table_.seal();
  locator.clusters_.seal();
  for (const auto& [country, region] : config.countries) {
    if (country.size() != 2 || !std::isupper(static_cast<unsigned char>(country[0])) ||
        !std::isupper(static_cast<unsigned char>(country[1]))) {
      return Error{"countries: \"" + country + "\" is not an ISO 3166-1 alpha-2 code such as GB"};
    }
    const auto code = static_cast<std::uint16_t>((country[0] << 8) | country[1]);
    locator.country_regions_.emplace_back(code, locator.intern(region));
  }
  std::sort(locator.country_regions_.begin(), locator.country_regions_.end());
  for (const auto& entry : config.latency) {
    locator.intern(entry.from);
    locator.intern(entry.to);
  }
  if (locator.names_.size() >= kNoName) return Error{"too many distinct region, zone and cluster names"};
  // Dense: regions are few (a 50-region matrix is 10 KB) and a lookup is one load.
  locator.regions_ = config.latency.empty() ? 0 : locator.names_.size();
  locator.latency_.assign(locator.regions_ * locator.regions_, -1.0F);
  for (std::size_t i = 0; i < locator.regions_; ++i)
    locator.latency_[i * locator.regions_ + i] = 0;
  auto set = [&](std::uint16_t from, std::uint16_t to, float ms) {
    locator.latency_[static_cast<std::size_t>(from) * locator.regions_ + to] = ms;
  };
  for (const auto& entry : config.latency) {  // given directions first, then the reverse where not given
    if (!(entry.milliseconds >= 0))
      return Error{"latency " + entry.from + " -> " + entry.to + " is negative"};
    set(locator.id(entry.from), locator.id(entry.to), entry.milliseconds);
  }
  for (const auto& entry : config.latency) {
    const std::uint16_t from = locator.id(entry.from);
    const std::uint16_t to = locator.id(entry.to);
    bool reverse_given = false;
    for (const auto& other : config.latency)
      reverse_given = reverse_given || (other.from == entry.to && other.to == entry.from);
    if (!reverse_given) set(to, from, entry.milliseconds);
  }
  for (const auto& path : config.geoip) {
    auto db = GeoipDatabase::open(path);
    if (!db) return db.error();
    locator.geoip_.push_back(std::move(db.value()));
  }
  return locator;
}

Located ClientLocator::locate(const ClientAddress& address) const noexcept {
  Located found = table_.find(address);
  if (found.source != LocationSource::kNone) return found;
  std::uint8_t scope = found.scope;  // the bits that could still have placed the client
  found = clusters_.find(address);
  if (found.source != LocationSource::kNone) {
    found.source = LocationSource::kCluster;
    found.scope = std::max(found.scope, scope);
    return found;
  }
  scope = std::max(scope, found.scope);
  for (const auto& db : geoip_) {
    found = db->find(address);
    found.scope = std::max(found.scope, scope);
    if (found.source != LocationSource::kNone) {
      const auto code =
          static_cast<std::uint16_t>((found.location.country[0] << 8) | found.location.country[1]);
      const auto it = std::lower_bound(country_regions_.begin(), country_regions_.end(),
                                       std::pair<std::uint16_t, std::uint16_t>{code, 0});
      if (it != country_regions_.end() && it->first == code) found.location.region = it->second;
      return found;
    }
    scope = found.scope;
  }
  return {{}, LocationSource::kNone, scope};
}

}  // namespace fedns::dns
