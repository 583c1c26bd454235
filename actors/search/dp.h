// The contiguous-split dynamic program behind the "dp" strategy, exposed for tests and
// benchmarks.
#pragma once

#include <cstdint>
#include <string>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::actors::search {

struct DpOptions {
  /// Enumerate every ideal (downward-closed node set) when the graph has at most this many;
  /// otherwise fall back to prefixes of a topological order.
  int64_t max_ideals = 20000;
  /// Shrink the contracted graph first by the exact reductions (zero-compute sinks and sources
  /// join their only neighbour or, when they send and receive at zero cost, are set aside and
  /// placed after the DP). They keep the optimum; off only to cross-check them.
  bool reduce = true;
  /// Under a binding max_hop without pinned nodes, solve by bisection on the max-load with a
  /// fewest-stages DP over windows of stages (near-linear in the graph); off runs the pair-state
  /// DP over every stage and chip (quadratic memory, at most 3000 contracted nodes) to
  /// cross-check it.
  bool windowed_hop1 = true;
};

/// Which family of ideals the DP ran over.
enum class DpFamily {
  kAllIdeals,     ///< every ideal of the contracted graph: optimal over contiguous splits
  kPrefixes,      ///< prefixes of one topological order of the contracted graph
  kPrefixesHop1,  ///< prefixes, with (previous, current) stage boundaries as the DP state so
                  ///< that every edge spans at most one chip (binding max_hop)
};
const char* DpFamilyName(DpFamily f);

struct DpResult {
  common::Partition partition;  ///< valid under every enabled constraint
  double max_load_s = 0.0;      ///< hw::MakeMaxLoadEvaluator's time per sample of `partition`
  DpFamily family = DpFamily::kAllIdeals;
  int64_t family_size = 0;  ///< ideals (or prefixes) of the reduced graph the DP ran over
  int reduced_nodes = 0;    ///< super nodes the reductions merged into a neighbour or set aside
  int chips_used = 0;
  /// True when no contiguous split (chip order = pipeline order, SPEC `acyclic`) that
  /// satisfies the enabled constraints has a smaller max-load: family kAllIdeals and max_hop
  /// off or not binding (H ≥ K−1).
  bool optimal_contiguous = false;
  double solve_ms = 0.0;
};

/// Minimises the `maxload` objective over contiguous splits with the dynamic program over
/// ideals of Tarnawski et al. (NeurIPS 2020, §4): f(k, I) = min over ideals I' ⊊ I of
/// max(f(k−1, I'), load(I \ I')), where a stage's load and SRAM depend only on its node set.
/// Nodes that must share a chip (colocation groups, and cycles they create under `acyclic`)
/// are contracted first, then (DpOptions::reduce) zero-compute sinks and sources whose place
/// cannot raise any load are merged into their only neighbour or set aside; this keeps the
/// optimum and shrinks e.g. the 3.3 million ideals of dnn-partitioning's GNMT layer graph to
/// 100 (conditions and proof at Reduce in dp.cc). Stages respect sram (hw::ComputeSramUse
/// semantics), pin and colocate; no_skip holds because stages are non-empty and fill chips
/// 0..m−1. A binding max_hop (H < K−1) switches to family kPrefixesHop1, which enforces H = 1
/// (stricter than needed for H ≥ 2). Errors: no contiguous split in the family satisfies the
/// constraints.
common::StatusOr<DpResult> DpMaxLoad(const common::Graph& graph, const hw::Hardware& hw,
                                     const DpOptions& options = {});

}  // namespace mcmpart::actors::search
