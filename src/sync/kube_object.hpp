// A Kubernetes object as the informers keep it: the metadata we index by, and the parsed body shared
// immutably. Converters to the slim typed structs of the catalog read the body in src/sync .cpp files only.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace fedns::sync {

struct ObjectMeta {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::map<std::string, std::string> labels;

  // "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
  [[nodiscard]] std::string key() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
};

// The object's JSON text is kept (compact, less metadata.managedFields): a fraction of the memory of a parsed
// tree; the typed views read it with simdjson. The text is shared between copies.
class KubeObject {
 public:
  // Parses the object (simdjson) and keeps its compact text. Fails on invalid JSON and when metadata.name is
  // missing (nothing could index it).
  static Result<KubeObject> from_text(std::string_view text, bool keep_managed_fields = false);
  static Result<KubeObject> from_json(const nlohmann::json& body);
  // For the decoders (object_decoder.cpp), which fill an object from an element they already parsed.
  KubeObject(ObjectMeta meta, std::string kind, std::string text);

  [[nodiscard]] const ObjectMeta& meta() const { return meta_; }
  [[nodiscard]] const std::string& kind() const { return kind_; }  // empty in LIST items
  // The JSON text; its storage is padded as simdjson requires, so a parser can read it in place.
  [[nodiscard]] const std::string& text() const { return *text_; }
  // Parsed with nlohmann::json on every call: for writers, tests and tools, never for the watch path.
  [[nodiscard]] nlohmann::json json() const;

 private:
  ObjectMeta meta_;
  std::string kind_;
  std::shared_ptr<const std::string> text_;
};

// Where a kind lives in the API: "/api/v1" + "services", "/apis/discovery.k8s.io/v1" + "endpointslices".
struct ResourceRef {
  std::string api_path;
  std::string plural;
  std::string namespace_;  // empty: all namespaces
  std::string label_selector;
  std::string field_selector;
  std::string kind;  // when set, watch events carrying another kind are rejected as lies

  [[nodiscard]] std::string collection_path() const {
    return api_path + (namespace_.empty() ? "" : "/namespaces/" + namespace_) + "/" + plural;
  }
};

// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass through).
std::string url_encode(const std::string& value);

}  // namespace fedns::sync
