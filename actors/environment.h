// One partitioning problem (graph + hardware): repair, evaluate and reward a proposal.
#pragma once

#include <memory>
#include <vector>

#include "actors/features.h"
#include "actors/record.h"
#include "actors/repair.h"
#include "common/config.h"
#include "common/graph.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"

namespace mcmpart::actors {

/// Scores proposals for one (graph, hardware) pair the same way for every search strategy:
/// repair → evaluate → normalised reward. Holds references to graph and hw. Not thread-safe.
class Environment {
 public:
  /// Fails when the evaluator cannot be built for `graph` and `hw`.
  static common::StatusOr<std::unique_ptr<Environment>> Create(const common::Graph& graph,
                                                               const hw::Hardware& hw,
                                                               const common::Config& config);

  const common::Graph& graph() const { return graph_; }
  const hw::Hardware& hardware() const { return hw_; }
  const GraphFeatures& features() const { return features_; }
  /// The decision order of the features, the schedule and repair (actor.decision_order).
  common::DecisionOrder decision_order() const { return order_; }
  Repairer& repairer() { return repairer_; }
  hw::Evaluator& evaluator() { return *evaluator_; }

  /// Repairs `proposal` (weights: per-node cost of changing it, may be empty), evaluates the
  /// result and returns the partition, validity, repair fields, metrics, reward and timings.
  /// Reward = ideal time per sample / achieved time per sample (1 = perfect balance without
  /// transfers), or the invalid penalty when repair fails. With ppo.reward_softmax_temp τ > 0
  /// the reward is scaled by t / softmax, softmax = t + τt·log Σ_c exp((b_c − t)/(τt)) over
  /// the chips' busy times b_c (t = max b_c): under maxload, ideal time / soft maximum.
  /// Throughput and latency stay the evaluator's. An evaluation takes at least
  /// actor.eval_latency_ms (the rest is slept, counted in eval_ms). When the evaluator fails
  /// (hw::Evaluator::status()) the outcome is marked evaluator_failed and not valid.
  ScoreOutcome Score(const common::Partition& proposal, const std::vector<double>& weights);

  /// Reward of a throughput under this problem's normalisation.
  double Reward(double throughput) const { return throughput * ideal_time_s_; }

 private:
  RepairResult RepairProposal(const common::Partition& proposal,
                              const std::vector<double>& weights);
  double SoftMaximumScale(const hw::Metrics& m) const;

  Environment(const common::Graph& graph, const hw::Hardware& hw, const common::Config& config,
              std::unique_ptr<hw::Evaluator> evaluator);

  const common::Graph& graph_;
  const hw::Hardware& hw_;
  double invalid_penalty_;
  bool repair_;             ///< false: penalty mode, invalid proposals are not repaired
  double softmax_temp_;     ///< ppo.reward_softmax_temp
  double eval_latency_ms_;  ///< actor.eval_latency_ms: the least time an evaluation takes
  common::DecisionOrder order_;  ///< actor.decision_order
  GraphFeatures features_;
  Repairer repairer_;
  std::unique_ptr<hw::Evaluator> evaluator_;
  double ideal_time_s_;
};

}  // namespace mcmpart::actors
