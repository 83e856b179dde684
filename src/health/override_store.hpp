// Where admin overrides live: the watched override file (the way for replicated deployments: one ConfigMap
// for every replica, kept across restarts) and those set through the HTTP endpoint (this replica only, until
// they expire, are deleted, or the process ends). A file that cannot be read or parsed is rejected with a log
// line naming the problem, and the previous file overrides stay. Runs on the control io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "health/health_override.hpp"

namespace fedns::health {

struct OverrideStoreStats {
  std::uint64_t file_loads = 0;   // file versions applied
  std::uint64_t file_errors = 0;  // file versions rejected (unreadable, or invalid)
  std::uint64_t expired = 0;      // overrides that reached their expiry
};

class OverrideStore {
 public:
  // `on_change` runs (on the io_context) whenever the active set changed: a file version, an API call, an
  // expiry.
  OverrideStore(boost::asio::io_context& io, std::function<void()> on_change);
  OverrideStore(const OverrideStore&) = delete;
  OverrideStore& operator=(const OverrideStore&) = delete;
  ~OverrideStore();

  // The file to watch (empty: none) and how often to look at it; reads it at once when it changed.
  void watch(std::string path, std::chrono::milliseconds poll);
  void stop();

  // An override from the HTTP endpoint: gets an id ("api:N") and is active at once.
  HealthOverride add(HealthOverride override);
  // Deletes an endpoint override by id; false when there is none.
  bool remove(const std::string& id);

  // What is in force now (expired ones left out).
  [[nodiscard]] OverrideSet active() const;
  [[nodiscard]] std::vector<HealthOverride> active_list() const;
  [[nodiscard]] const OverrideStoreStats& stats() const { return stats_; }
  [[nodiscard]] const std::string& file_error() const { return file_error_; }

 private:
  struct FileVersion {
    std::int64_t mtime_ns = -1;
    std::int64_t size = -1;
    std::uint64_t inode = 0;
    bool operator==(const FileVersion&) const = default;
  };
  void poll();
  void load_file();
  void schedule_expiry();
  void changed();

  boost::asio::io_context& io_;
  std::function<void()> on_change_;
  std::string path_;
  std::chrono::milliseconds poll_interval_{1000};
  boost::asio::steady_timer poll_timer_;
  boost::asio::system_timer expiry_timer_;
  FileVersion seen_;
  std::vector<HealthOverride> file_;
  std::vector<HealthOverride> api_;
  std::uint64_t next_api_id_ = 1;
  std::vector<std::string> announced_expired_;  // ids logged as expired, so each is logged once
  OverrideStoreStats stats_;
  std::string file_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fedns::health
