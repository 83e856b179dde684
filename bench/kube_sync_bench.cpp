// Kubernetes client benchmark (issue 3, section E), driven by bench/kube_sync_bench.py against a real
// kube-apiserver from tests/cluster-fixture:
//
//   populate  create N Services and N EndpointSlices (3 endpoints each) over several connections
//   sync      initial LIST of both kinds through two reflectors on one io_context: wall time, this client's
//             CPU, memory per cached object; anchor: the same pages fetched without parsing (bytes only)
//   replay    watch throughput on one core: MODIFIED events built from the server's real objects, streamed
//             over TLS from a second thread to a reflector; CPU per event; anchor: parsing the same lines
//             with nlohmann::json alone (the floor any JSON client pays)
//
// Output is one "key value" per line for the driver to tabulate.
#include <malloc.h>
#include <sys/resource.h>

#include "common/asio.hpp"  // before any other Boost.Asio header (see there)

#include <algorithm>
#include <array>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include <simdjson.h>

#include "common/log.hpp"
#include "dns_query.hpp"
#include "sync/api_client.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/reflector.hpp"

namespace {

namespace asio = boost::asio;
using fedns::sync::ApiClient;
using fedns::sync::Reflector;
using fedns::sync::ResourceRef;
using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::size_t heap_bytes() {
  return mallinfo2().uordblks;
}

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<ApiClient> make_client(asio::io_context& io, const std::string& kubeconfig,
                                       const std::string& server_override = {}) {
  auto creds = fedns::sync::load_kubeconfig(kubeconfig);
  if (!creds) throw std::runtime_error(creds.error().message);
  if (!server_override.empty()) creds->server = server_override;
  auto client = ApiClient::create(io, *creds);
  if (!client) throw std::runtime_error(client.error().message);
  return std::move(client.value());
}

const ResourceRef kServices{"/api/v1", "services", "", "", "", "Service"};
const ResourceRef kSlices{"/apis/discovery.k8s.io/v1", "endpointslices", "", "", "", "EndpointSlice"};

// --- populate --------------------------------------------------------------------------------------------

int populate(const std::string& kubeconfig, int count, int namespaces, int endpoints) {
  asio::io_context io;
  const auto start = Clock::now();
  int failures = 0;
  auto creator = [&](int worker, int workers) -> asio::awaitable<void> {
    auto client = make_client(io, kubeconfig);
    for (int i = worker; i < count; i += workers) {
      const std::string ns = "bench-" + std::to_string(i % namespaces);
      const std::string name = "svc-" + std::to_string(i);
      nlohmann::json service;
      service["apiVersion"] = "v1";
      service["kind"] = "Service";
      service["metadata"] = {
          {"name", name}, {"namespace", ns}, {"labels", {{"app", name}, {"tier", "bench"}}}};
      service["spec"]["ports"] = nlohmann::json::array(
          {nlohmann::json{{"name", "http"}, {"port", 80}}, nlohmann::json{{"name", "grpc"}, {"port", 9090}}});
      nlohmann::json slice;
      slice["apiVersion"] = "discovery.k8s.io/v1";
      slice["kind"] = "EndpointSlice";
      slice["metadata"] = {
          {"name", name + "-abcde"}, {"namespace", ns}, {"labels", {{"kubernetes.io/service-name", name}}}};
      slice["addressType"] = "IPv4";
      slice["ports"] =
          nlohmann::json::array({nlohmann::json{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}});
      for (int e = 0; e < endpoints; ++e) {
        nlohmann::json endpoint;
        endpoint["addresses"] =
            nlohmann::json::array({"10." + std::to_string(100 + e) + "." + std::to_string(i / 250 % 250) +
                                   "." + std::to_string(i % 250 + 1)});
        endpoint["conditions"] = {{"ready", true}, {"serving", true}, {"terminating", false}};
        endpoint["nodeName"] = "node-" + std::to_string(e);
        endpoint["zone"] = "zone-" + std::to_string(e);
        slice["endpoints"].push_back(std::move(endpoint));
      }
      auto a = co_await client->request("POST", "/api/v1/namespaces/" + ns + "/services", service.dump());
      auto b = co_await client->request(
          "POST", "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices", slice.dump());
      for (const auto* r : {&a, &b}) {
        if (!*r || ((*r)->status != 201 && (*r)->status != 409)) {
          if (++failures < 5)
            std::cerr << "create failed: " << (*r ? (*r)->body : r->error().message) << "\n";
        }
      }
    }
  };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto client = make_client(io, kubeconfig);
        for (int n = 0; n < namespaces; ++n) {
          const nlohmann::json ns = {{"apiVersion", "v1"},
                                     {"kind", "Namespace"},
                                     {"metadata", {{"name", "bench-" + std::to_string(n)}}}};
          co_await client->request("POST", "/api/v1/namespaces", ns.dump());
        }
        constexpr int kWorkers = 16;
        for (int w = 0; w < kWorkers; ++w)
          asio::co_spawn(io, creator(w, kWorkers), asio::detached);
      },
      asio::detached);
  io.run();
  std::cout << "populate_seconds " << since(start) << "\npopulate_failures " << failures << "\n";
  return failures == 0 ? 0 : 1;
}

