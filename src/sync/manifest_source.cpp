// Manifest directories as member clusters.
#include "sync/manifest_source.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <system_error>

#include "common/log.hpp"
#include "sync/typed_objects.hpp"

namespace fedns::sync {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 16 * 1024 * 1024;
constexpr int kMaxDepth = 64;  // deeper documents are not Kubernetes objects, and recursion must stay bounded

std::string place(const std::string& path, const YAML::Mark& mark) {
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// YAML has no types of its own for plain scalars; Kubernetes reads them as YAML 1.1 core types do (ports are
// numbers, `ready: true` a boolean). Quoted scalars and `!!str` stay strings.
nlohmann::json scalar(const YAML::Node& node) {
  const std::string& v = node.Scalar();
  if (node.Tag() != "?") return v;
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex real(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  if (std::regex_match(v, integer)) {
    try {
      return std::stoll(v);
    } catch (const std::out_of_range&) {
      return v;
    }
  }
  if (std::regex_match(v, real)) return std::stod(v);
  return v;
}

Result<nlohmann::json> to_json(const YAML::Node& node, const std::string& path, int depth) {
  if (depth > kMaxDepth)
    return Error{place(path, node.Mark()) + ": nested deeper than " + std::to_string(kMaxDepth) + " levels"};
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalar(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) {
        auto value = to_json(item, path, depth + 1);
        if (!value) return value.error();
        out.push_back(std::move(value.value()));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) {
        if (!item.first.IsScalar()) return Error{place(path, item.first.Mark()) + ": a key must be a string"};
        auto value = to_json(item.second, path, depth + 1);
        if (!value) return value.error();
        out[item.first.Scalar()] = std::move(value.value());
      }
      return out;
    }
    default:
      return nlohmann::json(nullptr);
  }
}

bool wanted_kind(const std::string& kind, const std::string& api_version) {
  return (kind == "Service" && api_version == "v1") ||
         (kind == "EndpointSlice" && api_version == "discovery.k8s.io/v1") ||
         (kind == "ServiceExport" && api_version.starts_with("multicluster.x-k8s.io/"));
}

Result<void> add_object(nlohmann::json body, const YAML::Node& at, const std::string& path,
                        std::vector<KubeObject>& out) {
  if (!body.is_object() || !body.contains("kind") || !body["kind"].is_string())
    return Error{place(path, at.Mark()) + ": not a Kubernetes object (no kind)"};
  const std::string kind = body["kind"].get<std::string>();
  const std::string api_version = body.value("apiVersion", std::string());
  if (kind == "List") {
    if (!body.contains("items") || !body["items"].is_array())
      return Error{place(path, at.Mark()) + ": a List without items"};
    for (auto& item : body["items"]) {
      if (auto r = add_object(std::move(item), at, path, out); !r) return r;
    }
    return {};
  }
  if (!wanted_kind(kind, api_version)) return {};  // a Deployment beside the Service: not ours to read
  auto& metadata = body["metadata"];
  if (!metadata.is_object() || !metadata.contains("name") || !metadata["name"].is_string())
    return Error{place(path, at.Mark()) + ": " + kind + " without metadata.name"};
  if (!metadata.contains("namespace")) metadata["namespace"] = "default";  // as kubectl apply does
  auto object = KubeObject::from_json(body);
  if (!object) return object.error().wrap(place(path, at.Mark()));
  out.push_back(std::move(object.value()));
  return {};
}

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

Result<std::vector<KubeObject>> parse_manifests(const std::string& text, const std::string& path) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return Error{place(path, e.mark) + ": " + e.msg};
  }
  std::vector<KubeObject> out;
  for (const auto& document : documents) {
    if (document.IsNull()) continue;  // an empty document between two `---`
    auto body = to_json(document, path, 0);
    if (!body) return body.error();
    if (auto r = add_object(std::move(body.value()), document, path, out); !r) return r.error();
  }
  return out;
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

void ManifestSource::scan() {
  // 1. Which files there are now, re-reading those whose size or modification time changed.
  std::error_code ec;
  std::map<std::string, FileState> next;
  const auto paths = manifest_files(directory_, ec);
  if (ec) {
    ++counters_.load_errors;
    log::error("cluster " + name_ + ": cannot read " + directory_.string() + ": " + ec.message() +
               "; keeping what it held");
    return;
  }
  for (const auto& path : paths) {
    FileState state;
    state.mtime = std::filesystem::last_write_time(path, ec);
    state.size = std::filesystem::file_size(path, ec);
    if (ec) continue;
    const auto old = files_.find(path.string());
    if (old != files_.end() && old->second.mtime == state.mtime && old->second.size == state.size) {
      next.emplace(path.string(), std::move(old->second));
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
  files_ = std::move(next);

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
}

}  // namespace fedns::sync
