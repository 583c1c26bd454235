// Reinforcement learning as an ask/tell strategy: the policy proposes, the learner learns.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/policy.h"
#include "actors/search.h"

namespace mcmpart::actors {

/// Samples proposals from the policy (Xie et al., MLSys 2022): each Ask runs one batched
/// forward pass over the next `envs_per_step` environments (round robin) and draws
/// `n` proposals for each. Repair weights are the policy's probability of each proposed chip
/// (SPEC §5), so confident choices are the last to change. Tell adds the log-probabilities of
/// the repaired actions. Policy and envs are not owned; `version` is read at Ask time.
class RlStrategy final : public SearchStrategy {
 public:
  RlStrategy(Policy& policy, std::vector<Environment*> envs, int envs_per_step, uint64_t seed,
             const int64_t* version);
  const char* name() const override { return "rl"; }
  std::vector<Candidate> Ask(int n) override;
  void Tell(std::vector<EpisodeRecord>& scored) override;
  /// Restarts the sampling stream (e.g. keyed on the first policy version received).
  void Reseed(uint64_t seed) { rng_.seed(seed); }

 private:
  Policy& policy_;
  std::vector<Environment*> envs_;
  int envs_per_step_;
  common::Rng rng_;
  const int64_t* version_;
  size_t next_env_ = 0;
  std::vector<PolicySample> last_;  // samples of the last Ask, for Tell
  std::vector<int> last_sample_;    // candidate → index into last_
};

}  // namespace mcmpart::actors
