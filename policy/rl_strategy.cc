// RL strategy: batched policy sampling for the actor's environments.
#include "policy/rl_strategy.h"

#include <random>
#include <utility>

namespace mcmpart::policy {

RlStrategy::RlStrategy(Policy& policy, std::vector<actors::Environment*> envs, int envs_per_step,
                       uint64_t seed)
    : policy_(policy), envs_(std::move(envs)), envs_per_step_(envs_per_step), rng_(seed) {}

std::vector<actors::search::Candidate> RlStrategy::Ask(int n) {
  // Each environment slot draws its corpus entry from the sampling stream (seeded per rank),
  // so actors do not walk the corpus in lockstep; one entry draws nothing.
  std::uniform_int_distribution<int> entry(0, static_cast<int>(envs_.size()) - 1);
  std::vector<int> graphs;
  for (int e = 0; e < envs_per_step_; ++e) graphs.push_back(envs_.size() > 1 ? entry(rng_) : 0);
  last_ = policy_.SampleMany(graphs, n, rng_);
  last_sample_.clear();
  std::vector<actors::search::Candidate> out;
  for (size_t s = 0; s < last_.size(); ++s) {
    PolicySample& sample = last_[s];
    for (size_t i = 0; i < sample.proposals.size(); ++i) {
      actors::search::Candidate c;
      c.record.graph = graphs[s];
      c.record.strategy = actors::StrategyId::kRl;
      c.record.policy_version = version_;
      c.record.value = sample.value;
      c.record.inference_ms = sample.inference_ms / static_cast<double>(sample.proposals.size());
      c.record.proposal = sample.proposals[i];
      c.record.logp_proposal = sample.logp[i];
      c.repair_weights = sample.RepairWeights(static_cast<int>(i));
      out.push_back(std::move(c));
      last_sample_.push_back(static_cast<int>(s));
    }
  }
  return out;
}

void RlStrategy::Tell(std::vector<actors::EpisodeRecord>& scored) {
  for (size_t i = 0; i < scored.size() && i < last_sample_.size(); ++i) {
    if (!scored[i].partition.empty())
      scored[i].logp_partition = last_[last_sample_[i]].NodeLogProbs(scored[i].partition);
  }
}

}  // namespace mcmpart::policy
