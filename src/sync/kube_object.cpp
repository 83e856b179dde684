// Kubernetes objects as kept by the informers, and URL helpers.
#include "sync/kube_object.hpp"

#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "sync/object_decoder.hpp"

namespace fedns::sync {

KubeObject::KubeObject(ObjectMeta meta, std::string kind, std::string text)
    : meta_(std::move(meta)), kind_(std::move(kind)) {
  // Padded once here, so the typed views parse the text in place without a copy.
  text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  text_ = std::make_shared<const std::string>(std::move(text));
}

Result<KubeObject> KubeObject::from_text(std::string_view text, bool keep_managed_fields) {
  return decode_object(text, keep_managed_fields);
}

Result<KubeObject> KubeObject::from_json(const nlohmann::json& body) {
  return from_text(body.dump());
}

nlohmann::json KubeObject::json() const {
  return nlohmann::json::parse(*text_);
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
