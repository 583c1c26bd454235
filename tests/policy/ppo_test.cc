// PPO trainer sanity: initial weights match the actors', updates move probability toward
// rewarded actions, statistics stay in range, checkpoints round-trip.
#include "policy/ppo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/environment.h"
#include "actors/features.h"
#include "actors/repair.h"
#include "actors/search/dp.h"
#include "actors/search/strategy.h"
#include "actors/sequencer.h"
#include "common/bert.h"
#include "common/config.h"
#include "policy/policy.h"
#include "policy/rl_strategy.h"
#include "tests/policy/fixture.h"

namespace mcmpart::policy {
namespace {

TEST(Ppo, LearnerAndActorStartFromTheSameWeights) {
  common::Config c;
  PpoTrainer trainer(c, 7);
  Policy policy(c.policy, 7);
  EXPECT_EQ(trainer.FlatWeights(), policy.FlatWeights());
  Policy other(c.policy, 8);
  EXPECT_NE(other.FlatWeights(), policy.FlatWeights());
}

TEST(Ppo, ActorAndLearnerLogProbsAgreeAfterWeightTransfer) {
  Fixture f;
  common::Config c;
  PpoTrainer trainer(c, 3);
  trainer.AddGraph(f.features);
  Policy reference(c.policy, 3);  // the learner's initial network, as an actor sees it
  reference.AddGraph(f.features);
  Policy policy(c.policy, 99);
  policy.AddGraph(f.features);
  common::Rng rng(1);
  const auto before = policy.Sample(0, 1, rng).log_prob_table;
  ASSERT_TRUE(policy.SetFlatWeights(trainer.FlatWeights()).ok());
  EXPECT_EQ(policy.FlatWeights(), trainer.FlatWeights());
  const auto after = policy.Sample(0, 1, rng).log_prob_table;
  EXPECT_NE(before, after);
  EXPECT_EQ(after, reference.Sample(0, 1, rng).log_prob_table);
  // The record the learner trains on carries exactly these per-node log-probabilities.
  PolicySample s = policy.Sample(0, 3, rng);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.NodeLogProbs(s.proposals[i]), s.logp[i]);
  EXPECT_FALSE(policy.SetFlatWeights(std::vector<float>(3)).ok());
}

// --init-temperature: softening by T divides every decision's logits by T, so each step's
// distribution over the allowed chips becomes softmax(z / T), and the feature weights by T.
TEST(Ppo, SofteningDividesEveryDecisionsLogitsByTheTemperature) {
  Fixture f;
  common::Config c;
  PpoTrainer trainer(c, 5);
  Policy before(c.policy, 1), after(c.policy, 1);
  before.AddGraph(f.features);
  after.AddGraph(f.features);
  ASSERT_TRUE(before.SetFlatWeights(trainer.FlatWeights()).ok());
  constexpr double kT = 4.0;
  trainer.Soften(kT);
  ASSERT_TRUE(after.SetFlatWeights(trainer.FlatWeights()).ok());
  common::Rng rng(1);
  const PolicySample a = before.Sample(0, 1, rng), b = after.Sample(0, 1, rng);
  const int k = f.hw.num_chips, stride = a.max_chips;
  double spread_before = 0, spread_after = 0;
  for (int v = 0; v < f.graph.num_nodes(); ++v) {
    const float* ra = &a.log_prob_table[static_cast<size_t>(v) * stride];
    const float* rb = &b.log_prob_table[static_cast<size_t>(v) * stride];
    double lse = 0;
    for (int c = 0; c < k; ++c) lse += std::exp(ra[c] / kT);
    for (int c = 0; c < k; ++c) EXPECT_NEAR(rb[c], ra[c] / kT - std::log(lse), 1e-4);
    spread_before += *std::max_element(ra, ra + k) - *std::min_element(ra, ra + k);
    spread_after += *std::max_element(rb, rb + k) - *std::min_element(rb, rb + k);
  }
  EXPECT_LT(spread_after, spread_before / 2);
  ASSERT_EQ(a.theta_table.size(), b.theta_table.size());
  for (size_t i = 0; i < a.theta_table.size(); ++i)
    EXPECT_NEAR(b.theta_table[i], a.theta_table[i] / kT, 1e-6);
}

// The learner scores each record's decisions exactly as the actor decoded them: with a
// vanishing learning rate every PPO ratio stays 1 (approx-KL ≈ 0, nothing clipped), for both
// decoders, training on proposals and on repaired partitions (RlStrategy::Tell's log-probs).
TEST(Ppo, LearnerRecomputesTheActorsLogProbs) {
  Fixture f;
  for (common::Decoder decoder : {common::Decoder::kSequential, common::Decoder::kIndependent}) {
    for (bool repaired : {true, false}) {
      common::Config c;
      c.policy.decoder = decoder;
      c.ppo.train_on_repaired = repaired;
      c.ppo.lr = 1e-12;
      c.ppo.target_kl = 100;
      auto env = actors::Environment::Create(f.graph, f.hw, c);
      ASSERT_TRUE(env.ok()) << env.status().message();
      PpoTrainer trainer(c, 4);
      trainer.AddGraph((*env)->features());
      Policy policy(c.policy, 4);
      policy.AddGraph((*env)->features());
      RlStrategy strategy(policy, {env->get()}, 1, 9);
      std::vector<actors::EpisodeRecord> batch;
      for (int round = 0; round < 4; ++round) {
        for (actors::EpisodeRecord& r : actors::search::AskScoreTell(strategy, {env->get()}, 4, 0))
          batch.push_back(std::move(r));
      }
      // Half the records train on random valid partitions, which the masks need not allow,
      // scored by the actor's forward pass like a repaired partition.
      actors::Repairer repairer(f.graph, f.hw);
      common::Rng rng(11);
      const PolicySample s = policy.Sample(0, 1, rng);
      for (size_t i = 0; i < batch.size(); i += 2) {
        actors::RepairResult valid = repairer.SampleValid(rng);
        ASSERT_FALSE(valid.partition.empty());
        batch[i].partition = valid.partition;
        batch[i].logp_partition = s.NodeLogProbs(valid.partition);
      }
      const PpoStats st = trainer.Update(batch);
      EXPECT_LT(st.approx_kl, 1e-6) << common::EnumName(decoder) << " repaired=" << repaired;
      EXPECT_EQ(st.clip_fraction, 0.0);
    }
  }
}

TEST(Ppo, UpdatesRaiseTheProbabilityOfRewardedActions) {
  Fixture f;
  common::Config c;
  c.ppo.batch_size = 32;
  c.ppo.minibatch = 8;
  c.ppo.target_kl = 10;     // no early stop: we want to see the update act
  c.policy.prior_init = 0;  // start uniform so the shift toward chip 0 is the update's alone
  PpoTrainer trainer(c, 1);
  trainer.AddGraph(f.features);
  Policy policy(c.policy, 1);
  policy.AddGraph(f.features);
  common::Rng rng(5);
  auto mean_prob_chip0 = [&]() {
    PolicySample s = policy.Sample(0, 1, rng);
    double p = 0;
    for (int v = 0; v < f.graph.num_nodes(); ++v) p += std::exp(s.log_prob_table[v * s.max_chips]);
    return p / f.graph.num_nodes();
  };
  const double before = mean_prob_chip0();
  EXPECT_NEAR(before, 1.0 / 8, 0.02);  // near-uniform over the 8 unmasked chips
  for (int round = 0; round < 5; ++round) {
    PolicySample s = policy.Sample(0, c.ppo.batch_size, rng);
    std::vector<actors::EpisodeRecord> batch(c.ppo.batch_size);
    for (int i = 0; i < c.ppo.batch_size; ++i) {
      actors::EpisodeRecord& r = batch[i];
      r.proposal = s.proposals[i];
      r.logp_proposal = s.logp[i];
      r.value = s.value;
      int on0 = 0;
      for (int chip : r.proposal) on0 += chip == 0;
      r.reward = static_cast<double>(on0) / r.proposal.size();  // reward chip 0
    }
    PpoStats st = trainer.Update(batch);
    EXPECT_GE(st.approx_kl, -1e-6);
    EXPECT_GE(st.clip_fraction, 0.0);
    EXPECT_LE(st.clip_fraction, 1.0);
    EXPECT_GT(st.entropy, 0.0);
    EXPECT_LE(st.entropy, std::log(8.0) + 1e-3);  // masked chips carry no entropy
    EXPECT_GT(st.grad_norm, 0.0);
    ASSERT_TRUE(policy.SetFlatWeights(trainer.FlatWeights()).ok());
  }
  EXPECT_GT(mean_prob_chip0(), before * 1.5);
}

TEST(Ppo, MaskedChipsAreNeverSampled) {
  Fixture f;
  common::Config c;
  Policy policy(c.policy, 2);
  policy.AddGraph(f.features);  // K = 8 < K_max = 16
  common::Rng rng(1);
  PolicySample s = policy.Sample(0, 50, rng);
  for (const auto& p : s.proposals) {
    for (int chip : p) {
      ASSERT_GE(chip, 0);
      ASSERT_LT(chip, 8);
    }
  }
  for (int v = 0; v < f.graph.num_nodes(); ++v) {
    for (int k = 8; k < s.max_chips; ++k) EXPECT_LT(s.log_prob_table[v * s.max_chips + k], -1e6);
  }
}

}  // namespace
}  // namespace mcmpart::policy

