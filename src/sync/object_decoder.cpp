// LIST pages and watch events -> KubeObjects, with simdjson's DOM parser (its SIMD kernel is chosen at run
// time for the CPU, unlike the On Demand API compiled into our code).
#include "sync/object_decoder.hpp"

#include <simdjson.h>

namespace fedns::sync {

namespace dom = simdjson::dom;

namespace {

// JSON string escaping (RFC 8259 7) for keys written back out.
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

std::string string_member(const dom::object& object, std::string_view key) {
  std::string_view value;
  if (object[key].get_string().get(value)) return {};
  return std::string(value);
}

// The object as compact JSON; metadata.managedFields left out unless asked for.
std::string compact_text(const dom::element& element, const dom::object& object, bool drop_managed_fields) {
  if (!drop_managed_fields) return simdjson::to_string(element);
  std::string out = "{";
  bool first = true;
  for (const auto field : object) {
    if (!first) out.push_back(',');
    first = false;
    append_string(out, field.key);
    out.push_back(':');
    dom::object metadata;
    if (field.key == "metadata" && !field.value.get_object().get(metadata)) {
      out.push_back('{');
      bool first_meta = true;
      for (const auto m : metadata) {
        if (m.key == "managedFields") continue;
        if (!first_meta) out.push_back(',');
        first_meta = false;
        append_string(out, m.key);
        out.push_back(':');
        out += simdjson::to_string(m.value);
      }
      out.push_back('}');
    } else {
      out += simdjson::to_string(field.value);
    }
  }
  out.push_back('}');
  return out;
}

Result<KubeObject> from_element(const dom::element& element, bool keep_managed_fields) {
  dom::object object;
  if (element.get_object().get(object)) return Error{"object is not a JSON object"};
  dom::object metadata;
  if (object["metadata"].get_object().get(metadata)) return Error{"object has no metadata"};
  ObjectMeta meta;
  meta.name = string_member(metadata, "name");
  if (meta.name.empty()) return Error{"object has no metadata.name"};
  meta.namespace_ = string_member(metadata, "namespace");
  meta.uid = string_member(metadata, "uid");
  meta.resource_version = string_member(metadata, "resourceVersion");
  std::int64_t generation = 0;
  if (!metadata["generation"].get_int64().get(generation)) meta.generation = generation;
  dom::object labels;
  if (!metadata["labels"].get_object().get(labels)) {
    for (const auto label : labels) {
      std::string_view value;
      if (!label.value.get_string().get(value)) meta.labels.emplace(label.key, value);
    }
  }
  const bool drop = !keep_managed_fields && metadata["managedFields"].error() == simdjson::SUCCESS;
  return KubeObject(std::move(meta), string_member(object, "kind"), compact_text(element, object, drop));
}

dom::parser& parser() {
  thread_local dom::parser p;
  return p;
}

// A simdjson parser keeps the buffers sized for the largest document it has read, about 14 bytes per byte of
// JSON (tape, structural indexes, strings): one 1 MiB LIST page would leave 14 MiB behind for good. Watch
// events are small, so after a large document the buffers go. Declared before the parse, so that it runs
// after everything that reads the parsed document.
class ReleaseLargeBuffers {
 public:
  ReleaseLargeBuffers() = default;
  ReleaseLargeBuffers(const ReleaseLargeBuffers&) = delete;
  ReleaseLargeBuffers& operator=(const ReleaseLargeBuffers&) = delete;
  ~ReleaseLargeBuffers() {
    if (parser().capacity() > kRetainedCapacity) parser() = dom::parser{};
  }

 private:
  static constexpr std::size_t kRetainedCapacity = 64 * 1024;
};

std::string parse_error(simdjson::error_code e) {
  return std::string("invalid JSON: ") + simdjson::error_message(e);
}

}  // namespace

Result<DecodedList> decode_list(std::string_view body, const DecodeOptions& options) {
  const ReleaseLargeBuffers release;
  dom::element root;
  if (auto e = parser().parse(body.data(), body.size()).get(root); e)
    return Error{"list response: " + parse_error(e)};
  dom::object list;
  dom::array items;
  if (root.get_object().get(list) || list["items"].get_array().get(items)) {
    return Error{"list response is not a list"};
  }
  DecodedList out;
  dom::object metadata;
  if (!list["metadata"].get_object().get(metadata)) {
    out.resource_version = string_member(metadata, "resourceVersion");
    out.continue_token = string_member(metadata, "continue");
  }
  for (const dom::element item : items) {
    auto object = from_element(item, options.keep_managed_fields);
    if (!object) {
      out.rejected.push_back(object.error().message);
    } else if (object->text().size() > options.max_object_bytes) {
      ++out.oversize;
    } else {
      out.items.push_back(std::move(object.value()));
    }
  }
  return out;
}

Result<DecodedEvent> decode_event(std::string_view line, const DecodeOptions& options) {
  const ReleaseLargeBuffers release;
  dom::element root;
  if (auto e = parser().parse(line.data(), line.size()).get(root); e) return Error{parse_error(e)};
  dom::object event;
  dom::element object;
  std::string_view type;
  if (root.get_object().get(event) || event["type"].get_string().get(type) || event["object"].get(object)) {
    return Error{"not a watch event (no type or no object)"};
  }
  DecodedEvent out;
  out.type = type;
  if (type == "ERROR" || type == "BOOKMARK") {
    out.object_text = simdjson::to_string(object);
    return out;
  }
  out.object = from_element(object, options.keep_managed_fields);
  if (out.object && out.object->text().size() > options.max_object_bytes) {
    out.oversize = true;
    out.object = Error{"object over " + std::to_string(options.max_object_bytes) + " bytes"};
  }
  return out;
}

Result<KubeObject> decode_object(std::string_view text, bool keep_managed_fields) {
  const ReleaseLargeBuffers release;
  dom::element root;
  if (auto e = parser().parse(text.data(), text.size()).get(root); e) return Error{parse_error(e)};
  return from_element(root, keep_managed_fields);
}

}  // namespace fedns::sync
