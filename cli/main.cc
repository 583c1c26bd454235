// mcmpart: one executable, one subcommand per task (SPEC §9).
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* help;
};

// One line per subcommand.
const Command kCommands[] = {
    {"train", mcmpart::cli::RunTrain, "train the partitioning policy (actor-learner, MPI)"},
    {"search", mcmpart::cli::RunSearch, "baseline search strategies at an equal budget (random, anneal, dp, ...)"},
    {"import", mcmpart::cli::RunImport, "convert an ONNX / dnn-partitioning / JSON graph, report its size"},
    {"partition", mcmpart::cli::RunPartition, "partition a model: per-chip ONNX, drawings, trace, report"},
    {"simulate", mcmpart::cli::RunSimulate, "score one partition: throughput, latency, bottleneck, trace"},
    {"report", mcmpart::cli::RunReport, "summarise a run file (.h5), also a running or crashed run"},
    {"eval", mcmpart::cli::RunEval, "zero-shot evaluation of a trained policy checkpoint"},
    {"bench", mcmpart::cli::RunBench, "speed benchmarks (simulate, repair, policy)"},
};

void PrintUsage(std::ostream& os) {
  os << "usage: mcmpart <command> [options]   (mcmpart <command> --help for its options)\n\n"
     << "commands:\n";
  for (const Command& c : kCommands) os << "  " << c.name << std::string(12 - std::strlen(c.name), ' ') << c.help << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    PrintUsage(std::cout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) {
      std::string prog = std::string("mcmpart ") + c.name;
      argv[1] = prog.data();
      return c.run(argc - 1, argv + 1);
    }
  }
  std::cerr << "mcmpart: error: unknown command '" << name << "' (see mcmpart --help)\n";
  return 2;
}