namespace mcmpart::policy {
namespace {

std::vector<actors::EpisodeRecord> RandomBatch(Policy& policy, int n, uint64_t seed) {
  common::Rng rng(seed);
  PolicySample s = policy.Sample(0, n, rng);
  std::vector<actors::EpisodeRecord> batch(n);
  for (int i = 0; i < n; ++i) {
    batch[i].proposal = s.proposals[i];
    batch[i].logp_proposal = s.logp[i];
    batch[i].value = s.value;
    batch[i].reward = (s.proposals[i][0] + s.proposals[i][1]) / 14.0;
    batch[i].valid = true;  // repaired = proposed, so they also feed self-imitation's elites
    batch[i].partition = s.proposals[i];
    batch[i].logp_partition = s.logp[i];
  }
  return batch;
}

TEST(Checkpoint, RoundTripIsBitExactAndContinuesIdentically) {
  Fixture f;
  common::Config c;
  c.ppo.batch_size = 16;
  c.ppo.minibatch = 8;
  c.ppo.sil_coef = 0.5;
  PpoTrainer a(c, 11);
  a.AddGraph(f.features);
  Policy policy(c.policy, 11);
  policy.AddGraph(f.features);
  a.Update(RandomBatch(policy, 16, 1));
  TrainingState st;
  st.policy_version = 1;
  st.updates = 1;
  st.evaluations = 16;
  st.best_partition = {0, 1, 2};
  st.best_throughput = 123.5;
  st.config_text = common::ConfigToToml(c);
  const std::string path = ::testing::TempDir() + "/ppo.ckpt";
  ASSERT_TRUE(a.SaveCheckpoint(path, st).ok());

  PpoTrainer b(c, 999);  // different initial weights and RNG
  b.AddGraph(f.features);
  ASSERT_NE(a.FlatWeights(), b.FlatWeights());
  auto loaded = b.LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(a.FlatWeights(), b.FlatWeights());
  EXPECT_EQ(loaded->policy_version, 1);
  EXPECT_EQ(loaded->evaluations, 16);
  EXPECT_EQ(loaded->best_partition, st.best_partition);
  EXPECT_DOUBLE_EQ(loaded->best_throughput, 123.5);
  EXPECT_EQ(loaded->config_text, st.config_text);

  // Optimiser moments, the shuffling RNG and the self-imitation elites came back too: the next
  // update is identical.
  auto batch = RandomBatch(policy, 16, 2);
  a.Update(batch);
  b.Update(batch);
  EXPECT_EQ(a.FlatWeights(), b.FlatWeights());
}

TEST(Checkpoint, BadFilesAreErrorsThatLeaveTheTrainerUnchanged) {
  common::Config c;
  PpoTrainer t(c, 1);
  const auto before = t.FlatWeights();
  auto missing = t.LoadCheckpoint("/nonexistent/x.ckpt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/x.ckpt"), std::string::npos);
  const std::string junk = ::testing::TempDir() + "/junk.ckpt";
  std::ofstream(junk) << "not a checkpoint";
  EXPECT_FALSE(t.LoadCheckpoint(junk).ok());
  // A checkpoint of a differently sized policy.
  common::Config wide = c;
  wide.policy.hidden = 32;
  PpoTrainer other(wide, 1);
  const std::string path = ::testing::TempDir() + "/wide.ckpt";
  ASSERT_TRUE(other.SaveCheckpoint(path, TrainingState{}).ok());
  auto mismatch = t.LoadCheckpoint(path);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_FALSE(t.LoadWeights(path).ok());
  EXPECT_EQ(t.FlatWeights(), before);
}

// The weights-only reader returns what the trainer saved, without building a trainer; its
// errors name the path.
TEST(Checkpoint, WeightsAreReadWithoutATrainer) {
  Fixture f;
  common::Config c;
  c.ppo.batch_size = 16;
  c.ppo.minibatch = 8;
  PpoTrainer trainer(c, 12);
  trainer.AddGraph(f.features);
  Policy policy(c.policy, 12);
  policy.AddGraph(f.features);
  trainer.Update(RandomBatch(policy, 16, 3));
  const std::string path = ::testing::TempDir() + "/weights.ckpt";
  ASSERT_TRUE(trainer.SaveCheckpoint(path, TrainingState{}).ok());
  auto weights = ReadCheckpointWeights(path, c.policy);
  ASSERT_TRUE(weights.ok()) << weights.status().message();
  EXPECT_EQ(*weights, trainer.FlatWeights());
  EXPECT_NE(*weights, policy.FlatWeights());  // the update moved them off the initial weights
  ASSERT_TRUE(policy.SetFlatWeights(*weights).ok());
  EXPECT_EQ(policy.FlatWeights(), trainer.FlatWeights());

  auto missing = ReadCheckpointWeights("/nonexistent/w.ckpt", c.policy);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/w.ckpt"), std::string::npos);
  const std::string junk = ::testing::TempDir() + "/junk-weights.ckpt";
  std::ofstream(junk) << "not a checkpoint";
  auto corrupt = ReadCheckpointWeights(junk, c.policy);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.status().message().find(junk), std::string::npos);
  common::Config wide = c;
  wide.policy.hidden = 32;
  auto mismatch = ReadCheckpointWeights(path, wide.policy);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find(path), std::string::npos);
  EXPECT_NE(mismatch.status().message().find("another shape"), std::string::npos);
  // The first parameter that differs, with both shapes.
  EXPECT_NE(mismatch.status().message().find("'embed.weight' is ["), std::string::npos)
      << mismatch.status().message();
}

}  // namespace
}  // namespace mcmpart::policy

