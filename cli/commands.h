// Subcommand entry points of the mcmpart executable; each returns the process exit code.
#pragma once

namespace mcmpart::cli {

/// Each takes argv with argv[0] = "mcmpart <command>".
int RunTrain(int argc, char** argv);
int RunSimulate(int argc, char** argv);
int RunImport(int argc, char** argv);
int RunReport(int argc, char** argv);
int RunSearch(int argc, char** argv);
int RunEval(int argc, char** argv);
int RunBench(int argc, char** argv);
int RunPartition(int argc, char** argv);

/// `mcmpart bench <what>`: argv[0] = "mcmpart bench <what>".
int RunBenchSimulate(int argc, char** argv);
int RunBenchRepair(int argc, char** argv);
int RunBenchPolicy(int argc, char** argv);
int RunBenchLearner(int argc, char** argv);
int RunBenchImport(int argc, char** argv);
int RunBenchScale(int argc, char** argv);

}  // namespace mcmpart::cli
