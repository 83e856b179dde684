// The query path: one received message in, one response (or nothing) out, through a fixed table of stages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <sys/socket.h>

#include "dns/answer_policy.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/worker_counters.hpp"

namespace fedns::dns {

struct RequestInfo {
  Transport transport = Transport::kUdp;
  const model::HealthTable* health = nullptr;  // null: no health checks, every record is answered
  const sockaddr* peer = nullptr;              // the client's address (placed when it has no ECS option)
  PolicyRandom* random = nullptr;              // answer policies' draws; null: the thread's own generator
};

// Answers one message. Returns the response length written to `out` (which must hold 65535 bytes), or 0 when
// nothing must be sent. Allocates nothing, takes no lock, throws nothing.
std::size_t respond(std::span<const std::uint8_t> message, std::span<std::uint8_t> out,
                    const RequestInfo& info, const ServingSnapshot& snapshot,
                    WorkerCounters& counters) noexcept;

}  // namespace fedns::dns
