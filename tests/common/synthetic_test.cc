// Tests for the synthetic graph families: determinism, size, structure per family, names.
#include "common/synthetic.h"

#include <gtest/gtest.h>

#include "common/bert.h"
#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

const SyntheticFamily kFamilies[] = {SyntheticFamily::kChain, SyntheticFamily::kResidual,
                                     SyntheticFamily::kInception, SyntheticFamily::kEncDec};

TEST(SyntheticTest, SameSeedSameGraphOtherSeedOtherGraph) {
  for (SyntheticFamily f : kFamilies) {
    SyntheticConfig c{f, 7, 150, 1};
    const std::string a = WriteGraphJsonString(MakeSynthetic(c, "g"));
    EXPECT_EQ(a, WriteGraphJsonString(MakeSynthetic(c, "g")));
    bool differs = false;
    for (uint64_t seed = 8; seed < 12 && !differs; ++seed) {
      c.seed = seed;
      differs = WriteGraphJsonString(MakeSynthetic(c, "g")) != a;
    }
    EXPECT_TRUE(differs) << static_cast<int>(f);
  }
}

TEST(SyntheticTest, SizesAndWorkAreConsistent) {
  for (SyntheticFamily f : kFamilies) {
    for (int target : {20, 120, 600}) {
      Graph g = MakeSynthetic({f, 3, target, 1}, "g");
      ASSERT_TRUE(g.finalized());
      EXPECT_GE(g.num_nodes(), target);
      EXPECT_LE(g.num_nodes(), target + 60);  // overshoot at most one block
      int inputs = 0;
      for (const Node& n : g.nodes) {
        if (n.op_class == OpClass::kInput) {
          ++inputs;
          continue;
        }
        EXPECT_FALSE(g.preds()[&n - &g.nodes[0]].empty()) << n.name;
        EXPECT_GT(n.output_bytes, 0) << n.name;
        if (n.op_class == OpClass::kMatMul || n.op_class == OpClass::kConv) {
          EXPECT_EQ(n.macs, n.gemm.batch * n.gemm.m * n.gemm.k * n.gemm.n) << n.name;
          EXPECT_GT(n.macs, 0);
        }
      }
      EXPECT_GE(inputs, 1);
      EXPECT_GT(g.TotalMacs(), 0);
      EXPECT_GT(g.TotalWeightBytes(), 0);
    }
  }
}

TEST(SyntheticTest, FamiliesHaveTheirShape) {
  auto max_fan = [](const Graph& g, bool out) {
    size_t m = 0;
    for (int v = 0; v < g.num_nodes(); ++v) m = std::max(m, (out ? g.succs() : g.preds())[v].size());
    return m;
  };
  Graph chain = MakeSynthetic({SyntheticFamily::kChain, 1, 200, 1}, "c");
  EXPECT_EQ(max_fan(chain, true), 1u);
  EXPECT_EQ(max_fan(chain, false), 1u);
  Graph res = MakeSynthetic({SyntheticFamily::kResidual, 1, 200, 1}, "r");
  EXPECT_EQ(max_fan(res, false), 2u);  // residual Add joins two paths
  Graph inc = MakeSynthetic({SyntheticFamily::kInception, 1, 200, 1}, "i");
  EXPECT_GE(max_fan(inc, true), 2u);
  EXPECT_GE(max_fan(inc, false), 2u);
  // Encoder–decoder: the encoder output feeds the cross-attention of every decoder layer.
  Graph ed = MakeSynthetic({SyntheticFamily::kEncDec, 1, 300, 1}, "e");
  EXPECT_GE(max_fan(ed, true), 4u);
  int inputs = 0;
  for (const Node& n : ed.nodes) inputs += n.op_class == OpClass::kInput;
  EXPECT_EQ(inputs, 2);
}

TEST(SyntheticTest, BuiltinNames) {
  StatusOr<Graph> g = MakeBuiltinGraph("synth:residual:seed=4,nodes=90");
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(WriteGraphJsonString(*g),
            WriteGraphJsonString(MakeSynthetic({SyntheticFamily::kResidual, 4, 90, 1},
                                               "synth:residual:seed=4,nodes=90")));
  EXPECT_TRUE(LoadGraph("synth:encdec").ok());
  for (const char* bad : {"synth:tree:seed=1", "synth:chain:seed=x", "synth:chain:nodes=1",
                          "synth:chain:color=3", "synth:chain:seed"}) {
    StatusOr<Graph> b = MakeBuiltinGraph(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find(bad), std::string::npos) << b.status().message();
  }
}

}  // namespace
}  // namespace mcmpart::common
