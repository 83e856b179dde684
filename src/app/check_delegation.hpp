// `fedns check-delegation ZONE --parent SERVER [--server ADDR:PORT | --config FILE] [--port N]`: the
// preflight for a delegation (docs/delegation.md). Asks the parent for ZONE's NS without recursion (the
// referral and its glue), asks fedns for the NS set it serves at ZONE's apex and the addresses of the name
// servers inside ZONE, and compares: name servers only one side lists, glue the parent lacks or has wrong,
// and (at --port) name server addresses that do not answer for ZONE authoritatively (a lame delegation).
#pragma once

#include <cstdint>
#include <string>

namespace fedns::app {

struct CheckDelegationArguments {
  std::string zone;
  std::string parent;       // ADDR[:PORT] of a server of the parent zone
  std::string server;       // fedns: ADDR:PORT; empty: from --config, else 127.0.0.1:53
  std::string config;       // a config file: the server's first listen address
  std::uint16_t port = 53;  // where the name servers' addresses are asked (the lame check)
};

// Prints the comparison; 0 when parent and fedns agree, 1 on any mismatch, 2 for bad arguments, 3 when the
// parent or fedns did not answer.
int check_delegation_command(const CheckDelegationArguments& args);

}  // namespace fedns::app
