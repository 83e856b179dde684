// Kubernetes writes: one request each, the response decoded into the object or the failure Status.
#include "sync/api_writer.hpp"

#include <nlohmann/json.hpp>

namespace fedns::sync {

namespace asio = boost::asio;

asio::awaitable<Result<WriteOutcome>> ApiWriter::send(std::string method, std::string target,
                                                      const std::string& body, std::string content_type) {
  target += (target.find('?') == std::string::npos ? "?" : "&");
  target += "fieldManager=" + url_encode(field_manager_);
  auto response =
      co_await client_.request(std::move(method), std::move(target), body, std::move(content_type));
  if (!response) co_return response.error();
  WriteOutcome out;
  out.status = response->status;
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (out.ok()) {
    if (!json.is_discarded() && json.is_object() && json.value("kind", "") != "Status") {
      auto object = KubeObject::from_text(response->body);
      if (object) out.object = std::move(object.value());
    }
  } else if (!json.is_discarded() && json.is_object()) {
    out.reason = json.value("reason", "");
    out.message = json.value("message", "");
  } else {
    out.message = response->body.substr(0, 512);
  }
  co_return out;
}

asio::awaitable<Result<WriteOutcome>> ApiWriter::create(const std::string& collection,
                                                        const std::string& body) {
  co_return co_await send("POST", collection, body, "application/json");
}

asio::awaitable<Result<WriteOutcome>> ApiWriter::replace(const std::string& object_path,
                                                         const std::string& body) {
  co_return co_await send("PUT", object_path, body, "application/json");
}

asio::awaitable<Result<WriteOutcome>> ApiWriter::replace_status(const std::string& object_path,
                                                                const std::string& body) {
  co_return co_await send("PUT", object_path + "/status", body, "application/json");
}

asio::awaitable<Result<WriteOutcome>> ApiWriter::patch(const std::string& object_path, PatchType type,
                                                       const std::string& body, bool force) {
  switch (type) {
    case PatchType::kMerge:
      co_return co_await send("PATCH", object_path, body, "application/merge-patch+json");
    case PatchType::kJson:
      co_return co_await send("PATCH", object_path, body, "application/json-patch+json");
    case PatchType::kApply:
      co_return co_await send("PATCH", object_path + (force ? "?force=true" : ""), body,
                              "application/apply-patch+yaml");
  }
  co_return Error{"unknown patch type"};
}

asio::awaitable<Result<WriteOutcome>> ApiWriter::remove(const std::string& object_path) {
  co_return co_await send("DELETE", object_path, "", "application/json");
}

}  // namespace fedns::sync