// --- sync ------------------------------------------------------------------------------------------------

int sync_bench(const std::string& kubeconfig, std::size_t page_size) {
  asio::io_context io;
  auto client = make_client(io, kubeconfig);
  // Anchor: the same paginated LISTs, bytes only (TLS + HTTP + transfer, no JSON).
  std::size_t raw_bytes = 0;
  const auto raw_start = Clock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        static const std::array<const ResourceRef*, 2> kinds{&kServices, &kSlices};
        for (const ResourceRef* ref : kinds) {
          std::string cont;
          do {
            // The target is built before co_await: GCC 12 miscompiles a conditional's temporaries across it.
            std::string target = ref->collection_path() + "?limit=" + std::to_string(page_size);
            if (!cont.empty()) target += "&continue=" + fedns::sync::url_encode(cont);
            auto r = co_await client->request("GET", target);
            if (!r || r->status != 200) throw std::runtime_error("raw list failed");
            raw_bytes += r->body.size();
            // Find the continue token without parsing the whole page.
            const auto at = r->body.find("\"continue\":\"");
            cont =
                at == std::string::npos ? "" : r->body.substr(at + 12, r->body.find('"', at + 12) - at - 12);
          } while (!cont.empty());
        }
      },
      asio::detached);
  io.run();
  const double raw_seconds = since(raw_start);
  io.restart();

  const std::size_t heap_before = heap_bytes();
  fedns::sync::ReflectorOptions options;
  options.page_size = page_size;
  Reflector services(*client, kServices, options, {});
  Reflector slices(*client, kSlices, options, {});
  const double cpu_before = process_cpu_seconds();
  const auto start = Clock::now();
  double synced_seconds = 0;
  double cpu_at_sync = 0;
  asio::co_spawn(io, services.run(), asio::detached);
  asio::co_spawn(io, slices.run(), asio::detached);
  asio::steady_timer poll(io);
  std::function<void()> check = [&] {
    if (services.has_synced() && slices.has_synced()) {
      synced_seconds = since(start);
      cpu_at_sync = process_cpu_seconds();
      services.stop();
      slices.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(1));
    poll.async_wait([&](boost::system::error_code) { check(); });
  };
  check();
  io.run();
  const std::size_t objects = services.store().size() + slices.store().size();
  const std::size_t heap_after = heap_bytes();
  std::cout << "objects " << objects << "\nservices " << services.store().size() << "\nendpointslices "
            << slices.store().size() << "\nlist_bytes " << raw_bytes << "\nraw_fetch_seconds " << raw_seconds
            << "\nsync_seconds " << synced_seconds << "\nsync_client_cpu_seconds "
            << (cpu_at_sync - cpu_before) << "\nheap_bytes_per_object "
            << (objects ? (heap_after - heap_before) / objects : 0) << "\n";
  return 0;
}

// --- replay ----------------------------------------------------------------------------------------------

