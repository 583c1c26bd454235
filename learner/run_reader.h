// Reads HDF5 run files (SPEC §8) into plain types, also while a job is still writing them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/record.h"
#include "common/partition.h"
#include "common/status.h"
#include "learner/run_log.h"

namespace mcmpart::learner {

/// /graphs/<name> of a run file.
struct RunGraph {
  std::string name;   ///< the graph's name as the run named it
  std::string group;  ///< its group name under /graphs and /best
  std::vector<std::string> node_names;
  std::vector<std::string> op_types;
  std::vector<std::pair<int, int>> edges;  ///< (src, dst)
};

/// /best/<name>: the best partition found so far for one graph.
struct RunBest {
  bool found = false;  ///< false until the run recorded one
  double throughput = 0;
  int64_t step = -1;
  double wall_time_s = 0;
  common::Partition partition;
};

/// What a run file holds, apart from its rows.
struct RunSummary {
  int schema_version = 0;
  RunMeta meta;
  std::vector<RunGraph> graphs;  ///< indexed like RunMeta::graph_names
  std::vector<RunBest> best;     ///< one per graph
  /// /imitation once written: behaviour cloning before PPO, its targets' graph indices into
  /// `graphs` (none when nothing was cloned, or the file predates /imitation).
  ImitationLog imitation;
  int64_t num_rollouts = 0;  ///< rows committed by the writer's last flush
  int64_t num_learner_rows = 0;
  bool closed = false;         ///< the writer closed the file cleanly (false: running or crashed)
  double last_flush_unix = 0;  ///< when the writer last flushed, seconds since the epoch
};

/// An open run file (schema version 1 or 2). Opens in SWMR read mode, so it reads files that a job
/// is writing or that a crashed job left behind; a snapshot as of Open (rows flushed later are not
/// seen).
class RunReader {
 public:
  /// Fails with a message naming the path when it is missing or not an mcmpart run file.
  static common::StatusOr<std::unique_ptr<RunReader>> Open(const std::string& path);
  virtual ~RunReader() = default;

  virtual const RunSummary& summary() const = 0;
  /// Rollout rows [begin, end), clamped to the committed rows: every field of
  /// actors::kEpisodeRecordFields the file stores (the others stay at their defaults). Without
  /// `with_partitions` the proposal and partition fields stay empty (much less to read).
  /// Partitions have the graph's node count; a row logged without a proposal reads back with an
  /// empty one.
  virtual common::StatusOr<std::vector<actors::EpisodeRecord>> ReadRollouts(
      int64_t begin, int64_t end, bool with_partitions) = 0;
  /// Learner rows [begin, end), clamped to the committed rows: every field of kLearnerRowFields.
  virtual common::StatusOr<std::vector<LearnerRow>> ReadLearner(int64_t begin, int64_t end) = 0;
};

}  // namespace mcmpart::learner
