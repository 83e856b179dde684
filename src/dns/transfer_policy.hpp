// Who may transfer which zone (RFC 5936 section 5 leaves the policy to the server): only a request signed
// with a configured TSIG key, for a zone that key's secondary is listed for, from a network it may come from.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/client_location.hpp"
#include "dns/listen_address.hpp"
#include "dns/tsig.hpp"

namespace fedns::dns {

struct TransferPeer {
  std::string name;                       // for logs
  std::size_t key = 0;                    // index into TransferPolicy::keys
  std::vector<std::string> zones;         // lower-case wire origins; empty: every zone we serve
  std::shared_ptr<const CidrTable> from;  // source networks it may transfer from; null: anywhere
  std::vector<ListenAddress> notify;      // told (RFC 1996) when a zone's serial changes
};

struct TransferPolicy {
  std::vector<TsigKey> keys;  // also the keys that signed queries may use
  std::vector<TransferPeer> secondaries;

  [[nodiscard]] bool covers(const TransferPeer& peer, std::string_view origin) const {
    if (peer.zones.empty()) return true;
    for (const auto& zone : peer.zones) {
      if (zone == origin) return true;
    }
    return false;
  }
  // Whether a transfer of `origin` signed with `key` (one of `keys`) may go to `client`.
  [[nodiscard]] bool allows(const TsigKey& key, std::string_view origin, const ClientAddress& client) const {
    for (const auto& peer : secondaries) {
      if (&keys[peer.key] != &key || !covers(peer, origin)) continue;
      if (peer.from == nullptr) return true;
      if (client.prefix != 0 && peer.from->find(client).source == LocationSource::kTable) return true;
    }
    return false;
  }
};

}  // namespace fedns::dns
