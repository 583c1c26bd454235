// Graph IR, own JSON format round trip and BERT generator.
#include <gtest/gtest.h>

#include "common/bert.h"
#include "common/graph_io.h"
#include "common/partition.h"

namespace mcmpart::common {
namespace {

TEST(GraphJson, RoundTripBertIsIdentical) {
  Graph g = MakeBert(BertConfig{2, 128, 2, 32}, "bert-small-test");
  g.nodes[3].colocation_group = g.ColocationGroup("grp");
  g.nodes[4].colocation_group = g.ColocationGroup("grp");
  g.nodes[0].pin = 0;
  g.nodes[5].latency_s = 1.5e-6;
  g.edges[2].cost_s = 3e-7;
  ASSERT_TRUE(g.Finalize().ok());
  const std::string text = WriteGraphJsonString(g);
  auto back = ParseGraphJson(text, "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(WriteGraphJsonString(*back), text);
  ASSERT_EQ(back->num_nodes(), g.num_nodes());
  ASSERT_EQ(back->num_edges(), g.num_edges());
  for (int v = 0; v < g.num_nodes(); ++v) {
    EXPECT_EQ(back->nodes[v].name, g.nodes[v].name);
    EXPECT_EQ(back->nodes[v].macs, g.nodes[v].macs);
    EXPECT_EQ(back->nodes[v].weight_bytes, g.nodes[v].weight_bytes);
    EXPECT_EQ(back->nodes[v].output_bytes, g.nodes[v].output_bytes);
    EXPECT_EQ(back->nodes[v].gemm.k, g.nodes[v].gemm.k);
    EXPECT_EQ(back->nodes[v].colocation_group, g.nodes[v].colocation_group);
    EXPECT_EQ(back->nodes[v].pin, g.nodes[v].pin);
    EXPECT_DOUBLE_EQ(back->nodes[v].latency_s, g.nodes[v].latency_s);
  }
  EXPECT_DOUBLE_EQ(back->edges[2].cost_s, 3e-7);
  EXPECT_EQ(back->topo_order(), g.topo_order());
}

TEST(GraphJson, RejectsCycleDuplicateAndMissingFields) {
  const std::string head = R"({"format":"mcmpart-graph","version":1,"nodes":[)";
  const std::string a = R"({"name":"a","op":"Add","class":"vector","output_bytes":4})";
  const std::string b = R"({"name":"b","op":"Add","class":"vector","output_bytes":4})";
  auto cyc = ParseGraphJson(head + a + "," + b + R"(],"edges":[{"src":0,"dst":1},{"src":1,"dst":0}]})", "g.json");
  ASSERT_FALSE(cyc.ok());
  EXPECT_NE(cyc.status().message().find("cycle"), std::string::npos) << cyc.status().message();
  auto dup = ParseGraphJson(head + a + "," + a + R"(],"edges":[]})", "g.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("duplicate node name 'a'"), std::string::npos);
  auto missing = ParseGraphJson(head + R"({"name":"a","op":"Add","class":"vector"}],"edges":[]})", "g.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("output_bytes"), std::string::npos);
  auto truncated = ParseGraphJson(head + a, "g.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("g.json"), std::string::npos);
}

TEST(Bert, BaseHasExpectedParameterCountAndWork) {
  auto g = MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(g.ok());
  // BERT-base has ~110M parameters; int8 ⇒ ~110 MB of weights.
  EXPECT_GT(g->TotalWeightBytes(), 105'000'000);
  EXPECT_LT(g->TotalWeightBytes(), 115'000'000);
  // 12 layers × (4·h² + 2·h·4h)·s + attention 2·s²·h per layer, h = 768, s = 128.
  const int64_t h = 768, s = 128;
  const int64_t per_layer = (4 * h * h + 8 * h * h) * s + 2 * s * s * h;
  EXPECT_EQ(g->TotalMacs(), 12 * per_layer + h * h);
  for (const Node& n : g->nodes) EXPECT_GT(n.output_bytes, 0) << n.name;
}

TEST(Bert, RejectsUnknownNamesAndFields) {
  EXPECT_FALSE(MakeBuiltinGraph("gpt-17").ok());
  EXPECT_FALSE(MakeBuiltinGraph("bert:layers=x").ok());
  EXPECT_FALSE(MakeBuiltinGraph("bert:hidden=100,heads=3").ok());
  EXPECT_TRUE(MakeBuiltinGraph("bert:layers=1,hidden=64,heads=2,seq=16").ok());
}

TEST(PartitionJson, RoundTripAndErrors) {
  Graph g = MakeBert(BertConfig{1, 64, 2, 16}, "b");
  Partition p(g.num_nodes(), 0);
  p.back() = 1;
  auto back = ParsePartitionJson(WritePartitionJsonString(g, 2, p), g, "p.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_FALSE(ParsePartitionJson(R"({"assignment":[0,1]})", g, "p.json").ok());
  EXPECT_FALSE(ParsePartitionJson(R"({"assignment":"x"})", g, "p.json").ok());
  EXPECT_FALSE(CheckPartitionShape(g, 1, p).ok());
}

}  // namespace
}  // namespace mcmpart::common
