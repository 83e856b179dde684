// The query path: one received message in, one response (or nothing) out, through a fixed table of stages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <sys/socket.h>

#include "dns/answer_policy.hpp"
#include "dns/location_cache.hpp"
#include "dns/query.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/worker_counters.hpp"

namespace fedns::dns {

struct RequestInfo {
  Transport transport = Transport::kUdp;
  const model::HealthTable* health = nullptr;  // null: no health checks, every record is answered
  const sockaddr* peer = nullptr;              // the client's address (placed when it has no ECS option)
  PolicyRandom* random = nullptr;              // answer policies' draws; null: the thread's own generator
  LocationCache* locations = nullptr;          // the worker's memo of placed clients; null: none
};

// Answers one message. Returns the response length written to `out` (which must hold 65535 bytes), or 0 when
// nothing must be sent. Allocates nothing, takes no lock, throws nothing.
std::size_t respond(std::span<const std::uint8_t> message, std::span<std::uint8_t> out,
                    const RequestInfo& info, const ServingSnapshot& snapshot,
                    WorkerCounters& counters) noexcept;

// The same in three steps, for a receiver that holds several messages at once (a recvmmsg batch): prepare()
// every message (parse it, and start loading the generated name's shard slot it will read), then
// prefetch() each (the slot has arrived: start loading the shard), then respond() to each. A generated
// name's shard is cold in cache on a busy server (the kernel's network stack runs between batches); this
// way the batch's cache misses overlap instead of stalling each answer in turn. The answers are the same.
struct PreparedQuery {
  Query query;
  ParseStatus status = ParseStatus::kDrop;
  const model::GeneratedNames* names = nullptr;  // the generated names the question would be looked up in
  std::size_t shard = 0;
};
void prepare(std::span<const std::uint8_t> message, const ServingSnapshot& snapshot,
             PreparedQuery& out) noexcept;
void prefetch(const PreparedQuery& prepared) noexcept;
std::size_t respond(const PreparedQuery& prepared, std::span<const std::uint8_t> message,
                    std::span<std::uint8_t> out, const RequestInfo& info, const ServingSnapshot& snapshot,
                    WorkerCounters& counters) noexcept;

}  // namespace fedns::dns
