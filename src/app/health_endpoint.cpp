// The health endpoints (see health_endpoint.hpp).
#include "app/health_endpoint.hpp"

#include <openssl/crypto.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.hpp"

namespace fedns::app {

namespace {

constexpr const char* kJson = "application/json";

HttpReply json_reply(unsigned status, const nlohmann::json& body) {
  return {status, kJson, body.dump(2) + "\n"};
}

HttpReply error_reply(unsigned status, const std::string& message) {
  return json_reply(status, {{"error", message}});
}

nlohmann::json to_json(const health::HealthOverride& o) {
  nlohmann::json j{{"id", o.id},
                   {"source", o.source == health::OverrideSource::kApi ? "api" : "file"},
                   {"state", o.up ? "up" : "down"}};
  if (!o.cluster.empty()) j["cluster"] = o.cluster;
  if (!o.service.empty()) j["service"] = o.service;
  if (!o.address.empty()) j["address"] = o.address;
  if (o.expires) j["until"] = health::format_time(*o.expires);
  if (!o.reason.empty()) j["reason"] = o.reason;
  return j;
}

std::optional<double> ms(std::optional<std::chrono::microseconds> rtt) {
  if (!rtt) return std::nullopt;
  return static_cast<double>(rtt->count()) / 1000.0;
}

}  // namespace

Result<std::string> HealthEndpoint::read_token(const OverridesConfig& config) {
  if (config.token_file.empty()) return std::string{};
  std::ifstream in(config.token_file);
  if (!in) return Error{"health.overrides.token_file: cannot read " + config.token_file};
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.size() < 16)
    return Error{"health.overrides.token_file: the token must have at least 16 characters"};
  return token;
}

std::optional<HttpReply> HealthEndpoint::refuse_write(const HttpRequest& request) const {
  if (token_.empty())
    return error_reply(403, "overrides through the endpoint are off: set health.overrides.token_file");
  const bool loopback =
      request.peer.is_loopback() ||
      (request.peer.is_v6() && request.peer.to_v6().is_v4_mapped() &&
       boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, request.peer.to_v6()).is_loopback());
  if (!allow_remote_ && !loopback) {
    log::warn("health endpoint: " + std::string(request.method) + " from " + request.peer.to_string() +
              " refused (not loopback; see health.overrides.allow_remote)");
    return error_reply(403, "writes are accepted from loopback only (health.overrides.allow_remote)");
  }
  const std::string_view prefix = "Bearer ";
  const std::string_view given =
      request.authorization.starts_with(prefix) ? request.authorization.substr(prefix.size()) : "";
  if (given.size() != token_.size() || CRYPTO_memcmp(given.data(), token_.data(), token_.size()) != 0) {
    log::warn("health endpoint: " + std::string(request.method) + " from " + request.peer.to_string() +
              " refused (missing or wrong bearer token)");
    HttpReply reply = error_reply(401, "missing or wrong bearer token");
    return reply;
  }
  return std::nullopt;
}

std::optional<HttpReply> HealthEndpoint::handle(const HttpRequest& request) {
  const std::string_view path = request.path;
  if (!path.starts_with("/health/")) return std::nullopt;
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (path == "/health/clusters" && read) return HttpReply{200, kJson, clusters_json()};
  if (path == "/health/targets" && read) return HttpReply{200, kJson, targets_json()};
  if (path == "/health/overrides") {
    if (read) return HttpReply{200, kJson, overrides_json()};
    if (request.method != "POST") return error_reply(405, "GET, POST or DELETE /health/overrides/<id>");
    if (auto refused = refuse_write(request)) return refused;
    auto parsed = health::parse_override_json(std::string(request.body), std::chrono::system_clock::now());
    if (!parsed) return error_reply(400, parsed.error().message);
    const auto added = overrides_.add(std::move(parsed.value()));
    return json_reply(201, to_json(added));
  }
  if (path.starts_with("/health/overrides/")) {
    if (request.method != "DELETE") return error_reply(405, "DELETE /health/overrides/<id>");
    if (auto refused = refuse_write(request)) return refused;
    const std::string id(path.substr(std::string_view("/health/overrides/").size()));
    if (id.starts_with("file:")) return error_reply(409, "override " + id + " is in the file: edit the file");
    if (!overrides_.remove(id)) return error_reply(404, "no override " + id);
    return json_reply(200, {{"deleted", id}});
  }
  return error_reply(404, "try /health/overrides, /health/clusters or /health/targets");
}

std::string HealthEndpoint::overrides_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& o : overrides_.active_list())
    list.push_back(to_json(o));
  nlohmann::json out{{"overrides", list}};
  if (!overrides_.file_error().empty()) out["file_error"] = overrides_.file_error();
  return out.dump(2) + "\n";
}

std::string HealthEndpoint::clusters_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, c] : monitor_.clusters()) {
    nlohmann::json j{{"cluster", name}, {"up", c.up}, {"checks_up", c.checks_up}};
    if (c.forced) j["override"] = *c.forced ? "up" : "down";
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (const auto rtt = ms(c.rtt)) j["rtt_ms"] = *rtt;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"clusters", list}}.dump(2) + "\n";
}

std::string HealthEndpoint::targets_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (health::TargetId id = 0; id < monitor_.id_limit(); ++id) {
    const health::Target* target = monitor_.target(id);
    const health::TargetState* state = monitor_.state(id);
    if (target == nullptr || state == nullptr) continue;
    nlohmann::json j{
        {"id", id}, {"name", target->name}, {"probe_up", state->up()}, {"up", monitor_.effective_up(id)}};
    if (!target->scope.cluster.empty()) j["cluster"] = target->scope.cluster;
    if (!target->scope.service.empty()) j["service"] = target->scope.service;
    if (!target->scope.address.empty()) j["address"] = target->scope.address;
    if (target->scope.role == health::TargetRole::kClusterCheck) j["role"] = "cluster-check";
    if (const auto rtt = ms(monitor_.rtt(id))) j["rtt_ms"] = *rtt;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"targets", list}}.dump(2) + "\n";
}

}  // namespace fedns::app
