// Shared set-up of `train` and `search`: every input validated before MPI starts.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "common/graph.h"
#include "hw/hardware.h"
#include "learner/train.h"

namespace mcmpart::cli {

/// Loaded inputs of a run; owns the graphs TrainInputs points at.
struct RunSetup {
  std::vector<std::unique_ptr<common::Graph>> graphs;  ///< training graphs, then held-out ones
  learner::TrainInputs inputs;
};

/// Adds --force and --resume to `options`.
void AddRunOptions(cxxopts::Options& options);

/// Loads the graphs (`--graph a+b+c` is a corpus), the hardware, checks K against the policy
/// (`uses_policy`: train; a search takes any K the hardware has),
/// feasibility of every graph (with the cause), the --out path (refusing to overwrite without
/// --force) and, for --resume RUN.h5, takes the run's config from its checkpoint with the flags
/// given here on top. Errors name what and where.
common::StatusOr<std::unique_ptr<RunSetup>> PrepareRun(const ParsedCommand& parsed,
                                                       const common::Config& config, int argc,
                                                       char** argv, bool check_out_path,
                                                       bool uses_policy);

/// The hardware of a run on `graph`: config->run.hw, except that a graph naming its own
/// hardware (a dnn-partitioning file) without --hw gets `from-graph`, said in one line on
/// stderr (on the launcher's rank 0) and recorded in config->run.hw.
common::StatusOr<hw::Hardware> LoadRunHardware(const ParsedCommand& parsed,
                                               const common::Graph& graph, common::Config* config);

/// Installs SIGTERM/SIGUSR1/SIGINT handlers that request a clean stop; returns the flag.
const std::atomic<bool>* InstallStopHandlers();

/// Rank 0 as the launcher announces it before MPI starts (true without a launcher).
bool IsLauncherRankZero();

/// Reports a run that failed after MPI started (an exec: evaluator that broke on an actor):
/// the message, prefixed with the rank on actor ranks; returns kExitBadInput.
int ReportRunFailure(const std::string& command, int rank, const common::Status& status);

/// Prints the run summary: human text, or one JSON object with --json.
void PrintRunSummary(const learner::TrainSummary& s, const learner::TrainInputs& in, bool json);

/// Behaviour cloning before PPO as JSON (train's summary and `report` both print it), each
/// target named by `graph` and `hardware` of its graph index; null when nothing was cloned.
nlohmann::json ImitationLogJson(const learner::ImitationLog& im,
                                const std::function<std::string(int)>& graph,
                                const std::function<std::string(int)>& hardware);

}  // namespace mcmpart::cli
