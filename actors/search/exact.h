// Exact minimisation of the `maxload` objective by branch and bound on the repair model, for
// small graphs: optima to measure every search strategy against (SPEC §5).
#pragma once

#include <cstdint>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::actors::search {

struct ExactOptions {
  double time_limit_ms = 10000.0;  ///< wall-clock budget; the best partition so far is kept
};

struct ExactResult {
  common::Partition partition;  ///< a valid partition with the smallest max-load found
  double max_load_s = 0.0;      ///< hw::MakeMaxLoadEvaluator's time per sample of `partition`
  /// True when the search completed: no valid partition has a smaller max-load (up to the
  /// model's integer resolution, about 1e-9 of the largest possible load).
  bool proven_optimal = false;
  int64_t nodes_explored = 0;  ///< Gecode search nodes
  double solve_ms = 0.0;
};

/// Minimises the max-load (compute + transfers sent and received per chip, as hw/maxload.cc)
/// over valid partitions with Gecode's branch and bound. Errors: the instance is infeasible
/// (the cause from DiagnoseInfeasible, or an exhausted search) or no valid partition was found
/// within the time limit.
common::StatusOr<ExactResult> ExactMaxLoad(const common::Graph& graph, const hw::Hardware& hw,
                                           const ExactOptions& options = {});

}  // namespace mcmpart::actors::search
