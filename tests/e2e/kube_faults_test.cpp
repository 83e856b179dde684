// End to end: network faults between the reflector and a real kube-apiserver, injected by a real Toxiproxy:
// latency, data sliced into tiny chunks, a stalled stream, connection resets, the path going down and back.
// After each, the cache must equal a fresh `kubectl get`, and each change reach the handlers exactly once.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/cluster_fixture.hpp"
#include "support/fedns_server.hpp"
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
    for (auto& c : ns_)  // a namespace is an RFC 1123 label: "Lies/garble" -> "lies-garble"
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '-';
    kubectl("create namespace " + ns_);
  }
  void TearDown() override { proxy_.reset(); }

  std::unique_ptr<Harness> harness(sync::ReflectorOptions options = {}, std::uint16_t port = 0,
                                   const char* kubeconfig = "kubeconfig") {
    options.backoff_initial = 100ms;
    options.backoff_max = 1s;
    return std::make_unique<Harness>(fixture_->kubeconfig(0, kubeconfig), ns_, options,
                                     "https://127.0.0.1:" + std::to_string(port ? port : proxy_->port()));
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
  // The cache equals the server (less `skipped`), and no object was announced twice without a delete between.
  void expect_converged(Harness& h, const std::string& skipped = {}) const {
    auto expected = server_names();
    std::erase(expected, skipped);
    ASSERT_TRUE(h.wait_for([&] {
      std::vector<std::string> names;
      for (const auto& [key, object] : h.reflector().store())
        names.push_back(object.meta().name);
      for (const auto& [key, version] : h.reflector().versions())  // a versions-only cache
        names.push_back(key.substr(key.find('/') + 1));
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

  static uint64_t stat(Harness& h, std::uint64_t sync::ReflectorStats::*field) {
    return h.on_io([&] { return h.reflector().stats().*field; });
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

TEST_F(Faults, BandwidthLimit) {
  for (int i = 0; i < 20; ++i)
    create("narrow-" + std::to_string(i));
  proxy_->add_toxic(
      R"({"name":"narrow","type":"bandwidth","stream":"downstream","attributes":{"rate":16}})");  // KB/s
  auto h = harness({.page_size = 5});
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }, 60s));
  create("through-the-straw");
  kubectl("delete service narrow-3 -n " + ns_);
  expect_converged(*h);
  EXPECT_EQ(stat(*h, &sync::ReflectorStats::bad_events), 0u);
}

TEST_F(Faults, ApiserverRestartMidWatch) {
  create("before-restart");
  auto h = harness();
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().store().size() == 1; }));
  ASSERT_TRUE(fixture_->stop_apiserver(0));
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().stats().errors >= 1; }));
  ASSERT_TRUE(fixture_->start_apiserver(0));
  const auto back = std::chrono::steady_clock::now();
  kubectl("delete service before-restart -n " + ns_);
  create("after-restart");
  expect_converged(*h);
  EXPECT_LT(std::chrono::steady_clock::now() - back, 10s) << "reconnection took too long";
}

TEST_F(Faults, ObjectsOverTheSizeCapAreSkippedAndCounted) {
  // Real objects, larger than the cap this test sets (an annotation may hold 256 KiB): skipped in the LIST
  // and in watch events alike, counted, never half in the cache.
  const TempDir dir;
  auto big = [&](const std::string& name) {
    const nlohmann::json service = {
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata",
         {{"name", name}, {"namespace", ns_}, {"annotations", {{"bulk", std::string(100000, 'x')}}}}},
        {"spec", {{"ports", {{{"port", 80}}}}}}};
    ASSERT_EQ(kubectl("apply -f " + dir.write(name + ".json", service.dump())).exit_code, 0);
  };
  create("small");
  big("big");
  auto h = harness({.max_object_bytes = 64 * 1024});
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }));
  EXPECT_EQ(h->cached_names(), std::vector<std::string>{"small"});
  EXPECT_GE(stat(*h, &sync::ReflectorStats::oversize), 1u);
  kubectl("annotate service small -n " + ns_ + " grown=yes");
  big("big");                                                // unchanged: no event
  kubectl("annotate service big -n " + ns_ + " again=yes");  // an event over the cap: relist, still skipped
  create("later");
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().stats().oversize >= 2; }));
  expect_converged(*h, "big");
}

// A member cluster that lies: a TLS proxy in front of the real apiserver (tests/e2e/support/
// lying_apiserver.py) tells the first watch event one lie. The reflector logs and counts it, recovers (relist
// or resume), and ends with exactly the server's state.
class LyingApiserver {
 public:
  LyingApiserver(const ClusterFixture& fixture, const std::string& lie) : port_(free_port()) {
    const std::string server = fixture.server(0);
    const std::string pki = fixture.dir() + "/pki/";
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3", FEDNS_SOURCE_DIR "/tests/e2e/support/lying_apiserver.py",
                                 "--port", std::to_string(port_), "--upstream",
                                 server.substr(server.find("//") + 2), "--ca", pki + "ca.crt", "--cert",
                                 pki + "serving.crt", "--key", pki + "serving.key", "--lie", lie},
        dir_.path() + "/liar.log");
    for (int i = 0; i < 100 && !has(process_->log(), "listening"); ++i)
      std::this_thread::sleep_for(50ms);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string log() const { return process_->log(); }

 private:
  std::uint16_t port_;
  TempDir dir_;
  std::unique_ptr<Process> process_;
};

