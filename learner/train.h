// Distributed runs (SPEC §7): rank 0 learns and logs, ranks 1..N-1 act; and local searches.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/transport.h"
#include "common/config.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"
#include "learner/run_log.h"

namespace mcmpart::learner {

/// What a run needs besides its config; graphs must outlive the run.
struct TrainInputs {
  common::Config config;
  std::vector<const common::Graph*> graphs;   ///< one environment per graph (a corpus)
  std::vector<const common::Graph*> heldout;  ///< evaluated zero-shot, never trained on
  hw::Hardware hw;  ///< the run's hardware (--hw): that of every graph without its own
  /// Hardware of graphs[i] (a corpus entry `GRAPH@HW`); empty, or one per graph. Filled once
  /// before the run: environments keep references into it.
  std::vector<hw::Hardware> graph_hw;
  std::vector<hw::Hardware> heldout_hw;  ///< the same for heldout
  /// Per training graph: the partition to clone before PPO (--imitate-from; empty: none).
  std::vector<common::Partition> imitate;
  std::string command_line;
  std::string git_revision;
  std::string start_time;
  bool progress_to_stderr = false;  ///< keep stdout clean for --json
  bool resume = false;              ///< continue config.run.out from its checkpoint
  /// Set asynchronously (SIGTERM/SIGUSR1): stop, flush, checkpoint, return cleanly.
  const std::atomic<bool>* stop_requested = nullptr;

  /// The hardware graphs[i] runs on.
  const hw::Hardware& HwOf(size_t i) const { return graph_hw.empty() ? hw : graph_hw.at(i); }
  /// The hardware heldout[i] runs on.
  const hw::Hardware& HeldoutHwOf(size_t i) const {
    return heldout_hw.empty() ? hw : heldout_hw.at(i);
  }
};

/// Mean per-sample time split of the actors, in ms (SPEC §7 breakdown).
struct ActorTimes {
  double inference_ms = 0, repair_ms = 0, eval_ms = 0, message_ms = 0, wait_ms = 0;
  double total() const { return inference_ms + repair_ms + eval_ms + message_ms + wait_ms; }
};

/// Result of a run, known on rank 0 (actors return an empty summary).
struct TrainSummary {
  std::string strategy = "rl";
  int ranks = 0;
  int64_t evaluations = 0;        ///< total, including those before a resume
  int64_t start_evaluations = 0;  ///< evaluations already in the run file when this run began
  int64_t updates = 0;
  int64_t policy_version = 0;
  int64_t dropped_stale = 0;  ///< records older than max_policy_lag, not trained on
  double lag_mean = 0, lag_max = 0;
  double wall_s = 0;
  double samples_per_s = 0;
  double first_batch_best_throughput = 0;  ///< best of the first batch (initial policy)
  double best_throughput = 0;
  double best_reward = 0;
  int64_t best_step = -1;
  int best_graph = 0;
  common::Partition best_partition;
  double valid_fraction = 0;           ///< evaluations whose final partition is valid
  double proposal_valid_fraction = 0;  ///< evaluations whose proposal was already valid
  ActorTimes actor;                    ///< per-sample actor times
  double learner_update_s = 0, learner_broadcast_s = 0, learner_log_s = 0, learner_idle_s = 0;
  double broadcast_ms_mean = 0;
  double learner_max_rss_mb = 0;  ///< peak resident memory of the learner rank (0 elsewhere)
  double heldout_reward = -1;     ///< last mean greedy reward on the held-out graphs (-1 = none)
  bool interrupted = false;       ///< stopped by a signal
  std::string checkpoint;         ///< last checkpoint written, empty if none
  ImitationLog imitation;  ///< behaviour cloning before PPO; no targets when nothing was cloned
};

/// Trains the policy with PPO: rank 0 learns, the others act. Needs at least 2 ranks.
/// Stops at the budget (evaluations), the time limit or a stop request; then stops the actors,
/// closes the run file and writes the checkpoint. Returns the summary on rank 0.
common::StatusOr<TrainSummary> RunTraining(const TrainInputs& inputs, actors::Transport& transport);

/// Runs a baseline strategy (actors::kStrategyNames but "rl") with the same
/// evaluation counting and run-file rows as training: in this process when `transport` is
/// null or has one rank, otherwise rank 0 logs and the other ranks search.
common::StatusOr<TrainSummary> RunSearch(const TrainInputs& inputs, const std::string& strategy,
                                         actors::Transport* transport);

/// Ok when `strategy` names a baseline RunSearch runs; the error lists them.
common::Status CheckSearchStrategy(const std::string& strategy);

/// Ok unless `graph` certainly cannot be partitioned on `hw` (actors::Repairer::CheckFeasible);
/// the error names both and the cause.
common::Status CheckPartitionable(const common::Graph& graph, const hw::Hardware& hw);

/// Reads the config a checkpoint was written with (TOML text), for --resume.
common::StatusOr<std::string> ReadCheckpointConfig(const std::string& path);

/// Default checkpoint path of a run: config.run.checkpoint, else <out>.ckpt, else empty.
std::string CheckpointPath(const common::Config& config);

}  // namespace mcmpart::learner
