// Shared CLI plumbing: config flags, --help, error reporting with exit code 2.
#pragma once

#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "common/config.h"
#include "common/status.h"

namespace mcmpart::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  ///< a run that started but failed (I/O error mid-run)
constexpr int kExitBadInput = 2;  ///< bad input of any kind: one message, nothing written

/// Prints "mcmpart <command>: error: <message>" to stderr and returns kExitBadInput.
int ReportBadInput(const std::string& command, const common::Status& status);

/// Result of ParseCommand.
struct ParsedCommand {
  bool help = false;      ///< --help was given and printed: exit 0
  bool json = false;      ///< --json: print the summary as one JSON object
  bool hw_given = false;  ///< --hw or the config file chose the hardware
  std::vector<std::string> positional;
  cxxopts::ParseResult result;
};

/// Adds --config, --json, --help and one flag per config field (common::ConfigFields, help
/// with its default and allowed values) to `options`; parses argv; applies --config FILE first,
/// then the flags given; validates. Unknown flags, bad values and bad config files are errors
/// naming the flag/file.
common::StatusOr<ParsedCommand> ParseCommand(cxxopts::Options& options, int argc, char** argv,
                                             common::Config* config,
                                             const std::string& positional_name = "");

/// Sets the config fields whose flags `result` holds; errors name the flag and the field.
common::Status ApplyConfigFlags(const cxxopts::ParseResult& result, common::Config* config);

/// Adds --temperature T1,T2,...: the sampling temperatures a policy's best-of-N decodings are
/// split over (learner::EvalOptions::temperatures); default 1.
void AddTemperatureOption(cxxopts::Options& options);
/// The --temperature list of `result`, each checked to lie in 0.01..100.
common::StatusOr<std::vector<double>> ParseTemperatures(const cxxopts::ParseResult& result);

/// cxxopts splits positional values at commas ("synth:chain:seed=3,nodes=120"): the number of
/// positional words on the command line, so that the pieces can be joined back. `switches` are
/// the flags that take no value.
int CountPositionalWords(int argc, char** argv, const std::vector<std::string>& switches);

/// The positional pieces cxxopts split at commas, joined back into one value.
std::string JoinPositional(const std::vector<std::string>& pieces);

/// The command line as one string (for run files).
std::string JoinArgs(int argc, char** argv);
/// ISO 8601 local time now.
std::string NowIso8601();
/// Git revision the binary was built from.
const char* GitRevision();

}  // namespace mcmpart::cli
