// TCP sessions (RFC 7766): two-octet length framing, pipelined queries answered in order, reads split across
// segments (async_read completes only with the whole message), idle timeout, and a per-worker connection cap.
// When the cap is reached, the least recently active idle connection is closed to admit the new one, so a
// crowd of idle clients cannot lock others out (RFC 7766 6.2.3).
#include "dns/tcp_listener.hpp"

#include <ctime>
#include <memory>
#include <string>

#include "common/log.hpp"
#include "dns/responder.hpp"
#include "dns/zone_transfer.hpp"

namespace fedns::dns {

namespace asio = boost::asio;
using asio::ip::tcp;

struct TcpService::Connection {
  tcp::socket* socket = nullptr;
  std::chrono::steady_clock::time_point last_active;
  bool busy = false;  // between reading a query and finishing its answer
  std::list<Connection*>::iterator position;
};

TcpService::TcpService(asio::io_context& io, ServingReader& snapshots, WorkerCounters& counters,
                       TcpLimits limits)
    : io_(io), snapshots_(snapshots), counters_(counters), limits_(limits), sweep_timer_(io) {}

TcpService::~TcpService() = default;

Result<void> TcpService::open(const ListenAddress& address) {
  boost::system::error_code ec;
  const tcp::endpoint endpoint(address.address, address.port);
  const std::string where = "tcp " + address.to_string();
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  acceptor->open(endpoint.protocol(), ec);
  if (ec) return Error{where + ": open: " + ec.message()};
  acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  const int one = 1;
  ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
  acceptor->bind(endpoint, ec);
  if (ec) return Error{where + ": bind: " + ec.message()};
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{where + ": listen: " + ec.message()};
  acceptors_.push_back(std::move(acceptor));
  return {};
}

void TcpService::start() {
  for (auto& acceptor : acceptors_)
    asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
  schedule_sweep();
}

void TcpService::drain() {
  draining_ = true;
  boost::system::error_code ec;
  for (auto& acceptor : acceptors_)
    acceptor->close(ec);
  sweep_timer_.cancel();
  for (Connection* c : lru_) {
    if (!c->busy) c->socket->close(ec);  // busy ones close themselves after their answer is written
  }
}

void TcpService::make_room() {
  if (lru_.size() < limits_.max_connections) return;
  boost::system::error_code ec;
  for (Connection* c : lru_) {
    if (!c->busy) {
      c->socket->close(ec);
      counters_.tcp_evicted.add();
      return;
    }
  }
}

void TcpService::schedule_sweep() {
  if (draining_) return;
  sweep_timer_.expires_after(std::max(limits_.idle_timeout / 4, std::chrono::milliseconds(100)));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sweep_idle();
    schedule_sweep();
  });
}

// Closes connections with no complete exchange for the idle timeout. That includes a client stalling in the
// middle of a query and one that stopped reading our answer (busy past the timeout), so neither can pin a
// slot.
void TcpService::sweep_idle() {
  const auto deadline = std::chrono::steady_clock::now() - limits_.idle_timeout;
  boost::system::error_code ec;
  for (Connection* c : lru_) {
    if (c->last_active > deadline) break;  // the rest were active more recently
    if (c->socket->is_open()) {
      c->socket->close(ec);
      counters_.tcp_timeouts.add();
    }
  }
}

