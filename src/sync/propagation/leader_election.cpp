// Lease-based leader election (see leader_election.hpp).
#include "sync/propagation/leader_election.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

namespace fedns::sync::propagation {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// metav1.MicroTime: RFC 3339 with microseconds, UTC.
std::string micro_time_now() {
  const auto now = std::chrono::system_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%06lldZ", static_cast<long long>(micros % 1000000));
  return text;
}

}  // namespace

struct LeaderElector::Record {
  std::string holder;
  long long duration_seconds = 0;
  std::string acquire_time;
  std::string renew_time;
  long long transitions = 0;
  std::string resource_version;

  // What counts as the lease changing (client-go compares the whole record, resourceVersion aside).
  [[nodiscard]] bool same_as(const Record& o) const {
    return holder == o.holder && duration_seconds == o.duration_seconds && acquire_time == o.acquire_time &&
           renew_time == o.renew_time && transitions == o.transitions;
  }

  static std::optional<Record> parse(const std::string& body) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (!json.is_object()) return std::nullopt;
    Record r;
    const auto meta = json.value("metadata", nlohmann::json::object());
    r.resource_version = meta.is_object() ? meta.value("resourceVersion", "") : "";
    const auto spec = json.value("spec", nlohmann::json::object());
    if (!spec.is_object()) return std::nullopt;
    const auto text = [&](const char* key) {
      const auto it = spec.find(key);
      return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const auto number = [&](const char* key) {
      const auto it = spec.find(key);
      return it != spec.end() && it->is_number_integer() ? it->get<long long>() : 0LL;
    };
    r.holder = text("holderIdentity");
    r.acquire_time = text("acquireTime");
    r.renew_time = text("renewTime");
    r.duration_seconds = number("leaseDurationSeconds");
    r.transitions = number("leaseTransitions");
    return r;
  }

  [[nodiscard]] std::string body(const LeaderElectionConfig& config) const {
    nlohmann::json metadata = {{"name", config.lease_name}, {"namespace", config.lease_namespace}};
    if (!resource_version.empty()) metadata["resourceVersion"] = resource_version;
    return nlohmann::json{{"apiVersion", "coordination.k8s.io/v1"},
                          {"kind", "Lease"},
                          {"metadata", metadata},
                          {"spec",
                           {{"holderIdentity", holder},
                            {"leaseDurationSeconds", duration_seconds},
                            {"acquireTime", acquire_time},
                            {"renewTime", renew_time},
                            {"leaseTransitions", transitions}}}}
        .dump();
  }
};

Result<void> check(const LeaderElectionConfig& config) {
  if (config.identity.empty()) return Error{"leader election: an identity is needed"};
  if (config.lease_name.empty() || config.lease_namespace.empty())
    return Error{"leader election: the lease needs a namespace and a name"};
  if (config.lease_duration <= config.renew_deadline)
    return Error{"leader election: lease_duration must be longer than renew_deadline"};
  if (config.renew_deadline * 10 <= config.retry_period * 12)
    return Error{"leader election: renew_deadline must be longer than 1.2 x retry_period"};
  if (config.lease_duration < std::chrono::seconds(1))
    return Error{"leader election: lease_duration is at least 1s (the lease counts whole seconds)"};
  return {};
}

LeaderElector::LeaderElector(ApiClient& client, LeaderElectionConfig config, std::function<void()> on_started,
                             std::function<void()> on_stopped)
    : client_(client),
      config_(std::move(config)),
      on_started_(std::move(on_started)),
      on_stopped_(std::move(on_stopped)),
      timer_(std::make_unique<asio::steady_timer>(client.io())) {}

LeaderElector::~LeaderElector() = default;

void LeaderElector::set_leading(bool leading) {
  if (leading_ == leading) return;
  leading_ = leading;
  if (leading && on_started_) on_started_();
  if (!leading && on_stopped_) on_stopped_();
}

void LeaderElector::stop(bool release) {
  stopping_ = true;
  release_on_stop_ = release;
  timer_->cancel();
}

