// Repair, random valid sampling and infeasibility diagnosis on the Gecode model of SPEC §2
// (the constraint-solver step of Xie et al., MLSys 2022, §3.3).
#include "actors/repair.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <deque>
#include <string>

#include "actors/repair_model.h"
#include "hw/constraints.h"

namespace mcmpart::actors {
namespace {

using common::Graph;
using common::Status;
using internal::DeadlineStop;
using internal::ModelData;
using internal::PartitionSpace;

std::string Quote(const Graph& g, int v) { return "'" + g.nodes[v].name + "'"; }
std::string Bytes(int64_t b) { return std::to_string(b) + " bytes"; }

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

// Shortest edge counts from `root` to every node (-1 = unreachable).
std::vector<int> Distances(const Graph& g, int root) {
  std::vector<int> dist(g.num_nodes(), -1);
  std::deque<int> queue = {root};
  dist[root] = 0;
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    for (int v : g.succs()[u]) {
      if (dist[v] < 0) {
        dist[v] = dist[u] + 1;
        queue.push_back(v);
      }
    }
  }
  return dist;
}

}  // namespace

const char* RepairStatusName(RepairStatus s) {
  switch (s) {
    case RepairStatus::kUnchanged: return "unchanged";
    case RepairStatus::kOptimal: return "optimal";
    case RepairStatus::kBestWithinLimit: return "best_within_limit";
    case RepairStatus::kInfeasible: return "infeasible";
  }
  return "?";
}

