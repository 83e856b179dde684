// End to end: the reflector against a real kube-apiserver. Pagination, every change seen exactly once, watch
// renewal without loss, and a real etcd compaction (410 Expired) answered by a relist whose difference
// reaches the handlers. Tests compare the cache with a fresh `kubectl get`.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/asio.hpp"
#include "common/log.hpp"
#include "support/cluster_fixture.hpp"
#include "support/reflector_harness.hpp"
#include "support/toxiproxy.hpp"
#include "sync/reflector.hpp"

namespace fedns::e2e {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class Reflector : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::getenv("FEDNS_TEST_DEBUG") != nullptr) log::set_level(log::Level::kDebug);
    // Without the watch cache, watches are served by etcd itself, so compacting etcd makes old versions
    // really expire (with the cache, a young apiserver can still replay them from memory).
    fixture_ = new ClusterFixture(1, {"--watch-cache=false"});
  }
  static void TearDownTestSuite() { delete fixture_; }
  void SetUp() override {
    if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
  }
  static CommandResult kubectl(const std::string& args) {
    return run_command(fixture_->kubectl(0) + " " + args);
  }
  static std::vector<std::string> server_names(const std::string& ns) {
    const auto out = kubectl("get services -n " + ns + " -o json");
    std::vector<std::string> names;
    const auto list =
        nlohmann::json::parse(out.output);  // kept alive: range-for over a temporary's member dangles
    for (const auto& item : list["items"])
      names.push_back(item["metadata"]["name"]);
    std::sort(names.begin(), names.end());
    return names;
  }
  static void create_namespace(const std::string& ns) { kubectl("create namespace " + ns); }
  static void create_services(const std::string& ns, const std::vector<std::string>& names) {
    std::string manifest;
    for (const auto& n : names) {
      manifest += "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + n + ", namespace: " + ns +
                  "}\nspec: {ports: [{port: 80}]}\n";
    }
    const auto r = run_command("printf '%s' '" + manifest + "' | " + fixture_->kubectl(0) + " apply -f -");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static ClusterFixture* fixture_;
};
ClusterFixture* Reflector::fixture_ = nullptr;

TEST_F(Reflector, InitialListIsPaginatedAndComplete) {
  create_namespace("paged");
  create_services("paged", {"s1", "s2", "s3", "s4", "s5", "s6", "s7"});
  Harness h(fixture_->kubeconfig(0), "paged", {.page_size = 3});
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }));
  EXPECT_EQ(h.cached_names(), server_names("paged"));
  EXPECT_EQ(h.log().size(), 7u);
  EXPECT_EQ(h.on_io([&] { return h.reflector().stats().lists; }), 1u);
}

TEST_F(Reflector, ManagedFieldsAreDroppedFromTheCache) {  // they are a third of an object; nothing reads them
  create_namespace("slim");
  create_services("slim", {"listed"});
  Harness h(fixture_->kubeconfig(0), "slim", {});
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().store().size() == 1; }));
  create_services("slim", {"watched"});
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().store().size() == 2; }));
  ASSERT_TRUE(
      has(kubectl("get service listed -n slim -o json --show-managed-fields").output, "managedFields"));
  const auto kept = h.on_io([&] {
    std::vector<std::string> out;
    for (const auto& [key, object] : h.reflector().store()) {
      const auto body = object.json();
      const auto& meta = body.at("metadata");
      if (meta.contains("managedFields")) out.push_back(key);
      EXPECT_TRUE(meta.contains("resourceVersion"));  // the rest of the metadata stays
    }
    return out;
  });
  EXPECT_TRUE(kept.empty()) << testing::PrintToString(kept);
}

TEST_F(Reflector, StopRightAfterSyncEndsPromptly) {
  // Right after the LIST the watch is still connecting: a stop then must end it too, not leave it waiting
  // for its first byte (up to the idle timeout, 90 s by default).
  create_namespace("prompt");
  create_services("prompt", {"p1"});
  for (int i = 0; i < 5; ++i) {
    Harness h(fixture_->kubeconfig(0), "prompt", {});
    h.start();
    ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }));
    const auto start = std::chrono::steady_clock::now();
    h.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "round " << i;
  }
}

TEST_F(Reflector, EveryChangeSeenExactlyOnce) {
  create_namespace("changes");
  Harness h(fixture_->kubeconfig(0), "changes", {});
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }));
  create_services("changes", {"a"});
  kubectl("label service a -n changes tier=web");
  kubectl("delete service a -n changes");
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().store().empty() && h.reflector().stats().events >= 3; }));
  EXPECT_EQ(h.log(), (std::vector<std::string>{"ADD a", "UPDATE a", "DELETE a"}));
}

