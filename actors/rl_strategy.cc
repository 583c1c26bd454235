// RL strategy: batched policy sampling for the actor's environments.
#include "actors/rl_strategy.h"

#include <cmath>

namespace mcmpart::actors {

RlStrategy::RlStrategy(Policy& policy, std::vector<Environment*> envs, int envs_per_step,
                       uint64_t seed, const int64_t* version)
    : policy_(policy), envs_(std::move(envs)), envs_per_step_(envs_per_step), rng_(seed),
      version_(version) {}

std::vector<Candidate> RlStrategy::Ask(int n) {
  std::vector<int> graphs;
  for (int e = 0; e < envs_per_step_; ++e) graphs.push_back(static_cast<int>(next_env_++ % envs_.size()));
  last_ = policy_.SampleMany(graphs, n, rng_);
  last_sample_.clear();
  std::vector<Candidate> out;
  for (size_t s = 0; s < last_.size(); ++s) {
    PolicySample& sample = last_[s];
    for (size_t i = 0; i < sample.proposals.size(); ++i) {
      Candidate c;
      c.record.graph = graphs[s];
      c.record.strategy = StrategyId::kRl;
      c.record.policy_version = *version_;
      c.record.value = sample.value;
      c.record.inference_ms = sample.inference_ms / static_cast<double>(sample.proposals.size());
      c.record.proposal = sample.proposals[i];
      c.record.logp_proposal = sample.logp[i];
      c.repair_weights.resize(sample.logp[i].size());
      for (size_t v = 0; v < c.repair_weights.size(); ++v) c.repair_weights[v] = std::exp(sample.logp[i][v]);
      out.push_back(std::move(c));
      last_sample_.push_back(static_cast<int>(s));
    }
  }
  return out;
}

void RlStrategy::Tell(std::vector<EpisodeRecord>& scored) {
  for (size_t i = 0; i < scored.size() && i < last_sample_.size(); ++i) {
    if (!scored[i].partition.empty()) scored[i].logp_partition = last_[last_sample_[i]].NodeLogProbs(scored[i].partition);
  }
}

}  // namespace mcmpart::actors
