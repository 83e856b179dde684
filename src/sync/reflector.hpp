// Reflector and informer cache for one resource of one cluster, with client-go's semantics: paginated LIST,
// WATCH from the list's resourceVersion with bookmarks, resume from the last seen version when a stream ends,
// relist on 410 Expired, backoff with jitter honouring Retry-After, an idle-stream timeout, and handlers that
// see every add, update and delete exactly once (a relist is diffed against the cache).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/api_client.hpp"
#include "sync/kube_object.hpp"
#include "sync/object_decoder.hpp"

namespace fedns::sync {

struct InformerHandlers {
  std::function<void(const KubeObject&)> on_add;
  std::function<void(const KubeObject& old_object, const KubeObject& new_object)> on_update;
  std::function<void(const KubeObject&)> on_delete;
};

struct ReflectorOptions {
  std::size_t page_size = 500;
  // timeoutSeconds of each watch; it is renewed from the last version.
  std::chrono::seconds watch_timeout{300};
  // No byte, not even a bookmark, for this long: reconnect.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(90)};
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  // Objects larger than this (serialised) are skipped and counted, in LISTs and watch events alike, so the
  // cache never holds what a lying server streams without end.
  std::size_t max_object_bytes = ApiClient::kDefaultMaxLine;
  // A LIST page answered 429/5xx with Retry-After is retried in place this often (client-go's rule).
  int throttle_retries = 10;
  // metadata.managedFields is dropped while parsing unless this is set (nothing in fedns reads it).
  bool keep_managed_fields = false;
  // false: the cache keeps only each object's resourceVersion by namespace/name, enough to diff a relist and
  // to name what was deleted (handlers get whole objects, except on_delete and on_update's old object, which
  // carry the namespace, name and version only). For consumers that keep their own typed copy (the catalog).
  // Such a cache hands a LIST to the handlers page by page: a list that fails half-way has delivered its
  // first pages (current objects, as watch events would be); deletions come when a list completes.
  bool keep_objects = true;
};

// Where the reflector is, for metrics and /readyz.
enum class ReflectorState { kStarting, kListing, kWatching, kBackingOff, kStopped };
std::string_view to_string(ReflectorState state);

struct ReflectorStats {
  ReflectorState state = ReflectorState::kStarting;
  std::uint64_t lists = 0;       // complete LISTs (all pages)
  std::uint64_t pages = 0;       // LIST pages received
  std::uint64_t watches = 0;     // watch streams opened
  std::uint64_t expired = 0;     // 410 Expired seen (watch or continue token): each forces a relist
  std::uint64_t events = 0;      // watch events applied
  std::uint64_t bad_events = 0;  // lines that were not valid events (each forces a relist)
  std::uint64_t errors = 0;      // failed requests (each followed by a backoff)
  std::uint64_t throttled = 0;   // 429 Too Many Requests answers
  std::uint64_t oversize = 0;    // objects or event lines over max_object_bytes (skipped)
  std::chrono::steady_clock::time_point last_event{};  // last watch event applied
  std::chrono::steady_clock::time_point
      last_contact{};  // last byte of a successful answer (LIST page or event)
  // When the current run of failures began (LIST or WATCH requests failing); empty while healthy.
  std::chrono::steady_clock::time_point failing_since{};
  std::string last_error;
};

class Reflector {
 public:
  Reflector(ApiClient& client, ResourceRef resource, ReflectorOptions options, InformerHandlers handlers);

  // Runs until stop(). Never throws; errors are counted, logged and retried with backoff. A later run()
  // resumes from the cache and the last resourceVersion.
  boost::asio::awaitable<void> run();
  // Ends the current run() promptly (open streams are closed, a backoff wait is cut short).
  void stop();

  [[nodiscard]] bool has_synced() const { return synced_; }
  // The cached objects (keep_objects); empty otherwise, where only versions are kept.
  [[nodiscard]] const std::map<std::string, KubeObject>& store() const { return store_; }
  // Without keep_objects: every cached object's resourceVersion, by namespace/name.
  struct CachedVersion {
    std::string resource_version;
    std::uint64_t listed_in = 0;  // the last LIST pass that returned it
  };
  [[nodiscard]] const std::map<std::string, CachedVersion>& versions() const { return versions_; }
  // How many objects the cache knows, whole or by version.
  [[nodiscard]] std::size_t cached() const {
    return options_.keep_objects ? store_.size() : versions_.size();
  }
  [[nodiscard]] const ReflectorStats& stats() const { return stats_; }
  [[nodiscard]] const std::string& resource_version() const { return resource_version_; }

 private:
  enum class WatchEnd { kResume, kRelist, kError };

  boost::asio::awaitable<Result<void>> list();
  boost::asio::awaitable<Result<ApiResponse>> list_page(const std::string& target);
  boost::asio::awaitable<WatchEnd> watch();
  WatchEnd apply_event(std::string_view line);
  void replace(std::map<std::string, KubeObject> fresh);
  void merge_listed(const KubeObject& object);  // versions-only: one listed object
  void drop_unlisted();                         // versions-only: a LIST completed; what it lacked is gone
  void upsert(KubeObject object);
  void remove(const KubeObject& object);
  [[nodiscard]] KubeObject named(const std::string& key, const std::string& version) const;
  boost::asio::awaitable<void> backoff(std::optional<std::chrono::seconds> retry_after);
  std::string where() const;
  void failed();
  void healthy() { stats_.failing_since = {}; }
  [[nodiscard]] DecodeOptions decode_options() const {
    return {options_.keep_managed_fields, options_.max_object_bytes};
  }

  ApiClient& client_;
  ResourceRef resource_;
  ReflectorOptions options_;
  InformerHandlers handlers_;
  std::map<std::string, KubeObject> store_;
  // Without keep_objects: namespace/name -> resourceVersion, all a relist diff needs (a deleted object is
  // named from its key).
  std::map<std::string, CachedVersion> versions_;
  std::uint64_t list_pass_ = 0;
  std::string resource_version_;
  bool synced_ = false;
  bool stopped_ = false;
  int failures_ = 0;
  std::optional<std::chrono::seconds> retry_after_;
  ReflectorStats stats_;
  std::mt19937 rng_{std::random_device{}()};
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace fedns::sync
