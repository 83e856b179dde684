#include "dns/notify_sender.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <random>

#include "common/log.hpp"
#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/tsig.hpp"

namespace fedns::dns {

namespace asio = boost::asio;
using asio::ip::udp;

std::size_t write_notify(std::span<std::uint8_t> out, std::string_view origin, std::uint16_t id) noexcept {
  const std::size_t size = kHeaderSize + origin.size() + 4;
  if (out.size() < size) return 0;
  const std::uint16_t flags = (std::uint16_t{opcode::kNotify} << flag::kOpcodeShift) | flag::kAA;
  const std::uint8_t header[kHeaderSize] = {static_cast<std::uint8_t>(id >> 8),
                                            static_cast<std::uint8_t>(id),
                                            static_cast<std::uint8_t>(flags >> 8),
                                            static_cast<std::uint8_t>(flags),
                                            0,
                                            1,
                                            0,
                                            0,
                                            0,
                                            0,
                                            0,
                                            0};
  std::copy(std::begin(header), std::end(header), out.begin());
  std::copy(origin.begin(), origin.end(), out.begin() + kHeaderSize);
  std::uint8_t* q = out.data() + kHeaderSize + origin.size();
  q[0] = 0;
  q[1] = type::kSOA;
  q[2] = 0;
  q[3] = klass::kIN;
  return size;
}

void NotifySender::zone_changed(const std::string& origin, std::uint32_t serial,
                                const TransferPolicy& policy) {
  for (const auto& peer : policy.secondaries) {
    if (!policy.covers(peer, origin)) continue;
    for (const auto& target : peer.notify) {
      const std::string slot = origin + "@" + target.to_string();
      const std::uint64_t generation = ++next_generation_;
      generations_[slot] = generation;
      asio::co_spawn(io_, send(origin, serial, target, policy.keys[peer.key], slot, generation),
                     asio::detached);
    }
  }
}

asio::awaitable<void> NotifySender::send(std::string origin, std::uint32_t serial, ListenAddress target,
                                         std::optional<TsigKey> key, std::string slot,
                                         std::uint64_t generation) {
  const std::string what =
      "NOTIFY of " + name_to_text(origin) + " serial " + std::to_string(serial) + " to " + target.to_string();
  const udp::endpoint endpoint(target.address, target.port);
  udp::socket socket(io_);
  boost::system::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (ec) {
    counters_.failed.fetch_add(1, std::memory_order_relaxed);
    log::warn(what + ": " + ec.message());
    co_return;
  }
  auto current = [&] {
    const auto it = generations_.find(slot);
    return it != generations_.end() && it->second == generation;
  };
  auto finish = [&] {
    if (current()) generations_.erase(slot);
  };
  thread_local std::mt19937 random(std::random_device{}());
  std::array<std::uint8_t, 1024> message{};
  std::array<std::uint8_t, 4096> reply{};
  auto timeout = std::chrono::seconds(2);
  for (int attempt = 1; attempt <= 5; ++attempt, timeout *= 2) {
    if (!current()) co_return;  // a newer serial is being announced
    const auto id = static_cast<std::uint16_t>(random());
    std::size_t size = write_notify(message, origin, id);
    std::optional<TsigSigner> signer;
    if (key) {
      signer.emplace(*key, std::span<const std::uint8_t>());
      size = signer->sign(message, size, static_cast<std::uint64_t>(std::time(nullptr)));
    }
    co_await socket.async_send_to(asio::buffer(message.data(), size), endpoint,
                                  asio::redirect_error(asio::use_awaitable, ec));
    counters_.sent.fetch_add(1, std::memory_order_relaxed);
    asio::steady_timer timer(io_, timeout);
    timer.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) socket.cancel();
    });
    for (;;) {
      udp::endpoint from;
      const std::size_t got = co_await socket.async_receive_from(
          asio::buffer(reply), from, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;  // timed out (or the socket failed): try again
      if (got < kHeaderSize || from != endpoint || reply[0] != message[0] || reply[1] != message[1] ||
          (reply[2] & 0x80U) == 0) {
        continue;  // not the answer to this message
      }
      timer.cancel();
      const unsigned rcode = reply[3] & 0x0FU;
      const bool authentic = !signer || verify_tsig_response({reply.data(), got}, *key, signer->last_mac());
      if (rcode != rcode::kNoError || !authentic) {
        counters_.failed.fetch_add(1, std::memory_order_relaxed);
        log::warn(what + ": " +
                  (rcode != rcode::kNoError ? "answered with rcode " + std::to_string(rcode)
                                            : "the answer's TSIG does not verify"));
        finish();
        co_return;
      }
      counters_.answered.fetch_add(1, std::memory_order_relaxed);
      log::info(what + ": acknowledged");
      finish();
      co_return;
    }
  }
  counters_.failed.fetch_add(1, std::memory_order_relaxed);
  log::warn(what + ": no answer after 5 tries");
  finish();
}

}  // namespace fedns::dns
