// End to end, zone transfer out: a real Knot DNS secondary pulls fedns's static zone and its catalog zone
// (names generated from a member cluster's manifests) over loopback with TSIG, ends up serving the same
// records, and follows changes through NOTIFY; requests without the right key are refused with the right
// code and logged; secondaries that hang up mid-transfer or stop reading cost nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "support/fedns_server.hpp"
#include "support/knot_server.hpp"
#include "support/nsd_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
const std::string kOtherSecret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI=";
const std::string kKey = "hmac-sha256:xfr-key:" + kSecret;

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string temporary = path + ".tmp~";  // write then rename: the poller never sees half a file
  std::ofstream(temporary) << text;
  std::filesystem::rename(temporary, path);
}

std::string exported_service(const std::string& name, const std::string& cluster_ip) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: shop}\nspec:\n  clusterIP: " + cluster_ip +
         "\n  ports: [{name: http, protocol: TCP, port: 80}]\n"
         "---\napiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: " +
         name + ", namespace: shop, creationTimestamp: \"2026-01-01T00:00:00Z\"}\n";
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds within = 10s) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// The records of a transfer as `kdig` prints them, one per line with single spaces, sorted, without the
// TSIG and with the closing SOA dropped (both sides send it twice).
std::vector<std::string> zone_records(const CommandResult& r) {
  std::set<std::string> lines;
  for (auto& line : record_lines(r.output)) {
    if (line.find(" TSIG ") == std::string::npos) lines.insert(std::move(line));
  }
  return {lines.begin(), lines.end()};
}

std::string soa_serial(const CommandResult& r) {
  std::istringstream in(r.output);
  std::string mname, rname, serial;
  in >> mname >> rname >> serial;
  return serial;
}

