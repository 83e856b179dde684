// c-ares on the control io_context: sockets watched by Asio, timeouts by a timer, one channel per server.
#include "health/dns_probe.hpp"

#include <ares.h>

#include <mutex>

namespace fedns::health {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class DnsProber::Channel {
 public:
  explicit Channel(asio::io_context& io) : io_(io), timer_(io) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() {
    alive_.reset();
    if (channel_ != nullptr) ares_destroy(channel_);  // pending queries end with ARES_EDESTRUCTION
    for (auto& [fd, socket] : sockets_)
      (void)socket->descriptor.release();  // c-ares owns and has closed its sockets
  }

  bool init(const asio::ip::udp::endpoint& server, std::chrono::milliseconds timeout, std::string& error) {
    ares_options options{};
    int mask = 0;
    options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    mask |= ARES_OPT_FLAGS;
    options.tries = 1;
    mask |= ARES_OPT_TRIES;
    options.timeout = static_cast<int>(timeout.count());
    mask |= ARES_OPT_TIMEOUTMS;
    options.ndomains = 0;
    options.domains = nullptr;
    mask |= ARES_OPT_DOMAINS;
    options.sock_state_cb = &Channel::on_socket_state;
    options.sock_state_cb_data = this;
    mask |= ARES_OPT_SOCK_STATE_CB;
    if (const int rc = ares_init_options(&channel_, &options, mask); rc != ARES_SUCCESS) {
      channel_ = nullptr;
      error = std::string("c-ares: ") + ares_strerror(rc);
      return false;
    }
    const auto address = server.address();
    const std::string csv = (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
                            std::to_string(server.port());
    if (const int rc = ares_set_servers_ports_csv(channel_, csv.c_str()); rc != ARES_SUCCESS) {
      error = std::string("c-ares server ") + csv + ": " + ares_strerror(rc);
      return false;
    }
    return true;
  }

  void query(const std::string& name, std::uint16_t type, ares_callback callback, void* arg) {
    last_used_ = Clock::now();
    ++in_flight_;
    ares_query(channel_, name.c_str(), 1 /* IN */, type, callback, arg);
    arm_timer();
  }
  void finished() { --in_flight_; }
  [[nodiscard]] bool idle_since(Clock::time_point t) const { return in_flight_ == 0 && last_used_ < t; }

 private:
  struct Socket {
    explicit Socket(asio::io_context& io, int fd) : descriptor(io, fd) {}
    asio::posix::stream_descriptor descriptor;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
  };

  // c-ares opened, changed or closed a socket (also from inside ares_process_fd).
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Channel*>(data);
    if (readable == 0 && writable == 0) {
      if (const auto it = self->sockets_.find(fd); it != self->sockets_.end()) {
        (void)it->second->descriptor.release();  // c-ares closes it; outstanding waits end as aborted
        self->sockets_.erase(it);
      }
      return;
    }
    auto& socket = self->sockets_[fd];
    if (!socket) socket = std::make_unique<Socket>(self->io_, fd);
    socket->want_read = readable != 0;
    socket->want_write = writable != 0;
    self->watch(fd);
  }

  void watch(int fd) {
    const auto it = sockets_.find(fd);
    if (it == sockets_.end()) return;
    Socket& socket = *it->second;
    auto wait = [this, fd](asio::posix::stream_descriptor::wait_type type, bool& flag) {
      flag = true;
      sockets_.at(fd)->descriptor.async_wait(type, [this, fd, type, alive = std::weak_ptr<bool>(alive_)](
                                                       const boost::system::error_code& ec) {
        if (alive.expired() || ec == asio::error::operation_aborted) return;
        const auto found = sockets_.find(fd);
        if (found == sockets_.end()) return;
        (type == asio::posix::stream_descriptor::wait_read ? found->second->reading
                                                           : found->second->writing) = false;
        ares_process_fd(channel_, type == asio::posix::stream_descriptor::wait_read ? fd : ARES_SOCKET_BAD,
                        type == asio::posix::stream_descriptor::wait_write ? fd : ARES_SOCKET_BAD);
        watch(fd);  // still open and still wanted: wait again
        arm_timer();
      });
    };
    if (socket.want_read && !socket.reading) wait(asio::posix::stream_descriptor::wait_read, socket.reading);
    if (socket.want_write && !socket.writing)
      wait(asio::posix::stream_descriptor::wait_write, socket.writing);
  }

