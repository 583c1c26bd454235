// Gecode repair model: placeholder until the model lands.
#include "actors/repair.h"

#include "hw/constraints.h"

namespace mcmpart::actors {

const char* RepairStatusName(RepairStatus s) {
  switch (s) {
    case RepairStatus::kUnchanged: return "unchanged";
    case RepairStatus::kOptimal: return "optimal";
    case RepairStatus::kBestWithinLimit: return "best_within_limit";
    case RepairStatus::kInfeasible: return "infeasible";
  }
  return "?";
}

struct Repairer::Impl {
  const common::Graph& graph;
  const hw::Hardware& hw;
};

Repairer::Repairer(const common::Graph& graph, const hw::Hardware& hw, RepairOptions)
    : impl_(new Impl{graph, hw}) {}
Repairer::~Repairer() = default;

common::Status Repairer::CheckFeasible() const { return common::Status::Ok(); }

RepairResult Repairer::Repair(const common::Partition& proposal, const std::vector<double>&) {
  RepairResult r;
  if (hw::IsValid(impl_->graph, impl_->hw, proposal)) {
    r.status = RepairStatus::kUnchanged;
    r.partition = proposal;
  }
  return r;
}

RepairResult Repairer::SampleValid(common::Rng&) { return RepairResult{}; }

}  // namespace mcmpart::actors
