// The contiguous-split DP against brute force, the exact solver and the benchmark's optima.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "actors/baselines.h"
#include "actors/exact.h"
#include "common/bert.h"
#include "common/graph_io.h"
#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "tests/actors/random_dag.h"

namespace mcmpart::actors {
namespace {

using common::Partition;

// Smallest max-load over valid partitions by enumeration (acyclic forced on: contiguous).
double BruteForce(const testing::Instance& inst) {
  auto eval = hw::MakeMaxLoadEvaluator(inst.graph, inst.hw);
  double best = std::numeric_limits<double>::infinity();
  testing::ForEachPartition(inst.graph.num_nodes(), inst.hw.num_chips, [&](const Partition& p) {
    if (hw::IsValid(inst.graph, inst.hw, p)) best = std::min(best, eval->Evaluate(p).time_per_sample_s);
  });
  return best;
}

bool HopBinding(const hw::Hardware& hw) {
  return hw.constraints.max_hop && hw.constraints.max_hop_distance < hw.num_chips - 1;
}

TEST(DpMaxLoad, MatchesBruteForceOverContiguousSplits) {
  int optimal = 0, bounded = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = testing::RandomInstance(5000 + seed, 2 + seed % 8, 4);
    inst.hw.constraints.acyclic = true;
    const double best = BruteForce(inst);
    auto r = DpMaxLoad(inst.graph, inst.hw);
    if (!HopBinding(inst.hw)) {
      EXPECT_EQ(r.ok(), !std::isinf(best)) << "seed " << seed;
      if (!r.ok()) continue;
      EXPECT_EQ(r->family, DpFamily::kAllIdeals);
      EXPECT_TRUE(r->optimal_contiguous);
      EXPECT_NEAR(r->max_load_s, best, 1e-9 * best) << "seed " << seed;
      ++optimal;
    } else if (r.ok()) {
      EXPECT_GE(r->max_load_s, best * (1 - 1e-9)) << "seed " << seed;
      ++bounded;
    }
    if (!r.ok()) continue;
    ASSERT_TRUE(hw::IsValid(inst.graph, inst.hw, r->partition))
        << "seed " << seed << ": " << hw::DescribeViolations(hw::CheckPartition(inst.graph, inst.hw, r->partition));
    EXPECT_DOUBLE_EQ(r->max_load_s,
                     hw::MakeMaxLoadEvaluator(inst.graph, inst.hw)->Evaluate(r->partition).time_per_sample_s);
  }
  EXPECT_GT(optimal, 100);
  EXPECT_GT(bounded, 20);
}

// On a totally ordered graph (a path plus forward chords) the prefixes are all the ideals, so
// the prefix DPs — including the max_hop pair-state DP with H = 1 — are optimal too.
TEST(DpMaxLoad, PrefixFamiliesAreOptimalOnTotalOrders) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    testing::Instance inst = testing::RandomInstance(7000 + seed, 2 + seed % 8, 4);
    common::Graph& g = inst.graph;
    for (int v = 0; v + 1 < g.num_nodes(); ++v) {
      bool has = false;
      for (const common::Edge& e : g.edges) has = has || (e.src == v && e.dst == v + 1);
      if (!has) g.AddEdge(v, v + 1);
    }
    ASSERT_TRUE(g.Finalize().ok());
    inst.hw.constraints.acyclic = true;
    inst.hw.constraints.colocate = false;  // a group would merge a stretch of the path
    const bool hop = seed % 2 == 0;
    inst.hw.constraints.max_hop = hop;
    inst.hw.constraints.max_hop_distance = 1;
    const double best = BruteForce(inst);
    DpOptions options;
    options.max_ideals = hop ? 20000 : 1;  // force the prefix family without max_hop
    auto r = DpMaxLoad(g, inst.hw, options);
    ASSERT_EQ(r.ok(), !std::isinf(best)) << "seed " << seed;
    if (!r.ok()) continue;
    if (inst.hw.num_chips > 2 || !hop) {
      EXPECT_EQ(r->family, hop && inst.hw.num_chips > 2 ? DpFamily::kPrefixesHop1 : DpFamily::kPrefixes);
    }
    EXPECT_TRUE(hw::IsValid(g, inst.hw, r->partition)) << "seed " << seed;
    EXPECT_NEAR(r->max_load_s, best, 1e-9 * best) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 80);
}

