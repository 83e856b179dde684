// One UDP socket of one worker, served by a thread of its own: a blocking recvmmsg (MSG_WAITFORONE: whatever
// has queued, at least one datagram) and a sendmmsg per batch, answering each from the current snapshot. The
// socket is never in an epoll set: with one, every arriving datagram also runs the epoll callback under the
// epoll lock, and each wake-up costs an epoll_wait and (Asio) an epoll_ctl; measured on loopback with
// dnsperf, the plain loop takes 2.3-2.7 µs of CPU per query where the Asio-driven one took 3.0-4.2
// (bench/README.md).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.hpp"
#include "common/snapshot.hpp"
#include "dns/listen_address.hpp"
#include "dns/location_cache.hpp"
#include "dns/responder.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/worker_counters.hpp"

namespace fedns::dns {

class UdpListener {
 public:
  // Its own snapshot reader and counters: the thread is their single writer (worker_counters.hpp).
  explicit UdpListener(const SnapshotPublisher<ServingSnapshot>& zones,
                       const SnapshotPublisher<model::HealthTable>* health = nullptr);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds with SO_REUSEPORT so every worker has its own socket on the same port and the kernel spreads load.
  Result<void> open(const ListenAddress& address);
  // Starts the serving thread, named `name`.
  void start(const std::string& name);
  // Thread-safe: stop receiving; the thread ends after the batch in hand, within kStopCheck.
  void close() noexcept { stop_.store(true, std::memory_order_relaxed); }
  void join();
  [[nodiscard]] bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }
  [[nodiscard]] const WorkerCounters& counters() const { return counters_; }

 private:
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kQuerySize = 4096;     // larger datagrams are not DNS queries we answer
  static constexpr std::size_t kResponseSize = 4096;  // the EDNS payload we advertise is capped to this
  static constexpr std::size_t kControlSize = 64;     // room for IP_PKTINFO / IPV6_PKTINFO

  static constexpr int kStopCheckMs = 100;  // how often a thread waiting for datagrams looks at stop_
  static constexpr std::uint16_t kUnfragmentedPayload = 1232;  // DNS Flag Day 2020: fits any path's MTU

  void run() noexcept;
  // Receives what has queued (waiting up to kStopCheckMs for the first), answers it; returns the count.
  std::size_t answer_batch() noexcept;
  // Whether answers may be fragmented follows the largest UDP answer we send (limits.edns_udp_payload, which
  // a reload can change; checked per batch). Up to 1232 octets an answer fits any path, so it leaves with DF
  // set and is never fragmented, here or by a router: RFC 9715 R1, since a forged second fragment is how an
  // answer gets spoofed. (It also spares the kernel choosing an IPv4 identification per datagram, ~1% of its
  // cost per answer.) An operator who allows larger answers has accepted fragmentation at our interface.
  void set_fragmentation(std::uint16_t edns_udp_payload) noexcept;
  // Readies slot i's receive header (the kernel rewrites the lengths of those it fills).
  void arm_receive(std::size_t i) noexcept;

  int fd_ = -1;
  ServingReader snapshots_;
  WorkerCounters counters_;
  LocationCache locations_;  // this socket's thread's placed clients
  bool v6_ = false;
  // kControlSize when datagrams carry their destination address (a wildcard bind), else 0.
  std::size_t control_size_ = 0;
  std::uint16_t fragmentation_for_ = 0;  // the payload limit set_fragmentation last applied (0: none yet)
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{true};  // until start(): a socket never served has nothing to finish
  std::thread thread_;

  // Batch buffers, allocated once per socket.
  struct Slot {
    std::uint8_t query[kQuerySize];
    std::uint8_t response[kResponseSize];
    sockaddr_storage peer;
    alignas(cmsghdr) std::uint8_t control[kControlSize];
    iovec rx_iov;
    iovec tx_iov;
    PreparedQuery prepared;
  };
  std::unique_ptr<std::array<Slot, kBatch>> slots_;
  std::array<mmsghdr, kBatch> rx_{};
  std::array<mmsghdr, kBatch> tx_{};
};

}  // namespace fedns::dns
