// Repair of proposed partitions with a Gecode constraint model (SPEC §5), random valid
// sampling and exact max-load optimisation on the same model.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/rng.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::actors {

/// How a repair ended. The values are run-file codes (the /rollouts repair_status column):
/// append new ones, never renumber (files written before kNotFound existed use 0..3).
enum class RepairStatus {
  kUnchanged,        ///< the proposal was valid
  kOptimal,          ///< a valid partition with proven minimal weighted change
  kBestWithinLimit,  ///< the best valid partition found before the limit, not proven minimal
  kInfeasible,       ///< proved: no valid partition exists (a necessary check or the search)
  kNotFound,         ///< no valid partition found within the limit; feasibility is unknown
};

/// Status names, indexed by RepairStatus: what run files, reports and benches print.
inline constexpr std::string_view kRepairStatusNames[] = {
    "unchanged", "optimal", "best_within_limit", "infeasible", "not_found"};
inline constexpr int kNumRepairStatuses = static_cast<int>(std::size(kRepairStatusNames));
static_assert(kNumRepairStatuses == static_cast<int>(RepairStatus::kNotFound) + 1,
              "kRepairStatusNames has one name per RepairStatus");

/// The name of `s` ("unchanged", ...); "?" for a value outside the enum.
const char* RepairStatusName(RepairStatus s);
/// The status called `name`, if there is one.
std::optional<RepairStatus> RepairStatusFromName(std::string_view name);
/// Whether a repair with status `s` returned a valid partition.
constexpr bool HasPartition(RepairStatus s) {
  return s != RepairStatus::kInfeasible && s != RepairStatus::kNotFound;
}

struct RepairOptions {
  double time_limit_ms = 100.0;  ///< wall-clock budget per repair
  /// When > 0, search failures bound each search phase instead of the clock (branch and bound
  /// from scratch stops after fail_limit / 2 of them, random restarts after fail_limit, each
  /// neighbourhood round after fail_limit / lns_rounds), and time_limit_ms is not used: a
  /// repair's result then depends only on its inputs, never on machine speed or load.
  int64_t fail_limit = 0;
  /// Stop improving once this many search failures pass without a better partition (the
  /// result is then kBestWithinLimit); 0 = search until optimal or the time limit.
  int64_t stall_fails = 500;
  /// Large-neighbourhood rounds after the branch and bound stops at the limit: each re-solves a
  /// random tenth of the nodes with the rest fixed to the incumbent (0 = off).
  int lns_rounds = 0;
  /// The order of the constructive projection's decisions (BuildUnitSchedule).
  common::DecisionOrder order = common::DecisionOrder::kLate;
};

/// The options a run's config sets: actor.repair_time_limit_ms and actor.repair_fail_limit.
RepairOptions RepairOptionsFromConfig(const common::Config& config);

struct RepairResult {
  RepairStatus status = RepairStatus::kNotFound;
  common::Partition partition;   ///< valid when HasPartition(status)
  int changed_nodes = 0;         ///< nodes whose chip differs from the proposal
  double weighted_change = 0.0;  ///< Σ w_v·[p_v ≠ q_v]
  double solve_ms = 0.0;
  std::string message;  ///< cause when !HasPartition(status)
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

  /// Returns a valid p minimising Σ w_v·[p_v ≠ q_v] (w = 1 when `weights` is empty): the
  /// constructive projection of the proposal (Sequencer rules, nearest chip) as incumbent when
  /// it is valid, improved by branch and bound; without one, branch and bound from scratch and
  /// then random restarts.
  RepairResult Repair(const common::Partition& proposal, const std::vector<double>& weights = {});

  /// The constructive projection of `proposal`: units in UnitSchedule order, each on the chip
  /// the Sequencer allows that is nearest to its representative node's proposed chip (ties
  /// towards the mean proposed chip of the unit's nodes, then the lower). Not always valid
  /// (SRAM buffers, dead ends); no Gecode.
  common::Partition Project(const common::Partition& proposal);

  /// A random valid partition: a random in-order split (the UnitSchedule order cut at K − 1
  /// uniform points, run i on chip i) through Project, up to 4 draws; when none is valid, a
  /// uniformly-branched Gecode search (random value order with restarts); kInfeasible when
  /// that search is exhausted, kNotFound at the limit.
  RepairResult SampleValid(common::Rng& rng);

  /// Every partition the constraint model admits, in search order, at most `limit` of them
  /// (cross-checks against hw::CheckPartition on tiny graphs).
  std::vector<common::Partition> EnumerateValid(int64_t limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcmpart::actors
