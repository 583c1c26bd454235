// Tests of the cycle-level simulator: SPEC §4 invariants, hand-computed pipelines, a
// reference implementation, and trace checks.
#include "hw/simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <tuple>

#include "common/bert.h"
#include "common/config.h"
#include "hw/constraints.h"
#include "hw/op_cost.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Node;
using common::OpClass;
using common::Partition;

constexpr double kCycle = 1e-9;  // TestHw runs at 1 GHz

/// 1 GHz, 1024 lanes, 96 B/cycle, 21 cycles per hop: one vector op of c·1024 elements = c cycles.
Hardware TestHw(int k, Topology topology = Topology::kChain) {
  Hardware hw;
  hw.name = "test";
  hw.num_chips = k;
  hw.topology = topology;
  hw.chip.freq_ghz = 1.0;
  hw.chip.vector_lanes = 1024;
  hw.link.bytes_per_cycle = 96;
  hw.link.latency_cycles = 21;
  return hw;
}

int AddVector(Graph* g, const std::string& name, int64_t cycles, int64_t out_bytes) {
  Node n;
  n.name = name;
  n.op = "Vec";
  n.op_class = OpClass::kVector;
  n.vector_ops = cycles * 1024;
  n.output_bytes = out_bytes;
  return g->AddNode(n);
}

std::unique_ptr<CycleSimulator> Sim(const Graph& g, const Hardware& hw, SimOptions o = {}) {
  auto sim = MakeCycleEvaluator(g, hw, o);
  EXPECT_TRUE(sim.ok()) << sim.status().message();
  return std::move(sim).value();
}

// p(v) = the highest chip of its inputs, moved one chip up with probability `step`; kept only
// when valid. Spreads a graph over several chips with acyclic, short-hop edges.
Partition RandomValidPartition(const Graph& g, const Hardware& hw, std::mt19937* rng, double step) {
  std::bernoulli_distribution up(step);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Partition p(g.num_nodes(), 0);
    for (int v : g.topo_order()) {
      int chip = 0;
      for (int u : g.preds()[v]) chip = std::max(chip, p[u]);
      if (up(*rng)) chip = std::min(chip + 1, hw.num_chips - 1);
      p[v] = chip;
    }
    if (IsValid(g, hw, p)) return p;
  }
  ADD_FAILURE() << "no valid random partition found";
  return Partition(g.num_nodes(), 0);
}

// Layer l of an L-layer BERT on chips [0, k): embeddings on chip 0, pooler on the last.
Partition LayerPartition(const Graph& g, int layers, int k) {
  Partition p(g.num_nodes(), 0);
  for (int v = 0; v < g.num_nodes(); ++v) {
    const std::string& name = g.nodes[v].name;
    if (name.rfind("layer", 0) == 0) {
      p[v] = std::stoi(name.substr(5)) * k / layers;
    } else if (name.rfind("pooler", 0) == 0) {
      p[v] = k - 1;
    }
  }
  return p;
}

// A second implementation for partitions whose links each carry one chip's traffic (acyclic,
// max_hop 1): there FIFO by ready time equals program order, so samples and ops can be
// processed in (sample, topological) order with plain max-plus recurrences.
std::vector<double> ReferenceDoneTimes(const Graph& g, const Hardware& hw, const Partition& p,
                                       const CycleSimulator& sim, int samples) {
  const int n = g.num_nodes();
  std::vector<double> chip_free(hw.num_chips, 0), link_free(hw.Links().size(), 0), done(samples, 0);
  for (int s = 0; s < samples; ++s) {
    std::vector<double> finish(n, 0);
    std::map<std::pair<int, int>, double> arrival;  // (producer, chip) → time on that chip
    for (int v : g.topo_order()) {
      double start = chip_free[p[v]];
      for (int u : g.preds()[v]) {
        start = std::max(start, p[u] == p[v] ? finish[u] : arrival.at({u, p[v]}));
      }
      finish[v] = start + sim.OpSeconds(v);
      chip_free[p[v]] = finish[v];
      done[s] = std::max(done[s], finish[v]);
      std::set<int> sent;
      for (int w : g.succs()[v]) {
        if (p[w] == p[v] || !sent.insert(p[w]).second) continue;
        double t = finish[v];
        for (int link : hw.Route(p[v], p[w])) {
          t = std::max(t, link_free[link]) + sim.HopSecondsOf(v);
          link_free[link] = t;
        }
        arrival[{v, p[w]}] = t;
      }
    }
  }
  return done;
}

