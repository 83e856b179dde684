// End to end, the delegation preflight: `fedns check-delegation` against a real parent zone served by Knot
// DNS and the running fedns, for a correct delegation and for each kind of mismatch (a name server only the
// parent lists, one only fedns lists, wrong glue, missing glue, a lame address, no delegation at all, a
// parent that does not answer).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/fedns_server.hpp"
#include "support/knot_server.hpp"

namespace fedns::e2e {
namespace {

// fedns serves fed.example. with two name servers inside it, at loopback addresses.
const std::string kFednsZones = R"(
  - origin: fed.example.
    ttl: 300
    soa: {mname: ns1.fed.example., rname: hostmaster.fed.example., serial: 7, minimum: 60}
    ns:
      - {name: ns1.fed.example., addresses: ["127.0.0.1"]}
      - {name: ns2.fed.example., addresses: ["127.0.0.1", "::1"]}
    records: |
      www IN A 192.0.2.1
)";

// The parent zone example. with the delegation `delegation` (NS records and glue, relative names).
std::string parent_zone(const std::string& delegation) {
  return "$ORIGIN example.\n$TTL 300\n"
         "@ IN SOA ns.example. hostmaster.example. 1 3600 600 604800 60\n"
         "@ IN NS ns.example.\n"
         "ns IN A 192.0.2.53\n" +
         delegation;
}

class Delegation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fedns_ = new FednsServer(kFednsZones); }
  static void TearDownTestSuite() {
    delete fedns_;
    fedns_ = nullptr;
  }
  void SetUp() override {
    if (run_command("test -x /usr/sbin/knotd").exit_code != 0)
      GTEST_FAIL() << "knotd missing: run scripts/install-deps";
  }

  // Runs the preflight against a Knot parent serving `delegation`; the name servers' addresses are asked at
  // fedns's port (they all point at loopback, where fedns listens).
  static CommandResult check(const std::string& delegation, const std::string& zone = "fed.example") {
    const TempDir dir;
    KnotServer parent(dir, "example", dir.write("example.zone", parent_zone(delegation)));
    return run_command(std::string(FEDNS_BINARY) + " check-delegation " + zone +
                           " --parent 127.0.0.1:" + std::to_string(parent.port()) + " --server 127.0.0.1:" +
                           std::to_string(fedns_->port()) + " --port " + std::to_string(fedns_->port()),
                       60);
  }

  inline static FednsServer* fedns_ = nullptr;
};

TEST_F(Delegation, AMatchingDelegationIsConsistent) {
  const auto r = check(
      "fed IN NS ns1.fed\nfed IN NS ns2.fed\nns1.fed IN A 127.0.0.1\nns2.fed IN A 127.0.0.1\n"
      "ns2.fed IN AAAA ::1\n");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "parent NS: ns1.fed.example., ns2.fed.example.")) << r.output;
  EXPECT_TRUE(has(r.output, "ok        glue ns2.fed.example. AAAA: ::1")) << r.output;
  EXPECT_TRUE(has(r.output, "ns1.fed.example. at 127.0.0.1:" + std::to_string(fedns_->port()) +
                                " answers for fed.example. authoritatively"))
      << r.output;
  EXPECT_TRUE(has(r.output, "delegation of fed.example.: consistent")) << r.output;
}

TEST_F(Delegation, EachMismatchIsNamedPrecisely) {
  // The parent: ns1 with wrong glue, ns2 without its AAAA, ns3 that fedns does not list; fedns's ns2 ...
  // fine.
  auto r = check(
      "fed IN NS ns1.fed\nfed IN NS ns2.fed\nfed IN NS ns3.fed\nns1.fed IN A 127.0.0.9\n"
      "ns2.fed IN A 127.0.0.1\nns3.fed IN A 127.0.0.1\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(
      has(r.output, "MISMATCH  glue ns1.fed.example. A: the parent has 127.0.0.9, fedns serves 127.0.0.1"))
      << r.output;
  EXPECT_TRUE(has(r.output, "MISMATCH  glue ns2.fed.example. AAAA: the parent has none, fedns serves ::1"))
      << r.output;
  EXPECT_TRUE(has(r.output,
                  "MISMATCH  the parent delegates to ns3.fed.example., which fedns does not list in "
                  "its NS set"))
      << r.output;
  EXPECT_TRUE(has(r.output, "MISMATCH  lame: ns1.fed.example. at 127.0.0.9:")) << r.output;
  EXPECT_TRUE(has(r.output, "MISMATCH  glue ns3.fed.example. A: the parent has 127.0.0.1, fedns serves none"))
      << r.output;
  EXPECT_TRUE(has(r.output, "delegation of fed.example.: 5 mismatch(es)")) << r.output;

  // The parent names only ns1, without glue.
  r = check("fed IN NS ns1.fed\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output,
                  "MISMATCH  fedns lists ns2.fed.example. in its NS set; the parent does not delegate "
                  "to it"))
      << r.output;
  EXPECT_TRUE(
      has(r.output, "MISMATCH  no glue at the parent for ns1.fed.example., a name server inside the zone"))
      << r.output;
}

TEST_F(Delegation, NoDelegationOrNoAnswerIsSaid) {
  auto r = check("other IN NS ns.other\nns.other IN A 127.0.0.1\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "MISMATCH  the parent has no delegation for fed.example. (NXDOMAIN")) << r.output;
  // A zone fedns does not serve.
  r = check("fed IN NS ns1.fed\nns1.fed IN A 127.0.0.1\n", "fed2.example");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "MISMATCH  fedns does not serve fed2.example. authoritatively")) << r.output;
  // A parent that does not answer; bad arguments.
  const auto silent =
      run_command(std::string(FEDNS_BINARY) + " check-delegation fed.example --parent 127.0.0.1:" +
                      std::to_string(free_port()) + " --server 127.0.0.1:" + std::to_string(fedns_->port()),
                  60);
  EXPECT_EQ(silent.exit_code, 3) << silent.output;
  EXPECT_TRUE(has(silent.output, "the parent: no answer from 127.0.0.1:")) << silent.output;
  const auto usage = run_command(std::string(FEDNS_BINARY) + " check-delegation fed.example", 10);
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_TRUE(has(usage.output, "check-delegation needs ZONE and --parent SERVER")) << usage.output;
}

}  // namespace
}  // namespace fedns::e2e
