// PPO updates of the partitioning policy on the learner (SPEC §6).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "actors/features.h"
#include "actors/record.h"
#include "common/config.h"

namespace mcmpart::learner {

/// Statistics of one PPO update.
struct PpoStats {
  double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0;
  double grad_norm = 0, learning_rate = 0;
  int epochs_run = 0;
  double update_ms = 0;
};

/// Owns the trainable policy and its Adam optimiser. Not thread-safe.
class PpoTrainer {
 public:
  /// Same config and seed as actors::Policy ⇒ the same initial weights.
  PpoTrainer(const common::Config& config, uint64_t seed);
  ~PpoTrainer();
  PpoTrainer(const PpoTrainer&) = delete;
  PpoTrainer& operator=(const PpoTrainer&) = delete;

  /// Registers a graph; ids must match EpisodeRecord::graph.
  int AddGraph(const actors::GraphFeatures& features);
  std::vector<float> FlatWeights() const;

  /// Clipped-surrogate PPO (Schulman et al., 2017) on a batch: per-node probability ratios
  /// sharing the episode's advantage (reward − behaviour value, normalised over the batch),
  /// value loss, entropy bonus, minibatch epochs with approx-KL early stop, gradient clipping.
  /// Trains on the repaired or the proposed action (PpoConfig::train_on_repaired).
  PpoStats Update(const std::vector<actors::EpisodeRecord>& batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcmpart::learner