class Lies : public Faults, public ::testing::WithParamInterface<const char*> {};

TEST_P(Lies, AreCountedAndRecovered) {
  const std::string lie = GetParam();
  create("before");
  const LyingApiserver liar(*fixture_, lie);
  ASSERT_TRUE(has(liar.log(), "listening")) << liar.log();
  auto h = harness({.max_object_bytes = 1024 * 1024}, liar.port(), "kubeconfig_token");
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }));
  create("after");  // its event is where the lie is told
  kubectl("delete service before -n " + ns_);
  expect_converged(*h);
  EXPECT_TRUE(has(liar.log(), "told a " + lie + " lie")) << liar.log();
  if (lie == "oversize") {
    EXPECT_EQ(stat(*h, &sync::ReflectorStats::oversize), 1u);
  } else if (lie == "cut") {  // a broken stream: resumed from the last version, no relist needed
    EXPECT_GE(stat(*h, &sync::ReflectorStats::errors), 1u);
  } else if (lie == "content-length") {  // a well-formed stream, only framed unusually: nothing to recover
    EXPECT_EQ(stat(*h, &sync::ReflectorStats::errors), 0u);
    EXPECT_EQ(stat(*h, &sync::ReflectorStats::bad_events), 0u);
  } else {
    EXPECT_EQ(stat(*h, &sync::ReflectorStats::bad_events), 1u);
  }
  if (lie != "cut" && lie != "content-length") {
    EXPECT_EQ(stat(*h, &sync::ReflectorStats::lists), 2u);  // the lie forced one relist
  }
}

// The catalog's informers keep versions only (keep_objects false): a lie that forces a relist, a create and a
// delete around it, and the cache and the handlers still end exactly at the server's state, deletes named.
TEST_F(Faults, AVersionsOnlyCacheConvergesThroughARelist) {
  create("before");
  create("stays");
  const LyingApiserver liar(*fixture_, "garble");
  ASSERT_TRUE(has(liar.log(), "listening")) << liar.log();
  auto h = harness({.max_object_bytes = 1024 * 1024, .keep_objects = false}, liar.port(), "kubeconfig_token");
  h->start();
  ASSERT_TRUE(h->wait_for([&] { return h->reflector().has_synced(); }));
  EXPECT_TRUE(h->reflector().store().empty());
  create("after");  // its event is garbled: relist
  kubectl("delete service before -n " + ns_);
  expect_converged(*h);
  EXPECT_EQ(stat(*h, &sync::ReflectorStats::lists), 2u);
  const auto log = h->log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "DELETE before"), 1) << testing::PrintToString(log);
  EXPECT_EQ(std::count(log.begin(), log.end(), "ADD after"), 1) << testing::PrintToString(log);
  EXPECT_EQ(h->on_io([&] { return h->reflector().cached(); }), 2u);
}

// Cluster health (issue 5): a member cluster whose API still answers but whose watches fall silent (no event,
// no bookmark) is taken out of the answers once nothing arrived for clusters[].health.watch_max_age, while
// the other cluster keeps answering.
TEST_F(Faults, AClusterWhoseWatchesFallSilentLeavesTheAnswers) {
  create("web");
  const std::string west_ip = kubectl("get service web -n " + ns_ + " -o jsonpath={.spec.clusterIP}").output;
  const LyingApiserver liar(*fixture_, "silent-watch");
  ASSERT_TRUE(has(liar.log(), "listening")) << liar.log();
  TempDir dir;
  std::ifstream in(fixture_->kubeconfig(0, "kubeconfig_token"));
  std::stringstream text;
  text << in.rdbuf();
  std::string kubeconfig = text.str();
  const std::string server = fixture_->server(0);
  kubeconfig.replace(kubeconfig.find(server), server.size(),
                     "https://127.0.0.1:" + std::to_string(liar.port()));
  const std::string kubeconfig_path = dir.write("west.kubeconfig", kubeconfig);
  std::filesystem::create_directory(dir.path() + "/east");
  [[maybe_unused]] const auto east =
      dir.write("east/web.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: " + ns_ +
                                     "}\nspec: {clusterIP: 10.99.0.1, ports: [{port: 80}]}\n");
  FednsServer fedns(
      "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
      "    ns: [ns1.clusterset.local.]\n"
      "clusters:\n"
      "  - {name: east, manifests: " +
      dir.path() + "/east}\n  - {name: west, kubeconfig: " + kubeconfig_path +
      ", health: {watch_max_age: 2s}}\n"
      "catalog:\n  export_all_namespaces: [" +
      ns_ + "]\n");
  const std::string name = "web." + ns_ + ".svc.clusterset.local";
  auto answers = [&] {
    std::istringstream lines(fedns.dig("+short " + name).output);
    std::vector<std::string> out;
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto wait_for = [&](std::vector<std::string> expected, std::chrono::seconds limit) {
    std::sort(expected.begin(), expected.end());
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (answers() == expected) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for({"10.99.0.1", west_ip}, 10s)) << fedns.process().log() << liar.log();
  const auto synced = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for({"10.99.0.1"}, 10s)) << "a cluster with silent watches stayed in the answers\n"
                                            << fedns.process().log();
  // The last contact was the LIST just before `synced`: out after 2 s of silence plus one check (1 s).
  EXPECT_LE(std::chrono::steady_clock::now() - synced, 3500ms);
  EXPECT_TRUE(has(liar.log(), "a watch falls silent")) << liar.log();
  EXPECT_TRUE(has(fedns.process().log(), "cluster west is DOWN")) << fedns.process().log();
  EXPECT_TRUE(has(fedns.process().log(), "watch silent for")) << fedns.process().log();
}

