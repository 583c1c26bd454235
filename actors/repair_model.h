// Internal: the Gecode constraint model of SPEC §2 shared by repair.cc and exact.cc. Included
// only by actors/repair*.cc and actors/search/exact.cc (keeps Gecode out of the public headers).
#pragma once

#include <chrono>
#include <cstdint>
#include <gecode/int.hh>
#include <gecode/minimodel.hh>
#include <gecode/search.hh>
#include <string>
#include <vector>

#include "common/graph.h"
#include "hw/hardware.h"

namespace mcmpart::actors::internal {

/// Per-chip load of SPEC §2's sram constraint and of the maxload objective, both of the form
/// load(c) = Σ base_v·[p_v = c] + Σ transfer_u·recv(u, c) + Σ transfer_u·sent(u, c)
///           + max over v on c of working_v,
/// where recv(u, c) = u is not on c but a consumer is (once per (u, c)) and sent(u, c) = u is
/// on c and a consumer is not: hw::CutTensors' rule, the terms of hw::ComputeSramUse and
/// hw/maxload.cc.
struct ChipLoadSpec {
  std::vector<int> base;
  std::vector<int> transfer;
  std::vector<int> working;  ///< empty = no working-set term
  /// Redundant global capacity: Σ base of nodes forced onto chips ≥ c is ≤ (K − c)·capacity and
  /// of nodes forced below c ≤ c·capacity (0 = off; only valid for a constant bound).
  int64_t global_capacity = 0;
  bool no_skip = false;  ///< also enforce no_skip (the used chips are 0..m−1)
};

/// Graph and hardware numbers as the model needs them, built once per (graph, hardware).
/// Byte quantities are divided by `sram_unit` to fit Gecode's 32-bit integers; when that is
/// not exact (sram_exact false) sizes are rounded up and S down, so the model stays sound.
struct ModelData {
  ModelData(const common::Graph& graph, const hw::Hardware& hw);

  const common::Graph& graph;
  const hw::Hardware& hw;
  int n = 0;
  int k = 0;
  std::vector<int> topo;               ///< nodes in topological order
  std::vector<std::vector<int>> succ;  ///< hw::TensorConsumers per node, sorted
  int64_t sram_unit = 1;
  bool sram_exact = true;
  std::vector<int> weight;    ///< weight bytes / unit
  std::vector<int> send;      ///< SendBytes / unit
  std::vector<int> working;   ///< OpWorkingSetBytes / unit
  int capacity = 0;           ///< S / unit
  ChipLoadSpec sram;          ///< the sram constraint's load (bound: capacity)
  ChipLoadSpec no_skip_only;  ///< no_skip alone, for when sram is off
};

/// Integer terms of the max-load objective (see exact.cc) and bounds on its value.
struct LoadTerms {
  ChipLoadSpec spec;
  int64_t lower_bound = 0;  ///< valid lower bound on the max load (Σ base / K)
  int64_t upper_bound = 0;  ///< bound on any chip's load
};

/// One Space for all uses: x[v] = chip of v under the enabled SPEC §2 constraints, plus an
/// optional objective (`cost`): weighted Hamming distance to a target, or the max load.
class PartitionSpace : public Gecode::IntMinimizeSpace {
 public:
  /// Posts the constraints. `load` non-null adds cost = max over chips of its load.
  PartitionSpace(const ModelData& data, const LoadTerms* load);
  PartitionSpace(PartitionSpace& other);
  Gecode::Space* copy() override;
  Gecode::IntVar cost() const override { return cost_; }

  /// cost = Σ w_v·[x_v ≠ target_v] (w already integers); `target` must outlive the search.
  void PostHamming(const std::vector<int>* target, const std::vector<int>& w);
  /// cost < `bound` (PostHamming first): only partitions better than an incumbent.
  void BoundCost(int64_t bound);
  /// x_v = p_v for every node with !free[v] (the neighbourhood of a large-neighbourhood step).
  void FixExcept(const std::vector<int>& p, const std::vector<bool>& free);
  /// Branching in topological order with the target's chip first, then the nearest chip.
  void BranchTowardsTarget();
  /// Branching in topological order with random values.
  void BranchRandom(Gecode::Rnd rnd);
  /// Branching in topological order, smallest chip first (exact search).
  void BranchMin();

  std::vector<int> Assignment() const;
  int64_t CostValue() const { return cost_.val(); }

 private:
  static int TargetValue(const Gecode::Space& home, Gecode::IntVar x, int i);
  Gecode::IntVarArgs TopoVars() const;

  const ModelData* data_;
  const std::vector<int>* target_ = nullptr;
  Gecode::IntVarArray x_;
  Gecode::IntVar cost_;
};

/// Stops a Gecode engine at a wall-clock deadline, or after `stall_fails` failures since the
/// last Mark() (the search stopped improving; inactive before the first Mark); 0 disables
/// the stall rule.
class DeadlineStop : public Gecode::Search::Stop {
 public:
  /// Stops at `limit_ms` after construction, or `stall_fails` failures after a Mark; with
  /// `fail_limit` > 0, at that many failures of the engine instead of the clock.
  DeadlineStop(double limit_ms, int64_t stall_fails = 0, int64_t fail_limit = 0);
  bool stop(const Gecode::Search::Statistics& s, const Gecode::Search::Options& o) override;
  /// Restarts the stall count at the engine's current failure count.
  void Mark(int64_t fails) {
    fails_at_mark_ = fails;
    marked_ = true;
  }
  double ElapsedMs() const;
  bool timed_out() const { return timed_out_; }
  bool stalled() const { return stalled_; }

 private:
  std::chrono::steady_clock::time_point start_;
  double limit_ms_;
  int64_t stall_fails_;
  int64_t fail_limit_;
  int64_t fails_at_mark_ = 0;
  bool marked_ = false;
  bool timed_out_ = false;
  bool stalled_ = false;
};

}  // namespace mcmpart::actors::internal
