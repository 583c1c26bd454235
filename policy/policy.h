// Policy inference on actors: sample partitions for a graph from the current weights.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "actors/features.h"
#include "common/config.h"
#include "common/partition.h"
#include "common/rng.h"
#include "common/status.h"

namespace mcmpart::policy {

/// The result of one policy forward pass on a graph, with `n` partitions sampled from it.
struct PolicySample {
  std::vector<common::Partition> proposals;
  std::vector<std::vector<float>> logp;  ///< per proposal, per node: of the decision placing it
  std::vector<float> log_prob_table;     ///< num_nodes × max_chips log-probabilities
  std::vector<float> theta_table;        ///< num_nodes × kStateFeatures (sequential decoder)
  /// The graph's unit schedule when the decoder is sequential (owned by the Policy), else null.
  const actors::UnitSchedule* schedule = nullptr;
  int max_chips = 0;
  float value = 0;
  double inference_ms = 0;  ///< forward pass share plus decoding
  double decode_ms = 0;     ///< decoding the proposals alone (all of them)

  /// Per-node log-probabilities of any partition under the same forward pass and decoder.
  std::vector<float> NodeLogProbs(const common::Partition& p) const;
  /// Repair weights of proposal `i` (SPEC §5): the probability of each node's proposed chip,
  /// so that confident choices are the last to change.
  std::vector<double> RepairWeights(int i) const;
};

/// Owns a policy network for inference (no gradients). Weights arrive as one flat buffer
/// from the learner. Not thread-safe.
class Policy {
 public:
  /// Same config and seed ⇒ same initial weights.
  Policy(const common::PolicyConfig& config, uint64_t seed);
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  size_t num_parameters() const;
  std::vector<float> FlatWeights() const;
  common::Status SetFlatWeights(const std::vector<float>& flat);
  /// Samples from softmax(z / t) at every decision from now on (greedy choices unchanged):
  /// PolicyNetImpl::Soften.
  void Soften(double t);

  /// Caches a graph's features; returns its id for Sample().
  int AddGraph(const actors::GraphFeatures& features);
  /// One forward pass, then `n` partitions decoded from it (config.decoder; greedy: the most
  /// probable choice at every step, n copies).
  PolicySample Sample(int graph, int n, common::Rng& rng, bool greedy = false);
  /// One batched forward over the distinct graphs in `graphs`, then `n` samples for each
  /// entry (entries naming the same graph share its forward pass).
  std::vector<PolicySample> SampleMany(const std::vector<int>& graphs, int n, common::Rng& rng,
                                       bool greedy = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcmpart::policy
