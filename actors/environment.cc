// Repair → evaluate → reward for one partitioning problem.
#include "actors/environment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "hw/constraints.h"

namespace mcmpart::actors {

namespace {
double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

common::StatusOr<std::unique_ptr<Environment>> Environment::Create(const common::Graph& graph,
                                                                   const hw::Hardware& hw,
                                                                   const common::Config& config) {
  MCMPART_ASSIGN_OR_RETURN(auto evaluator, hw::MakeEvaluator(config.run, graph, hw));
  return std::unique_ptr<Environment>(new Environment(graph, hw, config, std::move(evaluator)));
}

Environment::Environment(const common::Graph& graph, const hw::Hardware& hw,
                         const common::Config& config, std::unique_ptr<hw::Evaluator> evaluator)
    : graph_(graph),
      hw_(hw),
      invalid_penalty_(config.ppo.invalid_penalty),
      repair_(config.actor.repair_mode == common::RepairMode::kRepair),
      softmax_temp_(config.ppo.reward_softmax_temp),
      eval_latency_ms_(config.actor.eval_latency_ms),
      order_(config.actor.decision_order),
      features_(BuildFeatures(graph, hw, config.actor.decision_order)),
      repairer_(graph, hw, RepairOptionsFromConfig(config)),
      evaluator_(std::move(evaluator)),
      ideal_time_s_(IdealTimePerSample(graph, hw)) {}

// Penalty mode (no repair): a valid proposal passes unchanged, an invalid one fails with
// kNotFound (nothing was searched, so nothing is proved).
RepairResult Environment::RepairProposal(const common::Partition& proposal,
                                         const std::vector<double>& weights) {
  if (repair_) return repairer_.Repair(proposal, weights);
  RepairResult repair;
  if (hw::IsValid(graph_, hw_, proposal)) {
    repair.status = RepairStatus::kUnchanged;
    repair.partition = proposal;
  }
  return repair;
}

// t / softmax of the chips' busy times (1 when the soft maximum is off or undefined).
double Environment::SoftMaximumScale(const hw::Metrics& m) const {
  if (softmax_temp_ <= 0 || m.chip_busy_s.empty() || m.throughput <= 0) return 1.0;
  const double t = *std::max_element(m.chip_busy_s.begin(), m.chip_busy_s.end());
  if (t <= 0) return 1.0;
  const double scale = softmax_temp_ * t;
  double sum = 0;
  for (double b : m.chip_busy_s) sum += std::exp((b - t) / scale);
  return t / (t + scale * std::log(sum));
}

ScoreOutcome Environment::Score(const common::Partition& proposal,
                                const std::vector<double>& weights) {
  ScoreOutcome out;
  auto t0 = std::chrono::steady_clock::now();
  RepairResult repair = RepairProposal(proposal, weights);
  out.repair_ms = MsSince(t0);
  out.repair_status = static_cast<int32_t>(repair.status);
  out.proposal_valid = repair.status == RepairStatus::kUnchanged;
  out.changed_nodes = repair.changed_nodes;
  if (!HasPartition(repair.status)) {
    out.reward = invalid_penalty_;
    return out;
  }
  assert(hw::IsValid(graph_, hw_, repair.partition) && "repair returned an invalid partition");
  out.partition = std::move(repair.partition);
  out.valid = true;
  t0 = std::chrono::steady_clock::now();
  hw::Metrics m = evaluator_->Evaluate(out.partition);
  // Emulated measurement latency: the evaluation lasts at least actor.eval_latency_ms.
  const double left_ms = eval_latency_ms_ - MsSince(t0);
  if (left_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(left_ms));
  out.eval_ms = MsSince(t0);
  if (!evaluator_->status().ok()) {
    out.valid = false;
    out.evaluator_failed = true;
    return out;
  }
  out.throughput = m.throughput;
  out.latency_s = m.latency_s;
  out.reward = Reward(m.throughput) * SoftMaximumScale(m);
  return out;
}

}  // namespace mcmpart::actors
