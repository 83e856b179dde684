// Command-line parsing and the small commands (check-config, version); serve is in server.cpp.
#include "app/cli.hpp"

#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "app/check_delegation.hpp"
#include "app/config.hpp"
#include "app/explain_command.hpp"
#include "app/server.hpp"
#include "app/snapshot_factory.hpp"
#include "common/log.hpp"
#include "sync/manifest_source.hpp"

namespace fedns::app {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  fedns serve --config FILE [--listen ADDR:PORT ...] [--log-level debug|info|warn|error]\n"
    "              [--log-format text|logfmt|json]\n"
    "  fedns check-config FILE\n"
    "  fedns explain NAME --client IP [--ecs PREFIX] [--type A|AAAA] [--server ADDR:PORT | --config FILE]\n"
    "  fedns check-delegation ZONE --parent ADDR[:PORT] [--server ADDR:PORT | --config FILE] [--port N]\n"
    "  fedns version\n";

int usage_error(const std::string& message) {
  std::cerr << "fedns: " << message << "\n" << kUsage;
  return 2;
}

int check_config(const std::string& path) {
  auto config = load_config(path);
  if (config) {
    auto snapshot = build_snapshot(*config);  // zone contents are part of a valid config
    if (!snapshot) {
      std::cerr << snapshot.error().message << "\n";
      return 1;
    }
    // Manifest directories are data the server reads at run time; a typo there is as fatal to a user as one
    // in the config, so check-config reports it too.
    std::vector<std::string> manifest_errors;
    for (const auto& cluster : config->clusters) {
      if (cluster.manifests.empty()) continue;
      for (auto& e : sync::check_manifests(cluster.manifests))
        manifest_errors.push_back("cluster " + cluster.name + ": " + e);
    }
    if (!manifest_errors.empty()) {
      for (const auto& e : manifest_errors)
        std::cerr << e << "\n";
      return 1;
    }
    std::size_t records = 0;
    for (const auto& zone : (*snapshot)->zones.zones()) {
      for (const auto& node : zone.zone().nodes) {
        for (const auto& set : node.rrsets)
          records += set.rdatas.size();
      }
    }
    std::cout << path << ": ok, " << config->zones.size() << " zone(s), " << records << " record(s)\n";
    return 0;
  }
  std::cerr << config.error().message << "\n";
  return 1;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given");
  const std::string_view command = args[0];
  if (command == "version" || command == "--version") {
    std::cout << "fedns " << FEDNS_VERSION << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "check-config") {
    if (args.size() != 2) return usage_error("check-config takes exactly one FILE");
    return check_config(std::string(args[1]));
  }
  if (command == "explain") {
    ExplainArguments e;
    for (std::size_t i = 1; i < args.size(); ++i) {
      const auto arg = args[i];
      const bool has_value = i + 1 < args.size();
      if (arg == "--client" && has_value) {
        e.client = args[++i];
      } else if (arg == "--ecs" && has_value) {
        const std::string value(args[++i]);
        if (value.empty() || value.size() > 3 || value.find_first_not_of("0123456789") != std::string::npos)
          return usage_error("--ecs takes a prefix length such as 24");
        e.ecs_prefix = std::stoi(value);
      } else if (arg == "--type" && has_value) {
        e.type = args[++i];
        if (e.type != "A" && e.type != "AAAA") return usage_error("--type is A or AAAA");
      } else if (arg == "--server" && has_value) {
        e.server = args[++i];
      } else if (arg == "--config" && has_value) {
        e.config = args[++i];
      } else if (!arg.starts_with("-") && e.name.empty()) {
        e.name = arg;
      } else {
        return usage_error("unexpected argument \"" + std::string(arg) + "\"");
      }
    }
    if (e.name.empty() || e.client.empty()) return usage_error("explain needs NAME and --client IP");
    return explain_command(e);
  }
  if (command == "check-delegation") {
    CheckDelegationArguments d;
    for (std::size_t i = 1; i < args.size(); ++i) {
      const auto arg = args[i];
      const bool has_value = i + 1 < args.size();
      if (arg == "--parent" && has_value) {
        d.parent = args[++i];
      } else if (arg == "--server" && has_value) {
        d.server = args[++i];
      } else if (arg == "--config" && has_value) {
        d.config = args[++i];
      } else if (arg == "--port" && has_value) {
        const std::string value(args[++i]);
        if (value.empty() || value.size() > 5 || value.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(value) < 1 || std::stoi(value) > 65535)
          return usage_error("--port takes a port number such as 53");
        d.port = static_cast<std::uint16_t>(std::stoi(value));
      } else if (!arg.starts_with("-") && d.zone.empty()) {
        d.zone = arg;
      } else {
        return usage_error("unexpected argument \"" + std::string(arg) + "\"");
      }
    }
    if (d.zone.empty() || d.parent.empty())
      return usage_error("check-delegation needs ZONE and --parent SERVER");
    return check_delegation_command(d);
  }
  if (command == "serve") {
    ServeOptions options;
    for (std::size_t i = 1; i < args.size(); ++i) {
      const auto arg = args[i];
      const bool has_value = i + 1 < args.size();
      if (arg == "--config" && has_value) {
        options.config_path = args[++i];
      } else if (arg == "--listen" && has_value) {
        auto address = dns::parse_listen_address(args[++i]);
        if (!address) return usage_error(address.error().message);
        options.listen_override.push_back(*address);
      } else if (arg == "--log-format" && has_value) {
        const auto format = args[++i];
        if (format == "text") {
          log::set_format(log::Format::kText);
        } else if (format == "logfmt") {
          log::set_format(log::Format::kLogfmt);
        } else if (format == "json") {
          log::set_format(log::Format::kJson);
        } else {
          return usage_error("unknown log format \"" + std::string(format) + "\" (text, logfmt or json)");
        }
      } else if (arg == "--log-level" && has_value) {
        const auto level = args[++i];
        if (level == "debug") {
          log::set_level(log::Level::kDebug);
        } else if (level == "info") {
          log::set_level(log::Level::kInfo);
        } else if (level == "warn") {
          log::set_level(log::Level::kWarn);
        } else if (level == "error") {
          log::set_level(log::Level::kError);
        } else {
          return usage_error("unknown log level \"" + std::string(level) + "\"");
        }
      } else {
        return usage_error("unexpected argument \"" + std::string(arg) + "\"");
      }
    }
    if (options.config_path.empty()) return usage_error("serve needs --config FILE");
    return serve(options);
  }
  return usage_error("unknown command \"" + std::string(command) + "\"");
}

}  // namespace fedns::app
