// Repair of proposed partitions with a Gecode constraint model (SPEC §5), random valid
// sampling and exact max-load optimisation on the same model.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/rng.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::actors {

enum class RepairStatus {
  kUnchanged,        ///< the proposal was valid
  kOptimal,          ///< a valid partition with proven minimal weighted change
  kBestWithinLimit,  ///< the best valid partition found before the time limit
  kInfeasible,       ///< no valid partition exists (or none was found within the limit)
};
const char* RepairStatusName(RepairStatus s);

struct RepairOptions {
  double time_limit_ms = 100.0;  ///< wall-clock budget per repair
  /// Stop improving once this many search failures pass without a better partition (the
  /// result is then kBestWithinLimit); 0 = search until optimal or the time limit.
  int64_t stall_fails = 500;
};

struct RepairResult {
  RepairStatus status = RepairStatus::kInfeasible;
  common::Partition partition;   ///< valid unless kInfeasible
  int changed_nodes = 0;         ///< nodes whose chip differs from the proposal
  double weighted_change = 0.0;  ///< Σ w_v·[p_v ≠ q_v]
  double solve_ms = 0.0;
  std::string message;  ///< cause when kInfeasible
};

/// Repairs proposals for one (graph, hardware) pair. Construction precomputes the model's
/// static parts. Not thread-safe: one instance per thread.
class Repairer {
 public:
  Repairer(const common::Graph& graph, const hw::Hardware& hw, RepairOptions options = {});
  ~Repairer();
  Repairer(const Repairer&) = delete;
  Repairer& operator=(const Repairer&) = delete;

  /// Quick necessary-condition checks (total weights vs K·S, an op or colocation group above
  /// S, pins out of range or conflicting, …). An error names the cause.
  common::Status CheckFeasible() const;

  /// Returns a valid p minimising Σ w_v·[p_v ≠ q_v] (w = 1 when `weights` is empty).
  RepairResult Repair(const common::Partition& proposal, const std::vector<double>& weights = {});

  /// A uniformly-branched random valid partition (random value order with restarts), or
  /// kInfeasible.
  RepairResult SampleValid(common::Rng& rng);

  /// Every partition the constraint model admits, in search order, at most `limit` of them
  /// (cross-checks against hw::CheckPartition on tiny graphs).
  std::vector<common::Partition> EnumerateValid(int64_t limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcmpart::actors