TEST(CycleSimulatorTest, OptionsAreChecked) {
  EXPECT_TRUE(ValidateSimOptions({8, 2}).ok());
  EXPECT_TRUE(ValidateSimOptions({2, 0}).ok());
  EXPECT_FALSE(ValidateSimOptions({3, 2}).ok());
  EXPECT_FALSE(ValidateSimOptions({8, -1}).ok());
  EXPECT_FALSE(ValidateSimOptions({100000, 2}).ok());
  Graph g;
  AddVector(&g, "a", 1, 1);
  ASSERT_TRUE(g.Finalize().ok());
  const Hardware hw = TestHw(1);
  EXPECT_FALSE(MakeCycleEvaluator(g, hw, {1, 0}).ok());
  auto by_kind = MakeEvaluator(common::EvaluatorKind::kCycle, g, hw);
  ASSERT_TRUE(by_kind.ok());
  EXPECT_STREQ((*by_kind)->name(), "cycle");
}

TEST(CycleSimulatorTest, OneChipThroughputIsInverseOfTotalOpTime) {
  const Graph g = common::MakeBert(common::BertConfig{2, 128, 2, 128});
  Hardware hw = TestHw(1);
  hw.chip = ChipletSpec{};
  auto sim = Sim(g, hw);
  double total = 0;
  for (const Node& node : g.nodes) total += static_cast<double>(OpCycles(node, hw)) * hw.cycle_s();
  const Metrics m = sim->Evaluate(Partition(g.num_nodes(), 0));
  EXPECT_NEAR(m.throughput * total, 1.0, 1e-9);
  EXPECT_NEAR(m.latency_s, total, 1e-9 * total);
  EXPECT_NEAR(m.chip_busy_s[0], total, 1e-9 * total);
  EXPECT_TRUE(m.link_bytes.empty());
  EXPECT_EQ(m.bottleneck, "chip 0");
}

TEST(CycleSimulatorTest, OneGemmTakesItsTilingFormula) {
  Graph g;
  Node mm;
  mm.name = "mm";
  mm.op = "MatMul";
  mm.op_class = OpClass::kMatMul;
  mm.gemm = {2, 300, 200, 130};
  g.AddNode(mm);
  ASSERT_TRUE(g.Finalize().ok());
  const Hardware hw = TestHw(1);
  // 2 · ⌈200/128⌉ · ⌈130/128⌉ · (128 + 300 + 128 + 128 − 2) = 8 · 682 cycles.
  const Metrics m = Sim(g, hw)->Evaluate({0});
  EXPECT_NEAR(m.time_per_sample_s, 8 * 682 * kCycle, 1e-15);
}

// a (100 cycles) on chip 0 → b on chip 1; the tensor holds the link ⌈bytes/96⌉ + 21 cycles.
struct TwoChip {
  Graph g;
  explicit TwoChip(int64_t b_cycles, int64_t bytes) {
    const int a = AddVector(&g, "a", 100, bytes), b = AddVector(&g, "b", b_cycles, 8);
    g.AddEdge(a, b);
    EXPECT_TRUE(g.Finalize().ok());
  }
};