asio::awaitable<void> LeaderElector::sleep(std::chrono::milliseconds duration) {
  timer_->expires_after(duration);
  boost::system::error_code ec;
  co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<bool> LeaderElector::try_acquire_or_renew() {
  const std::string lease_path =
      "/apis/coordination.k8s.io/v1/namespaces/" + config_.lease_namespace + "/leases/" + config_.lease_name;
  // A request may not outlive the margin between stepping down and the lease expiring.
  const auto timeout = std::min(
      config_.retry_period, std::chrono::milliseconds((config_.lease_duration - config_.renew_deadline) / 2));
  const auto now = Clock::now();
  const std::string stamp = micro_time_now();
  const auto duration_seconds = static_cast<long long>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count());
  const auto written = [&](const Result<ApiResponse>& r, Record record) {
    if (!r.ok() || (r->status != 200 && r->status != 201)) return false;
    if (const auto stored = Record::parse(r->body)) record.resource_version = stored->resource_version;
    observed_ = std::make_unique<Record>(std::move(record));
    observed_time_ = now;
    return true;
  };

  // Fast path: the leader renews its own lease with the version it wrote last (one request, no read).
  if (leading_ && observed_ && observed_->holder == config_.identity) {
    Record renewed = *observed_;
    renewed.renew_time = stamp;
    auto r = co_await client_.request("PUT", lease_path, renewed.body(config_), "application/json", timeout);
    if (written(r, renewed)) co_return true;
  }

  auto got = co_await client_.request("GET", lease_path, {}, "application/json", timeout);
  if (!got.ok()) co_return false;
  if (got->status == 404) {
    Record fresh{config_.identity, duration_seconds, stamp, stamp, 0, {}};
    auto r = co_await client_.request(
        "POST", "/apis/coordination.k8s.io/v1/namespaces/" + config_.lease_namespace + "/leases",
        fresh.body(config_), "application/json", timeout);
    co_return written(r, fresh);
  }
  if (got->status != 200) co_return false;
  auto current = Record::parse(got->body);
  if (!current) co_return false;
  if (!observed_ || !observed_->same_as(*current)) {
    observed_ = std::make_unique<Record>(*current);
    observed_time_ = now;  // our clock, when we saw it change: the holder's clock never matters
  }
  if (!current->holder.empty() && current->holder != config_.identity &&
      observed_time_ + config_.lease_duration > now) {
    co_return false;  // held, and renewed within a lease duration of our seeing it
  }
  Record next = *current;
  next.holder = config_.identity;
  next.duration_seconds = duration_seconds;
  next.renew_time = stamp;
  if (current->holder != config_.identity) {
    next.acquire_time = stamp;
    next.transitions = current->transitions + 1;
  }
  // With the version just read: if another replica wrote in between, 409 and it won.
  auto r = co_await client_.request("PUT", lease_path, next.body(config_), "application/json", timeout);
  co_return written(r, next);
}

asio::awaitable<void> LeaderElector::release() {
  if (!observed_ || observed_->holder != config_.identity) co_return;
  Record released = *observed_;
  released.holder.clear();
  released.duration_seconds = 1;
  released.acquire_time = released.renew_time = micro_time_now();
  const std::string lease_path =
      "/apis/coordination.k8s.io/v1/namespaces/" + config_.lease_namespace + "/leases/" + config_.lease_name;
  (void)co_await client_.request("PUT", lease_path, released.body(config_), "application/json",
                                 config_.retry_period);
}

asio::awaitable<void> LeaderElector::run() {
  std::minstd_rand random(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, 1.2);  // client-go's JitterFactor for the acquire loop
  while (!stopping_) {
    if (!co_await try_acquire_or_renew()) {
      co_await sleep(std::chrono::milliseconds(static_cast<long long>(
          static_cast<double>(config_.retry_period.count()) * (1.0 + jitter(random)))));
      continue;
    }
    set_leading(true);
    auto last_renewal = Clock::now();
    while (!stopping_) {
      co_await sleep(config_.retry_period);
      if (stopping_) break;
      if (co_await try_acquire_or_renew()) {
        last_renewal = Clock::now();
      } else if (Clock::now() - last_renewal >= config_.renew_deadline) {
        break;  // could not renew in time: stop before the lease can expire under us
      }
    }
    if (stopping_ && release_on_stop_) co_await release();
    set_leading(false);
  }
}

}  // namespace fedns::sync::propagation
