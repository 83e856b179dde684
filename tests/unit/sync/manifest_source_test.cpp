// A manifests directory read again on every poll: only files that changed are parsed, only objects that
// changed reach the catalog, and a poll that finds nothing new compares nothing (it runs every second on the
// thread that also publishes snapshots).
#include "sync/manifest_source.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fedns::sync {
namespace {

class ManifestSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() / ("fedns-manifest-source-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  void write(const std::string& file, const std::string& ip) {
    std::ofstream(directory_ / file)
        << "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
           "spec: {clusterIP: "
        << ip << ", ports: [{name: http, port: 80, protocol: TCP}]}\n";
  }
  // Moves a file's modification time so that the next scan sees it changed whatever the clock's granularity.
  void touch(const std::string& file, int seconds) {
    const auto path = directory_ / file;
    std::filesystem::last_write_time(path,
                                     std::filesystem::last_write_time(path) + std::chrono::seconds(seconds));
  }
  std::vector<std::string> addresses() {
    catalog_.flush();
    const auto merged = catalog_.service({"shop", "web"});
    return merged ? merged->shards.at(0).addresses : std::vector<std::string>{};
  }

  // Initialised here, not in SetUp: the source below takes the path when it is constructed.
  std::filesystem::path directory_ =
      std::filesystem::temp_directory_path() / ("fedns-manifest-source-" + std::to_string(::getpid()));
  boost::asio::io_context io_;
  Catalog catalog_{CatalogOptions{.export_all_namespaces = {"shop"}}};
  int changes_ = 0;
  ManifestSource source_{io_, "east", directory_, std::chrono::seconds(1), catalog_, [this] { ++changes_; }};
};

TEST_F(ManifestSourceTest, AnUnchangedDirectoryIsNotComparedAgain) {
  write("web.yaml", "10.96.0.10");
  EXPECT_TRUE(source_.scan());
  EXPECT_TRUE(source_.has_synced());
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(addresses(), std::vector<std::string>{"10.96.0.10"});

  EXPECT_FALSE(source_.scan());  // nothing added, changed or removed
  EXPECT_EQ(changes_, 1);
}

TEST_F(ManifestSourceTest, ARewrittenFileIsReadAgainButOnlyChangedObjectsCount) {
  write("web.yaml", "10.96.0.10");
  ASSERT_TRUE(source_.scan());
  touch("web.yaml", 5);  // saved again, same text
  EXPECT_TRUE(source_.scan());
  EXPECT_EQ(changes_, 1);

  write("web.yaml", "10.96.0.20");
  touch("web.yaml", 10);
  EXPECT_TRUE(source_.scan());
  EXPECT_EQ(changes_, 2);
  EXPECT_EQ(addresses(), std::vector<std::string>{"10.96.0.20"});
  EXPECT_FALSE(source_.scan());
}

TEST_F(ManifestSourceTest, FilesAddedAndRemovedAreSeen) {
  write("web.yaml", "10.96.0.10");
  ASSERT_TRUE(source_.scan());
  write("other.yaml", "10.96.0.10");  // the same object again: no change for the catalog
  EXPECT_TRUE(source_.scan());
  EXPECT_EQ(changes_, 1);

  std::filesystem::remove(directory_ / "web.yaml");  // "other.yaml" still defines it
  EXPECT_TRUE(source_.scan());
  EXPECT_EQ(changes_, 1);
  std::filesystem::remove(directory_ / "other.yaml");
  EXPECT_TRUE(source_.scan());
  EXPECT_EQ(changes_, 2);
  EXPECT_TRUE(addresses().empty());
  EXPECT_FALSE(source_.scan());
}

}  // namespace
}  // namespace fedns::sync
