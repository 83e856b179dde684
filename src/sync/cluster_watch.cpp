// A member cluster's informers, converting at the edge and feeding the catalog.
#include "sync/cluster_watch.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "sync/typed_objects.hpp"

namespace fedns::sync {

namespace asio = boost::asio;

ClusterWatch::ClusterWatch(asio::io_context& io, std::string name, Catalog& catalog,
                           std::function<void()> on_change)
    : io_(io), name_(std::move(name)), catalog_(catalog), on_change_(std::move(on_change)) {}

ClusterWatch::~ClusterWatch() = default;

void ClusterWatch::skip(const std::string& reason) {
  ++counters_.skipped;
  log::warn("cluster " + name_ + ": skipping " + reason);
}

Result<std::unique_ptr<ClusterWatch>> ClusterWatch::create(asio::io_context& io, std::string name,
                                                           ClusterCredentials credentials, Catalog& catalog,
                                                           std::function<void()> on_change,
                                                           ReflectorOptions options) {
  auto client = ApiClient::create(io, std::move(credentials));
  if (!client) return client.error().wrap("cluster " + name);
  auto watch =
      std::unique_ptr<ClusterWatch>(new ClusterWatch(io, std::move(name), catalog, std::move(on_change)));
  watch->client_ = std::move(client.value());
  watch->status_writer_ =
      std::make_unique<ExportStatusWriter>(watch->name_, *watch->client_, watch->counters_);
  ClusterWatch* w = watch.get();

  InformerHandlers services;
  services.on_add = [w](const KubeObject& o) {
    if (w->stopped_) return;  // a retired source must not touch the catalog again
    auto s = to_service(o);
    if (!s) return w->skip(s.error().message);
    w->catalog_.upsert_service(w->name_, std::move(s.value()));
    w->on_change_();
  };
  services.on_update = [services_add = services.on_add](const KubeObject&, const KubeObject& o) {
    services_add(o);
  };
  services.on_delete = [w](const KubeObject& o) {
    if (w->stopped_) return;  // a retired source must not touch the catalog again
    w->catalog_.remove_service(w->name_, {o.meta().namespace_, o.meta().name});
    w->on_change_();
  };

  InformerHandlers slices;
  slices.on_add = [w](const KubeObject& o) {
    if (w->stopped_) return;  // a retired source must not touch the catalog again
    auto s = to_endpoint_slice(o);
    if (!s) {
      // A slice that can no longer be read must not leave its old endpoints behind.
      w->catalog_.remove_slice(w->name_, o.meta().namespace_, o.meta().name);
      w->on_change_();
      return w->skip(s.error().message);
    }
    w->catalog_.upsert_slice(w->name_, std::move(s.value()));
    w->on_change_();
  };
  slices.on_update = [slices_add = slices.on_add](const KubeObject&, const KubeObject& o) { slices_add(o); };
  slices.on_delete = [w](const KubeObject& o) {
    if (w->stopped_) return;  // a retired source must not touch the catalog again
    w->catalog_.remove_slice(w->name_, o.meta().namespace_, o.meta().name);
    w->on_change_();
  };

  InformerHandlers exports;
  exports.on_add = [w](const KubeObject& o) {
    if (w->stopped_) return;  // a retired source must not touch the catalog again
    auto x = to_service_export(o);
    if (!x) return w->skip(x.error().message);
    w->catalog_.upsert_export(w->name_, std::move(x.value()));
    w->on_change_();
  };
  exports.on_update = [exports_add = exports.on_add](const KubeObject&, const KubeObject& o) {
    exports_add(o);
  };
  exports.on_delete = [w](const KubeObject& o) {
    if (w->stopped_) return;  // a retired source must not touch the catalog again
    w->catalog_.remove_export(w->name_, {o.meta().namespace_, o.meta().name});
    w->on_change_();
  };

  // The catalog keeps typed copies; the informers' caches need only the metadata (relist diffs, deletes).
  options.keep_objects = false;
  watch->services_ =
      std::make_unique<Reflector>(*watch->client_, ResourceRef{"/api/v1", "services", "", "", "", "Service"},
                                  options, std::move(services));
  watch->slices_ = std::make_unique<Reflector>(
      *watch->client_,
      ResourceRef{"/apis/discovery.k8s.io/v1", "endpointslices", "", "", "", "EndpointSlice"}, options,
      std::move(slices));
  watch->exports_ = std::make_unique<Reflector>(
      *watch->client_,
      ResourceRef{"/apis/multicluster.x-k8s.io/v1alpha1", "serviceexports", "", "", "", "ServiceExport"},
      options, std::move(exports));
  return watch;
}

void ClusterWatch::start() {
  stopped_ = false;
  for (Reflector* r : {services_.get(), slices_.get(), exports_.get()}) {
    ++running_;
    asio::co_spawn(io_, r->run(), [this](const std::exception_ptr&) { --running_; });
  }
}

void ClusterWatch::stop() {
  stopped_ = true;
  status_writer_->stop();
  for (Reflector* r : {services_.get(), slices_.get(), exports_.get()})
    r->stop();
}

void ClusterWatch::write_export_status(const ExportStatus& status) {
  status_writer_->submit(
      status, [this] { ++running_; }, [this] { --running_; });
}

std::chrono::steady_clock::duration ClusterWatch::failing_for(
    std::chrono::steady_clock::time_point now) const {
  std::chrono::steady_clock::duration longest{};
  for (const Reflector* r : {services_.get(), slices_.get(), exports_.get()}) {
    const auto since = r->stats().failing_since;
    if (since != std::chrono::steady_clock::time_point{}) longest = std::max(longest, now - since);
  }
  return longest;
}

bool ClusterWatch::has_synced() const {
  return services_->has_synced() && slices_->has_synced() && exports_->has_synced();
}

asio::awaitable<std::string> ClusterWatch::check_api(std::chrono::milliseconds timeout) {
  if (stopped_) co_return "stopped";
  // Counted as running, so the source (and its client) outlives the request: stop() cancels it.
  ++running_;
  struct Done {
    int& running;
    ~Done() { --running; }
  } done{running_};
  // /readyz is what kubectl and the apiserver's own load balancers ask; a 200 means it serves requests.
  auto response = co_await client_->request("GET", "/readyz", {}, "application/json", timeout);
  if (!response) co_return response.error().message;
  if (response->status == 200) co_return std::string{};
  std::string body = response->body.substr(0, 200);
  std::replace(body.begin(), body.end(), '\n', ' ');
  co_return "/readyz answered " + std::to_string(response->status) + (body.empty() ? "" : ": " + body);
}

}  // namespace fedns::sync
