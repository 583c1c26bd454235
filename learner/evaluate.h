// Zero-shot evaluation of a trained policy on a graph (SPEC §6): greedy and sampled decoding.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"

namespace mcmpart::learner {

/// The repaired partition of one decoding and its metrics.
struct DecodeResult {
  bool valid = false;
  common::Partition proposal, partition;
  int changed_nodes = 0;
  double reward = 0;
  hw::Metrics metrics;
};

struct PolicyEvaluation {
  DecodeResult greedy;             ///< argmax chip per node, repaired
  DecodeResult sampled;            ///< best of `samples` sampled partitions, repaired
  double sampled_temperature = 0;  ///< the temperature `sampled` was drawn at
  int samples = 0;
  double valid_fraction = 0;  ///< of the sampled partitions after repair
  double ms = 0;
  /// DP's partition (actors::search::DpMaxLoad) scored by the same evaluator, the reference
  /// that zero-shot quality is a fraction of; valid = false when not asked for or DP failed.
  DecodeResult dp;
  std::string dp_note;  ///< why there is no DP reference
  double dp_ms = 0;
};

/// How EvaluatePolicy decodes.
struct EvalOptions {
  int samples = 64;      ///< sampled decodings besides the greedy one
  bool with_dp = false;  ///< also score DP's partition, the reference
  /// The sampled decodings are split evenly over these temperatures (the first ones take one
  /// more when `samples` is not a multiple); at temperature T a decoding draws from
  /// softmax(z / T) at every decision. Greedy is the argmax either way.
  std::vector<double> temperatures = {1.0};
};

/// "3,10": a temperature list as --temperature takes it (shortest round-trip form, "%g").
std::string TemperaturesText(const std::vector<double>& temperatures);

/// Loads the policy weights of `checkpoint` (shape from config.policy), decodes `graph` on
/// `hw` greedily and by sampling, repairs and evaluates with config.run.evaluator; with
/// `options.with_dp`, also scores DP's partition with that evaluator.
common::StatusOr<PolicyEvaluation> EvaluatePolicy(const common::Config& config,
                                                  const std::string& checkpoint,
                                                  const common::Graph& graph,
                                                  const hw::Hardware& hw,
                                                  const EvalOptions& options);

}  // namespace mcmpart::learner