Status DiagnoseInfeasible(const Graph& g, const hw::Hardware& hw) {
  const hw::ConstraintConfig& c = hw.constraints;
  const int n = g.num_nodes(), k = hw.num_chips;
  const int64_t s = hw.chip.sram_bytes;
  const int h = c.max_hop_distance;
  if (c.pin) {
    for (int v = 0; v < n; ++v) {
      if (g.nodes[v].pin >= k) {
        return Status::Error("node " + Quote(g, v) + " is pinned to chip " +
                             std::to_string(g.nodes[v].pin) + " but the hardware has " +
                             std::to_string(k) + " chips");
      }
    }
    if (c.colocate) {
      std::vector<int> pinned_by(g.colocation_groups.size(), -1);
      for (int v = 0; v < n; ++v) {
        const int grp = g.nodes[v].colocation_group;
        if (grp < 0 || g.nodes[v].pin < 0) continue;
        const int other = pinned_by[grp];
        if (other >= 0 && g.nodes[other].pin != g.nodes[v].pin) {
          return Status::Error("colocation group '" + g.colocation_groups[grp] + "' has " +
                               Quote(g, other) + " pinned to chip " +
                               std::to_string(g.nodes[other].pin) + " and " + Quote(g, v) +
                               " pinned to chip " + std::to_string(g.nodes[v].pin));
        }
        pinned_by[grp] = v;
      }
    }
    // Along a path of d edges the chip can only rise (acyclic) and by at most H·d (max_hop).
    std::vector<int> pinned;
    for (int v = 0; v < n; ++v) {
      if (g.nodes[v].pin >= 0) pinned.push_back(v);
    }
    if ((c.acyclic || c.max_hop) && pinned.size() <= 256) {
      for (int u : pinned) {
        const std::vector<int> dist = Distances(g, u);
        for (int v : pinned) {
          if (v == u || dist[v] < 0) continue;
          const int pu = g.nodes[u].pin, pv = g.nodes[v].pin;
          if (c.acyclic && pv < pu) {
            return Status::Error("pins conflict with acyclic: " + Quote(g, u) + " is pinned to chip " +
                                 std::to_string(pu) + " but its descendant " + Quote(g, v) +
                                 " to chip " + std::to_string(pv));
          }
          if (c.max_hop && pv - pu > static_cast<int64_t>(h) * dist[v]) {
            return Status::Error("pins conflict with max_hop " + std::to_string(h) + ": " +
                                 Quote(g, v) + " (chip " + std::to_string(pv) + ") is " +
                                 std::to_string(dist[v]) + " edge(s) after " + Quote(g, u) +
                                 " (chip " + std::to_string(pu) + ")");
          }
        }
      }
    }
  }
  if (!c.sram) return Status::Ok();
  const bool buffers = c.sram_buffers;
  for (int v = 0; v < n; ++v) {
    const int64_t need = g.nodes[v].weight_bytes + (buffers ? hw::OpWorkingSetBytes(g, v) : 0);
    if (need > s) {
      return Status::Error("node " + Quote(g, v) + " alone needs " + Bytes(need) + " (weights " +
                           Bytes(g.nodes[v].weight_bytes) +
                           (buffers ? " + working set " + Bytes(hw::OpWorkingSetBytes(g, v)) : "") +
                           ") but a chip has " + Bytes(s) + " of SRAM");
    }
  }
  if (c.colocate && !g.colocation_groups.empty()) {
    std::vector<int64_t> gw(g.colocation_groups.size(), 0), gws(g.colocation_groups.size(), 0);
    for (int v = 0; v < n; ++v) {
      const int grp = g.nodes[v].colocation_group;
      if (grp < 0) continue;
      gw[grp] += g.nodes[v].weight_bytes;
      if (buffers) gws[grp] = std::max(gws[grp], hw::OpWorkingSetBytes(g, v));
    }
    for (size_t grp = 0; grp < gw.size(); ++grp) {
      if (gw[grp] + gws[grp] > s) {
        return Status::Error("colocation group '" + g.colocation_groups[grp] + "' needs " +
                             Bytes(gw[grp] + gws[grp]) + " (weights " + Bytes(gw[grp]) +
                             ") but a chip has " + Bytes(s) + " of SRAM");
      }
    }
  }
  const int64_t total = g.TotalWeightBytes();
  if (total > s * k) {
    return Status::Error("total weights " + Bytes(total) + " exceed K x S = " + std::to_string(k) +
                         " x " + Bytes(s) + " = " + Bytes(s * k));
  }
  // Under acyclic + max_hop H the nodes within d edges of r lie on chips p(r)..p(r)+H·d.
  if (c.acyclic && c.max_hop) {
    std::vector<int> roots;
    for (int v = 0; v < n; ++v) {
      if (n <= 2000 || g.preds()[v].empty()) roots.push_back(v);
    }
    for (int r : roots) {
      const std::vector<int> dist = Distances(g, r);
      std::vector<int64_t> by_dist(n + 1, 0);
      for (int v = 0; v < n; ++v) {
        if (dist[v] >= 0) by_dist[dist[v]] += g.nodes[v].weight_bytes;
      }
      int64_t within = 0;
      for (int d = 0; d <= n; ++d) {
        within += by_dist[d];
        const int64_t chips = std::min<int64_t>(k, static_cast<int64_t>(h) * d + 1);
        if (within > chips * s) {
          return Status::Error("max_hop " + std::to_string(h) + " cannot split the graph: the " +
                               Bytes(within) + " of weights within " + std::to_string(d) +
                               " edge(s) of " + Quote(g, r) + " must share " +
                               std::to_string(chips) + " chip(s) of " + Bytes(s));
        }
        if (chips == k) break;
      }
    }
  }
  return Status::Ok();
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
  r.search_nodes = static_cast<int64_t>(engine.statistics().node);
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
  impl_->feasible = DiagnoseInfeasible(graph, hw);
  if (impl_->feasible.ok() && failed) {
    impl_->feasible = Status::Error(
        "the enabled constraints contradict each other (propagation fails before any choice)");
  }
}

Repairer::~Repairer() = default;

Status Repairer::CheckFeasible() const { return impl_->feasible; }

RepairResult Repairer::Repair(const common::Partition& proposal, const std::vector<double>& weights) {
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