INSTANTIATE_TEST_SUITE_P(MemberCluster, Lies,
                         ::testing::Values("garble", "unknown-type", "wrong-kind", "oversize", "cut",
                                           "content-length"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::erase(name, '-');
                           return name;
                         });

// 429 Too Many Requests from a real apiserver whose read-only concurrency is one request, under load from
// other clients: LIST pages are retried after Retry-After, and the cache still converges.
class Throttled : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ClusterFixture(1, {"--enable-priority-and-fairness=false", "--max-requests-inflight=1",
                                      "--max-mutating-requests-inflight=1"});
  }
  static void TearDownTestSuite() { delete fixture_; }
  static ClusterFixture* fixture_;
};
ClusterFixture* Throttled::fixture_ = nullptr;

TEST_F(Throttled, TooManyRequestsIsRetriedAfterRetryAfter) {
  if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
  const std::string kubectl = fixture_->kubectl(0);
  const TempDir dir;
  ASSERT_EQ(run_command(kubectl + " create namespace busy", 60).exit_code, 0);
  // A non-admin identity (system:masters is exempt from the limit). Not the "view" role: it is aggregated by
  // kube-controller-manager, which the fixture does not run.
  ASSERT_EQ(
      run_command(
          kubectl +
              " create clusterrole busy-reader --verb=get,list,watch --resource=services,configmaps && " +
              kubectl + " create rolebinding reader -n busy --clusterrole=busy-reader --user=fedns-reader",
          60)
          .exit_code,
      0);
  std::string manifest;
  for (int i = 0; i < 20; ++i) {
    manifest += "---\napiVersion: v1\nkind: Service\nmetadata: {name: s" + std::to_string(i) +
                ", namespace: busy}\nspec: {ports: [{port: 80}]}\n";
  }
  ASSERT_EQ(run_command("printf '" + manifest + "' | " + kubectl + " apply -f -", 120).exit_code, 0);
  // 8 MiB of ConfigMaps: a LIST of them outgrows the socket buffers, so a client that stops reading holds
  // the apiserver's single read-only slot for as long as it likes.
  for (int i = 0; i < 8; ++i) {
    const nlohmann::json cm = {{"apiVersion", "v1"},
                               {"kind", "ConfigMap"},
                               {"metadata", {{"name", "bulk-" + std::to_string(i)}, {"namespace", "busy"}}},
                               {"data", {{"bulk", std::string(1000000, 'x')}}}};
    ASSERT_EQ(run_command(kubectl + " create -f " + dir.write("cm.json", cm.dump()), 60).exit_code, 0);
  }
  const std::string pki = fixture_->dir() + "/pki/";
  Process hog({"/usr/bin/curl", "-s", "--http1.1", "--limit-rate", "8k", "-o", "/dev/null", "--cacert",
               pki + "ca.crt", "--cert", pki + "reader.crt", "--key", pki + "reader.key",
               fixture_->server(0) + "/api/v1/namespaces/busy/configmaps"},
              dir.path() + "/hog.log");
  std::this_thread::sleep_for(500ms);
  hog.signal(SIGSTOP);  // reads nothing more: the apiserver's write blocks, the slot stays taken
  Harness h(fixture_->kubeconfig(0, "kubeconfig_reader"), "busy",
            {.page_size = 5, .backoff_initial = 100ms, .backoff_max = 1s});
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().stats().throttled >= 2; }))
      << "the server never said 429: " << h.on_io([&] { return h.reflector().stats().last_error; });
  EXPECT_FALSE(h.on_io([&] { return h.reflector().has_synced(); }));
  const auto freed = std::chrono::steady_clock::now();
  hog.signal(SIGKILL);  // the slot frees; the page is retried after the server's Retry-After (1 s)
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }))
      << h.on_io([&] { return h.reflector().stats().last_error; });
  EXPECT_LT(std::chrono::steady_clock::now() - freed, 5s);
  EXPECT_EQ(h.cached_names().size(), 20u);
  // Retried in place: no LIST failed as a whole and no backoff was needed.
  EXPECT_EQ(h.on_io([&] { return h.reflector().stats().errors; }), 0u);
}

}  // namespace
}  // namespace fedns::e2e
