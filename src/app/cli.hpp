// The fedns command line: serve, check-config, version.
#pragma once

namespace fedns::app {

int run_cli(int argc, char** argv);

}  // namespace fedns::app