// A signed (or, with an empty key name, unsigned) request for `qtype` of `zone`, built and signed by ldns.
Bytes request(const std::string& zone, ldns_rr_type qtype, const std::string& key_name = "",
              const std::string& secret = kSecret) {
  ldns_pkt* pkt = nullptr;
  EXPECT_EQ(ldns_pkt_query_new_frm_str(&pkt, zone.c_str(), qtype, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
  ldns_pkt_set_id(pkt, 0x2a2a);
  if (!key_name.empty()) {
    EXPECT_EQ(ldns_pkt_tsig_sign(pkt, key_name.c_str(), secret.c_str(), 300, "hmac-sha256.", nullptr),
              LDNS_STATUS_OK);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
  Bytes out(wire, wire + size);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

struct Reply {
  int rcode = -1;
  int tsig_error = -1;  // -1: unsigned
  std::size_t records = 0;
};

// The first message of the answer to a transfer request over TCP.
Reply first_message(std::uint16_t port, const Bytes& message) {
  TcpClient client("127.0.0.1", port);
  Reply reply;
  if (!client.send_framed(message)) return reply;
  const auto answer = client.receive(3s);
  if (!answer) return reply;
  const Packet p = parse(*answer);
  if (!p) return reply;
  reply.rcode = ldns_pkt_get_rcode(p.get());
  if (const ldns_rr* tsig = ldns_pkt_tsig(p.get()))
    reply.tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
  reply.records = ldns_rr_list_rr_count(ldns_pkt_answer(p.get()));
  return reply;
}

class ZoneTransfer : public ::testing::Test {
 protected:
  // fedns serves example.test. (static) and clusterset.local. (from cluster east's manifests); Knot, when
  // started, is its secondary for both. `extra_zone` is appended to the zones.
  void start_fedns(const std::string& extra_zone = "") {
    knot_port_ = free_port();
    write_file(dir_.path() + "/east/web.yaml", exported_service("web", "10.1.0.10"));
    const std::string zones = standard_zones_yaml() +
                              "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
                              "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n" +
                              extra_zone;
    fedns_ = std::make_unique<FednsServer>(
        zones + "clusters:\n  - {name: east, manifests: " + dir_.path() +
            "/east, manifests_poll: 100ms}\n"
            "transfer:\n"
            "  keys:\n"
            "    - {name: xfr-key, algorithm: hmac-sha256, secret: \"" +
            kSecret +
            "\"}\n"
            "    - {name: pull-only, algorithm: hmac-sha256, secret: \"" +
            kOtherSecret +
            "\"}\n"
            "  secondaries:\n"
            "    - {name: knot, key: xfr-key, notify: [\"127.0.0.1:" +
            std::to_string(knot_port_) +
            "\"]}\n"
            "    - {name: remote-office, key: pull-only, zones: [example.test.], from: [10.0.0.0/8]}\n",
        "  limits: {tcp_idle_timeout: 1s}\n");
    ASSERT_TRUE(eventually([&] {
      return fedns_->dig("+short web.shop.svc.clusterset.local").output == "10.1.0.10\n";
    })) << fedns_->process().log();
  }
  void start_knot() {
    knot_ = std::make_unique<KnotServer>(
        knot_dir_, std::vector<std::string>{"example.test", "clusterset.local"},
        KnotPrimary{fedns_->port(), "xfr-key", "hmac-sha256", kSecret}, knot_port_);
  }
  CommandResult knot_dig(const std::string& args) const {
    return run_command("kdig @127.0.0.1 -p " + std::to_string(knot_->port()) + " +time=2 +retry=0 " + args);
  }
  std::string metrics() const {
    return run_command("curl -s http://127.0.0.1:" + std::to_string(fedns_->metrics_port()) + "/metrics")
        .output;
  }

  TempDir dir_;
  TempDir knot_dir_;
  std::uint16_t knot_port_ = 0;
  std::unique_ptr<FednsServer> fedns_;
  std::unique_ptr<KnotServer> knot_;
};

TEST_F(ZoneTransfer, TheSecondaryServesTheSameRecords) {
  start_fedns();
  start_knot();
  for (const std::string zone : {"example.test", "clusterset.local"}) {
    SCOPED_TRACE(zone);
    const auto ours = zone_records(fedns_->kdig("-y " + kKey + " " + zone + " AXFR"));
    const auto theirs = zone_records(knot_dig(zone + " AXFR"));
    EXPECT_GT(ours.size(), 2U);
    EXPECT_EQ(ours, theirs) << knot_->log();
  }
  // And it answers as fedns does: the generated name, the big TXT set over TCP, a wildcard.
  EXPECT_EQ(knot_dig("+short web.shop.svc.clusterset.local A").output, "10.1.0.10\n");
  EXPECT_EQ(knot_dig("+short +tcp big.example.test TXT").output,
            fedns_->kdig("+short +tcp big.example.test TXT").output);
  EXPECT_EQ(knot_dig("+short x.wild.example.test A").output, "192.0.2.77\n");
  // The serial the secondary holds is the one fedns serves.
  EXPECT_EQ(soa_serial(knot_dig("+short clusterset.local SOA")),
            soa_serial(fedns_->kdig("+short clusterset.local SOA")));
}

TEST_F(ZoneTransfer, ChangesReachTheSecondaryThroughNotify) {
  start_fedns();
  start_knot();
  const std::string before = soa_serial(fedns_->kdig("+short clusterset.local SOA"));
  ASSERT_EQ(soa_serial(knot_dig("+short clusterset.local SOA")), before);

  // A new service in the member cluster: a new serial, a NOTIFY, and Knot transfers (its own refresh is an
  // hour away, so only the NOTIFY can make this quick).
  const auto start = std::chrono::steady_clock::now();
  write_file(dir_.path() + "/east/api.yaml", exported_service("api", "10.1.0.20"));
  ASSERT_TRUE(eventually([&] {
    return knot_dig("+short api.shop.svc.clusterset.local A").output == "10.1.0.20\n";
  })) << fedns_->process().log()
      << knot_->log();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "[ measured ] a new service answered by the Knot secondary " << took.count()
            << " ms after its manifest was written\n";
  const std::string after = soa_serial(fedns_->kdig("+short clusterset.local SOA"));
  EXPECT_NE(after, before);
  EXPECT_TRUE(eventually([&] { return soa_serial(knot_dig("+short clusterset.local SOA")) == after; }));
  EXPECT_TRUE(has(fedns_->process().log(), "NOTIFY of clusterset.local. serial " + after + " to 127.0.0.1:" +
                                               std::to_string(knot_->port()) + ": acknowledged"))
      << fedns_->process().log();
  EXPECT_TRUE(has(knot_->log(), "[clusterset.local.] notify, incoming")) << knot_->log();

  // Knot asked for the changes since its serial and got only those (an incremental IXFR, not the whole zone),
  // and applied them to the same zone.
  EXPECT_TRUE(has(fedns_->process().log(),
                  "IXFR of clusterset.local. for 127.0.0.1 with key xfr-key. from serial " + before + ": "))
      << fedns_->process().log();
  EXPECT_TRUE(has(knot_->log(), "[clusterset.local.] IXFR, incoming, remote 127.0.0.1@" +
                                    std::to_string(fedns_->port()) + ", finished"))
      << knot_->log();
  EXPECT_EQ(zone_records(knot_dig("clusterset.local AXFR")),
            zone_records(fedns_->kdig("-y " + kKey + " clusterset.local AXFR")));

  // A service that goes away goes from the secondary too, and so does a changed address.
  std::filesystem::remove(dir_.path() + "/east/api.yaml");
  write_file(dir_.path() + "/east/web.yaml", exported_service("web", "10.1.0.11"));
  EXPECT_TRUE(eventually([&] {
    return has(knot_dig("api.shop.svc.clusterset.local A").output, "NXDOMAIN") &&
           knot_dig("+short web.shop.svc.clusterset.local A").output == "10.1.0.11\n";
  })) << knot_->log();
  EXPECT_TRUE(eventually([&] {
    return zone_records(knot_dig("clusterset.local AXFR")) ==
           zone_records(fedns_->kdig("-y " + kKey + " clusterset.local AXFR"));
  }));
  EXPECT_FALSE(has(knot_->log(), "AXFR-style")) << knot_->log();
  // The static zone did not change: its serial stayed, nobody was told about it again.
  EXPECT_EQ(soa_serial(knot_dig("+short example.test SOA")), "2026112601");
  EXPECT_TRUE(has(metrics(), "fedns_dns_notifies_total{result=\"answered\"}")) << metrics();
  EXPECT_FALSE(has(metrics(), "fedns_dns_transfers_total{result=\"incremental\"} 0")) << metrics();
}

// The same with NSD, another implementation of the secondary side (its own IXFR client and TSIG).
TEST_F(ZoneTransfer, AnNsdSecondaryFollowsToo) {
  start_fedns();
  const TempDir nsd_dir;
  const NsdSecondary nsd(nsd_dir, {"example.test", "clusterset.local"},
                         KnotPrimary{fedns_->port(), "xfr-key", "hmac-sha256", kSecret}, knot_port_);
  auto nsd_dig = [&](const std::string& args) {
    return run_command("kdig @127.0.0.1 -p " + std::to_string(nsd.port()) + " +time=2 +retry=0 " + args);
  };
  for (const std::string zone : {"example.test", "clusterset.local"}) {
    EXPECT_EQ(zone_records(nsd_dig(zone + " AXFR")),
              zone_records(fedns_->kdig("-y " + kKey + " " + zone + " AXFR")))
        << zone << "\n"
        << nsd.log();
  }
  write_file(dir_.path() + "/east/api.yaml", exported_service("api", "10.1.0.20"));
  EXPECT_TRUE(eventually([&] {
    return nsd_dig("+short api.shop.svc.clusterset.local A").output == "10.1.0.20\n";
  })) << fedns_->process().log()
      << nsd.log();
  std::filesystem::remove(dir_.path() + "/east/api.yaml");
  EXPECT_TRUE(eventually([&] {
    return zone_records(nsd_dig("clusterset.local AXFR")) ==
           zone_records(fedns_->kdig("-y " + kKey + " clusterset.local AXFR"));
  })) << nsd.log();
  EXPECT_TRUE(
      has(fedns_->process().log(), "IXFR of clusterset.local. for 127.0.0.1 with key xfr-key. from serial"))
      << fedns_->process().log();
}

TEST_F(ZoneTransfer, RequestsWithoutTheRightKeyAreRefusedAndLogged) {
  start_fedns();
  const std::uint16_t port = fedns_->port();
  // Refusals are logged at most once a second per worker: space the kinds out so each gets its line.
  auto next_kind = [] { std::this_thread::sleep_for(1100ms); };
  Reply r = first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR));
  EXPECT_EQ(r.rcode, LDNS_RCODE_REFUSED);
  EXPECT_EQ(r.tsig_error, -1);
  EXPECT_EQ(r.records, 0U);
  next_kind();
  r = first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR, "xfr-key.", kOtherSecret));
  EXPECT_EQ(r.rcode, LDNS_RCODE_NOTAUTH);
  EXPECT_EQ(r.tsig_error, 16);  // BADSIG
  next_kind();
  r = first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR, "stranger.", kSecret));
  EXPECT_EQ(r.rcode, LDNS_RCODE_NOTAUTH);
  EXPECT_EQ(r.tsig_error, 17);  // BADKEY
  next_kind();
  // A good key, but its secondary pulls only from 10.0.0.0/8.
  r = first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR, "pull-only.", kOtherSecret));
  EXPECT_EQ(r.rcode, LDNS_RCODE_REFUSED);
  EXPECT_EQ(r.tsig_error, 0);
  next_kind();
  // Not a zone apex; IXFR without its SOA.
  EXPECT_EQ(first_message(port, request("www.example.test.", LDNS_RR_TYPE_AXFR, "xfr-key.")).rcode,
            LDNS_RCODE_NOTAUTH);
  EXPECT_EQ(first_message(port, request("example.test.", LDNS_RR_TYPE_IXFR, "xfr-key.")).rcode,
            LDNS_RCODE_FORMERR);
  // Over UDP, never.
  const auto udp = fedns_->udp(request("example.test.", LDNS_RR_TYPE_AXFR, "xfr-key."));
  ASSERT_TRUE(udp);
  EXPECT_EQ(ldns_pkt_get_rcode(parse(*udp).get()), LDNS_RCODE_REFUSED);
  // The right key gets the zone.
  r = first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR, "xfr-key."));
  EXPECT_EQ(r.rcode, LDNS_RCODE_NOERROR);
  EXPECT_EQ(r.tsig_error, 0);
  EXPECT_GT(r.records, 10U);

  const std::string log = fedns_->process().log();
  const std::string prefix = "refused AXFR of example.test. for 127.0.0.1";
  const std::vector<std::string> refusals = {
      prefix + ": not signed (TSIG required)",
      prefix + " with key xfr-key.: wrong signature (BADSIG)",
      prefix + " with key stranger.: unknown key (BADKEY)",
      prefix + " with key pull-only.: key not allowed for this zone from this address",
      "refused AXFR of www.example.test. for 127.0.0.1: not a zone served here",
  };
  for (const auto& line : refusals)
    EXPECT_TRUE(has(log, line)) << line << "\n" << log;
  // A burst of 40 unsigned requests: refused every one, counted every one, logged a few lines (one a second
  // per worker at most), then said how many went unlogged.
  const auto lines_before = std::count(log.begin(), log.end(), '\n');
  next_kind();
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR)).rcode, LDNS_RCODE_REFUSED);
  next_kind();
  for (int i = 0; i < 2; ++i)  // one per worker, whichever takes the connection
    (void)first_message(port, request("example.test.", LDNS_RR_TYPE_AXFR));
  const std::string after_burst = fedns_->process().log();
  EXPECT_LE(std::count(after_burst.begin(), after_burst.end(), '\n') - lines_before, 6) << after_burst;
  EXPECT_TRUE(has(after_burst, " more refused transfer(s) since the last such line)")) << after_burst;

  const std::string m = metrics();
  for (const std::string line :
       {"fedns_dns_transfers_total{result=\"refused\"} 44",
        "fedns_dns_transfers_total{result=\"bad_tsig\"} 2", "fedns_dns_transfers_total{result=\"notauth\"} 1",
        "fedns_dns_transfers_total{result=\"malformed\"} 1", "fedns_dns_transfers_total{result=\"full\"} 1",
        "fedns_dns_tsig_failures_total 2"}) {
    EXPECT_TRUE(has(m, line)) << line << "\n" << m;
  }
}