// A TLS server for one watch at a time: an empty LIST, then the prepared event lines as one chunked stream.
class ReplayServer {
 public:
  ReplayServer(const std::string& cert, const std::string& key, std::string body)
      : tls_(asio::ssl::context::tls_server),
        acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        events_(std::move(body)) {
    tls_.use_certificate_chain_file(cert);
    tls_.use_private_key_file(key, asio::ssl::context::pem);
    asio::co_spawn(io_, serve(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ReplayServer() {
    io_.stop();
    thread_.join();
  }
  [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::awaitable<void> serve() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> session(asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::ssl_stream<asio::ip::tcp::socket> stream(std::move(socket), tls_);
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    boost::beast::flat_buffer buffer;
    while (!ec) {
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      if (req.target().find("watch=1") == boost::beast::string_view::npos) {
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = R"({"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]})";
        res.prepare_payload();
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = events_;
      res.prepare_payload();  // Content-Length: the client reads it through the same streaming parser
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      // Then hold the connection: the benchmark ends once every event is applied.
      asio::steady_timer hold(io_, std::chrono::minutes(5));
      co_await hold.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  asio::io_context io_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::string events_;
  std::thread thread_;
};

int replay_bench(const std::string& kubeconfig, const std::string& cert, const std::string& key, int rounds) {
  // Real objects as the apiserver serialises them, turned into MODIFIED events with rising versions.
  std::vector<nlohmann::json> items;
  {
    asio::io_context io;
    auto client = make_client(io, kubeconfig);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto r = co_await client->request("GET", kServices.collection_path());
          auto list = nlohmann::json::parse(r->body);
          for (auto& item : list["items"]) {
            item["kind"] = "Service";
            item["apiVersion"] = "v1";
            items.push_back(std::move(item));
          }
        },
        asio::detached);
    io.run();
  }
  std::string body;
  std::size_t events = 0;
  std::uint64_t version = 1000000;
  for (int round = 0; round < rounds; ++round) {
    for (auto& item : items) {
      item["metadata"]["resourceVersion"] = std::to_string(++version);
      body += R"({"type":"MODIFIED","object":)" + item.dump() + "}\n";
      ++events;
    }
  }
  // Anchors: parse every line and nothing else, with nlohmann::json (a DOM of allocated nodes, what a
  // straightforward client does) and with simdjson's DOM parser (the floor for our decoder, which uses it).
  std::size_t parsed = 0;
  auto each_line = [&](auto&& parse_line) {
    const double start_cpu = thread_cpu_seconds();
    for (std::size_t at = 0; at < body.size();) {
      const auto nl = body.find('\n', at);
      parse_line(std::string_view(body).substr(at, nl - at));
      at = nl + 1;
    }
    return thread_cpu_seconds() - start_cpu;
  };
  const double parse_cpu =
      each_line([&](std::string_view line) { parsed += nlohmann::json::parse(line).size(); });
  simdjson::dom::parser simd;
  const double simd_cpu = each_line([&](std::string_view line) {
    simdjson::dom::element root;
    if (simd.parse(line.data(), line.size()).get(root) == simdjson::SUCCESS) ++parsed;
  });

  const std::string serving_cert = cert;
  ReplayServer server(serving_cert, key, body);
  asio::io_context io;
  auto client = make_client(io, kubeconfig, "https://127.0.0.1:" + std::to_string(server.port()));
  std::size_t applied = 0;
  fedns::sync::InformerHandlers handlers;
  handlers.on_add = [&](const auto&) { ++applied; };
  handlers.on_update = [&](const auto&, const auto&) { ++applied; };
  Reflector reflector(*client, kServices, {}, handlers);
  double cpu_start = 0;
  double cpu_end = 0;
  Clock::time_point start;
  double wall = 0;
  asio::co_spawn(io, reflector.run(), asio::detached);
  asio::steady_timer poll(io);
  std::function<void()> check = [&] {
    if (cpu_start == 0 && reflector.has_synced()) {
      cpu_start = thread_cpu_seconds();
      start = Clock::now();
    }
    if (applied >= events) {
      cpu_end = thread_cpu_seconds();
      wall = since(start);
      reflector.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(1));
    poll.async_wait([&](boost::system::error_code) { check(); });
  };
  check();
  io.run();
  const double cpu = cpu_end - cpu_start;
  std::cout << "replay_events " << events << "\nreplay_bytes " << body.size() << "\nreplay_wall_seconds "
            << wall << "\nreplay_client_cpu_seconds " << cpu << "\nevents_per_cpu_second "
            << static_cast<double>(events) / cpu << "\nparse_only_cpu_seconds " << parse_cpu
            << "\nparse_only_events_per_second " << static_cast<double>(events) / parse_cpu
            << "\nsimdjson_parse_only_cpu_seconds " << simd_cpu << "\nsimdjson_parse_only_events_per_second "
            << static_cast<double>(events) / simd_cpu << "\nparsed_fields " << parsed << "\n";
  return applied >= events ? 0 : 1;
}

}  // namespace

// --- propagate ---------------------------------------------------------------------------------------------

// One query over TCP (two-octet length framing), for answers too large for UDP.
std::vector<std::uint8_t> tcp_exchange(std::uint16_t port, const std::vector<std::uint8_t>& query) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {};
  std::vector<std::uint8_t> framed = {static_cast<std::uint8_t>(query.size() >> 8),
                                      static_cast<std::uint8_t>(query.size() & 0xFF)};
  framed.insert(framed.end(), query.begin(), query.end());
  asio::write(socket, asio::buffer(framed), ec);
  std::array<std::uint8_t, 2> length{};
  asio::read(socket, asio::buffer(length), ec);
  if (ec) return {};
  std::vector<std::uint8_t> answer(static_cast<std::size_t>(length[0] << 8 | length[1]));
  asio::read(socket, asio::buffer(answer), ec);
  return ec ? std::vector<std::uint8_t>{} : answer;
}

