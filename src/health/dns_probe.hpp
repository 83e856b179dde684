// DNS probe through c-ares: asks a DNS server (the target, on the probe's port) one question; healthy when it
// answers NOERROR (with or without records). c-ares runs on the control io_context: its sockets are watched
// by Asio (ARES_OPT_SOCK_STATE_CB) and its timeouts by a timer, so a probe never blocks the control thread.
// One c-ares channel per server, kept while it is probed; queries to one server share it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <utility>

#include "health/probe.hpp"

namespace fedns::health {

class DnsProber {
 public:
  explicit DnsProber(boost::asio::io_context& io);
  ~DnsProber();
  DnsProber(const DnsProber&) = delete;
  DnsProber& operator=(const DnsProber&) = delete;

  boost::asio::awaitable<ProbeResult> probe(boost::asio::ip::udp::endpoint server, const ProbeSpec& spec);
  [[nodiscard]] std::size_t channel_count() const { return channels_.size(); }

 private:
  class Channel;
  using ChannelKey =
      std::pair<boost::asio::ip::udp::endpoint, std::chrono::milliseconds::rep>;  // server, timeout
  Channel* channel_for(const ChannelKey& key, std::string& error);
  // Channels idle for kIdle with nothing in flight are closed, so endpoint churn does not pile them up.
  void sweep();

  static constexpr std::chrono::minutes kIdle{5};
  boost::asio::io_context& io_;
  std::map<ChannelKey, std::unique_ptr<Channel>> channels_;
  std::chrono::steady_clock::time_point next_sweep_{};
};

}  // namespace fedns::health
