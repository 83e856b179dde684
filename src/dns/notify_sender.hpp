// NOTIFY out (RFC 1996): when a zone's serial changes, each secondary configured for it is told over UDP, the
// message signed with the secondary's TSIG key, and retried (2 s, doubling, 5 tries) until it answers. A
// newer serial replaces a notification still being retried, so a busy catalog does not pile them up.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "dns/listen_address.hpp"
#include "dns/transfer_policy.hpp"

namespace fedns::dns {

struct NotifyCounters {
  std::atomic<std::uint64_t> sent{0};      // messages sent, retries included
  std::atomic<std::uint64_t> answered{0};  // notifications a secondary acknowledged
  std::atomic<std::uint64_t> failed{0};    // given up on: no answer after every try, or an error answer
};

// The NOTIFY message for `origin` (lower-case wire), unsigned; `id` is its message ID.
std::size_t write_notify(std::span<std::uint8_t> out, std::string_view origin, std::uint16_t id) noexcept;

class NotifySender {
 public:
  explicit NotifySender(boost::asio::io_context& io) : io_(io) {}

  // `origin` (lower-case wire) now has `serial`: tells every secondary in `policy` that covers it.
  void zone_changed(const std::string& origin, std::uint32_t serial, const TransferPolicy& policy);

  [[nodiscard]] const NotifyCounters& counters() const noexcept { return counters_; }

 private:
  boost::asio::awaitable<void> send(std::string origin, std::uint32_t serial, ListenAddress target,
                                    std::optional<TsigKey> key, std::string slot, std::uint64_t generation);

  boost::asio::io_context& io_;
  std::map<std::string, std::uint64_t> generations_;  // zone + target -> the newest notification's number
  std::uint64_t next_generation_ = 0;
  NotifyCounters counters_;
};

}  // namespace fedns::dns