TEST(CycleSimulatorTest, TwoChipPipelineMatchesHandComputation) {
  const Hardware hw = TestHw(2);
  {
    // Hop = 11 + 21 = 32. Sample s: a ends 100(s+1), b runs 100(s+1)+32 .. +92.
    TwoChip t(60, 1000);
    const Metrics m = Sim(t.g, hw)->Evaluate({0, 1});
    EXPECT_NEAR(m.latency_s, 192 * kCycle, 1e-15);
    EXPECT_NEAR(m.time_per_sample_s, 100 * kCycle, 1e-15);
    EXPECT_EQ(m.bottleneck, "chip 0");
    ASSERT_EQ(m.link_names[0], "0->1");
    EXPECT_DOUBLE_EQ(m.link_bytes[0], 1000);
    EXPECT_NEAR(m.link_busy_s[0], 32 * kCycle, 1e-15);
    EXPECT_NEAR(m.chip_busy_s[1], 60 * kCycle, 1e-15);
  }
  {
    // b (150) is the bottleneck: b0 runs 132..282, then back to back.
    TwoChip t(150, 1000);
    const Metrics m = Sim(t.g, hw)->Evaluate({0, 1});
    EXPECT_NEAR(m.latency_s, 282 * kCycle, 1e-15);
    EXPECT_NEAR(m.time_per_sample_s, 150 * kCycle, 1e-15);
    EXPECT_EQ(m.bottleneck, "chip 1");
  }
  {
    // 19200 bytes: hop = 200 + 21 = 221 cycles, the link is the bottleneck.
    // Transfer s ends 321 + 221 s, b ends 60 later.
    TwoChip t(60, 19200);
    const Metrics m = Sim(t.g, hw)->Evaluate({0, 1});
    EXPECT_NEAR(m.latency_s, 381 * kCycle, 1e-15);
    EXPECT_NEAR(m.time_per_sample_s, 221 * kCycle, 1e-15);
    EXPECT_EQ(m.bottleneck, "link 0->1");
  }
}

TEST(CycleSimulatorTest, TensorMovesHopByHopAndIsSentOncePerChip) {
  // a on chip 0 feeds b and c on chip 2 of a chain: one tensor crosses 0->1 and 1->2.
  Graph g;
  const int a = AddVector(&g, "a", 100, 1000), b = AddVector(&g, "b", 10, 8),
            c = AddVector(&g, "c", 20, 8);
  g.AddEdge(a, b);
  g.AddEdge(a, c);
  ASSERT_TRUE(g.Finalize().ok());
  const Hardware hw = TestHw(3);
  SimTrace trace;
  const Metrics m = Sim(g, hw, {2, 0})->Simulate({0, 2, 2}, &trace);
  // Sample 0: a 0..100, hops 100..132..164, b 164..174, c 174..194.
  EXPECT_NEAR(m.latency_s, 194 * kCycle, 1e-15);
  ASSERT_EQ(m.link_names[0], "0->1");
  ASSERT_EQ(m.link_names[2], "1->2");
  EXPECT_DOUBLE_EQ(m.link_bytes[0], 1000);
  EXPECT_DOUBLE_EQ(m.link_bytes[2], 1000);
  EXPECT_DOUBLE_EQ(m.link_bytes[1], 0);
  int hops = 0;
  for (const TraceEvent& e : trace.events) hops += !e.is_op;
  EXPECT_EQ(hops, 2 * 2);  // 2 samples × 2 hops, not doubled for two consumers
}

TEST(CycleSimulatorTest, LinkServesTransfersInOrder) {
  // a1 (100) and a2 (10) on chip 0 both feed b on chip 1; each hop takes 221 cycles.
  Graph g;
  const int a1 = AddVector(&g, "a1", 100, 19200), a2 = AddVector(&g, "a2", 10, 19200),
            b = AddVector(&g, "b", 5, 8);
  g.AddEdge(a1, b);
  g.AddEdge(a2, b);
  ASSERT_TRUE(g.Finalize().ok());
  SimTrace trace;
  const Metrics m = Sim(g, TestHw(2), {2, 0})->Simulate({0, 0, 1}, &trace);
  // a1's tensor holds the link 100..321, a2's (ready at 110) waits: 321..542; b 542..547.
  EXPECT_NEAR(m.latency_s, 547 * kCycle, 1e-15);
  EXPECT_NEAR(m.link_busy_s[0], 442 * kCycle, 1e-15);
}

