// `mcmpart train`: placeholder until the driver lands.
#include <iostream>

#include "cli/cli_util.h"
#include "cli/commands.h"

namespace mcmpart::cli {

int RunTrain(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart train", "Train the partitioning policy.");
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("train", parsed.status());
  if (parsed->help) return kExitOk;
  return ReportBadInput("train", common::Status::Error("not implemented yet"));
}

}  // namespace mcmpart::cli