asio::awaitable<void> TcpService::accept_loop(tcp::acceptor& acceptor) {
  while (!draining_) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    make_room();
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

// A zone transfer: messages written one after another from the snapshot current at the request. Each message
// counts as activity, so a long transfer is not idle; a secondary that stops reading for the idle timeout is
// closed by the sweep like any other stalled client, and one that hangs up ends the transfer at the next
// write (nothing is kept for it). Returns false when the connection is gone.
asio::awaitable<bool> TcpService::transfer(tcp::socket& socket, Connection& self,
                                           std::span<const std::uint8_t> request, const sockaddr* peer,
                                           std::uint8_t* buffer) {
  const auto snapshot = snapshots_.hold();
  if (snapshot == nullptr) co_return false;
  ZoneTransfer transfer(request, snapshot, peer, static_cast<std::uint64_t>(std::time(nullptr)));
  boost::system::error_code ec;
  for (;;) {
    const std::size_t size = transfer.next({buffer + 2, kMaxMessage});
    if (size == 0) break;
    buffer[0] = static_cast<std::uint8_t>(size >> 8);
    buffer[1] = static_cast<std::uint8_t>(size);
    co_await asio::async_write(socket, asio::buffer(buffer, size + 2),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    self.last_active = std::chrono::steady_clock::now();
    lru_.splice(lru_.end(), lru_, self.position);
  }
  counters_.queries_by_transport[static_cast<std::size_t>(Transport::kTcp)].add();
  counters_.queries_by_qtype[static_cast<std::size_t>(qtype_bucket(transfer.qtype()))].add();
  const auto result = static_cast<std::size_t>(transfer.result());
  counters_.transfers[result].add();
  counters_.transfer_records[result].add(transfer.records());
  if (transfer.result() == TransferResult::kBadTsig) counters_.tsig_failures.add();
  const std::string outcome = transfer.description() + (ec ? " (connection lost: " + ec.message() + ")" : "");
  if (transfer.result() == TransferResult::kFull || transfer.result() == TransferResult::kUpToDate ||
      transfer.result() == TransferResult::kIncremental) {
    log::info(outcome + ": " + std::to_string(transfer.records()) + " record(s) in " +
              std::to_string(transfer.messages()) + " message(s)");
  } else if (const auto now = std::chrono::steady_clock::now();
             now - last_refusal_logged_ >= std::chrono::seconds(1)) {
    // At most one line a second per worker, so a flood of bad requests cannot flood the log; the metric
    // counts them all.
    log::warn("refused " + outcome +
              (refusals_not_logged_ == 0 ? ""
                                         : " (and " + std::to_string(refusals_not_logged_) +
                                               " more refused transfer(s) since the last such line)"));
    last_refusal_logged_ = now;
    refusals_not_logged_ = 0;
  } else {
    ++refusals_not_logged_;
  }
  if (ec) co_return false;
  self.busy = false;
  self.last_active = std::chrono::steady_clock::now();
  lru_.splice(lru_.end(), lru_, self.position);
  co_return !draining_;
}

asio::awaitable<void> TcpService::session(tcp::socket socket) {
  counters_.tcp_accepted.add();
  counters_.tcp_open.fetch_add(1, std::memory_order_relaxed);
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const tcp::endpoint peer = socket.remote_endpoint(ec);  // where answers that depend on the client look
  const sockaddr* peer_address = ec ? nullptr : peer.data();
  Connection self;
  self.socket = &socket;
  self.last_active = std::chrono::steady_clock::now();
  self.position = lru_.insert(lru_.end(), &self);

  // Buffers live as long as the connection: 2 + 65535 octets each way, pages touched only as used.
  auto query = std::make_unique_for_overwrite<std::uint8_t[]>(2 + kMaxMessage);
  auto answer = std::make_unique_for_overwrite<std::uint8_t[]>(2 + kMaxMessage);
  for (;;) {
    co_await asio::async_read(socket, asio::buffer(query.get(), 2),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const std::size_t length = (std::size_t{query[0]} << 8) | query[1];
    if (length < kHeaderSize) break;  // cannot even carry a header: garbage, hang up
    co_await asio::async_read(socket, asio::buffer(query.get() + 2, length),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    self.busy = true;  // only now: a client that stalls mid-query stays evictable
    if (is_transfer_request({query.get() + 2, length})) {
      if (!co_await transfer(socket, self, {query.get() + 2, length}, peer_address, answer.get())) break;
      continue;
    }
    const ServingSnapshot* snapshot = snapshots_.snapshot();
    const std::size_t size =
        snapshot == nullptr
            ? 0
            : respond({query.get() + 2, length}, {answer.get() + 2, kMaxMessage},
                      RequestInfo{Transport::kTcp, snapshots_.health(), peer_address}, *snapshot, counters_);
    if (size != 0) {
      answer[0] = static_cast<std::uint8_t>(size >> 8);
      answer[1] = static_cast<std::uint8_t>(size);
      co_await asio::async_write(socket, asio::buffer(answer.get(), size + 2),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    self.busy = false;
    self.last_active = std::chrono::steady_clock::now();
    lru_.splice(lru_.end(), lru_, self.position);
    if (draining_) break;
  }
  lru_.erase(self.position);
  socket.close(ec);
  counters_.tcp_closed.add();
  counters_.tcp_open.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace fedns::dns
