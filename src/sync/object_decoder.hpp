// Decoding what the API server sends on the watch path — LIST pages and watch events — into KubeObjects,
// with simdjson (runtime-selected SIMD kernels): one parse per page or event, the metadata read from the
// parsed tree, and each object kept as compact text without metadata.managedFields.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "sync/kube_object.hpp"

namespace fedns::sync {

struct DecodeOptions {
  bool keep_managed_fields = false;
  std::size_t max_object_bytes = 16 * 1024 * 1024;  // larger objects are not decoded (counted as oversize)
};

struct DecodedList {
  std::string resource_version;
  std::string continue_token;
  std::vector<KubeObject> items;
  std::vector<std::string> rejected;  // why items were skipped
  std::size_t oversize = 0;           // items over max_object_bytes
};

Result<DecodedList> decode_list(std::string_view body, const DecodeOptions& options);

struct DecodedEvent {
  std::string type;
  std::string object_text;  // ERROR and BOOKMARK: the (small) object's text, for the caller to read
  Result<KubeObject> object{Error{"not decoded"}};  // ADDED, MODIFIED, DELETED
  bool oversize = false;
};

// Fails when the line is not a watch event at all (invalid JSON, no type, no object).
Result<DecodedEvent> decode_event(std::string_view line, const DecodeOptions& options);

// One object's text (used by KubeObject::from_text).
Result<KubeObject> decode_object(std::string_view text, bool keep_managed_fields);

}  // namespace fedns::sync