// Asks `name` over UDP until an answer carries `address` (4 bytes), or the deadline; returns when it did.
std::optional<Clock::time_point> poll_dns(std::uint16_t port, const std::string& name,
                                          std::array<std::uint8_t, 4> address, Clock::time_point deadline) {
  asio::io_context io;
  asio::ip::udp::socket socket(io, asio::ip::udp::v4());
  const asio::ip::udp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  const auto query = fedns::bench::dns_query(name);
  std::array<std::uint8_t, 1500> reply{};
  socket.non_blocking(true);
  while (Clock::now() < deadline) {
    socket.send_to(asio::buffer(query), server);
    const auto sent = Clock::now();
    while (Clock::now() - sent < std::chrono::milliseconds(50)) {
      boost::system::error_code ec;
      const std::size_t n = socket.receive(asio::buffer(reply), 0, ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      if (ec) break;
      std::vector<std::uint8_t> answer(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(n));
      if (n > 2 && (reply[2] & 0x02) != 0) answer = tcp_exchange(port, query);  // TC: ask again over TCP
      if (std::search(answer.begin(), answer.end(), address.begin(), address.end()) != answer.end())
        return Clock::now();
      break;  // answered, not yet with the new address: ask again
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return std::nullopt;
}

// From a write to a member kube-apiserver until fedns first answers with it: `changes` EndpointSlice patches
// spread over the clusters, each giving one service's first endpoint a new address.
int propagate_bench(const std::vector<std::string>& kubeconfigs, std::uint16_t dns_port, int count,
                    int changes) {
  asio::io_context io;
  std::vector<std::unique_ptr<ApiClient>> clients;
  for (const auto& k : kubeconfigs)
    clients.push_back(make_client(io, k));
  std::vector<double> latencies_ms;
  int timeouts = 0;
  // New addresses are 10.<round>.x.y, the round one past the last run's (read back from the first slice
  // patched), so that a run against clusters kept from an earlier run (catalog_bench.py --fixture-dir)
  // changes every address again.
  int round = 200;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto r = co_await clients[0]->request("GET",
                                              "/apis/discovery.k8s.io/v1/namespaces/bench-0/endpointslices/"
                                              "svc-0-abcde");
        if (!r || r->status != 200) co_return;
        const auto slice = nlohmann::json::parse(r->body, nullptr, false);
        const std::string first = slice.value("/endpoints/0/addresses/0"_json_pointer, std::string());
        const int octet = std::atoi(first.substr(first.find('.') + 1).c_str());
        if (octet >= 200 && octet < 250) round = octet + 1;
      },
      asio::detached);
  io.run();
  io.restart();
  const std::string prefix = "10." + std::to_string(round) + ".";
  for (int i = 0; i < changes; ++i) {
    const int s = static_cast<int>((static_cast<long long>(i) * 7919) % count);
    const std::string ns = "bench-" + std::to_string(s % 10);
    const std::string name = "svc-" + std::to_string(s);
    const std::array<std::uint8_t, 4> address = {10, static_cast<std::uint8_t>(round),
                                                 static_cast<std::uint8_t>(i / 250),
                                                 static_cast<std::uint8_t>(i % 250 + 1)};
    nlohmann::json patch;
    for (int e = 0; e < 3; ++e) {
      const std::string ip = e == 0 ? prefix + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)
                                    : "10." + std::to_string(100 + e) + "." + std::to_string(s / 250 % 250) +
                                          "." + std::to_string(s % 250 + 1);
      patch["endpoints"].push_back(
          {{"addresses", {ip}},
           {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
           {"nodeName", "node-" + std::to_string(e)},
           {"zone", "zone-" + std::to_string(e)}});
    }
    ApiClient& client = *clients[static_cast<std::size_t>(i) % clients.size()];
    const std::string target =
        "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices/" + name + "-abcde";
    const auto start = Clock::now();
    std::optional<Clock::time_point> seen;
    std::thread poller([&] {
      seen = poll_dns(dns_port, name + "." + ns + ".svc.clusterset.local", address,
                      start + std::chrono::seconds(5));
    });
    bool ok = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto r = co_await client.request("PATCH", target, patch.dump(), "application/merge-patch+json");
          ok = r && r->status == 200;
          if (!ok) std::cerr << "patch failed: " << (r ? r->body : r.error().message) << "\n";
        },
        asio::detached);
    io.run();
    io.restart();
    poller.join();
    if (!ok) return 1;
    if (!seen) {
      ++timeouts;
      continue;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(*seen - start).count());
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty()
               ? -1.0
               : latencies_ms[std::min(
                     latencies_ms.size() - 1,
                     static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::cout << "changes " << changes << "\ntimeouts " << timeouts << "\np50_ms " << pct(0.50) << "\np90_ms "
            << pct(0.90) << "\np99_ms " << pct(0.99) << "\nmax_ms "
            << (latencies_ms.empty() ? -1 : latencies_ms.back()) << "\n";
  return timeouts == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto arg = [&](const std::string& name, const std::string& fallback) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == name) return args[i + 1];
    }
    return fallback;
  };
  if (args.empty()) {
    std::cerr
        << "usage: fedns_kube_sync_bench populate|sync|replay|propagate --kubeconfig F [--count N]"
           " [--page-size N] [--cert F --key F --rounds N] [--kubeconfigs F,F,F --dns-port P --changes N]\n";
    return 2;
  }
  fedns::log::set_level(fedns::log::Level::kWarn);
  try {
    const std::string kubeconfig = arg("--kubeconfig", "");
    if (args[0] == "populate")
      return populate(kubeconfig, std::stoi(arg("--count", "10000")), 10, std::stoi(arg("--endpoints", "3")));
    if (args[0] == "propagate") {
      std::vector<std::string> kubeconfigs;
      std::stringstream list(arg("--kubeconfigs", ""));
      for (std::string k; std::getline(list, k, ',');)
        kubeconfigs.push_back(k);
      return propagate_bench(kubeconfigs, static_cast<std::uint16_t>(std::stoi(arg("--dns-port", "1053"))),
                             std::stoi(arg("--count", "10000")), std::stoi(arg("--changes", "200")));
    }
    if (args[0] == "sync") return sync_bench(kubeconfig, std::stoul(arg("--page-size", "500")));
    if (args[0] == "replay")
      return replay_bench(kubeconfig, arg("--cert", ""), arg("--key", ""), std::stoi(arg("--rounds", "10")));
  } catch (const std::exception& e) {
    std::cerr << "fedns_kube_sync_bench: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
