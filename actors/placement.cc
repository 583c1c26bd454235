// Placement units, the pipeline order and the greedy balanced pipeline: the structure that
// every valid partition respects, shared by the policy's features and the search strategies.
#include "actors/placement.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "hw/op_cost.h"

namespace mcmpart::actors {

using common::Graph;
using common::Partition;

int FindRoot(std::vector<int>& uf, int x) {
  while (uf[x] != x) x = uf[x] = uf[uf[x]];
  return x;
}

std::vector<int> JoinColocationGroups(const Graph& g, const hw::Hardware& hw) {
  std::vector<int> uf(g.num_nodes());
  std::iota(uf.begin(), uf.end(), 0);
  if (!hw.constraints.colocate) return uf;
  std::vector<int> first(g.colocation_groups.size(), -1);
  for (int v = 0; v < g.num_nodes(); ++v) {
    const int grp = g.nodes[v].colocation_group;
    if (grp < 0) continue;
    if (first[grp] < 0) first[grp] = v;
    uf[FindRoot(uf, v)] = FindRoot(uf, first[grp]);
  }
  return uf;
}

void MergeCycles(const Graph& g, std::vector<int>& uf) {
  const int n = g.num_nodes();
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<int> root(n), ids;
    for (int v = 0; v < n; ++v) root[v] = FindRoot(uf, v);
    std::vector<int> index(n, -1);
    for (int v = 0; v < n; ++v) {
      if (index[root[v]] < 0) {
        index[root[v]] = static_cast<int>(ids.size());
        ids.push_back(root[v]);
      }
    }
    const int m = static_cast<int>(ids.size());
    std::vector<std::vector<int>> adj(m);
    for (const common::Edge& e : g.edges) {
      const int a = index[root[e.src]], b = index[root[e.dst]];
      if (a != b) adj[a].push_back(b);
    }
    // Iterative Tarjan.
    std::vector<int> num(m, -1), low(m, 0), comp(m, -1), stack;
    std::vector<bool> on(m, false);
    int counter = 0, comps = 0;
    for (int s = 0; s < m; ++s) {
      if (num[s] >= 0) continue;
      std::vector<std::pair<int, size_t>> call = {{s, 0}};
      num[s] = low[s] = counter++;
      stack.push_back(s);
      on[s] = true;
      while (!call.empty()) {
        auto& [v, it] = call.back();
        if (it < adj[v].size()) {
          const int w = adj[v][it++];
          if (num[w] < 0) {
            num[w] = low[w] = counter++;
            stack.push_back(w);
            on[w] = true;
            call.push_back({w, 0});
          } else if (on[w]) {
            low[v] = std::min(low[v], num[w]);
          }
          continue;
        }
        if (low[v] == num[v]) {
          int w;
          do {
            w = stack.back();
            stack.pop_back();
            on[w] = false;
            comp[w] = comps;
          } while (w != v);
          ++comps;
        }
        const int done = v;
        call.pop_back();
        if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
      }
    }
    if (comps == m) break;
    std::vector<int> rep(comps, -1);
    for (int i = 0; i < m; ++i) {
      if (rep[comp[i]] < 0) {
        rep[comp[i]] = ids[i];
      } else {
        uf[FindRoot(uf, ids[i])] = FindRoot(uf, rep[comp[i]]);
        changed = true;
      }
    }
  }
}

// Groups by decreasing height (longest path to a sink) in the graph with colocation groups
// contracted.
std::vector<int> PipelineOrder(const Graph& graph, const hw::Hardware& hw) {
  const int n = graph.num_nodes();
  std::vector<int> uf = JoinColocationGroups(graph, hw);
  // Height of each group in the contracted graph: the longest path to a sink, in reverse
  // topological order of the contracted graph (Kahn on successors counted per group).
  std::vector<int> root(n), out_deg(n, 0), height(n, 0);
  std::vector<std::vector<int>> group_preds(n);
  for (int v = 0; v < n; ++v) root[v] = FindRoot(uf, v);
  for (const common::Edge& e : graph.edges) {
    const int a = root[e.src], b = root[e.dst];
    if (a == b) continue;
    ++out_deg[a];
    group_preds[b].push_back(a);
  }
  std::vector<int> ready;
  int roots = 0;
  for (int v = 0; v < n; ++v) {
    if (root[v] != v) continue;
    ++roots;
    if (out_deg[v] == 0) ready.push_back(v);
  }
  int done = 0;
  while (!ready.empty()) {
    const int b = ready.back();
    ready.pop_back();
    ++done;
    for (int a : group_preds[b]) {
      height[a] = std::max(height[a], height[b] + 1);
      if (--out_deg[a] == 0) ready.push_back(a);
    }
  }
  if (done < roots) return graph.topo_order();  // colocation makes a cycle: plain order
  // Decreasing height is a topological order of the groups; ties go by each group's first
  // topological position, which keeps a group's members together.
  std::vector<int> first_pos(n, n);
  for (int v = 0; v < n; ++v) {
    first_pos[root[v]] = std::min(first_pos[root[v]], graph.topo_rank()[v]);
  }
  std::vector<int> order = graph.topo_order();
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const int ra = root[a], rb = root[b];
    if (height[ra] != height[rb]) return height[ra] > height[rb];
    return first_pos[ra] < first_pos[rb];
  });
  return order;
}

Partition GreedyPipeline(const Graph& graph, const hw::Hardware& hw, int stages) {
  stages = std::clamp(stages, 1, hw.num_chips);
  const int n = graph.num_nodes();
  std::vector<double> compute(n);
  double total = 0;
  for (int v = 0; v < n; ++v) {
    compute[v] = hw::OpSeconds(graph.nodes[v], hw);
    total += compute[v];
  }
  Partition p(n, 0);
  int chip = 0;
  double done = 0;
  int stage_nodes = 0;
  int64_t stage_weights = 0;
  const std::vector<int> order = PipelineOrder(graph, hw);
  for (size_t i = 0; i < order.size(); ++i) {
    const int v = order[i];
    // A colocation group is consecutive in the order; only its first member may open a stage.
    const int grp = graph.nodes[v].colocation_group;
    const bool inside_group = hw.constraints.colocate && grp >= 0 && i > 0 &&
                              graph.nodes[order[i - 1]].colocation_group == grp;
    const bool over_sram = hw.constraints.sram && stage_nodes > 0 &&
                           stage_weights + graph.nodes[v].weight_bytes > hw.chip.sram_bytes;
    const bool balanced = done >= total * (chip + 1) / stages;
    if ((over_sram || balanced) && chip + 1 < stages && !inside_group) {
      ++chip;
      stage_nodes = 0;
      stage_weights = 0;
    }
    p[v] = chip;
    done += compute[v];
    ++stage_nodes;
    stage_weights += graph.nodes[v].weight_bytes;
  }
  return p;
}

std::vector<int> PlacementUnits(const common::Graph& graph, const hw::Hardware& hw) {
  std::vector<int> uf = JoinColocationGroups(graph, hw);
  if (hw.constraints.colocate && hw.constraints.acyclic) MergeCycles(graph, uf);
  std::vector<int> unit(graph.num_nodes(), -1), index(graph.num_nodes(), -1);
  int units = 0;
  for (int v = 0; v < graph.num_nodes(); ++v) {
    const int r = FindRoot(uf, v);
    if (index[r] < 0) index[r] = units++;
    unit[v] = index[r];
  }
  return unit;
}

}  // namespace mcmpart::actors
