// Manifest text -> KubeObjects, with yaml-cpp.
#include "sync/manifest_parser.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace fedns::sync {
namespace {

constexpr int kMaxDepth = 64;  // deeper documents are not Kubernetes objects; recursion stays bounded
constexpr std::size_t kMaxNodes = 200000;  // nodes after alias expansion, per file (thousands of objects)

std::string place(const std::string& path, const YAML::Mark& mark) {
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

bool all_digits(std::string_view v) {
  if (v.empty()) return false;
  for (const char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// [-+]?(digits)(.digits?)?([eE][-+]?digits)? or [-+]?.digits(...): YAML 1.1 floats, without a regex (which
// recurses per character in libstdc++ and would overflow the stack on a long scalar).
bool is_real(std::string_view v) {
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
  const auto e = v.find_first_of("eE");
  std::string_view mantissa = v.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exponent = v.substr(e + 1);
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
    if (!all_digits(exponent)) return false;
  }
  const auto dot = mantissa.find('.');
  if (dot == std::string_view::npos) return all_digits(mantissa);
  const std::string_view whole = mantissa.substr(0, dot);
  const std::string_view fraction = mantissa.substr(dot + 1);
  return (whole.empty() || all_digits(whole)) && (fraction.empty() || all_digits(fraction)) &&
         !(whole.empty() && fraction.empty());
}

// YAML has no types of its own for plain scalars; Kubernetes reads them as YAML 1.1 core types do (ports are
// numbers, `ready: true` a boolean). Quoted scalars and `!!str` stay strings; numbers that do not fit stay
// text (the typed views then say what is wrong).
nlohmann::json scalar(const YAML::Node& node) {
  const std::string& v = node.Scalar();
  if (node.Tag() != "?") return v;
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  const std::string_view digits = std::string_view(v).substr(v[0] == '-' || v[0] == '+' ? 1 : 0);
  if (all_digits(digits)) {
    errno = 0;
    const long long n = std::strtoll(v.c_str(), nullptr, 10);
    return errno == ERANGE ? nlohmann::json(v) : nlohmann::json(n);
  }
  if (is_real(v)) {
    errno = 0;
    const double d = std::strtod(v.c_str(), nullptr);
    return errno == ERANGE ? nlohmann::json(v) : nlohmann::json(d);
  }
  return v;
}

struct Converter {
  const std::string& path;
  std::size_t nodes = 0;

  Result<nlohmann::json> to_json(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth)
      return Error{place(path, node.Mark()) + ": nested deeper than " + std::to_string(kMaxDepth) +
                   " levels"};
    if (++nodes > kMaxNodes)
      return Error{place(path, node.Mark()) + ": more than " + std::to_string(kMaxNodes) +
                   " nodes (aliases expanded); not a manifest"};
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : node) {
          auto value = to_json(item, depth + 1);
          if (!value) return value.error();
          out.push_back(std::move(value.value()));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& item : node) {
          if (!item.first.IsScalar())
            return Error{place(path, item.first.Mark()) + ": a key must be a string"};
          auto value = to_json(item.second, depth + 1);
          if (!value) return value.error();
          out[item.first.Scalar()] = std::move(value.value());
        }
        return out;
      }
      default:
        return nlohmann::json(nullptr);
    }
  }
};

bool wanted_kind(const std::string& kind, const std::string& api_version) {
  return (kind == "Service" && api_version == "v1") ||
         (kind == "EndpointSlice" && api_version == "discovery.k8s.io/v1") ||
         (kind == "ServiceExport" && api_version.starts_with("multicluster.x-k8s.io/"));
}

Result<void> add_object(nlohmann::json body, const YAML::Node& at, const std::string& path, int depth,
                        std::vector<KubeObject>& out) {
  if (!body.is_object() || !body.contains("kind") || !body["kind"].is_string())
    return Error{place(path, at.Mark()) + ": not a Kubernetes object (no kind)"};
  const std::string kind = body["kind"].get<std::string>();
  const std::string api_version = body.contains("apiVersion") && body["apiVersion"].is_string()
                                      ? body["apiVersion"].get<std::string>()
                                      : "";
  if (kind == "List") {
    if (!body.contains("items") || !body["items"].is_array())
      return Error{place(path, at.Mark()) + ": a List without items"};
    if (depth > 0) return Error{place(path, at.Mark()) + ": a List inside a List"};
    for (auto& item : body["items"]) {
      if (auto r = add_object(std::move(item), at, path, depth + 1, out); !r) return r;
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

// The documents of a YAML stream, split at the document markers (`---`, `...` at the start of a line, which
// end any document, block scalars included), each with the line it starts on. YAML::LoadAll is not used: in
// yaml-cpp 0.7 (Debian 12) it loops forever, allocating, on a stream such as "," (jbeder/yaml-cpp#1040, fixed
// upstream in 2024 by #1319); YAML::Load reads one document and always returns. Found by fuzzing.
std::vector<std::pair<std::string, int>> split_documents(const std::string& text) {
  std::vector<std::pair<std::string, int>> out;
  std::string current;
  int line = 0;
  int start = 0;
  auto marker = [](std::string_view l, std::string_view m) {
    return l.starts_with(m) && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string_view l(text.data() + pos, (end == std::string::npos ? text.size() : end) - pos);
    if (marker(l, "---") || marker(l, "...")) {
      out.emplace_back(std::move(current), start);
      current.clear();
      // `--- {a: 1}`: content may follow the start marker on the same line.
      if (l.starts_with("---") && l.size() > 4) current.append(l.substr(4)).push_back('\n');
      start = line;
    } else {
      current.append(l).push_back('\n');
    }
    ++line;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  out.emplace_back(std::move(current), start);
  return out;
}

}  // namespace

Result<std::vector<KubeObject>> parse_manifests(const std::string& text, const std::string& path) {
  std::vector<KubeObject> out;
  Converter converter{path};
  for (const auto& [document_text, first_line] : split_documents(text)) {
    if (document_text.find_first_not_of(" \t\r\n") == std::string::npos) continue;  // empty between markers
    try {
      YAML::Node document = YAML::Load(document_text);
      if (document.IsNull()) continue;  // only comments
      auto body = converter.to_json(document, 0);
      if (!body) return body.error();
      if (auto r = add_object(std::move(body.value()), document, path, 0, out); !r) return r.error();
    } catch (const YAML::Exception& e) {
      YAML::Mark mark = e.mark;
      if (!mark.is_null()) mark.line += first_line;
      return Error{place(path, mark) + ": " + e.msg};
    } catch (
        const nlohmann::json::exception& e) {  // text that is not UTF-8 cannot become JSON (found by fuzzing)
      return Error{path + ": " + e.what()};
    }
  }
  return out;
}

}  // namespace fedns::sync
