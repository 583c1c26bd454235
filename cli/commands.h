// Subcommand entry points of the mcmpart executable; each returns the process exit code.
#pragma once

namespace mcmpart::cli {

/// Each takes argv with argv[0] = "mcmpart <command>".
int RunTrain(int argc, char** argv);

}  // namespace mcmpart::cli
