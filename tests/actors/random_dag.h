// Random small instances (graph + hardware with random constraint switches) for the
// repair/exact cross-checks against the checker and brute force.
#pragma once

#include <functional>
#include <random>
#include <string>

#include "common/graph.h"
#include "common/partition.h"
#include "common/rng.h"
#include "hw/hardware.h"

namespace mcmpart::actors::testing {

struct Instance {
  common::Graph graph;
  hw::Hardware hw;
};

/// A random DAG of `n` nodes (edges only from lower to higher ids, in random order), random
/// weights/outputs/latencies, some pins and colocation groups, and a random K ≤ max_chips with
/// every constraint randomly switched; S is drawn so that instances are often tight.
inline Instance RandomInstance(uint64_t seed, int n, int max_chips) {
  common::Rng rng(seed);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Instance inst;
  common::Graph& g = inst.graph;
  g.name = "random" + std::to_string(seed);
  for (int v = 0; v < n; ++v) {
    common::Node node;
    node.name = "n" + std::to_string(v);
    node.op = "Op";
    node.op_class = uni(0, 1) ? common::OpClass::kGiven : common::OpClass::kVector;
    node.latency_s = uni(1, 100) * 1e-6;
    node.vector_ops = uni(1, 100000);
    node.output_bytes = uni(0, 4) * 1000;
    node.weight_bytes = uni(0, 3) ? uni(1, 20) * 1000 : 0;
    g.AddNode(node);
  }
  const double density = uni(15, 50) / 100.0;
  std::bernoulli_distribution edge(density);
  for (int u = 0; u < n; ++u) {
    for (int v = u + 1; v < n; ++v) {
      if (edge(rng)) {
        g.AddEdge(u, v);
        if (uni(0, 3) == 0) g.edges.back().cost_s = uni(1, 50) * 1e-6;
      }
    }
  }
  hw::Hardware& h = inst.hw;
  h.name = "random";
  h.num_chips = uni(1, max_chips);
  h.topology = uni(0, 1) ? hw::Topology::kRing : hw::Topology::kChain;
  hw::ConstraintConfig& c = h.constraints;
  c.acyclic = uni(0, 3) > 0;
  c.no_skip = uni(0, 1);
  c.max_hop = uni(0, 1);
  c.max_hop_distance = uni(1, 2);
  c.sram = uni(0, 3) > 0;
  c.sram_buffers = uni(0, 1);
  c.colocate = uni(0, 1);
  c.pin = uni(0, 1);
  if (uni(0, 2) == 0 && n >= 2) {
    const int grp = g.ColocationGroup("g");
    for (int i = 0; i < 2; ++i) g.nodes[uni(0, n - 1)].colocation_group = grp;
  }
  if (uni(0, 2) == 0) g.nodes[uni(0, n - 1)].pin = uni(0, h.num_chips - 1);
  const int64_t total = g.TotalWeightBytes() + 10000;
  h.chip.sram_bytes = std::max<int64_t>(1000, total * uni(60, 250) / 100 / h.num_chips);
  g.Finalize().ok();
  return inst;
}

/// Calls `f` on every partition of `n` nodes into `k` chips.
inline void ForEachPartition(int n, int k, const std::function<void(const common::Partition&)>& f) {
  common::Partition p(n, 0);
  while (true) {
    f(p);
    int i = 0;
    while (i < n && ++p[i] == k) p[i++] = 0;
    if (i == n) return;
  }
}

}  // namespace mcmpart::actors::testing
