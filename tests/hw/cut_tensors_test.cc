// The transfer rule (hw::CutTensors) against a brute-force count on random DAGs, and the
// checker's SRAM buffers and the evaluators' per-link bytes and busy times against that count.
#include "hw/cut_tensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "hw/op_cost.h"
#include "hw/simulator.h"
#include "tests/actors/random_dag.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Partition;

// (producer, receiving chip) pairs: c ≠ p[u] receives u's tensor iff an edge u→v has p[v] = c.
std::set<std::pair<int, int>> BruteForceReceivers(const Graph& g, int k, const Partition& p) {
  std::set<std::pair<int, int>> out;
  for (int u = 0; u < g.num_nodes(); ++u) {
    for (int c = 0; c < k; ++c) {
      if (c == p[u]) continue;
      for (const common::Edge& e : g.edges) {
        if (e.src == u && p[e.dst] == c) out.insert({u, c});
      }
    }
  }
  return out;
}

std::set<int> Senders(const std::set<std::pair<int, int>>& received) {
  std::set<int> out;
  for (const auto& [u, c] : received) out.insert(u);
  return out;
}

Partition RandomPartition(int n, int k, std::mt19937* rng) {
  std::uniform_int_distribution<int> chip(0, k - 1);
  Partition p(n);
  for (int& c : p) c = chip(*rng);
  return p;
}

TEST(CutTensorsTest, ReceiversMatchBruteForceOnRandomDags) {
  std::mt19937 rng(7);
  int crossing = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const int n = 2 + static_cast<int>(seed % 13);
    const actors::testing::Instance inst = actors::testing::RandomInstance(seed, n, 5);
    const Graph& g = inst.graph;
    const int k = inst.hw.num_chips;
    for (int trial = 0; trial < 4; ++trial) {
      const Partition p = RandomPartition(n, k, &rng);
      const auto expected = BruteForceReceivers(g, k, p);
      std::vector<std::pair<int, int>> seen;
      std::set<int> senders;
      CutTensors cut(g, p, k);
      for (int u = 0; u < n; ++u) {
        if (cut.ForEachReceiver(u, [&](int c) { seen.push_back({u, c}); })) senders.insert(u);
      }
      const std::set<std::pair<int, int>> seen_set(seen.begin(), seen.end());
      EXPECT_EQ(seen.size(), seen_set.size()) << "a chip received a tensor twice, seed " << seed;
      EXPECT_EQ(seen_set, expected) << "seed " << seed << " trial " << trial;
      EXPECT_EQ(senders, Senders(expected)) << "seed " << seed << " trial " << trial;
      crossing += static_cast<int>(expected.size());
    }
  }
  EXPECT_GT(crossing, 1000);  // the instances do cut tensors
}

TEST(CutTensorsTest, ChipsReceiveInTheOrderOfTheirFirstConsumer) {
  // a feeds b, c, d, e on chips 2, 1, 2, 0: chip 2 receives once, before chip 1.
  Graph g;
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    common::Node n;
    n.name = name;
    n.output_bytes = 8;
    g.AddNode(n);
  }
  for (int v = 1; v < 5; ++v) g.AddEdge(0, v);
  ASSERT_TRUE(g.Finalize().ok());
  const Partition p = {0, 2, 1, 2, 0};
  std::vector<int> order;
  CutTensors cut(g, p, 3);
  EXPECT_TRUE(cut.ForEachReceiver(0, [&](int c) { order.push_back(c); }));
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  EXPECT_FALSE(cut.ForEachReceiver(1, [&](int) { ADD_FAILURE() << "b has no consumers"; }));
}

// Per-link bytes of maxload and the cycle simulator, the checker's SRAM buffers and maxload's
// chip loads, each recomputed from the brute-force receivers.
TEST(CutTensorsTest, SramBuffersAndEvaluatorsAgreeWithBruteForce) {
  std::mt19937 rng(11);
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const int n = 2 + static_cast<int>(seed % 11);
    actors::testing::Instance inst = actors::testing::RandomInstance(seed, n, 5);
    const Graph& g = inst.graph;
    Hardware hw = inst.hw;  // every constraint off: any partition is valid
    ConstraintConfig& c = hw.constraints;
    c.acyclic = c.no_skip = c.max_hop = c.sram = c.colocate = c.pin = false;
    const int k = hw.num_chips;
    auto maxload = MakeMaxLoadEvaluator(g, hw);
    auto cycle = MakeCycleEvaluator(g, hw, SimOptions{4, 1});
    ASSERT_TRUE(cycle.ok());
    const auto links = hw.Links();
    for (int trial = 0; trial < 3; ++trial) {
      const Partition p = RandomPartition(n, k, &rng);
      ASSERT_TRUE(IsValid(g, hw, p));
      const auto received = BruteForceReceivers(g, k, p);
      const std::set<int> senders = Senders(received);
      std::vector<double> link_bytes(links.size(), 0.0), link_busy(links.size(), 0.0);
      std::vector<int64_t> buffers(k, 0);
      std::vector<double> busy(k, 0.0);
      for (int v = 0; v < n; ++v) {
        busy[p[v]] += OpSeconds(g.nodes[v], hw);
        buffers[p[v]] = std::max(buffers[p[v]], OpWorkingSetBytes(g, v));
      }
      for (const auto& [u, c] : received) {
        buffers[c] += g.SendBytes(u);
        busy[c] += SendSeconds(g, u, hw);
        for (int link : hw.Route(p[u], c)) {
          link_bytes[link] += static_cast<double>(g.SendBytes(u));
          link_busy[link] += SendSeconds(g, u, hw);
        }
      }
      for (int u : senders) {
        buffers[p[u]] += g.SendBytes(u);
        busy[p[u]] += SendSeconds(g, u, hw);
      }
      EXPECT_EQ(ComputeSramUse(g, k, p).buffers, buffers) << "seed " << seed;
      const Metrics ml = maxload->Evaluate(p);
      EXPECT_EQ(ml.link_bytes, link_bytes) << "seed " << seed;
      for (int c = 0; c < k; ++c) {
        EXPECT_NEAR(ml.chip_busy_s[c], busy[c], 1e-18 + 1e-12 * busy[c]) << "seed " << seed;
      }
      const Metrics sim = (*cycle)->Evaluate(p);
      EXPECT_EQ(sim.link_bytes, link_bytes) << "seed " << seed;
      for (size_t l = 0; l < links.size(); ++l) {
        EXPECT_NEAR(sim.link_busy_s[l], link_busy[l], 1e-18 + 1e-12 * link_busy[l])
            << "seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace mcmpart::hw
