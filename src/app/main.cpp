// fedns entry point: everything else lives in the libraries.
#include "app/cli.hpp"

int main(int argc, char** argv) {
  return fedns::app::run_cli(argc, argv);
}
