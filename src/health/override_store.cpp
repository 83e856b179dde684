// The override file watch, the endpoint's overrides and expiry (see override_store.hpp).
#include "health/override_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/log.hpp"

namespace fedns::health {

namespace asio = boost::asio;

namespace {

bool expired(const HealthOverride& o, std::chrono::system_clock::time_point now) {
  return o.expires && *o.expires <= now;
}

}  // namespace

OverrideStore::OverrideStore(asio::io_context& io, std::function<void()> on_change)
    : io_(io), on_change_(std::move(on_change)), poll_timer_(io), expiry_timer_(io) {}

OverrideStore::~OverrideStore() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; the timers end with io_
  }
}

void OverrideStore::stop() {
  poll_timer_.cancel();
  expiry_timer_.cancel();
}

void OverrideStore::watch(std::string path, std::chrono::milliseconds poll_interval) {
  poll_interval_ = poll_interval;
  if (path != path_) {
    path_ = std::move(path);
    seen_ = {};
    if (path_.empty() && !file_.empty()) {
      file_.clear();
      changed();
    }
    file_error_.clear();
  }
  poll_timer_.cancel();
  if (path_.empty()) return;
  poll();
}

void OverrideStore::poll() {
  struct stat st {};
  FileVersion now_seen;
  if (::stat(path_.c_str(), &st) == 0) {
    now_seen = {static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
  }
  if (!(now_seen == seen_)) {
    seen_ = now_seen;
    load_file();
  }
  poll_timer_.expires_after(poll_interval_);
  poll_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (!ec && !alive.expired()) poll();
  });
}

void OverrideStore::load_file() {
  auto reject = [&](const std::string& why) {
    ++stats_.file_errors;
    file_error_ = why;
    std::string lines = why;
    std::replace(lines.begin(), lines.end(), '\n', ';');
    log::error("health overrides: " + path_ + " rejected, keeping the " + std::to_string(file_.size()) +
               " override(s) from before: " + lines);
  };
  std::ifstream in(path_);
  if (!in) {
    reject("cannot read the file");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) {
    reject("larger than 1 MiB");
    return;
  }
  auto parsed = parse_override_file(text.str(), std::chrono::system_clock::now());
  if (!parsed) {
    reject(parsed.error().message);
    return;
  }
  ++stats_.file_loads;
  file_error_.clear();
  if (parsed.value() == file_) return;
  file_ = std::move(parsed.value());
  std::erase_if(announced_expired_, [](const std::string& id) { return id.starts_with("file:"); });
  log::info("health overrides: " + path_ + " loaded, " + std::to_string(file_.size()) + " override(s)");
  for (const auto& o : file_) {
    if (!expired(o, std::chrono::system_clock::now()))
      log::info("health override " + o.id + ": " + o.describe());
  }
  changed();
}

HealthOverride OverrideStore::add(HealthOverride override) {
  override.source = OverrideSource::kApi;
  override.id = "api:" + std::to_string(next_api_id_++);
  log::info("health override " + override.id + " set through the endpoint: " + override.describe());
  api_.push_back(override);
  changed();
  return override;
}

bool OverrideStore::remove(const std::string& id) {
  const auto it = std::find_if(api_.begin(), api_.end(), [&](const auto& o) { return o.id == id; });
  if (it == api_.end()) return false;
  log::info("health override " + id + " deleted through the endpoint: " + it->describe());
  api_.erase(it);
  changed();
  return true;
}

std::vector<HealthOverride> OverrideStore::active_list() const {
  const auto now = std::chrono::system_clock::now();
  std::vector<HealthOverride> out;
  for (const auto* list : {&file_, &api_}) {
    for (const auto& o : *list) {
      if (!expired(o, now)) out.push_back(o);
    }
  }
  return out;
}

OverrideSet OverrideStore::active() const {
  return OverrideSet(active_list());
}

void OverrideStore::changed() {
  schedule_expiry();
  if (on_change_) on_change_();
}

void OverrideStore::schedule_expiry() {
  const auto now = std::chrono::system_clock::now();
  std::optional<std::chrono::system_clock::time_point> next;
  // Endpoint overrides that expired are gone for good; the file's stay in the file (and out of force).
  std::erase_if(api_, [&](const auto& o) { return expired(o, now); });
  for (const auto* list : {&file_, &api_}) {
    for (const auto& o : *list) {
      if (o.expires && *o.expires > now && (!next || *o.expires < *next)) next = o.expires;
    }
  }
  expiry_timer_.cancel();
  if (!next) return;
  expiry_timer_.expires_at(*next);
  expiry_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    const auto at = std::chrono::system_clock::now();
    for (const auto* list : {&file_, &api_}) {
      for (const auto& o : *list) {
        if (expired(o, at) && std::find(announced_expired_.begin(), announced_expired_.end(), o.id) ==
                                  announced_expired_.end()) {
          ++stats_.expired;
          announced_expired_.push_back(o.id);
          log::info("health override " + o.id + " expired: " + o.describe());
        }
      }
    }
    changed();
  });
}

}  // namespace fedns::health
