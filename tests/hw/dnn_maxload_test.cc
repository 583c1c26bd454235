// maxload on dnn-partitioning graphs equals the benchmark's max-load: hand-computed cases and
// the expert splits, against an independent re-implementation of the README formula.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/dnn_partitioning.h"
#include "common/graph_io.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Partition;
using json = nlohmann::json;

const std::string kDnnDir = std::string(MCMPART_TEST_DATA_DIR) + "/dnn/";
const std::string kBenchDir = MCMPART_BENCHMARK_DIR;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// The README's formula, straight from the raw files (milliseconds), with no project code.
double ReferenceMaxLoadMs(const json& graph, const json& split) {
  std::map<int64_t, int> device;
  for (size_t d = 0; d < split["fpgas"].size(); ++d) {
    for (const json& id : split["fpgas"][d]["nodes"])
      device[id.get<int64_t>()] = static_cast<int>(d);
  }
  std::vector<double> load(split["fpgas"].size(), 0.0);
  for (const json& n : graph["nodes"])
    load[device.at(n["id"].get<int64_t>())] += n["fpgaLatency"].get<double>();
  std::map<int64_t, double> cost;
  std::map<int64_t, std::set<int>> consumer_devices;
  for (const json& e : graph["edges"]) {
    const int64_t u = e["sourceId"].get<int64_t>();
    cost[u] = e["cost"].get<double>();
    consumer_devices[u].insert(device.at(e["destId"].get<int64_t>()));
  }
  for (const auto& [u, devices] : consumer_devices) {
    const int du = device.at(u);
    bool sends = false;
    for (int d : devices) {
      if (d == du) continue;
      load[d] += cost[u];  // received once per (u, d)
      sends = true;
    }
    if (sends) load[du] += cost[u];  // sent once per u
  }
  return *std::max_element(load.begin(), load.end());
}

double MaxLoadMs(const Graph& g, int num_chips, const Partition& p) {
  common::StatusOr<Hardware> hw = LoadHardware("from-graph", &g);
  EXPECT_TRUE(hw.ok()) << hw.status().message();
  Hardware h = *hw;
  h.num_chips = num_chips;
  return MakeMaxLoadEvaluator(g, h)->Evaluate(p).time_per_sample_s * 1e3;
}

TEST(DnnMaxLoadTest, HandComputedCases) {
  common::StatusOr<Graph> g = common::LoadGraph(kDnnDir + "tiny.json");
  ASSERT_TRUE(g.ok()) << g.status().message();
  // Latencies a=1 b=2 c=3 d=4 ms; costs a→{b,c} 0.5, b→d 0.25, c→d 0.125.
  // {a,b}|{c,d}: dev0 = 1+2 + 0.5 (a sends) + 0.25 (b sends) = 3.75;
  //              dev1 = 3+4 + 0.5 (a received) + 0.25 (b received) = 7.75.
  EXPECT_NEAR(MaxLoadMs(*g, 2, {0, 0, 1, 1}), 7.75, 1e-9);
  // {a}|{b,c,d}: a's output is received once although b and c both read it: 9 + 0.5.
  EXPECT_NEAR(MaxLoadMs(*g, 2, {0, 1, 1, 1}), 9.5, 1e-9);
  // {a}|{b}|{c,d}: dev2 = 7 + 0.5 + 0.25 = 7.75; a pays its send once for two devices.
  EXPECT_NEAR(MaxLoadMs(*g, 3, {0, 1, 2, 2}), 7.75, 1e-9);
  // {a,b,c}|{d} on 2 devices: dev0 = 6 + 0.25 + 0.125 = 6.375, dev1 = 4 + 0.375 = 4.375.
  EXPECT_NEAR(MaxLoadMs(*g, 2, {0, 0, 0, 1}), 6.375, 1e-9);
  // One device: the sum of latencies, no transfers.
  EXPECT_NEAR(MaxLoadMs(*g, 1, {0, 0, 0, 0}), 10.0, 1e-9);
}

TEST(DnnMaxLoadTest, ExpertSplitsMatchTheReferenceFormula) {
  // Each expert split belongs to the LayerGraphs file of the same name; all list every node on
  // an FPGA and leave the CPU list empty.
  for (const char* name : {"bert24_inference", "bert24_training", "gnmt_inference", "gnmt_training",
                           "inceptionv3_inference", "resnet50_inference"}) {
    const std::string graph_path = kBenchDir + "/throughput-inputs/LayerGraphs/" + name + ".json";
    const std::string split_path = kBenchDir + "/human-experts/" + name + "_expert.json";
    common::StatusOr<Graph> g = common::LoadGraph(graph_path);
    ASSERT_TRUE(g.ok()) << g.status().message();
    int k = 0;
    common::StatusOr<Partition> p = common::ReadDnnSplit(split_path, *g, &k);
    ASSERT_TRUE(p.ok()) << p.status().message();
    const double expected = ReferenceMaxLoadMs(ReadJson(graph_path), ReadJson(split_path));
    EXPECT_GT(expected, 0.0) << name;
    EXPECT_NEAR(MaxLoadMs(*g, k, *p), expected, 1e-9 * expected) << name;
  }
}

TEST(DnnMaxLoadTest, RandomSplitsOfOperatorGraphMatchTheReferenceFormula) {
  const std::string path = kBenchDir + "/throughput-inputs/OperatorGraphs/bert_l-3_inference.json";
  common::StatusOr<Graph> g = common::LoadGraph(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  const json raw = ReadJson(path);
  const std::vector<int64_t> ids = common::DnnNodeIds(*g);
  uint64_t state = 12345;
  for (int trial = 0; trial < 5; ++trial) {
    const int k = 2 + trial % 3;
    Partition p(g->num_nodes());
    json split = {{"fpgas", json::array()}};
    for (int d = 0; d < k; ++d) split["fpgas"].push_back({{"nodes", json::array()}});
    for (int v = 0; v < g->num_nodes(); ++v) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      p[v] = static_cast<int>((state >> 33) % k);
      split["fpgas"][p[v]]["nodes"].push_back(ids[v]);
    }
    const double expected = ReferenceMaxLoadMs(raw, split);
    EXPECT_NEAR(MaxLoadMs(*g, k, p), expected, 1e-9 * expected);
  }
}

TEST(DnnMaxLoadTest, FromGraphWithAChipCountKeepsEverythingButK) {
  common::StatusOr<Graph> g = common::LoadGraph(kDnnDir + "tiny.json");
  ASSERT_TRUE(g.ok()) << g.status().message();
  common::StatusOr<Hardware> native = LoadHardware("from-graph", &*g);
  ASSERT_TRUE(native.ok()) << native.status().message();
  const int k = native->num_chips + 3;
  common::StatusOr<Hardware> wider = LoadHardware("from-graph:" + std::to_string(k), &*g);
  ASSERT_TRUE(wider.ok()) << wider.status().message();
  EXPECT_EQ(wider->num_chips, k);
  Hardware expect = *native;
  expect.num_chips = k;
  expect.name = wider->name;
  EXPECT_EQ(HardwareToToml(*wider), HardwareToToml(expect));
  for (const std::string bad : {"from-graph:", "from-graph:0", "from-graph:4x", "from-graph:999"}) {
    common::StatusOr<Hardware> hw = LoadHardware(bad, &*g);
    ASSERT_FALSE(hw.ok()) << bad;
    EXPECT_NE(hw.status().message().find(bad), std::string::npos) << hw.status().message();
  }
  EXPECT_FALSE(LoadHardware("from-graph:4", nullptr).ok());
}

}  // namespace
}  // namespace mcmpart::hw
