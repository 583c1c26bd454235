// PPO updates of the partitioning policy on the learner (SPEC §6).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/features.h"
#include "actors/record.h"
#include "common/config.h"
#include "common/status.h"

namespace mcmpart::policy {

/// Statistics of one PPO update.
struct PpoStats {
  double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0;
  double sil_loss = 0;  ///< self-imitation loss (0 when off or no elite beats the value)
  double grad_norm = 0, learning_rate = 0;
  int epochs_run = 0;
  double update_ms = 0;
  /// Where update_ms went: building the decisions of the batch (replay, tensors), forward
  /// passes with the loss, backward passes, gradient clipping with Adam steps; the rest of
  /// update_ms (OtherMs) is bookkeeping and reading the losses back.
  double prepare_ms = 0, forward_ms = 0, backward_ms = 0, optimizer_ms = 0;
  double OtherMs() const { return update_ms - forward_ms - backward_ms - optimizer_ms; }
};

/// Counters and states a checkpoint carries besides weights and optimiser (SPEC §7).
struct TrainingState {
  int64_t policy_version = 0;
  int64_t updates = 0;
  int64_t evaluations = 0;
  int64_t dropped_stale = 0;
  int64_t log_rollout_rows = 0;  ///< run-file position at checkpoint time
  int64_t log_learner_rows = 0;
  double best_throughput = 0;
  double first_batch_best_throughput = 0;
  std::vector<int> best_partition;
  int64_t best_step = -1;
  std::string config_text;  ///< the run's config as TOML
};

/// The config text stored in a checkpoint; error names the path when it cannot be read.
common::StatusOr<std::string> ReadCheckpointConfigText(const std::string& path);
/// The policy weights stored in a checkpoint, flat as Policy::SetFlatWeights takes them, for
/// a policy of shape `config`; no optimiser is built. Errors (missing or corrupt file, a
/// policy of another shape) name the path.
common::StatusOr<std::vector<float>> ReadCheckpointWeights(const std::string& path,
                                                           const common::PolicyConfig& config);

/// Intra-op threads the trainer's updates use: ppo.learner_threads, or with 0 the cores this
/// process may run on (its CPU affinity) less one per other rank of the job on this node (the
/// MPI launcher's local size), at least 1.
int TrainerThreads(const common::PpoConfig& config);

/// A partition kept for self-imitation, with its reward.
struct Elite {
  std::vector<int> partition;
  double reward = 0;
};

/// A partition to clone before reinforcement learning (PpoTrainer::Imitate).
struct ImitationTarget {
  int graph = 0;               ///< id from PpoTrainer::AddGraph
  std::vector<int> partition;  ///< chip of each node of that graph
};

/// Behaviour-cloning progress: after `step` cloning steps, per target and on average.
struct ImitationStats {
  int step = 0;
  /// Mean over the targets of the mean −log π(target's chip) over its free decisions under the
  /// current weights (plain, not smoothed: once cloned about −log imitate_max_prob per
  /// decision that has a choice).
  double loss = 0;
  /// Mean over the targets of the fraction of decisions (units for the sequential decoder,
  /// nodes for the independent one) on which the policy's greedy decode takes the target's chip.
  double agreement = 0;
  std::vector<double> target_agreement;  ///< per target
  std::vector<int> decisions;            ///< per target: decisions of its decode
  /// Per target: decisions the sequential decoder cannot take (actors::UnitReplay::forced);
  /// they get no gradient, and the greedy decode cannot agree on them.
  std::vector<int> forced_steps;
  double step_ms = 0;  ///< mean time per cloning step
  /// DAgger (PpoConfig::imitate_dagger): decisions of the policy's own decodes labelled by the
  /// chain expert so far, and the share of them on which the policy already took the expert's
  /// chip in the latest round.
  int64_t dagger_decisions = 0;
  double dagger_agreement = 0;
};

/// Owns the trainable policy and its Adam optimiser. Not thread-safe.
class PpoTrainer {
 public:
  /// Same config and seed as Policy ⇒ the same initial weights.
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
  /// Trains on the repaired or the proposed action (PpoConfig::train_on_repaired). With
  /// PpoConfig::sil_coef > 0 it adds self-imitation of each graph's best valid partitions so
  /// far (Oh et al., ICML 2018), which this call also updates from the batch; a node's
  /// probability of its elite chip is raised only up to PpoConfig::sil_max_prob.
  PpoStats Update(const std::vector<actors::EpisodeRecord>& batch);

  /// Behaviour cloning (Pomerleau, NIPS 1988) before reinforcement learning, as DOPPLER
  /// (Yao et al., ICLR 2026) imitates a heuristic's placements before RL: `steps` Adam steps
  /// (an optimiser of its own, so PPO's starts fresh; learning rate PpoConfig::imitate_lr,
  /// decaying linearly to 0 over the steps) on the mean over
  /// targets of the mean −log π of each target decision, replayed with the decoder's unit
  /// order, masks and features. Forced decisions (masked at sampling time) are left out of the
  /// loss, so no probability goes to chips the decoder never offers. The target is smoothed
  /// (PpoConfig::imitate_max_prob on its chip, the rest over the step's other allowed chips), so
  /// sampling keeps exploring around it. Each step takes up to
  /// PpoConfig::minibatch targets (all of them when they fit, else the next ones of a shuffled
  /// round). `progress`, when set, is called before the first step (step 0: the untrained
  /// loss and agreement, and the forced steps), after every `every`-th step (every > 0) and at
  /// the end. With PpoConfig::imitate_dagger = R, R times at even intervals the policy's own
  /// greedy and sampled decodes of each target graph, labelled step by step by the chain expert
  /// (actors::ChainExpert; DAgger, Ross et al., AISTATS 2011), join the targets, so cloning also
  /// sees the states the policy reaches off them. Returns the stats after the last step,
  /// measured with the final weights (on the targets).
  ImitationStats Imitate(const std::vector<ImitationTarget>& targets, int steps,
                         const std::function<void(const ImitationStats&)>& progress = {},
                         int every = 0);

  /// Offers a valid partition of `graph` with its reward to self-imitation's elites (kept when
  /// PpoConfig::sil_coef > 0 and it is among the PpoConfig::sil_elites best so far).
  void SeedElite(int graph, const std::vector<int>& partition, double reward);

  /// Writes weights, optimiser state, the trainer's RNG and `state` to `path` atomically
  /// (temp file + rename).
  common::Status SaveCheckpoint(const std::string& path, const TrainingState& state) const;
  /// Restores weights, optimiser, RNG and returns the saved state. Errors (missing file,
  /// corrupt file, a policy of another shape) name the path and leave the trainer unchanged.
  common::StatusOr<TrainingState> LoadCheckpoint(const std::string& path);
  /// Restores only the weights (fine-tuning from a pre-trained checkpoint), as read by
  /// ReadCheckpointWeights; on error the trainer is unchanged.
  common::Status LoadWeights(const std::string& path);
  /// Softens the policy to softmax(z / t) at every decoding step (PolicyNetImpl::Soften).
  void Soften(double t);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcmpart::policy
