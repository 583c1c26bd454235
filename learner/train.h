// The distributed training run (SPEC §7): rank 0 learns, ranks 1..N-1 act.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/transport.h"
#include "common/config.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::learner {

/// What a run needs besides its config; graphs and hw must outlive the run.
struct TrainInputs {
  common::Config config;
  std::vector<const common::Graph*> graphs;
  hw::Hardware hw;
  std::string command_line;
  std::string git_revision;
  std::string start_time;
  bool progress_to_stderr = false;  ///< keep stdout clean for --json
};

/// Result of a run, known on rank 0 (actors return an empty summary).
struct TrainSummary {
  int ranks = 0;
  int64_t evaluations = 0;
  int64_t updates = 0;
  int64_t policy_version = 0;
  int64_t dropped_stale = 0;  ///< records older than max_policy_lag, not trained on
  double wall_s = 0;
  double samples_per_s = 0;
  double first_batch_best_throughput = 0;  ///< best of the first batch (initial random policy)
  double best_throughput = 0;
  double best_reward = 0;
  int64_t best_step = -1;
  common::Partition best_partition;
  double valid_fraction = 0;           ///< evaluations whose repaired partition is valid
  double proposal_valid_fraction = 0;  ///< evaluations whose proposal was already valid
  double mean_repair_ms = 0, mean_eval_ms = 0, mean_inference_ms = 0;
};

/// Runs this rank's role until the budget (evaluations) or time limit is reached; needs at
/// least 2 ranks. On rank 0 returns the summary; every rank returns after a clean shutdown.
common::StatusOr<TrainSummary> RunTraining(const TrainInputs& inputs, actors::Transport& transport);

}  // namespace mcmpart::learner
