// Writes to the Kubernetes API: create, replace (PUT with resourceVersion), merge / JSON / server-side-apply
// patches, delete, and the status subresource. Failures come back as the API's Status (code, reason,
// message), so callers can retry a 409 Conflict and report anything else precisely.
#pragma once

#include <string>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/api_client.hpp"
#include "sync/kube_object.hpp"

namespace fedns::sync {

enum class PatchType { kMerge, kJson, kApply };

struct WriteOutcome {
  unsigned status = 0;  // HTTP status
  std::string reason;  // Status reason on failure: Conflict, AlreadyExists, NotFound, Forbidden, Invalid, ...
  std::string message;               // Status message on failure
  std::optional<KubeObject> object;  // the object the server returned on success

  [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
  [[nodiscard]] bool conflict() const { return status == 409 && reason == "Conflict"; }
};

class ApiWriter {
 public:
  // `field_manager` names us in managedFields (server-side apply needs one).
  ApiWriter(ApiClient& client, std::string field_manager)
      : client_(client), field_manager_(std::move(field_manager)) {}

  // `collection` is a collection path ("/api/v1/namespaces/ns/services"); `object_path` adds "/name".
  boost::asio::awaitable<Result<WriteOutcome>> create(const std::string& collection, const std::string& body);
  boost::asio::awaitable<Result<WriteOutcome>> replace(const std::string& object_path,
                                                       const std::string& body);
  boost::asio::awaitable<Result<WriteOutcome>> replace_status(const std::string& object_path,
                                                              const std::string& body);
  boost::asio::awaitable<Result<WriteOutcome>> patch(const std::string& object_path, PatchType type,
                                                     const std::string& body, bool force = false);
  boost::asio::awaitable<Result<WriteOutcome>> remove(const std::string& object_path);

 private:
  boost::asio::awaitable<Result<WriteOutcome>> send(std::string method, std::string target,
                                                    const std::string& body, std::string content_type);
  ApiClient& client_;
  std::string field_manager_;
};

}  // namespace fedns::sync