namespace mcmpart::policy {
namespace {

// A 16-record batch of `s`'s proposals with reward i % 2 (advantage < 0 for even records) and
// behaviour log-probabilities shifted by shift(i), and a config whose update has only the
// policy term (value and entropy off, one minibatch).
common::Config PolicyTermOnly() {
  common::Config c;
  c.ppo.batch_size = 16;
  c.ppo.minibatch = 16;
  c.ppo.epochs = 1;
  c.ppo.value_coef = 0;
  c.ppo.entropy_coef = 0;
  return c;
}

std::vector<actors::EpisodeRecord> AlternatingBatch(const PolicySample& s,
                                                    const std::function<float(int)>& shift) {
  std::vector<actors::EpisodeRecord> batch(16);
  for (int i = 0; i < 16; ++i) {
    batch[i].proposal = s.proposals[i];
    batch[i].value = s.value;
    batch[i].reward = i % 2;
    batch[i].logp_proposal = s.logp[i];
    for (float& lp : batch[i].logp_proposal) lp += shift(i);
  }
  return batch;
}

// 16 sampled partitions of the fixture's graph under a fresh policy of `c`'s shape (seed 4).
PolicySample SixteenSamples(const Fixture& f, const common::Config& c) {
  Policy policy(c.policy, 4);
  policy.AddGraph(f.features);
  common::Rng rng(9);
  return policy.Sample(0, 16, rng);
}

// Records whose ratios already lie outside [1 - clip, 1 + clip] on the side their advantage
// favours contribute no policy gradient: with value and entropy terms off, weights stay put.
TEST(Ppo, ClippedRatiosGiveNoGradient) {
  Fixture f;
  common::Config c = PolicyTermOnly();
  c.ppo.target_kl = 100;
  PolicySample s = SixteenSamples(f, c);
  auto make_batch = [&](bool offset) {  // offset: ratio e for favoured actions, 1/e otherwise
    return AlternatingBatch(s, [&](int i) { return offset ? ((i % 2) ? -1.f : 1.f) : 0.f; });
  };
  PpoTrainer clipped(c, 4);
  clipped.AddGraph(f.features);
  const auto before = clipped.FlatWeights();
  PpoStats st = clipped.Update(make_batch(true));
  EXPECT_DOUBLE_EQ(st.clip_fraction, 1.0);
  EXPECT_EQ(clipped.FlatWeights(), before);

  PpoTrainer unclipped(c, 4);  // control: the same batch at ratio 1 does move the weights
  unclipped.AddGraph(f.features);
  PpoStats st2 = unclipped.Update(make_batch(false));
  EXPECT_DOUBLE_EQ(st2.clip_fraction, 0.0);
  EXPECT_NE(unclipped.FlatWeights(), before);
}

// A record whose behaviour log-probability is far below the learner's (a stale, improbable
// decision) cannot dominate an update: with a negative advantage the surrogate is bounded by
// the dual clip (10·A; Ye et al., 2020) and the log-ratio by ±20. Without them this batch's
// policy loss is about e^40.
TEST(Ppo, StaleImprobableDecisionsAreBounded) {
  Fixture f;
  common::Config c = PolicyTermOnly();
  c.ppo.target_kl = 1e30;
  PolicySample s = SixteenSamples(f, c);
  const auto batch = AlternatingBatch(s, [](int i) { return i % 2 ? 0.f : -40.f; });
  c.ppo.train_on_repaired = false;
  PpoTrainer trainer(c, 4);
  trainer.AddGraph(f.features);
  const PpoStats st = trainer.Update(batch);
  EXPECT_TRUE(std::isfinite(st.policy_loss));
  EXPECT_TRUE(std::isfinite(st.grad_norm));
  // Normalised advantages of ±1: each record's surrogate lies in [-10, 1.2].
  EXPECT_LE(std::abs(st.policy_loss), 10.0 + 1e-4) << st.policy_loss;
  EXPECT_GT(st.approx_kl, 1e6);  // the staleness is still reported
}

// Decisions that the decoder's rules forced (a repaired partition the masks do not allow) are
// not the policy's: their behaviour log-probabilities do not enter the ratio, however wrong.
TEST(Ppo, ForcedDecisionsDoNotEnterTheRatio) {
  Fixture f;
  common::Config c;
  c.ppo.lr = 1e-12;
  c.ppo.target_kl = 1e30;
  auto env = actors::Environment::Create(f.graph, f.hw, c);
  ASSERT_TRUE(env.ok()) << env.status().message();
  PpoTrainer trainer(c, 4);
  trainer.AddGraph((*env)->features());
  Policy policy(c.policy, 4);
  policy.AddGraph((*env)->features());
  common::Rng rng(11);
  const PolicySample s = policy.Sample(0, 1, rng);
  const actors::UnitSchedule& schedule = (*env)->features().schedule;
  // DP's partition with every unit on chips 1..K−2 one chip up: it opens chip 2 while chip 1
  // is closed, a step the rules forbid (as in Imitation.ForcedStepsAreCountedAndLeftOutOfTheLoss).
  auto dp = actors::search::DpMaxLoad(f.graph, f.hw);
  ASSERT_TRUE(dp.ok()) << dp.status().message();
  common::Partition moved = dp->partition;
  for (int& chip : moved) {
    if (chip >= 1 && chip < f.hw.num_chips - 1) ++chip;
  }
  const actors::UnitReplay replay = actors::ReplayPartition(schedule, moved);
  std::vector<actors::EpisodeRecord> batch;
  int forced = 0;
  for (int i = 0; i < 8; ++i) {
    actors::EpisodeRecord r;
    r.proposal = s.proposals[0];
    r.partition = i % 2 ? moved : dp->partition;
    r.logp_proposal = s.logp[0];
    r.logp_partition = s.NodeLogProbs(r.partition);
    r.reward = i % 2;
    for (int step = 0; i % 2 && step < schedule.num_units; ++step) {
      if (replay.forced[step]) {
        r.logp_partition.at(schedule.rep_node[schedule.order[step]]) = -50.f;
        ++forced;
      }
    }
    batch.push_back(std::move(r));
  }
  ASSERT_EQ(batch.size(), 8u);
  ASSERT_GT(forced, 0);
  const PpoStats st = trainer.Update(batch);
  EXPECT_LT(st.approx_kl, 1e-6);
  EXPECT_EQ(st.clip_fraction, 0.0);
}

// A trainer and an actor-side policy with self-imitation at `sil_coef` and the ceiling
// `max_prob`, no entropy bonus, uniform start, and a first batch in which one partition
// (`best`) earns 1.0 and the others 0.2.
struct SilRun {
  common::Config config;
  std::unique_ptr<PpoTrainer> trainer;
  std::unique_ptr<Policy> policy;
  std::vector<actors::EpisodeRecord> batch;
  common::Partition best;

