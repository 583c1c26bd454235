// Repair and random valid sampling on the Gecode model of SPEC §2
// (the constraint-solver step of Xie et al., MLSys 2022, §3.3).
#include "actors/repair.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

#include "actors/repair_model.h"
#include "hw/constraints.h"
#include "hw/feasibility.h"

namespace mcmpart::actors {
namespace {

using common::Graph;
using common::Status;
using internal::DeadlineStop;
using internal::ModelData;
using internal::PartitionSpace;

// Integer objective weights: scaled so the largest is 10^5 (Σ stays inside 32 bits).
std::vector<int> ScaleWeights(const std::vector<double>& w, int n) {
  std::vector<int> out(n, 1);
  if (w.empty()) return out;
  double max_w = 0;
  for (double x : w) max_w = std::max(max_w, x);
  const double scale = max_w > 0 ? std::min(1e5, 1e9 / n) / max_w : 0.0;
  for (int v = 0; v < n; ++v) out[v] = static_cast<int>(std::llround(std::max(0.0, w[v]) * scale));
  return out;
}

}  // namespace

const char* RepairStatusName(RepairStatus s) {
  switch (s) {
    case RepairStatus::kUnchanged:
      return "unchanged";
    case RepairStatus::kOptimal:
      return "optimal";
    case RepairStatus::kBestWithinLimit:
      return "best_within_limit";
    case RepairStatus::kInfeasible:
      return "infeasible";
  }
  return "?";
}

struct Repairer::Impl {
  Impl(const Graph& g, const hw::Hardware& h, RepairOptions o)
      : graph(g), hw(h), options(o), data(g, h) {}

  // Runs `engine` to exhaustion or the stop; returns the best valid partition it found.
  template <typename Engine>
  RepairResult Run(Engine& engine, DeadlineStop& stop, bool optimise, const common::Partition& q,
                   const std::vector<double>& weights);

  const Graph& graph;
  const hw::Hardware& hw;
  RepairOptions options;
  ModelData data;
  Status feasible;
  std::unique_ptr<PartitionSpace> root;  // constraints posted and propagated; null if failed
};

template <typename Engine>
RepairResult Repairer::Impl::Run(Engine& engine, DeadlineStop& stop, bool optimise,
                                 const common::Partition& q, const std::vector<double>& weights) {
  RepairResult r;
  bool found = false;
  while (PartitionSpace* s = engine.next()) {
    common::Partition p = s->Assignment();
    delete s;
    stop.Mark(static_cast<int64_t>(engine.statistics().fail));
    // The model mirrors the checker; a disagreement is a bug, never returned.
    const bool valid = hw::IsValid(graph, hw, p);
    assert(valid && "Gecode model admitted a partition the checker rejects");
    if (!valid) continue;
    r.partition = std::move(p);
    found = true;
    if (!optimise) break;
  }
  r.solve_ms = stop.ElapsedMs();
  const bool complete = !engine.stopped();
  if (!found) {
    r.status = RepairStatus::kInfeasible;
    r.message = complete ? "no valid partition exists (the constraint search is exhausted)"
                         : "no valid partition found within " +
                               std::to_string(options.time_limit_ms) + " ms";
    return r;
  }
  r.status = complete && optimise ? RepairStatus::kOptimal : RepairStatus::kBestWithinLimit;
  for (int v = 0; v < static_cast<int>(q.size()); ++v) {
    if (r.partition[v] == q[v]) continue;
    ++r.changed_nodes;
    r.weighted_change += weights.empty() ? 1.0 : weights[v];
  }
  return r;
}

Repairer::Repairer(const Graph& graph, const hw::Hardware& hw, RepairOptions options)
    : impl_(new Impl(graph, hw, options)) {
  auto root = std::make_unique<PartitionSpace>(impl_->data, nullptr);
  const bool failed = root->status() == Gecode::SS_FAILED;
  if (!failed) impl_->root = std::move(root);
  impl_->feasible = hw::DiagnoseInfeasible(graph, hw);
  if (impl_->feasible.ok() && failed) {
    impl_->feasible = Status::Error(
        "the enabled constraints contradict each other (propagation fails before any choice)");
  }
}

Repairer::~Repairer() = default;

Status Repairer::CheckFeasible() const { return impl_->feasible; }

RepairResult Repairer::Repair(const common::Partition& proposal,
                              const std::vector<double>& weights) {
  const int n = impl_->graph.num_nodes();
  assert(static_cast<int>(proposal.size()) == n);
  assert(weights.empty() || static_cast<int>(weights.size()) == n);
  DeadlineStop stop(impl_->options.time_limit_ms, impl_->options.stall_fails);
  RepairResult r;
  if (!impl_->feasible.ok()) {
    r.message = impl_->feasible.message();
    r.solve_ms = stop.ElapsedMs();
    return r;
  }
  if (hw::IsValid(impl_->graph, impl_->hw, proposal)) {
    r.status = RepairStatus::kUnchanged;
    r.partition = proposal;
    r.solve_ms = stop.ElapsedMs();
    return r;
  }
  std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(impl_->root->clone()));
  space->PostHamming(&proposal, ScaleWeights(weights, n));
  space->BranchTowardsTarget();
  Gecode::Search::Options o;
  o.threads = 1;
  o.stop = &stop;
  Gecode::BAB<PartitionSpace> engine(space.get(), o);
  return impl_->Run(engine, stop, /*optimise=*/true, proposal, weights);
}

RepairResult Repairer::SampleValid(common::Rng& rng) {
  DeadlineStop stop(impl_->options.time_limit_ms);
  RepairResult r;
  if (!impl_->feasible.ok()) {
    r.message = impl_->feasible.message();
    return r;
  }
  std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(impl_->root->clone()));
  Gecode::Rnd rnd(static_cast<unsigned int>(rng()));
  space->BranchRandom(rnd);
  Gecode::Search::Options o;
  o.threads = 1;
  o.stop = &stop;
  o.cutoff = Gecode::Search::Cutoff::luby(64);
  Gecode::RBS<PartitionSpace, Gecode::DFS> engine(space.get(), o);
  r = impl_->Run(engine, stop, /*optimise=*/false, {}, {});
  return r;
}

std::vector<common::Partition> Repairer::EnumerateValid(int64_t limit) {
  std::vector<common::Partition> out;
  if (!impl_->root) return out;
  std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(impl_->root->clone()));
  space->BranchMin();
  Gecode::DFS<PartitionSpace> engine(space.get());
  while (static_cast<int64_t>(out.size()) < limit) {
    std::unique_ptr<PartitionSpace> s(engine.next());
    if (!s) break;
    out.push_back(s->Assignment());
  }
  return out;
}

}  // namespace mcmpart::actors
