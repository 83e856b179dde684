// ServiceExport conditions written back to member clusters.
#include "sync/export_status_writer.hpp"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "sync/api_writer.hpp"

namespace fedns::sync {

namespace asio = boost::asio;

namespace {

std::string rfc3339_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

std::string ExportStatusWriter::apply_body(const ExportStatus& status, const std::string& now) {
  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& c : status.conditions) {
    // A condition keeps its transition time while its status stays (metav1.Condition semantics).
    std::string since = now;
    for (const auto& o : status.observed) {
      if (o.type == c.type && o.status == c.status && !o.last_transition_time.empty())
        since = o.last_transition_time;
    }
    // reason is required and must be non-empty; message is required, may be empty.
    conditions.push_back({{"type", c.type},
                          {"status", c.status},
                          {"reason", c.reason},
                          {"message", c.message.substr(0, 32768)},
                          {"lastTransitionTime", since}});
  }
  const nlohmann::json body = {
      {"apiVersion", "multicluster.x-k8s.io/v1alpha1"},
      {"kind", "ServiceExport"},
      {"metadata", {{"name", status.key.name}, {"namespace", status.key.namespace_}}},
      {"status", {{"conditions", conditions}}}};
  return body.dump();
}

void ExportStatusWriter::submit(ExportStatus status, const std::function<void()>& on_start,
                                std::function<void()> on_done) {
  if (stopped_ || forbidden_) return;
  model::ServiceKey key = status.key;
  pending_.insert_or_assign(std::move(key), std::move(status));
  if (draining_) return;
  draining_ = true;
  on_start();
  asio::co_spawn(client_.io(), drain(), [this, done = std::move(on_done)](const std::exception_ptr&) {
    draining_ = false;
    done();
  });
}

void ExportStatusWriter::stop() {
  stopped_ = true;
  pending_.clear();
  if (backoff_) backoff_->cancel();
}

asio::awaitable<void> ExportStatusWriter::drain() {
  ApiWriter writer(client_, "fedns");
  auto delay = std::chrono::milliseconds(500);
  while (!pending_.empty() && !stopped_) {
    ExportStatus status = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    const std::string path = "/apis/multicluster.x-k8s.io/v1alpha1/namespaces/" + status.key.namespace_ +
                             "/serviceexports/" + status.key.name + "/status";
    const std::string body = apply_body(status, rfc3339_now());
    auto outcome = co_await writer.patch(path, PatchType::kApply, body, true);
    if (stopped_) co_return;
    if (outcome && outcome->ok()) {
      ++counters_.export_status_written;
      delay = std::chrono::milliseconds(500);
      continue;
    }
    ++counters_.export_status_failed;
    if (outcome && outcome->status == 404) continue;  // the export went away meanwhile
    if (outcome && outcome->status == 403) {
      forbidden_ = true;
      pending_.clear();
      log::warn("cluster " + cluster_ + ": not permitted to write ServiceExport status (" + outcome->message +
                "); MCS conditions are not written to this cluster");
      co_return;
    }
    log::warn("cluster " + cluster_ + ": writing the status of ServiceExport " + status.key.text() +
              " failed: " + (outcome ? outcome->reason + " " + outcome->message : outcome.error().message) +
              "; retrying");
    // Retry unless a newer status superseded it; back off so a struggling apiserver is not hammered.
    pending_.try_emplace(status.key, std::move(status));
    backoff_ = std::make_unique<asio::steady_timer>(client_.io(), delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(30000));
    boost::system::error_code ec;
    co_await backoff_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace fedns::sync
