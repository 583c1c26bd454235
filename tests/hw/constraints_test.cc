// The SPEC §2 checker on hand-made cases, one constraint at a time.
#include <gtest/gtest.h>

#include "common/bert.h"
#include "hw/constraints.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Node;
using common::Partition;

// a → b → c, a → c; weights 10 each, outputs 4 bytes.
Graph Triangle() {
  Graph g;
  g.name = "tri";
  for (const char* name : {"a", "b", "c"}) {
    Node n;
    n.name = name;
    n.op = "Add";
    n.op_class = common::OpClass::kVector;
    n.output_bytes = 4;
    n.weight_bytes = 10;
    n.vector_ops = 1;
    g.AddNode(n);
  }
  g.AddEdge(0, 1);
  g.AddEdge(1, 2);
  g.AddEdge(0, 2);
  EXPECT_TRUE(g.Finalize().ok());
  return g;
}

Hardware Chips(int k) {
  Hardware hw;
  hw.num_chips = k;
  hw.chip.sram_bytes = 1 << 20;
  return hw;
}

std::vector<std::string> Names(const std::vector<Violation>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.constraint);
  return out;
}

TEST(Constraints, ValidPartitionsPass) {
  Graph g = Triangle();
  Hardware hw = Chips(3);
  hw.constraints.max_hop_distance = 2;
  EXPECT_TRUE(IsValid(g, hw, {0, 0, 0}));
  EXPECT_TRUE(IsValid(g, hw, {0, 1, 1}));
  EXPECT_TRUE(IsValid(g, hw, {0, 1, 2}));
}

TEST(Constraints, Acyclic) {
  Graph g = Triangle();
  Hardware hw = Chips(2);
  auto v = CheckPartition(g, hw, {1, 0, 1});
  ASSERT_EQ(Names(v), std::vector<std::string>{"acyclic"});
  EXPECT_NE(v[0].message.find("'a'->'b'"), std::string::npos) << v[0].message;
  hw.constraints.acyclic = false;
  EXPECT_TRUE(IsValid(g, hw, {1, 0, 1}));
}

TEST(Constraints, NoSkip) {
  Graph g = Triangle();
  Hardware hw = Chips(3);
  hw.constraints.max_hop = false;
  auto v = CheckPartition(g, hw, {0, 2, 2});
  ASSERT_EQ(Names(v), std::vector<std::string>{"no_skip"});
  EXPECT_NE(v[0].message.find("chip 1"), std::string::npos);
  EXPECT_EQ(Names(CheckPartition(g, hw, {1, 1, 1})), std::vector<std::string>{"no_skip"});
  hw.constraints.no_skip = false;
  EXPECT_TRUE(IsValid(g, hw, {1, 2, 2}));
}

TEST(Constraints, MaxHop) {
  Graph g = Triangle();
  Hardware hw = Chips(3);
  // a on 0, c on 2: edge a→c spans 2 hops.
  EXPECT_EQ(Names(CheckPartition(g, hw, {0, 1, 2})), std::vector<std::string>{"max_hop"});
  hw.constraints.max_hop_distance = 2;
  EXPECT_TRUE(IsValid(g, hw, {0, 1, 2}));
}

TEST(Constraints, SramCountsWeightsAndBuffers) {
  Graph g = Triangle();
  Hardware hw = Chips(2);
  // Chip 0 holds a, b: weights 20; sends b (4) and a (4, consumed by c on chip 1): 8;
  // largest op working set on chip 0: b = in 4 + out 4 = 8. Total 36.
  // Chip 1 holds c: weights 10; receives a and b: 8; working set c = 4+4+4 = 12. Total 30.
  SramUse use = ComputeSramUse(g, 2, {0, 0, 1});
  EXPECT_EQ(use.weights, (std::vector<int64_t>{20, 10}));
  EXPECT_EQ(use.buffers, (std::vector<int64_t>{16, 20}));
  hw.chip.sram_bytes = 36;
  EXPECT_TRUE(IsValid(g, hw, {0, 0, 1}));
  hw.chip.sram_bytes = 35;
  auto v = CheckPartition(g, hw, {0, 0, 1});
  ASSERT_EQ(Names(v), std::vector<std::string>{"sram"});
  EXPECT_NE(v[0].message.find("chip 0 needs 36 bytes"), std::string::npos) << v[0].message;
  hw.constraints.sram_buffers = false;  // weights only: 20 ≤ 35
  EXPECT_TRUE(IsValid(g, hw, {0, 0, 1}));
}

TEST(Constraints, SourceSentOnceToAChipWithTwoConsumers) {
  Graph g = Triangle();
  // a on 0; b, c on 1: a is received once by chip 1 although it feeds b and c.
  SramUse use = ComputeSramUse(g, 2, {0, 1, 1});
  EXPECT_EQ(use.buffers[0], 4 + 4);       // sent a; working set a = out 4
  EXPECT_EQ(use.buffers[1], 4 + 12);      // received a once; working set c = 4+4+4
}

TEST(Constraints, ColocateAndPin) {
  Graph g = Triangle();
  g.nodes[0].colocation_group = g.ColocationGroup("ac");
  g.nodes[2].colocation_group = g.ColocationGroup("ac");
  g.nodes[1].pin = 0;
  ASSERT_TRUE(g.Finalize().ok());
  Hardware hw = Chips(2);
  EXPECT_EQ(Names(CheckPartition(g, hw, {0, 0, 1})), std::vector<std::string>{"colocate"});
  EXPECT_EQ(Names(CheckPartition(g, hw, {0, 1, 1})), (std::vector<std::string>{"colocate", "pin"}));
  EXPECT_TRUE(IsValid(g, hw, {0, 0, 0}));
  hw.constraints.colocate = false;
  hw.constraints.pin = false;
  EXPECT_TRUE(IsValid(g, hw, {0, 1, 1}));
}

TEST(Constraints, ShapeErrorsComeFirst) {
  Graph g = Triangle();
  Hardware hw = Chips(2);
  EXPECT_EQ(Names(CheckPartition(g, hw, {0, 0})), std::vector<std::string>{"shape"});
  EXPECT_EQ(Names(CheckPartition(g, hw, {0, 0, 2})), std::vector<std::string>{"shape"});
  EXPECT_EQ(Names(CheckPartition(g, hw, {0, -1, 0})), std::vector<std::string>{"shape"});
}

TEST(Constraints, BertBaseFitsOnTheDefaultPresetOnlyWhenSplit) {
  auto g = common::MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(g.ok());
  auto hw = MakePreset("mcm8-ring");
  ASSERT_TRUE(hw.ok());
  // Everything on one chip: ~110 MB of weights do not fit 32 MiB.
  auto v = CheckPartition(*g, *hw, Partition(g->num_nodes(), 0));
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].constraint, "sram");
  // A contiguous split in topological order by weight share is valid.
  Partition p(g->num_nodes());
  int64_t total = g->TotalWeightBytes(), cum = 0;
  for (int v2 : g->topo_order()) {
    p[v2] = static_cast<int>(std::min<int64_t>(7, (cum + g->nodes[v2].weight_bytes / 2) * 8 / total));
    cum += g->nodes[v2].weight_bytes;
  }
  // Enforce acyclic order (topological positions are monotone, so chips are too).
  EXPECT_EQ(DescribeViolations(CheckPartition(*g, *hw, p)), "partition is valid");
}

}  // namespace
}  // namespace mcmpart::hw
