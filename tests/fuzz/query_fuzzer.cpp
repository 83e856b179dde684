// libFuzzer target for the whole query path: any bytes in, and the responder must neither crash nor write a
// response that breaks its own invariants (size within the limit, ID echoed, QR set). Signed queries go
// through TSIG verification (a key is configured), and transfer requests through the zone transfer as TCP
// runs it. The UDP listener's batch path must answer exactly as the one-message path.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "dns/responder.hpp"
#include "dns/zone_builder.hpp"
#include "dns/zone_transfer.hpp"

namespace {

const fedns::dns::ServingSnapshot& snapshot() {
  static const auto* built = [] {
    fedns::dns::ZoneSource zone;
    zone.origin = "example.";
    zone.soa = fedns::dns::SoaFields{.serial = 1};
    zone.name_servers = {{"ns1.example.", {"192.0.2.53", "2001:db8::53"}}};
    zone.records =
        "www IN A 192.0.2.1\nwww IN AAAA 2001:db8::1\nalias IN CNAME www\nloop IN CNAME loop\n"
        "mail IN MX 10 www\n_s._tcp IN SRV 0 0 1 www\na.b.c IN TXT \"x\"\n*.w IN A 192.0.2.9\n"
        "sub IN NS ns.sub\nns.sub IN A 192.0.2.10\nbig IN TXT \"" +
        std::string(250, 'x') + "\" \"" + std::string(250, 'y') + "\"\nbig IN TXT \"" +
        std::string(250, 'z') + "\"\n";
    auto zones = fedns::dns::build_zone_set({zone});
    if (!zones) std::abort();
    auto* s = new fedns::dns::ServingSnapshot;
    s->zones = std::move(zones.value());
    s->options.nsid = "fuzz";
    s->options.identity = "fuzz";
    s->options.version = "fuzz";
    auto policy = std::make_shared<fedns::dns::TransferPolicy>();
    policy->keys.push_back(
        fedns::dns::make_tsig_key("fuzz-key.", "hmac-sha256", "ZnV6ei1mdXp6LWZ1enotZnV6ei1mdXp6LWZ1eno=")
            .value());
    policy->secondaries.push_back({"fuzz", 0, {}, nullptr, {}});
    s->options.transfer = std::move(policy);
    return s;
  }();
  return *built;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::vector<std::uint8_t> out(65535);
  static fedns::dns::WorkerCounters counters;
  for (const auto transport : {fedns::dns::Transport::kUdp, fedns::dns::Transport::kTcp}) {
    const std::size_t n = fedns::dns::respond({data, size}, out, {transport}, snapshot(), counters);
    if (n == 0) continue;
    const std::size_t limit = transport == fedns::dns::Transport::kUdp ? 4096 : 65535;
    if (n < 12 || n > limit) std::abort();
    if (size < 2 || out[0] != data[0] || out[1] != data[1]) std::abort();  // the ID is echoed
    if ((out[2] & 0x80) == 0) std::abort();                                // QR is set
  }
  // The batch path (prepare, prefetch, respond: what the UDP listener runs) answers byte for byte as the
  // one-message path. Signed queries are left out: their MAC covers the clock, which may tick in between.
  static std::vector<std::uint8_t> batch_out(65535);
  fedns::dns::PreparedQuery prepared;
  fedns::dns::prepare({data, size}, snapshot(), prepared);
  fedns::dns::prefetch(prepared);
  if (prepared.query.tsig_offset == 0) {
    const fedns::dns::RequestInfo udp{fedns::dns::Transport::kUdp};
    const std::size_t one = fedns::dns::respond({data, size}, out, udp, snapshot(), counters);
    const std::size_t batch =
        fedns::dns::respond(prepared, {data, size}, batch_out, udp, snapshot(), counters);
    if (one != batch ||
        !std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(one), batch_out.begin()))
      std::abort();
  }
  if (fedns::dns::is_transfer_request({data, size})) {
    const std::shared_ptr<const fedns::dns::ServingSnapshot> held(&snapshot(),
                                                                  [](const fedns::dns::ServingSnapshot*) {});
    fedns::dns::ZoneTransfer transfer({data, size}, held, nullptr, 1'800'000'000);
    for (int i = 0; i < 64; ++i) {
      const std::size_t n = transfer.next(out);
      if (n == 0) break;
      if (n < 12 || n > 65535 || out[0] != data[0] || out[1] != data[1]) std::abort();
    }
  }
  return 0;
}