  void arm_timer() {
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) == nullptr) return;  // nothing pending
    timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
      if (alive.expired() || ec) return;
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
      arm_timer();
    });
  }

  asio::io_context& io_;
  ares_channel channel_ = nullptr;
  std::map<int, std::unique_ptr<Socket>> sockets_;
  asio::steady_timer timer_;
  int in_flight_ = 0;
  Clock::time_point last_used_ = Clock::now();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

DnsProber::DnsProber(asio::io_context& io) : io_(io) {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

DnsProber::~DnsProber() = default;

DnsProber::Channel* DnsProber::channel_for(const ChannelKey& key, std::string& error) {
  if (const auto it = channels_.find(key); it != channels_.end()) return it->second.get();
  auto channel = std::make_unique<Channel>(io_);
  if (!channel->init(key.first, std::chrono::milliseconds(key.second), error)) return nullptr;
  return channels_.emplace(key, std::move(channel)).first->second.get();
}

void DnsProber::sweep() {
  const auto now = Clock::now();
  if (now < next_sweep_) return;
  next_sweep_ = now + kIdle;
  std::erase_if(channels_, [&](const auto& entry) { return entry.second->idle_since(now - kIdle); });
}

asio::awaitable<ProbeResult> DnsProber::probe(asio::ip::udp::endpoint server, const ProbeSpec& spec) {
  sweep();
  ProbeResult result;
  std::string error;
  Channel* channel = channel_for({server, spec.timeout.count()}, error);
  if (channel == nullptr) {
    result.error = error;
    co_return result;
  }
  // The answer (or its absence) arrives in a C callback; the coroutine waits on a timer the callback cancels.
  struct Pending {
    explicit Pending(asio::io_context& io) : wake(io) {}
    asio::steady_timer wake;
    Channel* channel = nullptr;
    bool done = false;
    int status = ARES_SUCCESS;
    Clock::time_point at{};
  };
  auto pending = std::make_shared<Pending>(io_);
  pending->channel = channel;
  pending->wake.expires_after(spec.timeout + std::chrono::milliseconds(50));  // c-ares times out first
  const auto start = Clock::now();
  channel->query(
      spec.query_name, spec.query_type,
      [](void* arg, int status, int /*timeouts*/, unsigned char* /*answer*/, int /*length*/) {
        const std::unique_ptr<std::shared_ptr<Pending>> held(static_cast<std::shared_ptr<Pending>*>(arg));
        Pending& p = **held;
        p.done = true;
        p.status = status;
        p.at = Clock::now();
        if (status != ARES_EDESTRUCTION) p.channel->finished();
        p.wake.cancel();
      },
      new std::shared_ptr<Pending>(
          pending));     // NOLINT(cppcoreguidelines-owning-memory): the callback owns it
  if (!pending->done) {  // the callback may have run inside ares_query (a name c-ares refuses)
    boost::system::error_code ec;
    co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!pending->done) {
    result.error = "no answer within the timeout";
    co_return result;
  }
  result.rtt = std::chrono::duration_cast<std::chrono::microseconds>(pending->at - start);
  // ENODATA: NOERROR without records of that type; the server answered, which is what is probed.
  if (pending->status == ARES_SUCCESS || pending->status == ARES_ENODATA) {
    result.ok = true;
  } else {
    result.error = std::string("DNS: ") + ares_strerror(pending->status);
  }
  co_return result;
}

}  // namespace fedns::health
