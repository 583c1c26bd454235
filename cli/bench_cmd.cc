// `mcmpart bench <what>`: speed benchmarks, measured side by side in one run.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.h"

namespace mcmpart::cli {
namespace {

struct Bench {
  const char* name;
  int (*run)(int, char**);
  const char* help;
};

// One line per benchmark.
const Bench kBenches[] = {
    {"simulate", RunBenchSimulate, "evaluations/s of the cycle simulator and maxload"},
    {"policy", RunBenchPolicy, "policy inference ms per sample and PPO update ms per batch"},
    {"learner", RunBenchLearner, "samples/s the learner consumes: decode, batch, PPO update"},
    {"repair", RunBenchRepair, "repair time p50/p99 on random and near-valid proposals"},
    {"import", RunBenchImport, "graph import time (median of runs), nodes and edges"},
    {"scale", RunBenchScale, "how each per-sample cost and DP's time grow with nodes and K"},
};

void Usage(std::ostream& os) {
  os << "usage: mcmpart bench <what> [options]\n\nbenchmarks:\n";
  for (const Bench& b : kBenches) {
    if (b.run) os << "  " << b.name << std::string(12 - std::strlen(b.name), ' ') << b.help << "\n";
  }
}

}  // namespace

int RunBench(int argc, char** argv) {
  if (argc < 2) {
    Usage(std::cerr);
    return 2;
  }
  const std::string what = argv[1];
  if (what == "-h" || what == "--help") {
    Usage(std::cout);
    return 0;
  }
  for (const Bench& b : kBenches) {
    if (b.run && what == b.name) {
      std::string prog = std::string("mcmpart bench ") + b.name;
      argv[1] = prog.data();
      return b.run(argc - 1, argv + 1);
    }
  }
  std::cerr << "mcmpart bench: error: unknown benchmark '" << what << "'\n";
  Usage(std::cerr);
  return 2;
}

}  // namespace mcmpart::cli