TEST(CycleSimulatorTest, GivenLatenciesAndEdgeCostsAreUsedAsIs) {
  Graph g;
  Node n;
  n.op_class = OpClass::kGiven;
  n.name = "a";
  n.latency_s = 3.3e-6;
  n.output_bytes = 1 << 20;
  const int a = g.AddNode(n);
  n.name = "b";
  n.latency_s = 1.7e-6;
  const int b = g.AddNode(n);
  g.AddEdge(a, b);
  g.edges.back().cost_s = 0.4e-6;
  ASSERT_TRUE(g.Finalize().ok());
  const Metrics m = Sim(g, TestHw(2))->Evaluate({0, 1});
  EXPECT_NEAR(m.latency_s, 5.4e-6, 1e-15);
  EXPECT_NEAR(m.time_per_sample_s, 3.3e-6, 1e-15);
  EXPECT_NEAR(m.link_busy_s[0], 0.4e-6, 1e-15);
}

TEST(CycleSimulatorTest, MatchesReferenceImplementationOnRandomPartitions) {
  const Graph g = common::MakeBert(common::BertConfig{4, 256, 4, 128});
  std::mt19937 rng(1);
  for (Topology topo : {Topology::kRing, Topology::kChain}) {
    Hardware hw = TestHw(8, topo);
    hw.chip = ChipletSpec{};
    hw.link.bytes_per_cycle = 8;  // slow links so that links, too, become bottlenecks
    auto sim = Sim(g, hw);
    for (int trial = 0; trial < 20; ++trial) {
      const Partition p = RandomValidPartition(g, hw, &rng, 0.1);
      const Metrics m = sim->Evaluate(p);
      const std::vector<double> done = ReferenceDoneTimes(g, hw, p, *sim, 8);
      EXPECT_NEAR(m.latency_s, done[0], 1e-12 * done[0]);
      EXPECT_NEAR(m.time_per_sample_s, (done[7] - done[2]) / 5, 1e-9 * m.time_per_sample_s);
    }
  }
}

TEST(CycleSimulatorTest, ThroughputBoundedByBusiestResource) {
  const Graph g = common::MakeBert(common::BertConfig{4, 256, 4, 128});
  std::mt19937 rng(2);
  for (double bytes_per_cycle : {96.0, 4.0}) {
    Hardware hw = TestHw(8, Topology::kRing);
    hw.chip = ChipletSpec{};
    hw.link.bytes_per_cycle = bytes_per_cycle;
    auto sim = Sim(g, hw);
    for (int trial = 0; trial < 30; ++trial) {
      const Metrics m = sim->Evaluate(RandomValidPartition(g, hw, &rng, 0.1));
      const double chip = *std::max_element(m.chip_busy_s.begin(), m.chip_busy_s.end());
      const double link = *std::max_element(m.link_busy_s.begin(), m.link_busy_s.end());
      EXPECT_LE(m.throughput, (1 + 1e-9) / chip);
      EXPECT_LE(m.throughput, (1 + 1e-9) / link);
      EXPECT_GE(m.latency_s, chip);
    }
  }
}

