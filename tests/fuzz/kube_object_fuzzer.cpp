// libFuzzer target for what a member cluster sends: any bytes as a watch event line and as a LIST page go
// through the decoder and every typed view. Nothing may crash, and a decoded object's kept text must parse
// again to the same metadata (the managedFields cut never leaves broken JSON behind).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sync/object_decoder.hpp"
#include "sync/typed_objects.hpp"

namespace {

void check(const fedns::sync::KubeObject& object) {
  const auto again = fedns::sync::decode_object(object.text(), true);
  if (!again || again->meta().key() != object.meta().key() ||
      again->meta().resource_version != object.meta().resource_version) {
    std::abort();
  }
  (void)fedns::sync::to_service(object);
  (void)fedns::sync::to_endpoint_slice(object);
  (void)fedns::sync::to_service_export(object);
  (void)fedns::sync::to_service_import(object);
  (void)fedns::sync::to_node(object);
  (void)fedns::sync::to_namespace(object);
  (void)fedns::sync::to_lease(object);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const fedns::sync::DecodeOptions options{.keep_managed_fields = false, .max_object_bytes = 64 * 1024};
  if (auto event = fedns::sync::decode_event(text, options); event && event->object) check(*event->object);
  if (auto list = fedns::sync::decode_list(text, options); list) {
    for (const auto& item : list->items)
      check(item);
  }
  return 0;
}
