// Policy inference and the RL strategy: repair weights, tied placement units, large graphs, and
// the policy version stamped on records.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "actors/environment.h"
#include "actors/features.h"
#include "actors/record.h"
#include "actors/search/strategy.h"
#include "common/bert.h"
#include "common/config.h"
#include "common/graph_io.h"
#include "common/rng.h"
#include "hw/hardware.h"
#include "policy/rl_strategy.h"
#include "tests/policy/fixture.h"

namespace mcmpart::policy {
namespace {

// Each node's repair weight is the probability of the chip proposed for it, read from the
// forward pass's table, so weights differ from node to node and lie in (0, 1].
TEST(Policy, RepairWeightsAreTheProbabilitiesOfTheProposedChips) {
  Fixture f;
  for (common::Decoder decoder : {common::Decoder::kSequential, common::Decoder::kIndependent}) {
    common::Config c;
    c.policy.decoder = decoder;
    Policy policy(c.policy, 3);
    policy.AddGraph(f.features);
    common::Rng rng(4);
    const PolicySample s = policy.Sample(0, 4, rng);
    for (int i = 0; i < 4; ++i) {
      const std::vector<double> w = s.RepairWeights(i);
      ASSERT_EQ(static_cast<int>(w.size()), f.graph.num_nodes());
      const std::vector<float> logp = s.NodeLogProbs(s.proposals[i]);
      for (int v = 0; v < f.graph.num_nodes(); ++v) {
        if (decoder == common::Decoder::kIndependent) {
          ASSERT_EQ(logp[v], s.log_prob_table[v * s.max_chips + s.proposals[i][v]]);
        }
        EXPECT_DOUBLE_EQ(w[v], std::exp(logp[v]));
        EXPECT_GT(w[v], 0.0);
        EXPECT_LE(w[v], 1.0);
      }
      EXPECT_NE(*std::min_element(w.begin(), w.end()), *std::max_element(w.begin(), w.end()));
    }
  }
}

// Records carry the version last given to SetPolicyVersion (-1 before any weights), and the
// policy's repair weights; Tell adds the log-probabilities of the repaired partitions.
TEST(RlStrategy, RecordsCarryTheVersionLastSetAndThePolicysRepairWeights) {
  Fixture f;
  common::Config c;
  auto env = actors::Environment::Create(f.graph, f.hw, c);
  ASSERT_TRUE(env.ok()) << env.status().message();
  Policy policy(c.policy, 1);
  policy.AddGraph((*env)->features());
  RlStrategy strategy(policy, {env->get()}, 1, 7);
  EXPECT_EQ(strategy.policy_version(), -1);
  for (const actors::search::Candidate& cand : strategy.Ask(2))
    EXPECT_EQ(cand.record.policy_version, -1);
  strategy.SetPolicyVersion(5);
  EXPECT_EQ(strategy.policy_version(), 5);
  std::vector<actors::search::Candidate> candidates = strategy.Ask(3);
  ASSERT_EQ(candidates.size(), 3u);
  strategy.SetPolicyVersion(6);  // later weights do not rewrite records already asked for
  std::vector<actors::EpisodeRecord> scored;
  for (actors::search::Candidate& cand : candidates) {
    EXPECT_EQ(cand.record.policy_version, 5);
    ASSERT_EQ(cand.repair_weights.size(), cand.record.logp_proposal.size());
    for (size_t v = 0; v < cand.repair_weights.size(); ++v) {
      EXPECT_DOUBLE_EQ(cand.repair_weights[v], std::exp(cand.record.logp_proposal[v]));
    }
    actors::EpisodeRecord r = cand.record;
    r.SetOutcome((*env)->Score(r.proposal, cand.repair_weights));
    scored.push_back(std::move(r));
  }
  strategy.Tell(scored);
  for (const actors::EpisodeRecord& r : scored) {
    EXPECT_EQ(r.policy_version, 5);
    if (!r.partition.empty()) {
      EXPECT_EQ(r.logp_partition.size(), r.partition.size());
    }
  }
  EXPECT_EQ(strategy.Ask(1).at(0).record.policy_version, 6);
}

// The graph index of every candidate of `asks` Asks of one environment each.
std::vector<int> AskedEntries(RlStrategy& strategy, int asks) {
  std::vector<int> entries;
  for (int i = 0; i < asks; ++i) entries.push_back(strategy.Ask(1).at(0).record.graph);
  return entries;
}

// On a corpus each Ask draws its entry from the seeded stream: every entry comes up, the order
// is not the round robin 0, 1, 2, 0, … that kept all actors in lockstep, and one seed repeats it.
TEST(RlStrategy, DrawsCorpusEntriesAtRandomReproduciblyPerSeed) {
  Fixture f;
  common::Config c;
  const hw::Hardware mesh = *hw::MakePreset("mcm4x4-mesh");
  const hw::Hardware chain = *hw::MakePreset("mcm8-chain");
  std::vector<std::unique_ptr<actors::Environment>> envs;
  const hw::Hardware* packages[] = {&f.hw, &mesh, &chain};
  for (const hw::Hardware* hw : packages) {
    auto env = actors::Environment::Create(f.graph, *hw, c);
    ASSERT_TRUE(env.ok()) << env.status().message();
    envs.push_back(std::move(env).value());
  }
  Policy policy(c.policy, 1);
  std::vector<actors::Environment*> raw;
  for (const auto& env : envs) {
    policy.AddGraph(env->features());
    raw.push_back(env.get());
  }
  constexpr int kAsks = 30;
  RlStrategy a(policy, raw, 1, 7), b(policy, raw, 1, 7), other(policy, raw, 1, 8);
  const std::vector<int> entries = AskedEntries(a, kAsks);
  EXPECT_EQ(entries, AskedEntries(b, kAsks));
  EXPECT_NE(entries, AskedEntries(other, kAsks));
  std::vector<int> round_robin;
  for (int i = 0; i < kAsks; ++i) round_robin.push_back(i % 3);
  EXPECT_NE(entries, round_robin);
  for (int e = 0; e < 3; ++e) EXPECT_NE(std::count(entries.begin(), entries.end(), e), 0) << e;
  // A proposal of an entry addresses that entry's chips only.
  for (const actors::search::Candidate& cand : a.Ask(4)) {
    const int k = raw[cand.record.graph]->hardware().num_chips;
    for (int chip : cand.record.proposal) EXPECT_LT(chip, k);
  }
}

// The policy runs a graph of more than 5,000 nodes on the CPU (segment-recurrent attention).
// With tie_units every sample keeps each placement unit on one chip and its nodes share one
// row of log-probabilities; untied, a uniform start splits colocation groups.
TEST(Policy, TiedUnitsAreSampledAsOneDecision) {
  auto g = common::LoadGraph(std::string(MCMPART_BENCHMARK_DIR) +
                             "/throughput-inputs/OperatorGraphs/bert_l-3_inference.json");
  ASSERT_TRUE(g.ok()) << g.status().message();
  auto hw = hw::LoadHardware("from-graph", &*g);
  ASSERT_TRUE(hw.ok());
  const actors::GraphFeatures features = actors::BuildFeatures(*g, *hw);
  ASSERT_LT(features.num_units, g->num_nodes());
  for (bool tie : {true, false}) {
    common::Config c;
    c.policy.prior_init = 0;
    c.policy.tie_units = tie;
    c.policy.decoder = common::Decoder::kIndependent;  // the sequential decoder always ties
    Policy policy(c.policy, 5);
    policy.AddGraph(features);
    common::Rng rng(2);
    PolicySample s = policy.Sample(0, 8, rng);
    int split = 0;
    for (const common::Partition& p : s.proposals) {
      std::vector<int> chip(features.num_units, -1);
      for (int v = 0; v < g->num_nodes(); ++v) {
        const int64_t u = features.unit[v];
        if (chip[u] < 0) chip[u] = p[v];
        split += chip[u] != p[v];
      }
    }
    if (tie) {
      EXPECT_EQ(split, 0);
      const int k = s.max_chips;
      for (int v = 0; v < g->num_nodes(); ++v) {
        const int first = static_cast<int>(
            std::find(features.unit.begin(), features.unit.end(), features.unit[v]) -
            features.unit.begin());
        for (int chip = 0; chip < k; ++chip) {
          ASSERT_FLOAT_EQ(s.log_prob_table[v * k + chip], s.log_prob_table[first * k + chip]);
        }
      }
    } else {
      EXPECT_GT(split, 0);
    }
  }
}

TEST(Policy, RunsAGraphOfFiveThousandNodes) {
  auto g = common::MakeBuiltinGraph("bert:layers=360,hidden=64,heads=2,seq=16");
  ASSERT_TRUE(g.ok());
  ASSERT_GT(g->num_nodes(), 5000);
  hw::Hardware hw = *hw::MakePreset("mcm16-ring");
  common::Config c;
  Policy policy(c.policy, 1);
  policy.AddGraph(actors::BuildFeatures(*g, hw));
  common::Rng rng(1);
  PolicySample s = policy.Sample(0, 2, rng);
  ASSERT_EQ(s.proposals.size(), 2u);
  ASSERT_EQ(static_cast<int>(s.proposals[0].size()), g->num_nodes());
  ASSERT_EQ(static_cast<int>(s.log_prob_table.size()), g->num_nodes() * s.max_chips);
  for (int chip : s.proposals[1]) ASSERT_LT(chip, 16);
}

// The policy addresses 128 chips (the 8 × 16 mesh preset): sequential proposals open chips
// beyond the first 16, stay inside the 128, and their per-node log-probabilities are those of
// the decisions taken, as NodeLogProbs recomputes them.
TEST(Policy, AddressesOneHundredTwentyEightChips) {
  auto g = common::MakeBuiltinGraph("bert-large");
  ASSERT_TRUE(g.ok());
  auto hw = hw::MakePreset("mcm8x16-mesh");
  ASSERT_TRUE(hw.ok());
  ASSERT_EQ(hw->num_chips, 128);
  common::Config c;
  c.policy.max_chips = 128;
  c.policy.prior_init = 0;
  Policy policy(c.policy, 3);
  policy.AddGraph(actors::BuildFeatures(*g, *hw));
  common::Rng rng(5);
  const PolicySample s = policy.Sample(0, 4, rng);
  ASSERT_EQ(s.max_chips, 128);
  int highest = 0;
  for (size_t i = 0; i < s.proposals.size(); ++i) {
    for (int chip : s.proposals[i]) {
      ASSERT_GE(chip, 0);
      ASSERT_LT(chip, 128);
      highest = std::max(highest, chip);
    }
    const std::vector<float> again = s.NodeLogProbs(s.proposals[i]);
    ASSERT_EQ(again.size(), s.logp[i].size());
    for (size_t v = 0; v < again.size(); ++v) ASSERT_NEAR(again[v], s.logp[i][v], 1e-5);
  }
  EXPECT_GE(highest, 16);
}

}  // namespace
}  // namespace mcmpart::policy