TEST(CycleSimulatorTest, MoreBandwidthOrLanesNeverLowersThroughput) {
  const Graph g = common::MakeBert(common::BertConfig{4, 256, 4, 128});
  Hardware base = TestHw(8, Topology::kRing);
  base.chip = ChipletSpec{};
  base.link.bytes_per_cycle = 16;
  Hardware wide_links = base, more_lanes = base, both = base;
  wide_links.link.bytes_per_cycle *= 4;
  more_lanes.chip.vector_lanes *= 4;
  both.link.bytes_per_cycle *= 4;
  both.chip.vector_lanes *= 4;
  auto sim = Sim(g, base);
  auto sim_links = Sim(g, wide_links), sim_lanes = Sim(g, more_lanes), sim_both = Sim(g, both);
  std::mt19937 rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    const Partition p = RandomValidPartition(g, base, &rng, 0.1);
    const double t = sim->Evaluate(p).throughput;
    EXPECT_GE(sim_links->Evaluate(p).throughput, t * (1 - 1e-12));
    EXPECT_GE(sim_lanes->Evaluate(p).throughput, t * (1 - 1e-12));
    EXPECT_GE(sim_both->Evaluate(p).throughput, t * (1 - 1e-12));
  }
}

void ExpectSameMetrics(const Metrics& a, const Metrics& b) {
  EXPECT_EQ(a.throughput, b.throughput);
  EXPECT_EQ(a.latency_s, b.latency_s);
  EXPECT_EQ(a.chip_busy_s, b.chip_busy_s);
  EXPECT_EQ(a.chip_sram_bytes, b.chip_sram_bytes);
  EXPECT_EQ(a.link_bytes, b.link_bytes);
  EXPECT_EQ(a.link_busy_s, b.link_busy_s);
  EXPECT_EQ(a.bottleneck, b.bottleneck);
}

TEST(CycleSimulatorTest, SameInputGivesSameOutput) {
  const Graph g = common::MakeBert(common::BertConfig{4, 256, 4, 128});
  const Hardware hw = *MakePreset("mcm8-ring");
  std::mt19937 rng(4);
  const Partition p = RandomValidPartition(g, hw, &rng, 0.1);
  const Partition q = RandomValidPartition(g, hw, &rng, 0.1);
  auto one = Sim(g, hw), two = Sim(g, hw);
  const Metrics first = one->Evaluate(p);
  one->Evaluate(q);  // state from another partition must not leak
  ExpectSameMetrics(first, one->Evaluate(p));
  ExpectSameMetrics(first, two->Evaluate(p));
}

TEST(CycleSimulatorTest, AgreesWithMaxLoadOnStaticQuantities) {
  const Graph g = common::MakeBert(common::BertConfig{4, 256, 4, 128});
  const Hardware hw = *MakePreset("mcm8-ring");
  auto sim = Sim(g, hw);
  auto maxload = MakeMaxLoadEvaluator(g, hw);
  std::mt19937 rng(5);
  for (int trial = 0; trial < 10; ++trial) {
    const Partition p = RandomValidPartition(g, hw, &rng, 0.1);
    const Metrics c = sim->Evaluate(p), m = maxload->Evaluate(p);
    EXPECT_EQ(c.link_names, m.link_names);
    EXPECT_EQ(c.link_bytes, m.link_bytes);
    EXPECT_EQ(c.chip_sram_bytes, m.chip_sram_bytes);
    // maxload adds transfer time to the chips' compute; the simulator moves it to links.
    for (int k = 0; k < hw.num_chips; ++k) EXPECT_LE(c.chip_busy_s[k], m.chip_busy_s[k] * (1 + 1e-12));
  }
}

