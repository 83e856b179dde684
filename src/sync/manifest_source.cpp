// Manifest directories as member clusters.
#include "sync/manifest_source.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/log.hpp"
#include "sync/manifest_parser.hpp"
#include "sync/typed_objects.hpp"

namespace fedns::sync {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 16 * 1024 * 1024;
bool hidden(const std::filesystem::path& relative) {
  for (const auto& part : relative) {
    if (part.string().starts_with('.')) return true;  // also ConfigMap volumes' ..data/ and ..2026_* copies
  }
  return false;
}

}  // namespace

std::vector<std::filesystem::path> manifest_files(const std::filesystem::path& directory,
                                                  std::error_code& ec) {
  std::vector<std::filesystem::path> out;
  std::filesystem::recursive_directory_iterator it(
      directory, std::filesystem::directory_options::follow_directory_symlink, ec);
  if (ec) return out;
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& path = it->path();
    std::error_code type_ec;
    if (hidden(path.lexically_relative(directory))) {
      if (it->is_directory(type_ec)) it.disable_recursion_pending();
      continue;
    }
    const auto ext = path.extension().string();
    if (it->is_regular_file(type_ec) && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
      out.push_back(path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> check_manifests(const std::filesystem::path& directory) {
  std::vector<std::string> errors;
  std::error_code ec;
  for (const auto& path : manifest_files(directory, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto objects = parse_manifests(text.str(), path.string());
    if (!objects) {
      errors.push_back(objects.error().message);
      continue;
    }
    for (const auto& object : objects.value()) {
      const std::string what = path.string() + ": " + object.kind() + " " + object.meta().key();
      Result<void> converted = Result<void>{};
      if (object.kind() == "Service") {
        if (auto r = to_service(object); !r) converted = r.error();
      } else if (object.kind() == "EndpointSlice") {
        if (auto r = to_endpoint_slice(object); !r) converted = r.error();
      } else if (auto r = to_service_export(object); !r) {
        converted = r.error();
      }
      if (!converted) errors.push_back(what + ": " + converted.error().message);
    }
  }
  if (ec) errors.push_back(directory.string() + ": " + ec.message());
  return errors;
}

ManifestSource::ManifestSource(boost::asio::io_context& io, std::string name, std::filesystem::path directory,
                               std::chrono::milliseconds poll, Catalog& catalog,
                               std::function<void()> on_change)
    : io_(io),
      name_(std::move(name)),
      directory_(std::move(directory)),
      poll_(poll),
      catalog_(catalog),
      on_change_(std::move(on_change)),
      timer_(io) {}

void ManifestSource::start() {
  stopped_ = false;
  scan();
  arm();
}

void ManifestSource::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ManifestSource::arm() {
  armed_ = true;
  timer_.expires_after(poll_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    armed_ = false;
    if (ec || stopped_) return;
    scan();
    arm();
  });
}

void ManifestSource::apply(const ManifestObjectId& id, const KubeObject* object) {
  if (object == nullptr) {
    if (id.kind == "Service") catalog_.remove_service(name_, {id.namespace_, id.name});
    if (id.kind == "EndpointSlice") catalog_.remove_slice(name_, id.namespace_, id.name);
    if (id.kind == "ServiceExport") catalog_.remove_export(name_, {id.namespace_, id.name});
    return;
  }
  auto skip = [&](const Error& e) {
    ++counters_.skipped;
    log::warn("cluster " + name_ + ": skipping " + id.kind + " " + id.namespace_ + "/" + id.name + ": " +
              e.message);
    apply(id, nullptr);  // an object that can no longer be read must not leave its old version behind
  };
  if (id.kind == "Service") {
    auto s = to_service(*object);
    if (!s) return skip(s.error());
    catalog_.upsert_service(name_, std::move(s.value()));
  } else if (id.kind == "EndpointSlice") {
    auto s = to_endpoint_slice(*object);
    if (!s) return skip(s.error());
    catalog_.upsert_slice(name_, std::move(s.value()));
  } else if (id.kind == "ServiceExport") {
    auto x = to_service_export(*object);
    if (!x) return skip(x.error());
    catalog_.upsert_export(name_, std::move(x.value()));
  }
}

bool ManifestSource::scan() {
  // 1. Which files there are now, re-reading those whose size or modification time changed.
  std::error_code ec;
  std::map<std::string, FileState> next;
  const auto paths = manifest_files(directory_, ec);
  if (ec) {
    ++counters_.load_errors;
    log::error("cluster " + name_ + ": cannot read " + directory_.string() + ": " + ec.message() +
               "; keeping what it held");
    return false;
  }
  std::size_t unchanged = 0;
  for (const auto& path : paths) {
    FileState state;
    state.mtime = std::filesystem::last_write_time(path, ec);
    state.size = std::filesystem::file_size(path, ec);
    if (ec) continue;
    const auto old = files_.find(path.string());
    if (old != files_.end() && old->second.mtime == state.mtime && old->second.size == state.size) {
      next.emplace(path.string(), std::move(old->second));
      ++unchanged;
      continue;
    }
    std::string error;
    if (state.size > kMaxFileBytes) {
      error = path.string() + ": larger than 16 MiB";
    } else {
      std::ifstream in(path, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      auto objects = in ? parse_manifests(text.str(), path.string())
                        : Result<std::vector<KubeObject>>(Error{path.string() + ": cannot read"});
      if (objects) {
        state.objects = std::move(objects.value());
      } else {
        error = objects.error().message;
      }
    }
    if (!error.empty()) {
      ++counters_.load_errors;
      log::error("cluster " + name_ + ": " + error + "; keeping the file's last good objects");
      if (old != files_.end()) state.objects = std::move(old->second.objects);
    }
    next.emplace(path.string(), std::move(state));
  }
  // Every old file still there and none new or re-read: the objects are what was applied. Comparing them all
  // again would cost a map of every object and a text comparison each, every poll, for nothing (with 3,000
  // objects, 6 ms of the main thread per second).
  const bool files_changed = unchanged != files_.size() || unchanged != next.size();
  files_ = std::move(next);
  if (!files_changed && synced_) return false;

  // 2. The union over all files (first file in path order wins a duplicate), compared with what was applied.
  std::map<ManifestObjectId, const KubeObject*> wanted;
  for (const auto& [path, file] : files_) {
    for (const auto& object : file.objects) {
      ManifestObjectId id{object.kind(), object.meta().namespace_, object.meta().name};
      if (!wanted.emplace(id, &object).second) {
        log::warn("cluster " + name_ + ": " + path + ": " + id.kind + " " + id.namespace_ + "/" + id.name +
                  " is defined twice; the first definition counts");
      }
    }
  }
  bool changed = false;
  for (auto a = applied_.begin(); a != applied_.end();) {
    if (wanted.contains(a->first)) {
      ++a;
      continue;
    }
    apply(a->first, nullptr);
    a = applied_.erase(a);
    changed = true;
  }
  for (const auto& [id, object] : wanted) {
    const auto a = applied_.find(id);
    if (a != applied_.end() && a->second.text() == object->text()) continue;
    apply(id, object);
    applied_.insert_or_assign(id, *object);
    changed = true;
  }
  synced_ = true;
  if (changed) on_change_();
  return true;
}

}  // namespace fedns::sync
