// Tests for the dnn-partitioning reader and split I/O: fields, hints, errors, round trips.
#include "common/dnn_partitioning.h"

#include <gtest/gtest.h>

#include <string>

#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

const std::string kDnnDir = std::string(MCMPART_TEST_DATA_DIR) + "/dnn/";
const std::string kBenchDir = MCMPART_BENCHMARK_DIR;

Graph LoadOrDie(const std::string& path) {
  StatusOr<Graph> g = LoadGraph(path);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(g).value() : Graph();
}

TEST(DnnPartitioningTest, ReadsFieldsOfTheHandMadeGraph) {
  Graph g = LoadOrDie(kDnnDir + "tiny.json");
  ASSERT_EQ(g.num_nodes(), 4);
  ASSERT_EQ(g.num_edges(), 4);
  EXPECT_EQ(g.name, "tiny");
  EXPECT_EQ(g.hint_num_chips, 2);
  EXPECT_EQ(g.hint_sram_bytes, 1000);
  EXPECT_EQ(g.nodes[0].name, "10:a");
  EXPECT_EQ(g.nodes[0].op_class, OpClass::kGiven);
  EXPECT_DOUBLE_EQ(g.nodes[2].latency_s, 3e-3);
  EXPECT_EQ(g.nodes[1].weight_bytes, 200);
  EXPECT_EQ(g.nodes[3].op, "Backward");
  EXPECT_EQ(g.nodes[0].op, "Forward");
  // colorClass 2 shared by b and c; d has none.
  EXPECT_EQ(g.nodes[1].colocation_group, g.nodes[2].colocation_group);
  EXPECT_NE(g.nodes[0].colocation_group, g.nodes[1].colocation_group);
  EXPECT_EQ(g.nodes[3].colocation_group, -1);
  EXPECT_DOUBLE_EQ(g.edges[0].cost_s, 0.5e-3);
  EXPECT_EQ(g.edges[0].bytes, 64);
  EXPECT_EQ(g.nodes[0].output_bytes, 64);
  EXPECT_DOUBLE_EQ(g.SendCost(1), 0.25e-3);
  EXPECT_EQ(g.TotalWeightBytes(), 600);
  EXPECT_EQ(DnnNodeIds(g), (std::vector<int64_t>{10, 20, 30, 40}));
}

TEST(DnnPartitioningTest, BadFilesNameTheProblem) {
  struct Case {
    const char* file;
    const char* needle;
  } cases[] = {{"missing_latency.json", "fpgaLatency"},
               {"duplicate_id.json", "duplicate node id 10"},
               {"cycle.json", "cycle"},
               {"unknown_edge_id.json", "99"},
               {"missing_maxfpgas.json", "maxFPGAs"}};
  for (const Case& c : cases) {
    StatusOr<Graph> g = LoadGraph(kDnnDir + c.file);
    ASSERT_FALSE(g.ok()) << c.file;
    EXPECT_NE(g.status().message().find(c.needle), std::string::npos) << g.status().message();
    EXPECT_NE(g.status().message().find(c.file), std::string::npos) << g.status().message();
  }
  EXPECT_FALSE(ParseDnnPartitioning("{\"maxFPGAs\": 2,", "x.json").ok());
  EXPECT_FALSE(ParseDnnPartitioning("[]", "x.json").ok());
  StatusOr<Graph> cpu_only = ParseDnnPartitioning(
      R"({"maxFPGAs": 1, "maxSizePerFPGA": 1, "nodes": [{"id": 0, "fpgaLatency": 1,
          "supportedOnFpga": 0}], "edges": []})", "cpu.json");
  ASSERT_FALSE(cpu_only.ok());
  EXPECT_NE(cpu_only.status().message().find("supportedOnFpga"), std::string::npos);
}

TEST(DnnPartitioningTest, SplitReadsExpertFormatAndRejectsCpus) {
  Graph g = LoadOrDie(kDnnDir + "tiny.json");
  int k = 0;
  StatusOr<Partition> p = ReadDnnSplit(kDnnDir + "tiny_split.json", g, &k);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(k, 2);
  EXPECT_EQ(*p, (Partition{0, 0, 1, 1}));
  StatusOr<Partition> cpu = ReadDnnSplit(kDnnDir + "tiny_split_cpu.json", g);
  ASSERT_FALSE(cpu.ok());
  EXPECT_NE(cpu.status().message().find("CPU"), std::string::npos);
  EXPECT_FALSE(ParseDnnSplit(R"({"fpgas": [{"nodes": [10, 20, 30]}]})", g, "s.json").ok());
  EXPECT_FALSE(ParseDnnSplit(R"({"fpgas": [{"nodes": [10, 20, 30, 40, 10]}]})", g, "s.json").ok());
  EXPECT_FALSE(ParseDnnSplit(R"({"fpgas": [{"nodes": [10, 20, 30, 41]}]})", g, "s.json").ok());
}

TEST(DnnPartitioningTest, SplitWriterRoundTripsThroughReaderAndOwnJson) {
  Graph g = LoadOrDie(kDnnDir + "tiny.json");
  // Own JSON keeps the "<id>:" names, so the ids survive a round trip.
  StatusOr<Graph> again = ParseGraphJson(WriteGraphJsonString(g), "mem");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(DnnNodeIds(*again), DnnNodeIds(g));
  for (const Partition& p : {Partition{0, 1, 1, 1}, Partition{2, 0, 1, 2}, Partition{0, 0, 0, 0}}) {
    const std::string text = WriteDnnSplitString(*again, 3, p, {1e-3, 2e-3, 0.5e-3});
    int k = 0;
    StatusOr<Partition> back = ParseDnnSplit(text, g, "mem", &k);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, p);
    EXPECT_EQ(k, 3);
    EXPECT_NE(text.find("\"maxLoad\": 2.0"), std::string::npos) << text;
  }
  // Graphs not from the benchmark use node indices as ids.
  StatusOr<Graph> bert = LoadGraph("bert-tiny");
  ASSERT_TRUE(bert.ok());
  std::vector<int64_t> ids = DnnNodeIds(*bert);
  for (int v = 0; v < bert->num_nodes(); ++v) EXPECT_EQ(ids[v], v);
}

TEST(DnnPartitioningTest, ReadsEveryBenchmarkGraph) {
  for (const char* file :
       {"LayerGraphs/bert24_inference.json", "LayerGraphs/resnet50_training.json",
        "OperatorGraphs/bert_l-3_inference.json", "OperatorGraphs/bert_L-12_training.json",
        "OperatorGraphs/resnet50_inference.json"}) {
    Graph g = LoadOrDie(kBenchDir + "/throughput-inputs/" + file);
    EXPECT_GT(g.num_nodes(), 0) << file;
    EXPECT_GE(g.hint_num_chips, 3) << file;
    EXPECT_GT(g.hint_sram_bytes, int64_t{1} << 30) << file;
    for (const Edge& e : g.edges) EXPECT_GE(e.cost_s, 0.0);
  }
}

}  // namespace
}  // namespace mcmpart::common
