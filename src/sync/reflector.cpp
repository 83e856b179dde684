// Reflector: LIST (paginated) then WATCH, for ever, keeping the cache and the handlers exactly in step with
// the API server. The control flow follows client-go's reflector.go ListAndWatch.
#include "sync/reflector.hpp"

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "sync/object_decoder.hpp"

namespace fedns::sync {

namespace asio = boost::asio;

namespace {

// A Status object's code, reason and message, for errors and 410 detection.
struct StatusInfo {
  int code = 0;
  std::string reason;
  std::string message;
};

StatusInfo status_of(const nlohmann::json& body) {
  StatusInfo s;
  if (body.is_object() && body.value("kind", "") == "Status") {
    s.code = body.value("code", 0);
    s.reason = body.value("reason", "");
    s.message = body.value("message", "");
  }
  return s;
}

StatusInfo status_of_text(std::string_view body) {
  return status_of(nlohmann::json::parse(body, nullptr, false));
}

bool retryable(unsigned status) {
  return status == 429 || (status >= 500 && status != 501);
}

}  // namespace

std::string_view to_string(ReflectorState state) {
  switch (state) {
    case ReflectorState::kStarting:
      return "starting";
    case ReflectorState::kListing:
      return "listing";
    case ReflectorState::kWatching:
      return "watching";
    case ReflectorState::kBackingOff:
      return "backing_off";
    case ReflectorState::kStopped:
      return "stopped";
  }
  return "unknown";
}

Reflector::Reflector(ApiClient& client, ResourceRef resource, ReflectorOptions options,
                     InformerHandlers handlers)
    : client_(client), resource_(std::move(resource)), options_(options), handlers_(std::move(handlers)) {}

std::string Reflector::where() const {
  return client_.credentials().server + " " + resource_.collection_path();
}

void Reflector::failed() {
  if (stats_.failing_since == std::chrono::steady_clock::time_point{}) {
    stats_.failing_since = std::chrono::steady_clock::now();
  }
}

void Reflector::stop() {
  stopped_ = true;
  client_.cancel_streams();
  if (timer_) timer_->cancel();
}

asio::awaitable<void> Reflector::run() {
  timer_ = std::make_unique<asio::steady_timer>(client_.io());
  stopped_ = false;
  // A restarted run resumes the watch from the last version when there is one, as a reconnect would.
  bool need_list = !synced_;
  while (!stopped_) {
    if (need_list) {
      stats_.state = ReflectorState::kListing;
      if (auto r = co_await list(); !r) {
        failed();
        ++stats_.errors;
        stats_.last_error = r.error().message;
        log::warn(where() + ": list: " + r.error().message);
        co_await backoff(retry_after_);
        continue;
      }
      need_list = false;
      if (stopped_) break;  // stopped by a handler during the list: no watch to open
    }
    stats_.state = ReflectorState::kWatching;
    switch (co_await watch()) {
      case WatchEnd::kResume:
        failures_ = 0;
        healthy();
        break;  // the stream ended normally (timeoutSeconds): watch again from the last version
      case WatchEnd::kRelist:
        need_list = true;
        break;
      case WatchEnd::kError:
        if (!stopped_) failed();
        if (!stopped_) co_await backoff(retry_after_);
        break;
    }
  }
  stats_.state = ReflectorState::kStopped;
}

asio::awaitable<void> Reflector::backoff(std::optional<std::chrono::seconds> retry_after) {
  // Exponential from backoff_initial to backoff_max with up to 100% jitter, or the server's Retry-After.
  const int exponent = std::min(failures_++, 16);
  auto delay = std::min(options_.backoff_initial * (1 << exponent), options_.backoff_max);
  delay += std::chrono::milliseconds(std::uniform_int_distribution<long>(0, delay.count())(rng_));
  if (retry_after) delay = std::max<std::chrono::milliseconds>(delay, *retry_after);
  retry_after_.reset();
  stats_.state = ReflectorState::kBackingOff;
  timer_->expires_after(delay);
  boost::system::error_code ec;
  co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// One LIST page. Like client-go's request retry, a 429 or 5xx with Retry-After is retried in place (the
// server asked us to wait, not to start over), a bounded number of times.
asio::awaitable<Result<ApiResponse>> Reflector::list_page(const std::string& target) {
  for (int attempt = 0;; ++attempt) {
    auto response = co_await client_.request("GET", target);
    if (!response) co_return response;
    if (response->status == 429) ++stats_.throttled;
    if (!retryable(response->status) || !response->retry_after || attempt >= options_.throttle_retries ||
        stopped_) {
      co_return response;
    }
    log::debug(where() + ": HTTP " + std::to_string(response->status) + ", retrying the page after " +
               std::to_string(response->retry_after->count()) + " s");
    timer_->expires_after(
        std::max<std::chrono::milliseconds>(*response->retry_after, std::chrono::milliseconds(50)));
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<Result<void>> Reflector::list() {
  // A whole cache collects the list and swaps it in at the end. A versions-only cache hands each page to the
  // handlers as it comes (the pages are the server's current state, as watch events would be) and drops what
  // the list did not mention at the end: the list's objects are never all in memory at once, and their
  // temporaries do not scatter the heap between the handlers' long-lived copies.
  std::map<std::string, KubeObject> fresh;
  ++list_pass_;
  std::string continue_token;
  std::string list_version;
  for (;;) {
    std::string target = resource_.collection_path() + "?limit=" + std::to_string(options_.page_size);
    if (!resource_.label_selector.empty()) target += "&labelSelector=" + url_encode(resource_.label_selector);
    if (!resource_.field_selector.empty()) target += "&fieldSelector=" + url_encode(resource_.field_selector);
    if (!continue_token.empty()) target += "&continue=" + url_encode(continue_token);
    auto response = co_await list_page(target);
    if (!response) co_return response.error();
    if (response->status != 200) {
      const StatusInfo status = status_of_text(response->body);
      if (response->status == 410 && !continue_token.empty()) {
        // The continue token expired mid-list: start the list again from the first page.
        ++stats_.expired;
        log::info(where() + ": continue token expired; listing again from the start");
        fresh.clear();
        ++list_pass_;  // what the abandoned pass saw must be seen again
        continue_token.clear();
        continue;
      }
      retry_after_ = response->retry_after;
      co_return Error{"HTTP " + std::to_string(response->status) +
                      (status.message.empty() ? "" : ": " + status.message)};
    }
    auto page = decode_list(response->body, decode_options());
    if (!page) co_return page.error();
    ++stats_.pages;
    stats_.last_contact = std::chrono::steady_clock::now();
    list_version = page->resource_version;
    if (page->oversize > 0) {
      stats_.oversize += page->oversize;
      log::warn(where() + ": skipping " + std::to_string(page->oversize) + " object(s) over " +
                std::to_string(options_.max_object_bytes) + " bytes");
    }
    for (const auto& reason : page->rejected) {
      ++stats_.bad_events;
      log::warn(where() + ": skipping an item: " + reason);
    }
    for (auto& object : page->items) {
      if (options_.keep_objects) {
        std::string key = object.meta().key();
        fresh.insert_or_assign(std::move(key), std::move(object));
      } else {
        merge_listed(object);
      }
    }
    continue_token = std::move(page->continue_token);
    if (continue_token.empty()) break;
  }
  if (options_.keep_objects) {
    replace(std::move(fresh));
  } else {
    drop_unlisted();
  }
  resource_version_ = list_version;
  ++stats_.lists;
  healthy();
  synced_ = true;
  failures_ = 0;
  co_return Result<void>{};
}

// A relist: the new state replaces the cache, and the handlers hear the difference, each change once.
KubeObject Reflector::named(const std::string& key, const std::string& version) const {
  ObjectMeta meta;
  if (const auto slash = key.find('/'); slash != std::string::npos) {
    meta.namespace_ = key.substr(0, slash);
    meta.name = key.substr(slash + 1);
  } else {
    meta.name = key;
  }
  meta.resource_version = version;
  return {std::move(meta), resource_.kind, "{}"};
}

void Reflector::merge_listed(const KubeObject& object) {
  std::string key = object.meta().key();
  const auto old = versions_.find(key);
  if (old == versions_.end()) {
    if (handlers_.on_add) handlers_.on_add(object);
    versions_.emplace(std::move(key), CachedVersion{object.meta().resource_version, list_pass_});
    return;
  }
  old->second.listed_in = list_pass_;
  if (old->second.resource_version == object.meta().resource_version) return;
  if (handlers_.on_update) handlers_.on_update(named(key, old->second.resource_version), object);
  old->second.resource_version = object.meta().resource_version;
}

void Reflector::drop_unlisted() {
  for (auto it = versions_.begin(); it != versions_.end();) {
    if (it->second.listed_in == list_pass_) {
      ++it;
      continue;
    }
    if (handlers_.on_delete) handlers_.on_delete(named(it->first, it->second.resource_version));
    it = versions_.erase(it);
  }
}

void Reflector::replace(std::map<std::string, KubeObject> fresh) {
  for (const auto& [key, object] : store_) {
    if (!fresh.contains(key) && handlers_.on_delete) handlers_.on_delete(object);
  }
  for (const auto& [key, object] : fresh) {
    const auto old = store_.find(key);
    if (old == store_.end()) {
      if (handlers_.on_add) handlers_.on_add(object);
    } else if (old->second.meta().resource_version != object.meta().resource_version ||
               old->second.meta().uid != object.meta().uid) {
      if (handlers_.on_update) handlers_.on_update(old->second, object);
    }
  }
  store_ = std::move(fresh);
}

void Reflector::upsert(KubeObject object) {
  std::string key = object.meta().key();
  if (!options_.keep_objects) {
    const auto old = versions_.find(key);
    if (old == versions_.end()) {
      if (handlers_.on_add) handlers_.on_add(object);
      versions_.emplace(std::move(key), CachedVersion{object.meta().resource_version, list_pass_});
      return;
    }
    if (old->second.resource_version == object.meta().resource_version) return;  // already seen
    if (handlers_.on_update) handlers_.on_update(named(key, old->second.resource_version), object);
    old->second.resource_version = object.meta().resource_version;
    return;
  }
  const auto old = store_.find(key);
  if (old == store_.end()) {
    if (handlers_.on_add) handlers_.on_add(object);
    store_.emplace(std::move(key), std::move(object));
    return;
  }
  if (old->second.meta().resource_version == object.meta().resource_version) return;  // already seen
  if (handlers_.on_update) handlers_.on_update(old->second, object);
  old->second = std::move(object);
}

void Reflector::remove(const KubeObject& object) {
  if (!options_.keep_objects) {
    const auto old = versions_.find(object.meta().key());
    if (old == versions_.end()) return;  // never seen, or already deleted by a relist
    if (handlers_.on_delete) handlers_.on_delete(named(old->first, old->second.resource_version));
    versions_.erase(old);
    return;
  }
  const auto old = store_.find(object.meta().key());
  if (old == store_.end()) return;  // never seen, or already deleted by a relist
  if (handlers_.on_delete) handlers_.on_delete(old->second);
  store_.erase(old);
}

Reflector::WatchEnd Reflector::apply_event(std::string_view line) {
  if (line.empty()) return WatchEnd::kResume;
  auto event = decode_event(line, decode_options());
  if (!event) {
    ++stats_.bad_events;
    log::warn(where() + ": garbled watch event (" + event.error().message + "); relisting");
    return WatchEnd::kRelist;
  }
  const std::string& type = event->type;
  if (type == "ERROR" || type == "BOOKMARK") {  // rare and small: read the simple way
    const auto body = nlohmann::json::parse(event->object_text, nullptr, false);
    if (type == "ERROR") {
      const StatusInfo status = status_of(body);
      if (status.code == 410) {
        ++stats_.expired;
        return WatchEnd::kRelist;
      }
      stats_.last_error = "watch error " + std::to_string(status.code) + ": " + status.message;
      return WatchEnd::kError;
    }
    if (body.is_object()) {
      const auto& meta = body.value("metadata", nlohmann::json::object());
      if (const std::string rv = meta.value("resourceVersion", ""); !rv.empty()) resource_version_ = rv;
    }
    stats_.last_contact = std::chrono::steady_clock::now();
    healthy();
    return WatchEnd::kResume;
  }
  if (type != "ADDED" && type != "MODIFIED" && type != "DELETED") {
    ++stats_.bad_events;
    log::warn(where() + ": watch event of unknown type \"" + type + "\"; relisting");
    return WatchEnd::kRelist;
  }
  if (event->oversize) {
    // The cache must not keep an older version of what the server now says is too large: relist (which
    // leaves the object out as well).
    ++stats_.oversize;
    log::warn(where() + ": watch event over " + std::to_string(options_.max_object_bytes) +
              " bytes; relisting");
    return WatchEnd::kRelist;
  }
  auto& object = event->object;
  if (!object) {
    ++stats_.bad_events;
    log::warn(where() + ": unusable watch event: " + object.error().message + "; relisting");
    return WatchEnd::kRelist;
  }
  if (!resource_.kind.empty() && !object->kind().empty() && object->kind() != resource_.kind) {
    ++stats_.bad_events;
    log::warn(where() + ": watch event carries a " + object->kind() + ", not a " + resource_.kind +
              "; relisting");
    return WatchEnd::kRelist;
  }
  resource_version_ = object->meta().resource_version;
  ++stats_.events;
  healthy();
  stats_.last_event = std::chrono::steady_clock::now();
  stats_.last_contact = stats_.last_event;
  if (type == "DELETED") {
    remove(*object);
  } else {
    upsert(std::move(object.value()));
  }
  return WatchEnd::kResume;
}

asio::awaitable<Reflector::WatchEnd> Reflector::watch() {
  std::string target = resource_.collection_path() + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                       std::to_string(options_.watch_timeout.count()) +
                       "&resourceVersion=" + url_encode(resource_version_);
  if (!resource_.label_selector.empty()) target += "&labelSelector=" + url_encode(resource_.label_selector);
  if (!resource_.field_selector.empty()) target += "&fieldSelector=" + url_encode(resource_.field_selector);
  ++stats_.watches;
  log::debug(where() + ": watch from resourceVersion " + resource_version_);
  WatchEnd end = WatchEnd::kResume;
  std::string error_body;
  auto stream = co_await client_.stream_lines(
      target,
      [&](std::string_view line) {
        if (stopped_) return false;
        end = apply_event(line);
        return end == WatchEnd::kResume;
      },
      options_.idle_timeout, options_.max_object_bytes, [this] { healthy(); });
  if (stopped_) co_return WatchEnd::kError;
  if (!stream) {
    ++stats_.errors;
    stats_.last_error = stream.error().message;
    log::warn(where() + ": watch: " + stream.error().message);
    co_return WatchEnd::kError;
  }
  if (stream->line_too_long) {
    // The event was dropped unread, so the cache may miss a change: relist (which skips the object too).
    ++stats_.oversize;
    log::warn(where() + ": watch event over " + std::to_string(options_.max_object_bytes) +
              " bytes; relisting");
    co_return WatchEnd::kRelist;
  }
  if (stream->status == 410) {  // an HTTP-level Expired (older or uncached paths)
    ++stats_.expired;
    co_return WatchEnd::kRelist;
  }
  if (stream->status != 200) {
    ++stats_.errors;
    if (stream->status == 429) ++stats_.throttled;
    retry_after_ = stream->retry_after;
    const StatusInfo status = status_of_text(stream->error_body);
    stats_.last_error = "watch: HTTP " + std::to_string(stream->status) +
                        (status.message.empty() ? "" : ": " + status.message);
    log::warn(where() + ": " + stats_.last_error);
    co_return WatchEnd::kError;
  }
  co_return end;
}

}  // namespace fedns::sync
