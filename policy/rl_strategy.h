// Reinforcement learning as an ask/tell strategy: the policy proposes, the learner learns.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/environment.h"
#include "actors/record.h"
#include "actors/search/strategy.h"
#include "common/rng.h"
#include "policy/policy.h"

namespace mcmpart::policy {

/// Samples proposals from the policy (Xie et al., MLSys 2022): each Ask runs one batched
/// forward pass over `envs_per_step` environments, each drawn uniformly from the corpus by the
/// sampling stream (reproducible per seed), and draws `n` proposals for each. Repair weights are
/// PolicySample::RepairWeights. Tell adds the log-probabilities of the repaired actions. Policy and
/// envs are not owned; records carry the policy version last given to SetPolicyVersion.
class RlStrategy final : public actors::search::SearchStrategy {
 public:
  RlStrategy(Policy& policy, std::vector<actors::Environment*> envs, int envs_per_step,
             uint64_t seed);
  const char* name() const override { return "rl"; }
  std::vector<actors::search::Candidate> Ask(int n) override;
  void Tell(std::vector<actors::EpisodeRecord>& scored) override;
  /// Restarts the sampling stream (e.g. keyed on the first policy version received).
  void Reseed(uint64_t seed) { rng_.seed(seed); }
  /// The version of the weights the policy now holds (the driver calls this when weights
  /// arrive); stamped on the records of later Asks.
  void SetPolicyVersion(int64_t version) { version_ = version; }
  /// The version last set; -1 before any weights arrived.
  int64_t policy_version() const { return version_; }

 private:
  Policy& policy_;
  std::vector<actors::Environment*> envs_;
  int envs_per_step_;
  common::Rng rng_;
  int64_t version_ = -1;
  std::vector<PolicySample> last_;  // samples of the last Ask, for Tell
  std::vector<int> last_sample_;    // candidate → index into last_
};

}  // namespace mcmpart::policy
