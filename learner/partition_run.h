// `mcmpart partition`'s search: the strategies in turn within one time limit, best kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::learner {

/// How one strategy did.
struct StrategyOutcome {
  std::string name;
  double throughput = 0;  ///< best valid throughput it found (0 when none)
  double seconds = 0;     ///< wall time it ran, including its own set-up (the DP solve)
  int64_t evaluations = 0;
  bool valid = false;           ///< it found a valid partition
  std::string note;             ///< why it found none, or how it was started
  common::Partition partition;  ///< its best valid partition (empty when none)
};

/// Where the search stands, for a progress display.
struct PartitionProgress {
  double elapsed_s = 0;
  double limit_s = 0;         ///< 0: no time limit
  int64_t anneal_budget = 0;  ///< PartitionSearchOptions::anneal_budget
  std::string strategy;  ///< the one running
  double best_throughput = 0;
  int64_t evaluations = 0;
  int64_t strategy_evaluations = 0;  ///< those of the running strategy
};

struct PartitionSearchOptions {
  double time_limit_s = 60;  ///< for all strategies together; 0: none (needs anneal_budget)
  /// > 0: annealing runs this many evaluations (its temperature schedule), not what the time
  /// left allows, and there is no timing run: with config.actor.repair_fail_limit the search
  /// then repeats exactly on any machine. A time limit, if also given, still ends it early.
  int64_t anneal_budget = 0;
  uint64_t seed = 1;
  /// Called after every round of evaluations (and when a strategy starts); may be empty.
  std::function<void(const PartitionProgress&)> progress;
  /// Set asynchronously (SIGINT/SIGTERM): end the search now and keep what was found.
  const std::atomic<bool>* stop_requested = nullptr;
  /// A trained policy (e.g. the shipped pre-trained one) and its network shape: its greedy and
  /// best of `policy_samples` sampled decodings join as strategy "policy". Empty: no policy,
  /// and `policy_note` says why.
  std::string policy_checkpoint;
  common::PolicyConfig policy;
  int policy_samples = 64;
  std::vector<double> policy_temperatures = {1.0};  ///< EvalOptions::temperatures
  std::string policy_note = "no pre-trained policy available";
};

struct PartitionSearchResult {
  std::vector<StrategyOutcome> strategies;  ///< in the order they ran
  int best = -1;                            ///< index of the best valid one (ties: earliest)
  /// Why the learned policy did not run (empty when it did).
  std::string policy_note;
  bool interrupted = false;  ///< stopped by options.stop_requested before the time limit
};

/// How the search is bounded, for messages and reports: "60 s", "an annealing budget of 500
/// evaluations" or both.
std::string SearchLimitText(double time_limit_s, int64_t anneal_budget);

/// Runs the DP over contiguous splits (Tarnawski et al., NeurIPS 2020), then the policy of
/// options.policy_checkpoint when given (zero-shot: greedy and sampled decodings), then
/// simulated annealing with its chains started from the best of those partitions, every
/// partition repaired and scored by config.run.evaluator through one actors::Environment;
/// keeps each strategy's best valid partition. Annealing runs options.anneal_budget
/// evaluations when > 0; otherwise for the rest of `time_limit_s`, its budget (temperature
/// schedule) the time left times the evaluations per second of a short first annealing run (1 s
/// or 5% of the time left), whose evaluations count too. A policy that cannot run (e.g. more
/// chips than it addresses) is a strategy without a valid partition and a note. Errors: the
/// environment cannot be built (e.g. an exec: evaluator that does not start), an evaluator that
/// fails mid-search, or no strategy found a valid partition.
common::StatusOr<PartitionSearchResult> RunPartitionSearch(const common::Graph& graph,
                                                           const hw::Hardware& hw,
                                                           const common::Config& config,
                                                           const PartitionSearchOptions& options);

}  // namespace mcmpart::learner
