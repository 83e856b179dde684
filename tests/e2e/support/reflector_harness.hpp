// The reflector under test on its own io_context thread, with a thread-safe log of handler calls.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "sync/reflector.hpp"

namespace fedns::e2e {

class Harness {
 public:
  Harness(const std::string& kubeconfig, const std::string& ns, sync::ReflectorOptions options,
          const std::string& server_override = {}) {
    auto creds = sync::load_kubeconfig(kubeconfig);
    EXPECT_TRUE(creds.ok());
    if (!server_override.empty()) creds->server = server_override;
    client_ = std::move(sync::ApiClient::create(io_, *creds).value());
    sync::InformerHandlers handlers;
    handlers.on_add = [this](const sync::KubeObject& o) { record("ADD " + o.meta().name); };
    handlers.on_update = [this](const sync::KubeObject&, const sync::KubeObject& o) {
      record("UPDATE " + o.meta().name);
    };
    handlers.on_delete = [this](const sync::KubeObject& o) { record("DELETE " + o.meta().name); };
    reflector_ = std::make_unique<sync::Reflector>(
        *client_, sync::ResourceRef{"/api/v1", "services", ns, "", "", "Service"}, options, handlers);
  }
  ~Harness() { stop(); }

  void start() {
    io_.restart();
    boost::asio::co_spawn(io_, reflector_->run(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    boost::asio::post(io_, [this] { reflector_->stop(); });
    thread_.join();
  }
  // Runs f on the reflector's thread and returns its result.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto future = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return future.get();
  }
  bool wait_for(const std::function<bool()>& condition,
                std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (on_io(condition)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }
  std::vector<std::string> cached_names() {
    return on_io([this] {
      std::vector<std::string> names;
      for (const auto& [key, object] : reflector_->store())
        names.push_back(object.meta().name);
      return names;
    });
  }
  sync::Reflector& reflector() { return *reflector_; }

 private:
  void record(std::string line) {
    std::lock_guard lock(mutex_);
    log_.push_back(std::move(line));
  }
  boost::asio::io_context io_;
  std::unique_ptr<sync::ApiClient> client_;
  std::unique_ptr<sync::Reflector> reflector_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> log_;
};

}  // namespace fedns::e2e
