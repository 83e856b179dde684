// DNS worker lifecycle: bind, run on its own thread, drain on shutdown.
#include "dns/worker.hpp"

#include <pthread.h>

#include <string>

#include "common/log.hpp"

namespace fedns::dns {

Worker::Worker(const SnapshotPublisher<ServingSnapshot>& publisher, TcpLimits tcp_limits,
               const SnapshotPublisher<model::HealthTable>* health)
    : snapshots_(publisher, health), tcp_(io_, snapshots_, counters_, tcp_limits) {}

Worker::~Worker() {
  stop();
  join();
}

Result<void> Worker::bind(const std::vector<ListenAddress>& addresses) {
  for (const auto& address : addresses) {
    auto udp = std::make_unique<UdpListener>(io_, snapshots_, counters_);
    if (auto r = udp->open(address); !r) return r;
    udp_.push_back(std::move(udp));
    if (auto r = tcp_.open(address); !r) return r;
  }
  return {};
}

void Worker::start(std::size_t index) {
  for (auto& udp : udp_)
    udp->start();
  tcp_.start();
  thread_ = std::thread([this, index] {
    const std::string name = "fedns-dns-" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.c_str());
    io_.run();
    finished_.store(true, std::memory_order_release);
  });
}

void Worker::drain() {
  boost::asio::post(io_, [this] {
    for (auto& udp : udp_)
      udp->close();
    tcp_.drain();
  });
}

void Worker::stop() {
  io_.stop();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace fedns::dns
