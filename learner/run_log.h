// The HDF5 run file (SPEC §8): one file per run, appended while the run goes, readable live.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "actors/record.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"

namespace mcmpart::learner {

/// Version of the run-file layout, stored as the root attribute `schema_version`; bumped on any
/// incompatible change (readers refuse newer versions). 2: /learner lost the never-set columns
/// queue_depth and log_ms; /rollouts and /learner carry a `columns` attribute. RunReader also
/// reads version 1.
inline constexpr int kRunSchemaVersion = 2;

/// Run-level metadata written once to /meta.
struct RunMeta {
  std::string config_text;    ///< the effective config, as TOML
  std::string hardware_text;  ///< the run's hardware config (--hw), as TOML
  std::vector<std::string> graph_names;
  /// Hardware of each graph (a corpus entry GRAPH@HW, else --hw), as TOML, indexed like
  /// graph_names; RunLog::Create fills an empty list with hardware_text.
  std::vector<std::string> graph_hardware_texts;
  uint64_t seed = 0;
  int ranks = 1;
  std::string git_revision;
  std::string start_time;  ///< ISO 8601
  std::string command_line;
  std::string evaluator;
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
  double reward_mean = 0, best_throughput = 0;
  double update_ms = 0, broadcast_ms = 0, idle_ms = 0;
  double heldout_reward = 0;  ///< mean greedy reward on held-out graphs (0 = not evaluated)
  double sil_loss = 0;        ///< self-imitation loss of the update (0 = off)
  int64_t dropped_stale = 0;  ///< records dropped for policy lag so far
  int32_t epochs_run = 0;
};

/// Every field of LearnerRow, once, in the run file's column order (SPEC §8 /learner).
inline constexpr auto kLearnerRowFields =
    std::make_tuple(actors::MakeField<LearnerRow>("update", &LearnerRow::update),
                    actors::MakeField<LearnerRow>("samples_seen", &LearnerRow::samples_seen),
                    actors::MakeField<LearnerRow>("wall_time_s", &LearnerRow::wall_time_s),
                    actors::MakeField<LearnerRow>("policy_version", &LearnerRow::policy_version),
                    actors::MakeField<LearnerRow>("policy_loss", &LearnerRow::policy_loss),
                    actors::MakeField<LearnerRow>("value_loss", &LearnerRow::value_loss),
                    actors::MakeField<LearnerRow>("entropy", &LearnerRow::entropy),
                    actors::MakeField<LearnerRow>("approx_kl", &LearnerRow::approx_kl),
                    actors::MakeField<LearnerRow>("clip_fraction", &LearnerRow::clip_fraction),
                    actors::MakeField<LearnerRow>("grad_norm", &LearnerRow::grad_norm),
                    actors::MakeField<LearnerRow>("learning_rate", &LearnerRow::learning_rate),
                    actors::MakeField<LearnerRow>("lag_mean", &LearnerRow::lag_mean),
                    actors::MakeField<LearnerRow>("lag_max", &LearnerRow::lag_max),
                    actors::MakeField<LearnerRow>("reward_mean", &LearnerRow::reward_mean),
                    actors::MakeField<LearnerRow>("best_throughput", &LearnerRow::best_throughput),
                    actors::MakeField<LearnerRow>("update_ms", &LearnerRow::update_ms),
                    actors::MakeField<LearnerRow>("broadcast_ms", &LearnerRow::broadcast_ms),
                    actors::MakeField<LearnerRow>("idle_ms", &LearnerRow::idle_ms),
                    actors::MakeField<LearnerRow>("heldout_reward", &LearnerRow::heldout_reward),
                    actors::MakeField<LearnerRow>("sil_loss", &LearnerRow::sil_loss),
                    actors::MakeField<LearnerRow>("dropped_stale", &LearnerRow::dropped_stale),
                    actors::MakeField<LearnerRow>("epochs_run", &LearnerRow::epochs_run));

/// Behaviour cloning of one training graph's --imitate-from target before PPO.
struct ImitationSummary {
  int graph = 0;          ///< index into the run's graphs
  int decisions = 0;      ///< decisions of its decode (units; nodes for the independent decoder)
  int forced_steps = 0;   ///< decisions the decoder masks (policy::ImitationStats)
  double agreement = 0;   ///< share of decisions greedy decoding takes as the target does
  double throughput = 0;  ///< the target's, under the run's evaluator
  /// The chain expert's own split, repaired, under the same evaluator (0 when invalid): how
  /// good a teacher DAgger's expert is on this graph, beside `throughput`.
  double expert_throughput = 0;
};

/// Behaviour cloning before PPO as a whole (policy::ImitationStats at its end), written once
/// to /imitation.
struct ImitationLog {
  int steps = 0;                 ///< cloning steps run
  double loss = 0;               ///< final mean −log-probability per decision
  double step_ms = 0;            ///< mean time per cloning step
  int64_t dagger_decisions = 0;  ///< decisions of the policy's own decodes the expert labelled
  double dagger_agreement = 0;   ///< of those in the last DAgger round, the share it agreed on
  std::vector<ImitationSummary> targets;  ///< one per target

  /// Targets whose expert_throughput is at least `fraction` of their throughput (up to rounding).
  int ExpertReaches(double fraction) const {
    int n = 0;
    for (const ImitationSummary& t : targets) {
      n += t.expert_throughput >= fraction * t.throughput * (1 - 1e-9) ? 1 : 0;
    }
    return n;
  }
  /// "as good as the target on N of M target graphs, within 10% on K": what stderr and
  /// `report` say of the expert.
  std::string ExpertSummary() const {
    return "as good as the target on " + std::to_string(ExpertReaches(1.0)) + " of " +
           std::to_string(targets.size()) + " target graphs, within 10% on " +
           std::to_string(ExpertReaches(0.9));
  }
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

  /// Appends one /rollouts row: every field of kEpisodeRecordFields that the file stores.
  virtual common::Status AppendRollout(const actors::EpisodeRecord& row) = 0;
  virtual common::Status AppendLearner(const LearnerRow& row) = 0;
  /// The throughput of graph `graph`'s best partition in the file (0 when none yet): a record
  /// beating it goes to UpdateBest.
  virtual double best_throughput(int graph) const = 0;
  /// Records a new best partition for graph index `graph`.
  virtual common::Status UpdateBest(int graph, const common::Partition& partition,
                                    double throughput, int64_t step, double wall_time_s) = 0;
  /// Records behaviour cloning in /imitation (once, before PPO; target graph indices in range).
  virtual common::Status WriteImitation(const ImitationLog& imitation) = 0;
  /// Writes buffered rows and flushes the file (also called by the periodic timer).
  virtual common::Status Flush() = 0;
  /// Flushes and closes; further calls are errors.
  virtual common::Status Close() = 0;
  virtual int64_t num_rollouts() const = 0;
  virtual int64_t num_learner_rows() const = 0;
};

}  // namespace mcmpart::learner
