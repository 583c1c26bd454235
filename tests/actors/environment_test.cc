// Environment scoring: the soft-maximum training reward against the evaluator's own numbers.
#include "actors/environment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "actors/placement.h"
#include "actors/sequencer.h"
#include "common/bert.h"
#include "hw/hardware.h"

namespace mcmpart::actors {
namespace {

// A chain of five given-latency nodes (4, 1, 2, 1, 2 ms) with free transfers on three chips.
struct Chain {
  common::Graph graph;
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  Chain() {
    const double ms[] = {4, 1, 2, 1, 2};
    for (int i = 0; i < 5; ++i) {
      common::Node n;
      n.name = "n" + std::to_string(i);
      n.op_class = common::OpClass::kGiven;
      n.latency_s = ms[i] * 1e-3;
      graph.nodes.push_back(n);
      if (i > 0) graph.edges.push_back({i - 1, i, 0, 0.0});
    }
    EXPECT_TRUE(graph.Finalize().ok());
    hw.num_chips = 3;
  }
  ScoreOutcome Score(double temp, const common::Partition& p) {
    common::Config config;
    config.run.evaluator = common::EvaluatorKind::kMaxload;
    config.ppo.reward_softmax_temp = temp;
    auto env = Environment::Create(graph, hw, config);
    EXPECT_TRUE(env.ok()) << env.status().message();
    ScoreOutcome r = (*env)->Score(p, {});
    EXPECT_TRUE(r.valid);
    return r;
  }
};

TEST(Environment, SoftMaximumRewardPrefersTheBetterBalancedOfTwoEqualMaxima) {
  Chain c;
  const common::Partition balanced = {0, 1, 1, 2, 2};  // busy 4, 3, 3 ms
  const common::Partition lopsided = {0, 1, 1, 1, 2};  // busy 4, 4, 2 ms
  const ScoreOutcome plain_a = c.Score(0, balanced), plain_b = c.Score(0, lopsided);
  ASSERT_NEAR(1 / plain_a.throughput, 4e-3, 1e-9);
  EXPECT_DOUBLE_EQ(plain_a.reward, plain_b.reward);  // the objective cannot tell them apart
  const double temp = 0.1;
  const ScoreOutcome soft_a = c.Score(temp, balanced), soft_b = c.Score(temp, lopsided);
  EXPECT_GT(soft_a.reward, soft_b.reward);
  EXPECT_DOUBLE_EQ(soft_a.throughput, plain_a.throughput);  // only the training reward changes
  // A soft maximum lies between the maximum and the maximum + τ·max·log K.
  for (const auto& [soft, plain] : {std::pair{soft_a, plain_a}, std::pair{soft_b, plain_b}}) {
    EXPECT_LT(soft.reward, plain.reward);
    EXPECT_GT(soft.reward, plain.reward / (1 + temp * std::log(3.0)));
  }
  // A vanishing temperature gives back the objective.
  EXPECT_NEAR(c.Score(1e-6, lopsided).reward, plain_b.reward, 1e-6 * plain_b.reward);
}

// actor.decision_order reaches everything the order sets: the schedule the decoder walks, the
// balanced-split prior and repair's projection; on BERT-base the two orders differ.
TEST(Environment, DecisionOrderReachesTheScheduleThePriorAndRepair) {
  auto graph = common::MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const hw::Hardware hw = *hw::MakePreset("mcm16-ring");
  common::Config config;
  config.run.evaluator = common::EvaluatorKind::kMaxload;
  for (common::DecisionOrder order :
       {common::DecisionOrder::kLate, common::DecisionOrder::kEarly}) {
    config.actor.decision_order = order;
    auto env = Environment::Create(*graph, hw, config);
    ASSERT_TRUE(env.ok()) << env.status().message();
    EXPECT_EQ((*env)->decision_order(), order);
    EXPECT_EQ((*env)->features().schedule.order, BuildUnitSchedule(*graph, hw, order).order);
    const common::Partition prior = GreedyPipeline(*graph, hw, hw.num_chips, order);
    const std::vector<int64_t>& chips = (*env)->features().prior_chip;
    EXPECT_TRUE(std::equal(chips.begin(), chips.end(), prior.begin(), prior.end()));
    EXPECT_EQ(RepairOptionsFromConfig(config).order, order);
  }
  EXPECT_NE(BuildUnitSchedule(*graph, hw, common::DecisionOrder::kLate).order,
            BuildUnitSchedule(*graph, hw, common::DecisionOrder::kEarly).order);
}

}  // namespace
}  // namespace mcmpart::actors
