// The contiguous-split DP against brute force, the exact solver and the benchmark's optima.
#include "actors/search/dp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "actors/placement.h"
#include "actors/search/exact.h"
#include "common/bert.h"
#include "common/graph_io.h"
#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "tests/actors/random_dag.h"

namespace mcmpart::actors::search {
namespace {

using common::Partition;

// Smallest max-load over valid partitions by enumeration (acyclic forced on: contiguous).
double BruteForce(const testing::Instance& inst) {
  auto eval = hw::MakeMaxLoadEvaluator(inst.graph, inst.hw);
  double best = std::numeric_limits<double>::infinity();
  testing::ForEachPartition(inst.graph.num_nodes(), inst.hw.num_chips, [&](const Partition& p) {
    if (hw::IsValid(inst.graph, inst.hw, p))
      best = std::min(best, eval->Evaluate(p).time_per_sample_s);
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
        << "seed " << seed << ": "
        << hw::DescribeViolations(hw::CheckPartition(inst.graph, inst.hw, r->partition));
    EXPECT_DOUBLE_EQ(
        r->max_load_s,
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
      EXPECT_EQ(r->family,
                hop && inst.hw.num_chips > 2 ? DpFamily::kPrefixesHop1 : DpFamily::kPrefixes);
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
    const double one_chip = hw::MakeMaxLoadEvaluator(*graph, hw)
                                ->Evaluate(Partition(graph->num_nodes(), 0))
                                .time_per_sample_s;
    EXPECT_GE(r->max_load_s * hw.num_chips, one_chip * (1 - 1e-9));
  }
}

// The windowed fewest-stages DP (bisection on the bound) and the pair-state DP over every
// stage and chip reach the same optimum under a binding max_hop, on random graphs too large to
// enumerate and on BERT-base.
TEST(DpMaxLoad, WindowedHopDpMatchesThePairStateDp) {
  int compared = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    testing::Instance inst = testing::RandomInstance(9000 + seed, 10 + seed % 50, 12);
    inst.hw.constraints.max_hop = true;
    inst.hw.constraints.max_hop_distance = 1;
    inst.hw.constraints.pin = false;
    if (!HopBinding(inst.hw)) continue;
    DpOptions pair;
    pair.windowed_hop1 = false;
    auto want = DpMaxLoad(inst.graph, inst.hw, pair);
    auto got = DpMaxLoad(inst.graph, inst.hw);
    ASSERT_EQ(got.ok(), want.ok()) << "seed " << seed;
    if (!got.ok()) continue;
    EXPECT_EQ(got->family, DpFamily::kPrefixesHop1);
    ASSERT_TRUE(hw::IsValid(inst.graph, inst.hw, got->partition)) << "seed " << seed;
    EXPECT_NEAR(got->max_load_s, want->max_load_s, 1e-9 * want->max_load_s) << "seed " << seed;
    ++compared;
  }
  EXPECT_GT(compared, 60);
  auto bert = common::MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(bert.ok());
  for (const char* preset : {"mcm8-ring", "mcm16-ring"}) {
    hw::Hardware hw = *hw::MakePreset(preset);
    DpOptions pair;
    pair.windowed_hop1 = false;
    auto want = DpMaxLoad(*bert, hw, pair);
    auto got = DpMaxLoad(*bert, hw);
    ASSERT_TRUE(want.ok() && got.ok()) << preset;
    EXPECT_NEAR(got->max_load_s, want->max_load_s, 1e-9 * want->max_load_s) << preset;
  }
}

// RandomInstance (2–6 nodes) with what the reductions act on: some nodes of zero compute, some
// of zero send cost, and up to 3 extra zero-compute sinks and sources hung on random nodes.
testing::Instance ZeroNodeInstance(uint64_t seed) {
  common::Rng rng(seed);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  testing::Instance inst = testing::RandomInstance(seed, uni(2, 6), 4);
  common::Graph& g = inst.graph;
  const int base = g.num_nodes();
  for (int v = 0; v < base; ++v) {
    if (uni(0, 2) == 0) {
      g.nodes[v].op_class = common::OpClass::kGiven;
      g.nodes[v].latency_s = 0;
      if (uni(0, 1)) g.nodes[v].weight_bytes = 0;
    }
  }
  const int extra = uni(0, 3);
  for (int i = 0; i < extra; ++i) {
    common::Node node;
    node.name = "z" + std::to_string(i);
    node.op = "Op";
    node.op_class = common::OpClass::kGiven;
    node.latency_s = 0;
    node.output_bytes = uni(0, 2) * 1000;
    node.weight_bytes = uni(0, 1) * 1000;
    const int z = g.AddNode(node);
    const bool sink = uni(0, 1);
    std::set<int> ends;
    for (int j = uni(1, 3); j > 0; --j) ends.insert(uni(0, base - 1));
    for (int u : ends) {
      if (sink) {
        g.AddEdge(u, z);
      } else {
        g.AddEdge(z, u);
      }
    }
  }
  for (int v = 0; v < g.num_nodes(); ++v) {
    if (uni(0, 2) == 0) {
      for (common::Edge& e : g.edges) {
        if (e.src == v) e.cost_s = 0;
      }
    }
  }
  EXPECT_TRUE(g.Finalize().ok());
  return inst;
}

// The exact reductions keep the optimum: the DP over all ideals of the reduced graph agrees
// with the DP over all ideals of the unreduced one and with brute force.
TEST(DpMaxLoad, ReductionsKeepTheOptimum) {
  int compared = 0, reduced = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = ZeroNodeInstance(9000 + seed);
    inst.hw.constraints.acyclic = true;
    DpOptions plain;
    plain.reduce = false;
    auto full = DpMaxLoad(inst.graph, inst.hw, plain);
    auto red = DpMaxLoad(inst.graph, inst.hw);
    ASSERT_EQ(full.ok(), red.ok()) << "seed " << seed;
    if (!HopBinding(inst.hw)) {
      EXPECT_EQ(red.ok(), !std::isinf(BruteForce(inst))) << "seed " << seed;
    }
    if (!red.ok()) continue;
    ASSERT_TRUE(hw::IsValid(inst.graph, inst.hw, red->partition))
        << "seed " << seed << ": "
        << hw::DescribeViolations(hw::CheckPartition(inst.graph, inst.hw, red->partition));
    const double evaluated =
        hw::MakeMaxLoadEvaluator(inst.graph, inst.hw)->Evaluate(red->partition).time_per_sample_s;
    EXPECT_DOUBLE_EQ(red->max_load_s, evaluated);
    EXPECT_NEAR(red->max_load_s, full->max_load_s, 1e-9 * full->max_load_s) << "seed " << seed;
    EXPECT_EQ(red->family, full->family) << "seed " << seed;
    EXPECT_EQ(red->optimal_contiguous, full->optimal_contiguous) << "seed " << seed;
    EXPECT_LE(red->family_size, full->family_size) << "seed " << seed;
    EXPECT_EQ(full->reduced_nodes, 0);
    if (!HopBinding(inst.hw)) {
      EXPECT_TRUE(red->optimal_contiguous) << "seed " << seed;
      const double best = BruteForce(inst);
      EXPECT_NEAR(red->max_load_s, best, 1e-9 * best) << "seed " << seed;
    } else {
      EXPECT_EQ(red->reduced_nodes, 0) << "seed " << seed;
    }
    ++compared;
    reduced += red->reduced_nodes > 0;
  }
  EXPECT_GT(compared, 150);
  EXPECT_GT(reduced, 60);
}

common::Graph LoadBenchmarkGraph(const std::string& file) {
  auto graph = common::LoadGraph(std::string(MCMPART_BENCHMARK_DIR) + "/throughput-inputs/" + file);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return graph.ok() ? std::move(*graph) : common::Graph();
}

// README "Reference optima, accelerators only (maxCPUs = 0), contiguous splits": all 7 files.
TEST(DpMaxLoad, MatchesDnnPartitioningOptima) {
  struct Case {
    const char* file;
    double optimum;
  };
  const Case cases[] = {
      {"OperatorGraphs/bert_l-3_inference.json", 27.9186},
      {"OperatorGraphs/bert_l-6_inference.json", 33.9891},
      {"OperatorGraphs/bert_l-12_inference.json", 147.478},
      {"OperatorGraphs/resnet50_inference.json", 128.074},
      {"LayerGraphs/bert24_inference.json", 17.7899},
      {"LayerGraphs/gnmt_inference.json", 32.9107},
      {"LayerGraphs/resnet50_inference.json", 34.2229},
  };
  for (const Case& c : cases) {
    const common::Graph graph = LoadBenchmarkGraph(c.file);
    ASSERT_GT(graph.num_nodes(), 0) << c.file;
    auto hw = hw::LoadHardware("from-graph", &graph);
    ASSERT_TRUE(hw.ok()) << hw.status().message();
    auto r = DpMaxLoad(graph, *hw);
    ASSERT_TRUE(r.ok()) << c.file << ": " << r.status().message();
    EXPECT_EQ(r->family, DpFamily::kAllIdeals) << c.file;
    EXPECT_TRUE(r->optimal_contiguous) << c.file;
    EXPECT_TRUE(hw::IsValid(graph, *hw, r->partition)) << c.file;
    EXPECT_NEAR(r->max_load_s * 1e3, c.optimum, 1e-3 * c.optimum) << c.file;
  }
}

// Units hold colocation groups together, and, under acyclic, the nodes a cycle through a group
// passes (a→b→c with a, c colocated: b must join them); every DP optimum keeps each unit whole.
TEST(PlacementUnits, JoinGroupsAndTheCyclesThroughThem) {
  common::Graph g;
  for (int i = 0; i < 5; ++i) {
    g.nodes.push_back(common::Node{});
    g.nodes.back().name = "n" + std::to_string(i);
  }
  g.edges = {{0, 1, 8}, {1, 2, 8}, {2, 3, 8}, {3, 4, 8}};
  g.nodes[0].colocation_group = g.nodes[2].colocation_group = 0;
  g.colocation_groups = {"g"};
  ASSERT_TRUE(g.Finalize().ok());
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  hw.constraints.colocate = hw.constraints.acyclic = true;
  std::vector<int> u = PlacementUnits(g, hw);
  EXPECT_EQ(u, (std::vector<int>{0, 0, 0, 1, 2}));
  hw.constraints.acyclic = false;
  EXPECT_EQ(PlacementUnits(g, hw), (std::vector<int>{0, 1, 0, 2, 3}));
  hw.constraints.colocate = false;
  EXPECT_EQ(PlacementUnits(g, hw), (std::vector<int>{0, 1, 2, 3, 4}));

  for (const char* file :
       {"OperatorGraphs/bert_l-6_inference.json", "OperatorGraphs/resnet50_inference.json"}) {
    const common::Graph graph = LoadBenchmarkGraph(file);
    auto bench_hw = hw::LoadHardware("from-graph", &graph);
    ASSERT_TRUE(bench_hw.ok());
    const std::vector<int> unit = PlacementUnits(graph, *bench_hw);
    std::set<int> distinct(unit.begin(), unit.end());
    EXPECT_LT(distinct.size(), static_cast<size_t>(graph.num_nodes())) << file;
    auto r = DpMaxLoad(graph, *bench_hw);
    ASSERT_TRUE(r.ok()) << file;
    std::vector<int> chip(distinct.size(), -1);
    for (int v = 0; v < graph.num_nodes(); ++v) {
      if (chip[unit[v]] < 0) chip[unit[v]] = r->partition[v];
      EXPECT_EQ(chip[unit[v]], r->partition[v]) << file << " node " << v;
    }
  }
}

// GNMT's layer graph has 3.3 million ideals, from zero-latency sinks and sources: unreduced the
// DP falls back to prefixes and misses the optimum (and says so); reduced it enumerates them all.
TEST(DpMaxLoad, ReductionsMakeGnmtLayerGraphExact) {
  const common::Graph graph = LoadBenchmarkGraph("LayerGraphs/gnmt_inference.json");
  ASSERT_GT(graph.num_nodes(), 0);
  auto hw = hw::LoadHardware("from-graph", &graph);
  ASSERT_TRUE(hw.ok()) << hw.status().message();
  auto r = DpMaxLoad(graph, *hw);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->family, DpFamily::kAllIdeals);
  EXPECT_TRUE(r->optimal_contiguous);
  EXPECT_GT(r->reduced_nodes, 0);
  EXPECT_LE(r->family_size, DpOptions().max_ideals);
  EXPECT_TRUE(hw::IsValid(graph, *hw, r->partition));
  EXPECT_NEAR(r->max_load_s * 1e3, 32.9107, 1e-3 * 32.9107);
  DpOptions plain;
  plain.reduce = false;
  auto p = DpMaxLoad(graph, *hw, plain);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->family, DpFamily::kPrefixes);
  EXPECT_FALSE(p->optimal_contiguous);
  EXPECT_GE(p->max_load_s, r->max_load_s * (1 - 1e-12));
}

}  // namespace
}  // namespace mcmpart::actors::search

