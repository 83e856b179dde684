// DNS worker lifecycle: bind, run on its own thread, drain on shutdown.
#include "dns/worker.hpp"

#include <pthread.h>

#include <string>

#include "common/log.hpp"

namespace fedns::dns {

Worker::Worker(const SnapshotPublisher<ServingSnapshot>& publisher, TcpLimits tcp_limits,
               const SnapshotPublisher<model::HealthTable>* health)
    : publisher_(publisher),
      health_(health),
      snapshots_(publisher, health),
      tcp_(io_, snapshots_, counters_, tcp_limits) {}

Worker::~Worker() {
  stop();
  join();
}

Result<void> Worker::bind(const std::vector<ListenAddress>& addresses) {
  for (const auto& address : addresses) {
    auto udp = std::make_unique<UdpListener>(publisher_, health_);
    if (auto r = udp->open(address); !r) return r;
    udp_.push_back(std::move(udp));
    if (auto r = tcp_.open(address); !r) return r;
  }
  return {};
}

void Worker::start(std::size_t index) {
  for (std::size_t i = 0; i < udp_.size(); ++i)
    udp_[i]->start("fedns-udp-" + std::to_string(index) + (udp_.size() > 1 ? "." + std::to_string(i) : ""));
  tcp_.start();
  thread_ = std::thread([this, index] {
    const std::string name = "fedns-dns-" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.c_str());
    io_.run();
    finished_.store(true, std::memory_order_release);
  });
}

void Worker::drain() {
  for (auto& udp : udp_)
    udp->close();
  boost::asio::post(io_, [this] { tcp_.drain(); });
}

void Worker::stop() {
  for (auto& udp : udp_)
    udp->close();
  io_.stop();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
  for (auto& udp : udp_)
    udp->join();
}

bool Worker::finished() const {
  if (!finished_.load(std::memory_order_acquire)) return false;
  for (const auto& udp : udp_) {
    if (!udp->finished()) return false;
  }
  return true;
}

std::vector<const WorkerCounters*> Worker::counters() const {
  std::vector<const WorkerCounters*> out{&counters_};
  for (const auto& udp : udp_)
    out.push_back(&udp->counters());
  return out;
}

}  // namespace fedns::dns