TEST_F(Reflector, WatchRenewalLosesNothingAndDuplicatesNothing) {
  create_namespace("renewal");
  Harness h(fixture_->kubeconfig(0), "renewal", {.watch_timeout = 1s});
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }));
  for (const char* name : {"r1", "r2", "r3"}) {
    create_services("renewal", {name});
    std::this_thread::sleep_for(1200ms);  // each change lands in a different watch stream
  }
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().store().size() == 3; }));
  EXPECT_EQ(h.log(), (std::vector<std::string>{"ADD r1", "ADD r2", "ADD r3"}));
  EXPECT_GE(h.on_io([&] { return h.reflector().stats().watches; }), 3u);
  EXPECT_EQ(h.cached_names(), server_names("renewal"));
}

TEST_F(Reflector, ExpiredVersionRelistsAndReportsTheDifference) {
  create_namespace("expired");
  create_services("expired", {"keep", "gone"});
  Harness h(fixture_->kubeconfig(0), "expired", {});
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced() && h.reflector().store().size() == 2; }));
  h.stop();
  // While nobody watches: one service goes, one comes, and etcd compacts its history past the version the
  // reflector resumes from, so its watch must fail with 410 Expired.
  kubectl("delete service gone -n expired");
  create_services("expired", {"new"});
  ASSERT_GT(fixture_->compact_etcd(), 0);
  h.start();
  ASSERT_TRUE(h.wait_for([&] {
    return h.reflector().stats().expired >= 1 && h.reflector().store().size() == 2;
  })) << "log: "
      << testing::PrintToString(h.log()) << " lists " << h.on_io([&] { return h.reflector().stats().lists; })
      << " events " << h.on_io([&] { return h.reflector().stats().events; }) << " last error "
      << h.on_io([&] { return h.reflector().stats().last_error; });
  EXPECT_EQ(h.cached_names(), server_names("expired"));
  const auto log = h.log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(log.begin() + 2, log.end()),
            (std::vector<std::string>{"DELETE gone", "ADD new"}));
  EXPECT_EQ(h.on_io([&] { return h.reflector().stats().lists; }), 2u);
}

TEST_F(Reflector, ExpiredContinueTokenRestartsTheList) {
  // A slow path makes the paginated LIST take seconds; etcd compacts past the list's version between two
  // pages, so the next continue token is refused with 410 and the list starts over.
  create_namespace("continued");
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i)
    names.push_back("page-" + std::to_string(i));
  create_services("continued", names);
  const std::string server = fixture_->server(0);
  Toxiproxy proxy(fixture_->bin(), server.substr(server.find("//") + 2));
  proxy.add_toxic(R"({"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":400}})");
  Harness h(fixture_->kubeconfig(0), "continued", {.page_size = 3},
            "https://127.0.0.1:" + std::to_string(proxy.port()));
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().stats().pages >= 1; }));
  create_services("continued", {"during-list"});  // a newer revision to compact up to
  ASSERT_GT(fixture_->compact_etcd(), 0);
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }, 60s));
  proxy.remove_toxic("slow");
  EXPECT_GE(h.on_io([&] { return h.reflector().stats().expired; }), 1u) << "the continue token never expired";
  EXPECT_EQ(h.on_io([&] { return h.reflector().stats().lists; }), 1u);
  EXPECT_EQ(h.cached_names(), server_names("continued"));
  // The handlers heard one ADD per object: the abandoned pages were never announced.
  EXPECT_EQ(h.log().size(), names.size() + 1);
}

TEST_F(Reflector, AVersionsOnlyCacheAnnouncesEachListPageAsItArrives) {
  // The catalog's informers keep versions only; they hand a LIST on page by page, so that a large list is
  // never all in memory at once (measured: 10,000 services x 3 clusters settle at 96 instead of 120 MiB).
  create_namespace("streamed");
  create_services("streamed", {"a1", "a2", "a3", "a4", "a5", "a6", "a7"});
  const std::string server = fixture_->server(0);
  Toxiproxy proxy(fixture_->bin(), server.substr(server.find("//") + 2));
  proxy.add_toxic(R"({"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":400}})");
  Harness h(fixture_->kubeconfig(0), "streamed", {.page_size = 3, .keep_objects = false},
            "https://127.0.0.1:" + std::to_string(proxy.port()));
  h.start();
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().stats().pages >= 1; }));
  EXPECT_EQ(h.on_io([&] { return h.reflector().has_synced() ? 0 : h.log().size(); }), 3u)
      << "the first page was not announced before the list ended";
  ASSERT_TRUE(h.wait_for([&] { return h.reflector().has_synced(); }, 60s));
  proxy.remove_toxic("slow");
  const auto names = h.on_io([&] {
    std::vector<std::string> out;
    for (const auto& [key, version] : h.reflector().versions())
      out.push_back(key.substr(key.find('/') + 1));
    return out;
  });
  EXPECT_EQ(names, server_names("streamed"));
  EXPECT_EQ(h.log().size(), 7u);
}

}  // namespace
}  // namespace fedns::e2e
