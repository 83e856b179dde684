// TCP serving for one worker (RFC 7766): acceptors on the shared port and the sessions they start, with an
// idle timeout and a connection cap that idle clients cannot exhaust.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <span>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "common/snapshot.hpp"
#include "dns/listen_address.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/worker_counters.hpp"

namespace fedns::dns {

struct TcpLimits {
  std::size_t max_connections = 250;  // per worker
  std::chrono::milliseconds idle_timeout{10000};
};

class TcpService {
 public:
  TcpService(boost::asio::io_context& io, ServingReader& snapshots, WorkerCounters& counters,
             TcpLimits limits);
  ~TcpService();
  TcpService(const TcpService&) = delete;
  TcpService& operator=(const TcpService&) = delete;

  Result<void> open(const ListenAddress& address);
  void start();
  // Stops accepting, closes idle connections, lets the ones writing an answer finish it, then closes them.
  void drain();

 private:
  struct Connection;
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<bool> transfer(boost::asio::ip::tcp::socket& socket, Connection& self,
                                        std::span<const std::uint8_t> request, const sockaddr* peer,
                                        std::uint8_t* buffer);
  void make_room();
  void schedule_sweep();
  void sweep_idle();

  boost::asio::io_context& io_;
  ServingReader& snapshots_;
  WorkerCounters& counters_;
  TcpLimits limits_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::list<Connection*> lru_;  // least recently active first
  boost::asio::steady_timer sweep_timer_;
  bool draining_ = false;
  std::chrono::steady_clock::time_point last_refusal_logged_{};  // refused transfers: logged at most 1/s
  std::uint64_t refusals_not_logged_ = 0;
};

}  // namespace fedns::dns
