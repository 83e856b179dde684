// libFuzzer target for manifest files (a manifests: directory is written by whoever can write it): any bytes
// go through the YAML reader and, for what it accepts, every typed view. Nothing may crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sync/manifest_parser.hpp"
#include "sync/typed_objects.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto objects = fedns::sync::parse_manifests(text, "fuzz.yaml");
  if (!objects) return 0;
  for (const auto& object : objects.value()) {
    (void)fedns::sync::to_service(object);
    (void)fedns::sync::to_endpoint_slice(object);
    (void)fedns::sync::to_service_export(object);
  }
  return 0;
}
