// Kubernetes object metadata extraction and URL helpers.
#include "sync/kube_object.hpp"

#include <nlohmann/json.hpp>

namespace fedns::sync {

Result<KubeObject> KubeObject::from_json(nlohmann::json body) {
  if (!body.is_object()) return Error{"object is not a JSON object"};
  const auto meta = body.find("metadata");
  if (meta == body.end() || !meta->is_object()) return Error{"object has no metadata"};
  KubeObject object;
  object.meta_.name = meta->value("name", "");
  if (object.meta_.name.empty()) return Error{"object has no metadata.name"};
  object.meta_.namespace_ = meta->value("namespace", "");
  object.meta_.uid = meta->value("uid", "");
  object.meta_.resource_version = meta->value("resourceVersion", "");
  object.meta_.generation = meta->value("generation", std::int64_t{0});
  if (const auto labels = meta->find("labels"); labels != meta->end() && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) object.meta_.labels.emplace(k, v.get<std::string>());
    }
  }
  object.body_ = std::make_shared<const nlohmann::json>(std::move(body));
  return object;
}

std::string url_encode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace fedns::sync
