// Test helpers: build query packets byte by byte and parse responses with ldns, the independent oracle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dns/responder.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/worker_counters.hpp"
#include "oracle/ldns_oracle.hpp"

namespace fedns::test {

struct QueryOptions {
  std::uint16_t id = 0x1234;
  std::uint16_t qtype = 1;
  std::uint16_t qclass = 1;
  std::uint16_t flags = 0x0100;  // RD
  bool edns = false;
  std::uint16_t udp_payload = 1232;
  std::uint8_t edns_version = 0;
  bool dnssec_ok = false;
  std::vector<std::uint8_t> edns_options;  // raw option bytes appended to the OPT RDATA
};

// The wire form of a query for `name` (presentation format, trailing dot optional).
std::vector<std::uint8_t> make_query(const std::string& name, const QueryOptions& options = {});

// The wire form of a packet built with ldns (an independent writer); frees the packet.
std::vector<std::uint8_t> wire_of(ldns_pkt* packet);

// Appends an EDNS option (code, data) in wire form to `out`.
void append_option(std::vector<std::uint8_t>& out, std::uint16_t code, const std::vector<std::uint8_t>& data);

// Asks a serving snapshot through the real query path (UDP, no EDNS) and reads the response with ldns.
class SnapshotClient {
 public:
  Packet ask(const dns::ServingSnapshot& snapshot, const std::string& name, std::uint16_t qtype);
  // The answer section as text, sorted.
  std::vector<std::string> answer(const dns::ServingSnapshot& snapshot, const std::string& name,
                                  std::uint16_t qtype);
  // The health table answers read from now on (null: none).
  void set_health(const model::HealthTable* health) { health_ = health; }

 private:
  const model::HealthTable* health_ = nullptr;
  dns::WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
};

std::vector<std::string> sorted(std::vector<std::string> lines);

}  // namespace fedns::test