namespace mcmpart::actors::search {
namespace {

// PipelineOrder (either decision order) is a topological order; GreedyPipeline's stages follow
// it (every edge points to the same or a later chip, chips 0..m−1 all used), and a colocation
// group the order keeps together is never split.
TEST(GreedyPipeline, StagesAreContiguousAndKeepConsecutiveGroups) {
  int grouped = 0;
  for (uint64_t seed = 1; seed <= 600; ++seed) {
    testing::Instance inst = testing::RandomInstance(seed, 2 + static_cast<int>(seed % 11), 6);
    const common::Graph& g = inst.graph;
    const common::DecisionOrder decisions =
        seed % 2 ? common::DecisionOrder::kLate : common::DecisionOrder::kEarly;
    const std::vector<int> order = PipelineOrder(g, inst.hw, decisions);
    std::vector<int> pos(g.num_nodes(), -1);
    for (int i = 0; i < static_cast<int>(order.size()); ++i) pos.at(order[i]) = i;
    ASSERT_EQ(std::count(pos.begin(), pos.end(), -1), 0) << "seed " << seed;
    for (const common::Edge& e : g.edges) EXPECT_LT(pos[e.src], pos[e.dst]) << "seed " << seed;
    for (int stages = 1; stages <= inst.hw.num_chips; ++stages) {
      const Partition p = GreedyPipeline(g, inst.hw, stages, decisions);
      for (const common::Edge& e : g.edges) EXPECT_LE(p[e.src], p[e.dst]) << "seed " << seed;
      const int used = *std::max_element(p.begin(), p.end()) + 1;
      EXPECT_LE(used, stages) << "seed " << seed;
      for (int c = 0; c < used; ++c) {
        EXPECT_NE(std::find(p.begin(), p.end(), c), p.end()) << "seed " << seed;
      }
      if (!inst.hw.constraints.colocate) continue;
      for (int grp = 0; grp < static_cast<int>(g.colocation_groups.size()); ++grp) {
        int first = -1, last = -1, members = 0;
        for (int v = 0; v < g.num_nodes(); ++v) {
          if (g.nodes[v].colocation_group != grp) continue;
          first = first < 0 ? pos[v] : std::min(first, pos[v]);
          last = std::max(last, pos[v]);
          ++members;
        }
        if (members < 2 || last - first + 1 != members) continue;
        ++grouped;
        for (int v = 0; v < g.num_nodes(); ++v) {
          if (g.nodes[v].colocation_group == grp) {
            EXPECT_EQ(p[v], p[order[first]]) << "seed " << seed;
          }
        }
      }
    }
  }
  EXPECT_GT(grouped, 50);
}

// Longest path (in edges) from v to a sink, or from a node with predecessors to v, by plain
// recursion over every path: the brute force PipelineOrder's keys are checked against.
int PathsDown(const common::Graph& g, int v) {
  int best = 0;
  for (int s : g.succs()[v]) best = std::max(best, 1 + PathsDown(g, s));
  return best;
}
int PathsUp(const common::Graph& g, int v) {
  int best = 0;
  for (int u : g.preds()[v]) {
    if (!g.preds()[u].empty()) best = std::max(best, 1 + PathsUp(g, u));
  }
  return best;
}

// Without colocation every node is its own group. kLate sorts by decreasing height; kEarly by
// increasing depth from the nodes with predecessors, each source half a step before its first
// consumer; ties keep topological order. Checked against brute-force longest paths.
TEST(PipelineOrder, SortsByBruteForceHeightOrDepth) {
  int differ = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    testing::Instance inst = testing::RandomInstance(seed, 3 + static_cast<int>(seed % 10), 4);
    inst.hw.constraints.colocate = false;
    const common::Graph& g = inst.graph;
    const int n = g.num_nodes();
    std::vector<double> late(n), early(n);
    for (int v = 0; v < n; ++v) {
      late[v] = -PathsDown(g, v);
      early[v] = PathsUp(g, v);
    }
    for (int v = 0; v < n; ++v) {
      if (!g.preds()[v].empty() || g.succs()[v].empty()) continue;
      double first = 1e9;
      for (int s : g.succs()[v]) first = std::min(first, early[s]);
      early[v] = first - 0.5;
    }
    const auto sorted_by = [&](const std::vector<int>& order, const std::vector<double>& key) {
      for (int i = 1; i < n; ++i) {
        const int a = order[i - 1], b = order[i];
        if (key[a] > key[b]) return false;
        if (key[a] == key[b] && g.topo_rank()[a] > g.topo_rank()[b]) return false;
      }
      return true;
    };
    const std::vector<int> lo = PipelineOrder(g, inst.hw, common::DecisionOrder::kLate);
    const std::vector<int> eo = PipelineOrder(g, inst.hw, common::DecisionOrder::kEarly);
    EXPECT_TRUE(sorted_by(lo, late)) << "seed " << seed;
    EXPECT_TRUE(sorted_by(eo, early)) << "seed " << seed;
    EXPECT_EQ(lo, PipelineOrder(g, inst.hw)) << "seed " << seed;  // kLate is the default
    differ += lo != eo;
  }
  EXPECT_GT(differ, 50);  // the two orders are not the same order
}

// bert_l-12's operator graph has 413 colocation groups, each a weight with its consumer: a
// plain topological order puts the weights first and splits them from their consumers. The
// greedy pipeline over all 6 chips must be valid as proposed and use every chip.
TEST(GreedyPipeline, ValidOnBertL12OperatorGraph) {
  const common::Graph graph = LoadBenchmarkGraph("OperatorGraphs/bert_l-12_inference.json");
  ASSERT_GT(graph.num_nodes(), 0);
  auto hw = hw::LoadHardware("from-graph", &graph);
  ASSERT_TRUE(hw.ok()) << hw.status().message();
  ASSERT_TRUE(hw->constraints.colocate);
  const Partition p = GreedyPipeline(graph, *hw, hw->num_chips);
  EXPECT_TRUE(hw::IsValid(graph, *hw, p))
      << hw::DescribeViolations(hw::CheckPartition(graph, *hw, p));
  EXPECT_EQ(std::set<int>(p.begin(), p.end()).size(), static_cast<size_t>(hw->num_chips));
}

}  // namespace
}  // namespace mcmpart::actors::search