TEST(DpMaxLoad, AgreesWithExactSolverOnBertWithoutHopLimit) {
  auto graph = common::MakeBuiltinGraph("bert:layers=2,hidden=128,heads=2,seq=16");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  hw.num_chips = 3;
  hw.constraints.max_hop = false;
  hw.chip.sram_bytes = graph->TotalWeightBytes();  // binds: buffers keep one chip from taking all
  auto exact = ExactMaxLoad(*graph, hw);
  ASSERT_TRUE(exact.ok()) << exact.status().message();
  auto dp = DpMaxLoad(*graph, hw);
  ASSERT_TRUE(dp.ok()) << dp.status().message();
  ASSERT_TRUE(exact->proven_optimal);
  EXPECT_TRUE(dp->optimal_contiguous);
  // The exact solver covers every valid partition; with acyclic on those are contiguous.
  EXPECT_NEAR(dp->max_load_s, exact->max_load_s, 1e-6 * exact->max_load_s);
}

TEST(DpMaxLoad, BindingMaxHopGivesValidSplitsOnBertBase) {
  auto graph = common::MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(graph.ok());
  for (const char* preset : {"mcm8-ring", "mcm16-ring"}) {
    hw::Hardware hw = *hw::MakePreset(preset);
    auto r = DpMaxLoad(*graph, hw);
    ASSERT_TRUE(r.ok()) << preset << ": " << r.status().message();
    EXPECT_EQ(r->family, DpFamily::kPrefixesHop1);
    EXPECT_TRUE(hw::IsValid(*graph, hw, r->partition)) << preset;
    // A balanced pipeline cannot beat the compute of one chip's share.
    const double one_chip = hw::MakeMaxLoadEvaluator(*graph, hw)->Evaluate(Partition(graph->num_nodes(), 0)).time_per_sample_s;
    EXPECT_GE(r->max_load_s * hw.num_chips, one_chip * (1 - 1e-9));
    // The greedy pipeline (when valid) is no better than the DP over the same prefixes.
    Partition greedy = GreedyPipeline(*graph, hw, hw.num_chips);
    if (hw::IsValid(*graph, hw, greedy)) {
      EXPECT_LE(r->max_load_s, hw::MakeMaxLoadEvaluator(*graph, hw)->Evaluate(greedy).time_per_sample_s);
    }
  }
}

// README "Reference optima": the files whose ideals the DP enumerates quickly.
TEST(DpMaxLoad, MatchesDnnPartitioningOptima) {
  struct Case {
    const char* file;
    double optimum;
  };
  const Case cases[] = {
      {"OperatorGraphs/bert_l-3_inference.json", 27.9186},
      {"OperatorGraphs/bert_l-6_inference.json", 33.9891},
      {"OperatorGraphs/resnet50_inference.json", 128.074},
      {"LayerGraphs/bert24_inference.json", 17.7899},
      {"LayerGraphs/resnet50_inference.json", 34.2229},
  };
  for (const Case& c : cases) {
    const std::string path = std::string(MCMPART_BENCHMARK_DIR) + "/throughput-inputs/" + c.file;
    auto graph = common::LoadGraph(path);
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    auto hw = hw::LoadHardware("from-graph", &*graph);
    ASSERT_TRUE(hw.ok()) << hw.status().message();
    auto r = DpMaxLoad(*graph, *hw);
    ASSERT_TRUE(r.ok()) << c.file << ": " << r.status().message();
    EXPECT_TRUE(r->optimal_contiguous) << c.file;
    EXPECT_NEAR(r->max_load_s * 1e3, c.optimum, 1e-3 * c.optimum) << c.file;
  }
}

}  // namespace
}  // namespace mcmpart::actors
