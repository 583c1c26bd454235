// ExactMaxLoad against brute-force enumeration with the checker and the maxload evaluator.
#include "actors/search/exact.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "actors/repair.h"
#include "common/bert.h"
#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "tests/actors/random_dag.h"

namespace mcmpart::actors::search {
namespace {

using common::Partition;

TEST(ExactMaxLoad, MatchesBruteForceOnTinyGraphs) {
  int solved = 0;
  for (uint64_t seed = 1; seed <= 250; ++seed) {
    testing::Instance inst = testing::RandomInstance(9000 + seed, 2 + seed % 9, 3);
    const common::Graph& g = inst.graph;
    auto eval = hw::MakeMaxLoadEvaluator(g, inst.hw);
    double best = std::numeric_limits<double>::infinity();
    testing::ForEachPartition(g.num_nodes(), inst.hw.num_chips, [&](const Partition& p) {
      if (hw::IsValid(g, inst.hw, p)) best = std::min(best, eval->Evaluate(p).time_per_sample_s);
    });
    auto r = ExactMaxLoad(g, inst.hw);
    if (std::isinf(best)) {
      EXPECT_FALSE(r.ok()) << "seed " << seed;
      continue;
    }
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.status().message();
    EXPECT_TRUE(r->proven_optimal);
    ASSERT_TRUE(hw::IsValid(g, inst.hw, r->partition));
    EXPECT_NEAR(r->max_load_s, best, 1e-6 * best) << "seed " << seed;
    EXPECT_DOUBLE_EQ(r->max_load_s, eval->Evaluate(r->partition).time_per_sample_s);
    ++solved;
  }
  EXPECT_GT(solved, 100);
}

TEST(ExactMaxLoad, ProvesOptimalityOnSixtyNodes) {
  auto graph = common::MakeBuiltinGraph("bert:layers=4,hidden=128,heads=2,seq=16");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  ASSERT_GE(graph->num_nodes(), 60);
  testing::Instance inst{*graph, *hw::MakePreset("mcm8-ring")};
  inst.hw.num_chips = 4;
  inst.hw.chip.sram_bytes = inst.graph.TotalWeightBytes() * 5 / 6;
  auto r = ExactMaxLoad(inst.graph, inst.hw);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->proven_optimal);
  EXPECT_TRUE(hw::IsValid(inst.graph, inst.hw, r->partition));
  // No random valid partition beats the optimum.
  Repairer repairer(inst.graph, inst.hw);
  auto eval = hw::MakeMaxLoadEvaluator(inst.graph, inst.hw);
  common::Rng rng(1);
  for (int i = 0; i < 50; ++i) {
    RepairResult s = repairer.SampleValid(rng);
    ASSERT_TRUE(HasPartition(s.status)) << s.message;
    EXPECT_GE(eval->Evaluate(s.partition).time_per_sample_s, r->max_load_s * (1 - 1e-6));
  }
}

}  // namespace
}  // namespace mcmpart::actors::search
