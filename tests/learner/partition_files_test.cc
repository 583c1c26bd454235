// The drawing and the staged output folder of `mcmpart partition` (learner/partition_files.h).
#include "learner/partition_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "common/synthetic.h"

namespace mcmpart::learner {
namespace {

namespace fs = std::filesystem;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A graph and a pipeline over 3 chips by topological position, with node 1 of the order moved
// to the last chip so that stages and chips differ.
struct Fixture {
  common::Graph graph;
  common::Partition p;
  Fixture() {
    graph = common::MakeSyntheticFromName("synth:residual:seed=3,nodes=40").value();
    const int n = graph.num_nodes();
    p.assign(n, 0);
    for (int v = 0; v < n; ++v) p[v] = graph.topo_rank()[v] * 3 / n;
    p[graph.topo_order()[1]] = 2;
  }
};

TEST(PartitionDot, DrawsEveryNodeAndMarksEveryCutEdge) {
  Fixture f;
  const std::string dot = PartitionDot(f.graph, f.p);
  EXPECT_EQ(Count(dot, "fillcolor="), f.graph.num_nodes());
  int cut = 0;
  for (const common::Edge& e : f.graph.edges) cut += f.p[e.src] != f.p[e.dst];
  EXPECT_GT(cut, 0);
  EXPECT_EQ(Count(dot, "color=red"), cut);
  EXPECT_EQ(Count(dot, " -> "), f.graph.num_edges());
  EXPECT_EQ(Count(dot, "subgraph cluster_"), 3);
}

TEST(PartitionDot, LargeGraphsCollapseIntoStages) {
  Fixture f;
  const std::string dot = PartitionDot(f.graph, f.p, /*max_nodes=*/10);
  std::vector<int> stage(f.graph.num_nodes());
  int stages = 0, last = -1;
  for (int v : f.graph.topo_order()) {
    if (f.p[v] != last) ++stages;
    last = f.p[v];
    stage[v] = stages - 1;
  }
  EXPECT_EQ(Count(dot, "fillcolor="), stages);
  std::set<std::pair<int, int>> pairs, cut_pairs;
  for (const common::Edge& e : f.graph.edges) {
    if (stage[e.src] == stage[e.dst]) continue;
    pairs.insert({stage[e.src], stage[e.dst]});
    if (f.p[e.src] != f.p[e.dst]) cut_pairs.insert({stage[e.src], stage[e.dst]});
  }
  EXPECT_EQ(Count(dot, " -> "), static_cast<int>(pairs.size()));
  EXPECT_EQ(Count(dot, "color=red"), static_cast<int>(cut_pairs.size()));
  int nodes = 0;
  const std::regex label("stage [0-9]+: ([0-9]+) nodes");
  for (auto it = std::sregex_iterator(dot.begin(), dot.end(), label); it != std::sregex_iterator();
       ++it) {
    nodes += std::stoi((*it)[1]);
  }
  EXPECT_EQ(nodes, f.graph.num_nodes());
}

TEST(OutputDir, NothingIsLeftWithoutCommitAndCommitMovesTheFiles) {
  const fs::path root =
      fs::temp_directory_path() / ("partition_files_test_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string dir = (root / "a" / "b" / "out").string();
  {
    auto out = OutputDir::Create(dir);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_TRUE(fs::is_directory(out->staging()));
    std::ofstream(out->staging() + "/x.txt") << "x";
  }
  EXPECT_FALSE(fs::exists(root / "a"));
  {
    auto out = OutputDir::Create(dir);
    ASSERT_TRUE(out.ok()) << out.status().message();
    std::ofstream(out->staging() + "/x.txt") << "x";
    ASSERT_TRUE(out->Commit().ok());
  }
  EXPECT_TRUE(fs::exists(fs::path(dir) / "x.txt"));
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root / "a" / "b")) entries += !e.path().empty();
  EXPECT_EQ(entries, 1);  // out, no staging folder
  fs::remove_all(root);
}

}  // namespace
}  // namespace mcmpart::learner