TEST(CycleSimulatorTest, BothEvaluatorsPreferABalancedPartition) {
  const Graph g = common::MakeBert(common::BertConfig{4, 256, 4, 128});
  const Hardware hw = *MakePreset("mcm8-ring");
  const Partition one_chip(g.num_nodes(), 0);
  const Partition balanced = LayerPartition(g, 4, 4);
  ASSERT_TRUE(IsValid(g, hw, one_chip)) << DescribeViolations(CheckPartition(g, hw, one_chip));
  ASSERT_TRUE(IsValid(g, hw, balanced)) << DescribeViolations(CheckPartition(g, hw, balanced));
  ASSERT_EQ(EvaluatorNames(), (std::vector<std::string>{"maxload", "cycle"}));
  for (const std::string& name : EvaluatorNames()) {
    auto kind = common::ParseEnum<common::EvaluatorKind>(name, "evaluator");
    ASSERT_TRUE(kind.ok()) << name;
    auto eval = MakeEvaluator(*kind, g, hw);
    ASSERT_TRUE(eval.ok());
    EXPECT_EQ((*eval)->name(), name);
    EXPECT_GT((*eval)->Evaluate(balanced).throughput, (*eval)->Evaluate(one_chip).throughput) << name;
  }
}

TEST(CycleSimulatorTest, TraceHoldsEveryOpOfEverySampleAndRespectsResources) {
  const Graph g = common::MakeBert(common::BertConfig{2, 128, 2, 128});
  for (const char* preset : {"mcm8-ring", "mcm4x4-mesh"}) {
    Hardware hw = *MakePreset(preset);
    hw.constraints.max_hop = false;  // multi-hop routes too
    std::mt19937 rng(6);
    const Partition p = RandomValidPartition(g, hw, &rng, 0.3);
    ASSERT_TRUE(IsValid(g, hw, p));
    auto sim = Sim(g, hw, {5, 1});
    SimTrace trace;
    const Metrics m = sim->Simulate(p, &trace);
    ExpectSameMetrics(m, sim->Evaluate(p));

    nlohmann::json doc = nlohmann::json::parse(TraceToChromeJson(g, hw, trace));
    std::map<std::pair<int, int>, std::pair<double, double>> op_time;  // (sample, node) → [ts, end]
    std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> busy;  // (pid, tid)
    std::map<std::string, int> node_index;
    for (int v = 0; v < g.num_nodes(); ++v) node_index[g.nodes[v].name] = v;
    int ops = 0, hops = 0;
    for (const auto& e : doc.at("traceEvents")) {
      if (e.at("ph") == "M") continue;
      ASSERT_EQ(e.at("ph"), "X");
      const double ts = e.at("ts"), dur = e.at("dur");
      ASSERT_GE(ts, 0);
      ASSERT_GE(dur, 0);
      busy[{e.at("pid").get<int>(), e.at("tid").get<int>()}].push_back({ts, ts + dur});
      if (e.at("cat") == "op") {
        ++ops;
        const int v = node_index.at(e.at("name").get<std::string>());
        EXPECT_EQ(e.at("tid").get<int>(), p[v]);
        EXPECT_TRUE(op_time.insert({{e.at("args").at("sample").get<int>(), v}, {ts, ts + dur}}).second);
      } else {
        ++hops;
      }
    }
    EXPECT_EQ(ops, 5 * g.num_nodes());
    EXPECT_EQ(static_cast<int>(op_time.size()), 5 * g.num_nodes());
    int expected_hops = 0;
    for (int u = 0; u < g.num_nodes(); ++u) {
      std::set<int> chips;
      for (int w : g.succs()[u]) {
        if (p[w] != p[u]) chips.insert(p[w]);
      }
      for (int c : chips) expected_hops += static_cast<int>(hw.Route(p[u], c).size());
    }
    EXPECT_EQ(hops, 5 * expected_hops);
    // No chip or link does two things at once.
    for (auto& [resource, intervals] : busy) {
      std::sort(intervals.begin(), intervals.end());
      for (size_t i = 1; i < intervals.size(); ++i) {
        EXPECT_GE(intervals[i].first, intervals[i - 1].second - 1e-9);
      }
    }
    // Every op starts after its inputs finished.
    for (const auto& [key, interval] : op_time) {
      for (int u : g.preds()[key.second]) {
        EXPECT_GE(interval.first, op_time.at({key.first, u}).second - 1e-9);
      }
    }
  }
}

}  // namespace
}  // namespace mcmpart::hw
