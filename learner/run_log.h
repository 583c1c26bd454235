// The HDF5 run file (SPEC §8): one file per run, appended while the run goes, readable live.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"

namespace mcmpart::learner {

/// Version of the run-file layout, stored as the root attribute `schema_version`; bumped on any
/// incompatible change (readers refuse newer versions).
inline constexpr int kRunSchemaVersion = 1;

/// Run-level metadata written once to /meta.
struct RunMeta {
  std::string config_text;    ///< the effective config, as TOML
  std::string hardware_text;  ///< hardware config, as TOML
  std::vector<std::string> graph_names;
  uint64_t seed = 0;
  int ranks = 1;
  std::string git_revision;
  std::string start_time;  ///< ISO 8601
  std::string command_line;
  std::string evaluator;
};

/// One evaluated partition (SPEC §8 /rollouts).
struct RolloutRow {
  int64_t step = 0;          ///< global evaluation index, 0-based
  double wall_time_s = 0;    ///< since run start
  int32_t rank = 0;
  int32_t graph = 0;         ///< index into RunMeta::graph_names
  int64_t policy_version = 0;
  int32_t policy_lag = 0;    ///< learner version at arrival − policy_version
  std::string strategy;      ///< rl, random, anneal, dp, greedy, exact
  double reward = 0;
  double throughput = 0;     ///< samples/s of the final partition (0 when invalid)
  double latency_s = 0;
  bool valid = false;        ///< final partition valid
  bool proposal_valid = false;
  int32_t repair_status = 0;  ///< actors::RepairStatus as int
  int32_t changed_nodes = 0;
  double repair_ms = 0, eval_ms = 0, inference_ms = 0;
  double message_ms = 0;  ///< actor time sending, per record of its message
  double wait_ms = 0;     ///< actor time blocked on the learner (credits, weights), per record
  common::Partition proposal;
  common::Partition partition;
};

/// One learner update (SPEC §8 /learner).
struct LearnerRow {
  int64_t update = 0;
  int64_t samples_seen = 0;
  double wall_time_s = 0;
  int64_t policy_version = 0;
  double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0;
  double grad_norm = 0, learning_rate = 0;
  double lag_mean = 0, lag_max = 0;
  double queue_depth = 0;
  double reward_mean = 0, best_throughput = 0;
  double update_ms = 0, broadcast_ms = 0, log_ms = 0, idle_ms = 0;
  double heldout_reward = 0;   ///< mean greedy reward on held-out graphs (0 = not evaluated)
  double sil_loss = 0;         ///< self-imitation loss of the update (0 = off)
  int64_t dropped_stale = 0;   ///< records dropped for policy lag so far
  int32_t epochs_run = 0;
};

struct RunLogOptions {
  /// Rows reach the disk at least this often, by a background thread of the RunLog (it is the
  /// only other HDF5 caller: keep other HDF5 use, e.g. a RunReader, out of a process while a
  /// RunLog is open). <= 0: flush after every append, no thread.
  double flush_interval_s = 5.0;
  int chunk_rows = 256;
  int compression = 4;  ///< deflate level, 0 = off
};

/// Writes one run file. Created atomically: the file appears under `path` only once /meta and
/// /graphs are complete; rows are appended to chunked, compressed, extendible datasets and
/// flushed periodically in SWMR mode so h5py can read a running job.
/// Not thread-safe: owned and called by one thread (the learner's).
class RunLog {
 public:
  /// Fails (with the path in the message) when the file cannot be created.
  static common::StatusOr<std::unique_ptr<RunLog>> Create(
      const std::string& path, const RunMeta& meta, const std::vector<const common::Graph*>& graphs,
      const RunLogOptions& options = {});
  /// Reopens a file written by Create (cleanly closed or crashed) to append after its last
  /// flushed row; used by `--resume`. Fails naming the path when it is not a run file. The caller
  /// guarantees that no other process is writing the file: the "open for writing" marks a killed
  /// writer leaves behind are cleared.
  static common::StatusOr<std::unique_ptr<RunLog>> OpenForAppend(const std::string& path,
                                                                 const RunLogOptions& options = {});
  virtual ~RunLog() = default;

  virtual common::Status AppendRollout(const RolloutRow& row) = 0;
  virtual common::Status AppendLearner(const LearnerRow& row) = 0;
  /// Records a new best partition for graph index `graph`.
  virtual common::Status UpdateBest(int graph, const common::Partition& partition,
                                    double throughput, int64_t step, double wall_time_s) = 0;
  /// Writes buffered rows and flushes the file (also called by the periodic timer).
  virtual common::Status Flush() = 0;
  /// Flushes and closes; further calls are errors.
  virtual common::Status Close() = 0;
  virtual int64_t num_rollouts() const = 0;
  virtual int64_t num_learner_rows() const = 0;
};

}  // namespace mcmpart::learner