  SilRun(const actors::GraphFeatures& features, double sil_coef, double max_prob, uint64_t seed) {
    config.ppo.batch_size = 16;
    config.ppo.minibatch = 16;
    config.ppo.epochs = 4;  // the schedule these tests were written for (defaults changed since)
    config.ppo.entropy_coef = 0;
    config.ppo.target_kl = 100;
    config.ppo.sil_coef = sil_coef;
    config.ppo.sil_max_prob = max_prob;
    config.policy.prior_init = 0;
    // Per-node draws: on the tiny graph many sequential samples coincide after repair.
    config.policy.decoder = common::Decoder::kIndependent;
    trainer = std::make_unique<PpoTrainer>(config, seed);
    trainer->AddGraph(features);
    policy = std::make_unique<Policy>(config.policy, seed);
    policy->AddGraph(features);
    batch = RandomBatch(*policy, 16, seed + 1);
    for (auto& r : batch) r.reward = 0.2;
    batch[0].reward = 1.0;
    best = batch[0].partition;
  }
  void Update(const std::vector<actors::EpisodeRecord>& b) {
    trainer->Update(b);
    EXPECT_TRUE(policy->SetFlatWeights(trainer->FlatWeights()).ok());
  }
  /// Per-node log-probabilities of `best` under the current weights.
  std::vector<float> BestLogProbs() {
    common::Rng rng(1);
    return policy->Sample(0, 1, rng).NodeLogProbs(best);
  }
};

// Self-imitation (Oh et al., 2018): once a high-reward partition has been seen, later updates
// keep raising its probability even when it is not in their batch and the batch's own rewards
// are all equal (so PPO alone has no policy gradient). Without it, the partition's
// log-probability barely moves.
TEST(Ppo, SelfImitationKeepsPullingTowardsTheBestPartitionSeen) {
  Fixture f;
  auto run = [&](double sil_coef) {
    SilRun sil(f.features, sil_coef, 0.97, 6);
    sil.Update(sil.batch);
    auto mean_logp = [&]() {
      double sum = 0;
      for (float x : sil.BestLogProbs()) sum += x;
      return sum / f.graph.num_nodes();
    };
    const double before = mean_logp();
    for (int round = 0; round < 3; ++round) {
      auto plain = RandomBatch(*sil.policy, 16, 10 + round);
      for (auto& r : plain) {
        r.reward = 0.2;
        EXPECT_NE(r.partition, sil.best);
      }
      sil.Update(plain);
    }
    return mean_logp() - before;
  };
  const double with_sil = run(0.5);
  const double without = run(0.0);
  EXPECT_GT(with_sil, 0.05) << "nats per node";
  EXPECT_GT(with_sil, 5 * std::abs(without));
}

// The ceiling: with only self-imitation acting (equal rewards, no entropy bonus), the elite's
// mean per-node probability levels off near sil_max_prob; without a ceiling it goes to ~1.
TEST(Ppo, SelfImitationStopsAtTheProbabilityCeiling) {
  Fixture f;
  auto run = [&](double ceiling) {
    SilRun sil(f.features, 1.0, ceiling, 8);
    for (int round = 0; round < 40; ++round) sil.Update(sil.batch);
    double mean_p = 0;
    for (float x : sil.BestLogProbs()) mean_p += std::exp(x);
    return mean_p / f.graph.num_nodes();
  };
  const double capped = run(0.5);
  const double free = run(1.0);
  EXPECT_GT(capped, 0.35);
  EXPECT_LT(capped, 0.75);  // shared weights carry some nodes a little past the ceiling
  EXPECT_GT(free, 0.95);
}

// Fraction of the units whose chip in the actor's greedy decode (a Policy holding the
// trainer's weights) equals the target's.
double GreedyAgreement(PpoTrainer& trainer, const common::PolicyConfig& config,
                       const actors::GraphFeatures& features, const common::Partition& target) {
  Policy policy(config, 1);
  policy.AddGraph(features);
  EXPECT_TRUE(policy.SetFlatWeights(trainer.FlatWeights()).ok());
  common::Rng rng(1);
  const common::Partition greedy = policy.Sample(0, 1, rng, /*greedy=*/true).proposals[0];
  const actors::UnitSchedule& s = features.schedule;
  int agree = 0;
  for (int u = 0; u < s.num_units; ++u) agree += greedy[s.rep_node[u]] == target[s.rep_node[u]];
  return static_cast<double>(agree) / s.num_units;
}

// bert-mini over the 8-chip ring, its features and DP's partition (a cloning target), and a
// one-thread config.
struct BertMiniTarget {
  common::Graph graph = common::MakeBert(common::BertConfig{4, 256, 4, 128}, "bert-mini");
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  actors::GraphFeatures features = actors::BuildFeatures(graph, hw);
  common::StatusOr<actors::search::DpResult> dp = actors::search::DpMaxLoad(graph, hw);
  common::Config config;
  BertMiniTarget() { config.ppo.learner_threads = 1; }
};

// Behaviour cloning (PpoTrainer::Imitate) of a DP partition of bert-mini over the 8-chip ring:
// the untrained greedy decode places few units as DP does; after 150 cloning steps it places
// at least 95% of them so, as the trainer's own measure says. DP's partition opens its chips in
// the decoder's order, so no step is forced.
TEST(Imitation, GreedyDecodeReproducesADpPartitionAfterCloning) {
  const BertMiniTarget t;
  const actors::GraphFeatures& features = t.features;
  const auto& dp = t.dp;
  ASSERT_TRUE(dp.ok()) << dp.status().message();
  const common::Config& c = t.config;
  PpoTrainer trainer(c, 5);
  trainer.AddGraph(features);
  const double before = GreedyAgreement(trainer, c.policy, features, dp->partition);
  std::vector<ImitationStats> reports;
  const ImitationStats st = trainer.Imitate(
      {{0, dp->partition}}, 150, [&](const ImitationStats& r) { reports.push_back(r); }, 50);
  const double after = GreedyAgreement(trainer, c.policy, features, dp->partition);
  EXPECT_EQ(st.forced_steps, std::vector<int>{0});
  EXPECT_EQ(st.decisions, std::vector<int>{features.schedule.num_units});
  EXPECT_LT(before, 0.8);
  EXPECT_GE(after, 0.95);
  EXPECT_DOUBLE_EQ(st.agreement, after);
  ASSERT_EQ(reports.size(), 4u);  // steps 0, 50, 100 and the end
  EXPECT_EQ(reports.front().step, 0);
  EXPECT_DOUBLE_EQ(reports.front().agreement, before);
  EXPECT_EQ(reports.back().step, 150);
  EXPECT_LT(st.loss, 0.25 * reports.front().loss);
  std::printf("bert-mini cloning: agreement %.3f -> %.3f, loss %.3f -> %.3f, %.1f ms/step\n",
              before, after, reports.front().loss, st.loss, st.step_ms);
}

// DAgger rounds label the policy's own decodes (greedy and three sampled per target graph and
// round) with the chain expert and clone them too: every decision is counted, the DP target is
// still learned, and without rounds none are added. (The expert's approximate busy times and
// DP's max-load split disagree on some decisions: agreement with the expert is not 1.)
TEST(Imitation, DaggerRoundsLabelThePolicysOwnDecodes) {
  const BertMiniTarget t;
  const actors::GraphFeatures& features = t.features;
  const auto& dp = t.dp;
  ASSERT_TRUE(dp.ok()) << dp.status().message();
  common::Config c = t.config;
  c.ppo.imitate_dagger = 3;
  PpoTrainer trainer(c, 5);
  trainer.AddGraph(features);
  std::vector<double> agreement;
  int64_t last = 0;
  const ImitationStats st = trainer.Imitate(
      {{0, dp->partition}}, 160,
      [&](const ImitationStats& r) {
        if (r.dagger_decisions > last) agreement.push_back(r.dagger_agreement);
        last = r.dagger_decisions;
      },
      1);
  EXPECT_EQ(st.dagger_decisions, 3 * 4 * static_cast<int64_t>(features.schedule.num_units));
  ASSERT_EQ(agreement.size(), 3u);
  for (double a : agreement) EXPECT_TRUE(a > 0.5 && a <= 1.0) << a;
  EXPECT_GE(st.agreement, 0.9);  // the DP target is still learned
  PpoTrainer plain(t.config, 5);
  plain.AddGraph(features);
  EXPECT_EQ(plain.Imitate({{0, dp->partition}}, 20).dagger_decisions, 0);
  std::printf("DAgger: expert agreement %.3f -> %.3f over 3 rounds, target agreement %.3f\n",
              agreement.front(), agreement.back(), st.agreement);
}

// A hand-made target with a forced step (chip 2 opened while chip 1 is still closed): cloning
// counts it as the replay does, still learns the free decisions (their loss falls as for a DP
// target), and greedy decoding cannot reproduce the target (a decoded partition never has a
// forced step, Sequencer.ReplayEqualsTheDecode).
TEST(Imitation, ForcedStepsAreCountedAndLeftOutOfTheLoss) {
  Fixture f;
  const actors::UnitSchedule& s = f.features.schedule;
  auto dp = actors::search::DpMaxLoad(f.graph, f.hw);
  ASSERT_TRUE(dp.ok()) << dp.status().message();
  // Every unit on chips 1..K−2 moves one chip up: the first unit that DP put on chip 1 then
  // opens chip 2 while chip 1 is closed.
  common::Partition target = dp->partition;
  ASSERT_NE(std::count(target.begin(), target.end(), 1), 0);
  EXPECT_EQ(actors::ReplayPartition(s, target).ForcedSteps(), 0);
  for (int v = 0; v < f.graph.num_nodes(); ++v) {
    if (target[v] >= 1 && target[v] < f.hw.num_chips - 1) ++target[v];
  }
  common::Config c;
  c.ppo.learner_threads = 1;
  PpoTrainer trainer(c, 5);
  trainer.AddGraph(f.features);
  double first_loss = 0;
  const ImitationStats st = trainer.Imitate(
      {{0, target}}, 100, [&](const ImitationStats& r) { first_loss += r.step == 0 ? r.loss : 0; });
  ASSERT_EQ(st.forced_steps.size(), 1u);
  EXPECT_GE(st.forced_steps[0], 1);
  EXPECT_EQ(st.forced_steps[0], actors::ReplayPartition(s, target).ForcedSteps());
  EXPECT_LT(st.agreement, 1.0);
  EXPECT_LT(st.loss, 0.1 * first_loss);
  std::printf("forced target: %d of %d decisions forced, agreement %.3f, loss %.3f -> %.3f\n",
              st.forced_steps[0], st.decisions[0], st.agreement, first_loss, st.loss);
}

}  // namespace
}  // namespace mcmpart::policy