TEST_F(ZoneTransfer, SecondariesThatHangUpOrStopReadingCostNothing) {
  // 4,000 TXT records of 200 octets: about 850 KB, fourteen messages.
  std::string big =
      "  - origin: big.test.\n    soa: {serial: 1}\n    ns: [{name: ns1.big.test., addresses: "
      "[127.0.0.1]}]\n    records: |\n";
  for (int i = 0; i < 4000; ++i)
    big += "      t" + std::to_string(i) + " IN TXT \"" + std::string(200, 'x') + "\"\n";
  start_fedns(big);
  const Bytes axfr = request("big.test.", LDNS_RR_TYPE_AXFR, "xfr-key.");
  for (int i = 0; i < 20; ++i) {  // read one message, hang up
    TcpClient client("127.0.0.1", fedns_->port());
    ASSERT_TRUE(client.send_framed(axfr));
    ASSERT_TRUE(client.receive(3s));
  }
  {
    // Three that ask and never read: closed by the idle timeout (1 s) like any stalled client.
    std::vector<std::unique_ptr<TcpClient>> stalled;
    for (int i = 0; i < 3; ++i) {
      stalled.push_back(std::make_unique<TcpClient>("127.0.0.1", fedns_->port()));
      ASSERT_TRUE(stalled.back()->send_framed(axfr));
    }
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(fedns_->dig("+short www.example.test A").exit_code, 0);  // serving on meanwhile
    const auto start = std::chrono::steady_clock::now();
    for (auto& client : stalled) {
      // Their receive buffers fill; the server's sweep closes them. What they read until then is drained.
      bool closed = false;
      while (!closed && std::chrono::steady_clock::now() - start < 10s) {
        if (!client->receive(200ms)) closed = client->closed_by_peer(100ms);
      }
      EXPECT_TRUE(closed);
    }
  }
  // Nothing held: a complete transfer still works, all connections are gone, the log says what happened.
  const auto full = zone_records(fedns_->kdig("-y " + kKey + " +time=10 big.test AXFR"));
  EXPECT_EQ(full.size(), 4000U + 3);  // the TXTs, NS, glue, SOA
  EXPECT_TRUE(eventually([&] { return has(metrics(), "fedns_dns_tcp_open_connections 0"); })) << metrics();
  EXPECT_TRUE(has(fedns_->process().log(), "(connection lost:")) << fedns_->process().log();
  EXPECT_TRUE(fedns_->process().running());
}

}  // namespace
}  // namespace fedns::e2e
