// Branch and bound for the max-load optimum on the shared Gecode model (the exact baseline
// that the dnn-partitioning benchmark solves with an ILP; here Gecode's BAB engine).
#include "actors/search/exact.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "actors/repair.h"
#include "actors/repair_model.h"
#include "hw/constraints.h"
#include "hw/cut_tensors.h"
#include "hw/evaluator.h"
#include "hw/feasibility.h"
#include "hw/op_cost.h"

namespace mcmpart::actors::search {

common::StatusOr<ExactResult> ExactMaxLoad(const common::Graph& graph, const hw::Hardware& hw,
                                           const ExactOptions& options) {
  internal::DeadlineStop stop(options.time_limit_ms);
  MCMPART_RETURN_IF_ERROR(hw::DiagnoseInfeasible(graph, hw));
  const int n = graph.num_nodes(), k = hw.num_chips;
  // Seconds per term exactly as hw/maxload.cc computes them, then scaled to integers.
  std::vector<double> compute_s(n), send_s(n);
  double upper_s = 0;
  for (int v = 0; v < n; ++v) {
    compute_s[v] = hw::OpSeconds(graph.nodes[v], hw);
    send_s[v] = hw::SendSeconds(graph, v, hw);
    upper_s += compute_s[v] + send_s[v] * k;
  }
  const double unit = upper_s > 0 ? upper_s / 1e9 : 1.0;
  internal::LoadTerms load;
  std::vector<int>& compute = load.spec.base;
  std::vector<int>& transfer = load.spec.transfer;
  compute.resize(n);
  transfer.resize(n);
  int64_t total_compute = 0;
  for (int v = 0; v < n; ++v) {
    compute[v] = static_cast<int>(std::llround(compute_s[v] / unit));
    transfer[v] = hw::TensorConsumers(graph, v).empty()
                      ? 0
                      : static_cast<int>(std::llround(send_s[v] / unit));
    total_compute += compute[v];
    load.upper_bound += compute[v] + static_cast<int64_t>(transfer[v]) * k;
  }
  load.lower_bound = (total_compute + k - 1) / k;

  internal::ModelData data(graph, hw);
  auto space = std::make_unique<internal::PartitionSpace>(data, &load);
  space->BranchMin();
  Gecode::Search::Options o;
  o.threads = 1;
  o.stop = &stop;
  Gecode::BAB<internal::PartitionSpace> engine(space.get(), o);
  space.reset();
  ExactResult r;
  bool found = false;
  while (internal::PartitionSpace* s = engine.next()) {
    common::Partition p = s->Assignment();
    delete s;
    const bool valid = hw::IsValid(graph, hw, p);
    assert(valid && "Gecode model admitted a partition the checker rejects");
    if (!valid) continue;
    r.partition = std::move(p);
    found = true;
  }
  r.nodes_explored = static_cast<int64_t>(engine.statistics().node);
  r.solve_ms = stop.ElapsedMs();
  r.proven_optimal = !engine.stopped();
  if (!found) {
    if (r.proven_optimal) {
      return common::Status::Error("no valid partition of '" + graph.name + "' exists on " +
                                   hw.name + " (the constraint search is exhausted)");
    }
    return common::Status::Error("no valid partition of '" + graph.name + "' found within " +
                                 std::to_string(options.time_limit_ms) + " ms");
  }
  r.max_load_s = hw::MakeMaxLoadEvaluator(graph, hw)->Evaluate(r.partition).time_per_sample_s;
  return r;
}

}  // namespace mcmpart::actors::search
