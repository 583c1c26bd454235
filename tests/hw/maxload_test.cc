// Hand-computed tests of the analytical max-load evaluator (SPEC §3) on tiny graphs.
#include <memory>

#include <gtest/gtest.h>

#include "common/graph.h"
#include "hw/evaluator.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Node;
using common::OpClass;

int AddGiven(Graph* g, const std::string& name, double latency_s) {
  Node n;
  n.name = name;
  n.op = "Given";
  n.op_class = OpClass::kGiven;
  n.latency_s = latency_s;
  n.output_bytes = 100;
  return g->AddNode(n);
}

void AddCostEdge(Graph* g, int src, int dst, double cost_s) {
  g->AddEdge(src, dst);
  g->edges.back().cost_s = cost_s;
}

Hardware Chips(int k) {
  Hardware hw;
  hw.name = "test";
  hw.num_chips = k;
  hw.topology = Topology::kChain;
  return hw;
}

TEST(MaxLoadTest, ChainWithGivenCosts) {
  // a(2) -1.0-> b(3) -0.5-> c(4)
  Graph g;
  const int a = AddGiven(&g, "a", 2), b = AddGiven(&g, "b", 3), c = AddGiven(&g, "c", 4);
  AddCostEdge(&g, a, b, 1.0);
  AddCostEdge(&g, b, c, 0.5);
  ASSERT_TRUE(g.Finalize().ok());
  const Hardware hw = Chips(2);
  auto eval = MakeMaxLoadEvaluator(g, hw);

  // chip 0: a + b + send(b) = 5.5; chip 1: c + receive(b) = 4.5.
  Metrics m = eval->Evaluate({0, 0, 1});
  EXPECT_DOUBLE_EQ(m.chip_busy_s[0], 5.5);
  EXPECT_DOUBLE_EQ(m.chip_busy_s[1], 4.5);
  EXPECT_DOUBLE_EQ(m.time_per_sample_s, 5.5);
  EXPECT_DOUBLE_EQ(m.throughput, 1 / 5.5);
  EXPECT_EQ(m.bottleneck, "chip 0");

  // chip 0: a + send(a) = 3; chip 1: receive(a) + b + c = 8.
  m = eval->Evaluate({0, 1, 1});
  EXPECT_DOUBLE_EQ(m.chip_busy_s[0], 3.0);
  EXPECT_DOUBLE_EQ(m.chip_busy_s[1], 8.0);
  EXPECT_DOUBLE_EQ(m.throughput, 1 / 8.0);
  EXPECT_EQ(m.bottleneck, "chip 1");

  // One chip: no transfers at all.
  m = eval->Evaluate({0, 0, 0});
  EXPECT_DOUBLE_EQ(m.time_per_sample_s, 9.0);
  EXPECT_DOUBLE_EQ(m.chip_busy_s[1], 0.0);
}

TEST(MaxLoadTest, FanOutIsSentOnceAndReceivedOncePerChip) {
  // a(1) feeds b(2), c(3), d(4) with cost 0.25 (the benchmark's cost per source node).
  Graph g;
  const int a = AddGiven(&g, "a", 1), b = AddGiven(&g, "b", 2), c = AddGiven(&g, "c", 3),
            d = AddGiven(&g, "d", 4);
  AddCostEdge(&g, a, b, 0.25);
  AddCostEdge(&g, a, c, 0.25);
  AddCostEdge(&g, a, d, 0.25);
  ASSERT_TRUE(g.Finalize().ok());
  const Hardware hw = Chips(3);
  auto eval = MakeMaxLoadEvaluator(g, hw);

  // b and c share chip 1: a is sent once and received once there.
  Metrics m = eval->Evaluate({0, 1, 1, 2});
  EXPECT_DOUBLE_EQ(m.chip_busy_s[0], 1.25);
  EXPECT_DOUBLE_EQ(m.chip_busy_s[1], 5.25);
  EXPECT_DOUBLE_EQ(m.chip_busy_s[2], 4.25);
  EXPECT_DOUBLE_EQ(m.time_per_sample_s, 5.25);
  // Chain 0-1-2: link 0->1 carries a's 100 bytes twice (to chip 1 and on to chip 2).
  ASSERT_EQ(m.link_names[0], "0->1");
  EXPECT_DOUBLE_EQ(m.link_bytes[0], 200.0);

  // d local to a: chip 0 = a + d + send(a).
  m = eval->Evaluate({0, 1, 1, 0});
  EXPECT_DOUBLE_EQ(m.chip_busy_s[0], 5.25);
  EXPECT_DOUBLE_EQ(m.chip_busy_s[1], 5.25);
}

TEST(MaxLoadTest, DerivedCostsUseCyclesAndLinks) {
  // Two vector ops of 100 and 50 cycles (1024 lanes), 960 bytes between them.
  Graph g;
  Node a;
  a.name = "a";
  a.op_class = OpClass::kVector;
  a.vector_ops = 100 * 1024;
  a.output_bytes = 960;
  Node b = a;
  b.name = "b";
  b.vector_ops = 50 * 1024;
  const int ia = g.AddNode(a), ib = g.AddNode(b);
  g.AddEdge(ia, ib);
  ASSERT_TRUE(g.Finalize().ok());
  Hardware hw = Chips(2);
  hw.chip.freq_ghz = 1.0;
  hw.chip.vector_lanes = 1024;
  hw.link.bytes_per_cycle = 96;
  hw.link.latency_cycles = 21;
  auto eval = MakeMaxLoadEvaluator(g, hw);
  // Transfer: ⌈960/96⌉ + 21 = 31 cycles, charged to sender and receiver.
  Metrics m = eval->Evaluate({0, 1});
  EXPECT_NEAR(m.chip_busy_s[0], 131e-9, 1e-18);
  EXPECT_NEAR(m.chip_busy_s[1], 81e-9, 1e-18);
  EXPECT_NEAR(m.throughput, 1 / 131e-9, 1e-3);
  EXPECT_DOUBLE_EQ(m.link_bytes[0], 960.0);
  EXPECT_DOUBLE_EQ(m.link_bytes[1], 0.0);
  m = eval->Evaluate({0, 0});
  EXPECT_NEAR(m.time_per_sample_s, 150e-9, 1e-18);
}

}  // namespace
}  // namespace mcmpart::hw
