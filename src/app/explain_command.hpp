// `fedns explain`: the decision trace of a running server's answer for one name and one client.
#pragma once

#include <string>

namespace fedns::app {

struct ExplainArguments {
  std::string name;
  std::string client;   // the client's address, sent as EDNS Client Subnet
  int ecs_prefix = -1;  // the ECS source prefix; -1: the whole address (/32, /128)
  std::string type;     // "A" or "AAAA": only that type's part of the trace; empty: both
  std::string server;   // ADDR:PORT; empty: from --config, else 127.0.0.1:53
  std::string config;   // a config file: the server's first listen address and the explain label
};

// Prints the trace; 0 on success, 1 when the server gives none, 2 for bad arguments.
int explain_command(const ExplainArguments& args);

}  // namespace fedns::app
