// End to end: network faults between the reflector and a real kube-apiserver, injected by a real Toxiproxy:
// latency, data sliced into tiny chunks, a stalled stream, connection resets, the path going down and back.
// After each, the cache must equal a fresh `kubectl get`, and each change reach the handlers exactly once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "support/cluster_fixture.hpp"
#include "support/reflector_harness.hpp"
#include "support/toxiproxy.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

class Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fixture_ = new ClusterFixture(1); }
  static void TearDownTestSuite() { delete fixture_; }
  void SetUp() override {
    if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
    const std::string server = fixture_->server(0);
    proxy_ = std::make_unique<Toxiproxy>(fixture_->bin(), server.substr(server.find("//") + 2));
    ns_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : ns_)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    kubectl("create namespace " + ns_);
  }
  void TearDown() override { proxy_.reset(); }

  std::unique_ptr<Harness> harness(sync::ReflectorOptions options = {}) {
    options.backoff_initial = 100ms;
    options.backoff_max = 1s;
    return std::make_unique<Harness>(fixture_->kubeconfig(0), ns_, options,
                                     "https://127.0.0.1:" + std::to_string(proxy_->port()));
  }
  static CommandResult kubectl(const std::string& args) {
    return run_command(fixture_->kubectl(0) + " " + args);
  }
  void create(const std::string& name) const {
    ASSERT_EQ(kubectl("create service clusterip " + name + " -n " + ns_ + " --tcp=80:80").exit_code, 0);
  }
  std::vector<std::string> server_names() const {
    const auto list = nlohmann::json::parse(kubectl("get services -n " + ns_ + " -o json").output);
    std::vector<std::string> names;
    for (const auto& item : list["items"])
      names.push_back(item["metadata"]["name"]);
    return names;
  }
  // The cache equals the server, and no object was announced twice without a delete in between.
  void expect_converged(Harness& h) const {
    const auto expected = server_names();
    ASSERT_TRUE(h.wait_for([&] {
      std::vector<std::string> names;
      for (const auto& [key, object] : h.reflector().store())
        names.push_back(object.meta().name);
      return names == expected;
    })) << "cache never matched the server";
    std::map<std::string, int> live;
    for (const auto& line : h.log()) {
      const auto space = line.find(' ');
      const std::string verb = line.substr(0, space);
      const std::string name = line.substr(space + 1);
      if (verb == "ADD") {
        EXPECT_EQ(++live[name], 1) << "duplicate ADD of " << name;
      } else if (verb == "DELETE") {
        EXPECT_EQ(--live[name], 0) << "DELETE of an unknown " << name;
      }
    }
  }

  static ClusterFixture* fixture_;
  std::unique_ptr<Toxiproxy> proxy_;
  std::string ns_;
};
ClusterFixture* Faults::fixture_ = nullptr;

TEST_F(Faults, LatencyBothWays) {
  proxy_->add_toxic(
      R"({"name":"down","type":"latency","stream":"downstream","attributes":{"latency":200,"jitter":100}})");
  proxy_->add_toxic(R"({"name":"up","type":"latency","stream":"upstream","attributes":{"latency":200}})");
  auto h = harness();
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }));
  create("slow-a");
  create("slow-b");
  expect_converged(*h);
}

TEST_F(Faults, DataSlicedIntoTinyChunks) {  // TLS records and HTTP chunks split across many reads
  proxy_->add_toxic(
      R"({"name":"slicer","type":"slicer","stream":"downstream","attributes":{"average_size":7,"size_variation":5,"delay":50}})");
  create("before");
  auto h = harness();
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }));
  create("during");
  kubectl("label service before -n " + ns_ + " sliced=yes");
  expect_converged(*h);
  EXPECT_EQ(h->on_io([&] { return h->reflector().stats().bad_events; }), 0u);
}

TEST_F(Faults, StalledStreamIsDetectedAndResumed) {  // no byte, no bookmark: the idle timeout reconnects
  auto h = harness({.idle_timeout = 1500ms});
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }));
  proxy_->add_toxic(R"({"name":"stall","type":"timeout","stream":"downstream","attributes":{"timeout":0}})");
  std::this_thread::sleep_for(500ms);
  create("while-stalled");
  std::this_thread::sleep_for(2500ms);  // past the idle timeout
  proxy_->remove_toxic("stall");
  const auto healed = std::chrono::steady_clock::now();
  expect_converged(*h);
  EXPECT_LT(std::chrono::steady_clock::now() - healed, 10s) << "reconnection took too long";
  EXPECT_GE(h->on_io([&] { return h->reflector().stats().errors; }), 1u);
}

TEST_F(Faults, ResetsAndAnOutageLoseNothing) {
  create("stays");
  create("goes");
  auto h = harness();
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().store().size() == 2; }));
  proxy_->add_toxic(
      R"({"name":"reset","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}})");
  proxy_->set_enabled(false);
  kubectl("delete service goes -n " + ns_);
  create("arrives");
  std::this_thread::sleep_for(1500ms);
  proxy_->remove_toxic("reset");
  proxy_->set_enabled(true);
  expect_converged(*h);
  const auto log = h->log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "DELETE goes"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "ADD arrives"), 1);
}

}  // namespace
}  // namespace fedns::e2e
