// A DNS worker: its own UDP sockets and TCP acceptors on the shared port, each UDP socket served by a thread
// of its own (dns/udp_listener.hpp), TCP by one thread running the worker's io_context; its own counters. It
// only reads published snapshots.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "common/snapshot.hpp"
#include "dns/listen_address.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/tcp_listener.hpp"
#include "dns/udp_listener.hpp"
#include "dns/worker_counters.hpp"

namespace fedns::dns {

class Worker {
 public:
  // `health`: the health table's publisher, or null when nothing is health-checked.
  Worker(const SnapshotPublisher<ServingSnapshot>& publisher, TcpLimits tcp_limits,
         const SnapshotPublisher<model::HealthTable>* health = nullptr);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds every address (UDP and TCP) in the calling thread, so startup reports bind errors synchronously.
  Result<void> bind(const std::vector<ListenAddress>& addresses);
  void start(std::size_t index);
  // Thread-safe: stop accepting and receiving, finish TCP answers in flight, then the thread ends.
  void drain();
  // Thread-safe: stop now.
  void stop();
  void join();
  // The TCP thread and every UDP thread have ended.
  [[nodiscard]] bool finished() const;

  // The TCP side's counters, then each UDP socket's (each has a single writer).
  [[nodiscard]] std::vector<const WorkerCounters*> counters() const;

 private:
  const SnapshotPublisher<ServingSnapshot>& publisher_;
  const SnapshotPublisher<model::HealthTable>* health_;
  boost::asio::io_context io_{1};
  ServingReader snapshots_;
  WorkerCounters counters_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  TcpService tcp_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

}  // namespace fedns::dns
