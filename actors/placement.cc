// Placement units, the pipeline order and the greedy balanced pipeline: the structure that
// every valid partition respects, shared by the policy's features and the search strategies.
#include "actors/placement.h"

#include <algorithm>
#include <limits>
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

namespace {

// The graph with colocation groups contracted: each node's group root, the edges between
// groups (repeated per node edge) and the roots in a topological order (Kahn), which holds
// fewer than `roots` of them when the groups form a cycle.
struct GroupGraph {
  std::vector<int> root;
  std::vector<std::vector<int>> preds, succs;
  std::vector<int> topo;
  int roots = 0;
};

GroupGraph ContractGroups(const Graph& graph, const hw::Hardware& hw) {
  const int n = graph.num_nodes();
  std::vector<int> uf = JoinColocationGroups(graph, hw);
  GroupGraph g;
  g.root.resize(n);
  g.preds.resize(n);
  g.succs.resize(n);
  for (int v = 0; v < n; ++v) g.root[v] = FindRoot(uf, v);
  std::vector<int> in_deg(n, 0);
  for (const common::Edge& e : graph.edges) {
    const int a = g.root[e.src], b = g.root[e.dst];
    if (a == b) continue;
    g.succs[a].push_back(b);
    g.preds[b].push_back(a);
    ++in_deg[b];
  }
  std::vector<int> ready;
  for (int v = 0; v < n; ++v) {
    if (g.root[v] != v) continue;
    ++g.roots;
    if (in_deg[v] == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    const int a = ready.back();
    ready.pop_back();
    g.topo.push_back(a);
    for (int b : g.succs[a]) {
      if (--in_deg[b] == 0) ready.push_back(b);
    }
  }
  return g;
}

// Sort key per group root for kLate: minus the height, the longest path to a sink.
std::vector<double> LateKeys(const GroupGraph& g) {
  std::vector<double> height(g.root.size(), 0.0);
  for (auto a = g.topo.rbegin(); a != g.topo.rend(); ++a) {
    for (int b : g.succs[*a]) height[*a] = std::max(height[*a], height[b] + 1);
  }
  for (double& h : height) h = -h;
  return height;
}

// Sort key per group root for kEarly: the depth, the longest path from the non-source groups
// (a source adds nothing to it), and for a source half a step before its first consumer.
std::vector<double> EarlyKeys(const GroupGraph& g) {
  std::vector<double> depth(g.root.size(), 0.0);
  for (int a : g.topo) {
    const double step = g.preds[a].empty() ? 0 : 1;
    for (int b : g.succs[a]) depth[b] = std::max(depth[b], depth[a] + step);
  }
  for (int a : g.topo) {
    if (!g.preds[a].empty() || g.succs[a].empty()) continue;
    double first = std::numeric_limits<double>::infinity();
    for (int b : g.succs[a]) first = std::min(first, depth[b]);
    depth[a] = first - 0.5;
  }
  return depth;
}

}  // namespace

std::vector<int> PipelineOrder(const Graph& graph, const hw::Hardware& hw,
                               common::DecisionOrder order) {
  const int n = graph.num_nodes();
  const GroupGraph g = ContractGroups(graph, hw);
  if (static_cast<int>(g.topo.size()) < g.roots) return graph.topo_order();  // a cycle
  const std::vector<double> key =
      order == common::DecisionOrder::kEarly ? EarlyKeys(g) : LateKeys(g);
  // Increasing key is a topological order of the groups; ties go by each group's first
  // topological position, which keeps a group's members together.
  std::vector<int> first_pos(n, n);
  for (int v = 0; v < n; ++v) {
    first_pos[g.root[v]] = std::min(first_pos[g.root[v]], graph.topo_rank()[v]);
  }
  std::vector<int> nodes = graph.topo_order();
  std::stable_sort(nodes.begin(), nodes.end(), [&](int a, int b) {
    const int ra = g.root[a], rb = g.root[b];
    if (key[ra] != key[rb]) return key[ra] < key[rb];
    return first_pos[ra] < first_pos[rb];
  });
  return nodes;
}

Partition GreedyPipeline(const Graph& graph, const hw::Hardware& hw, int stages,
                         common::DecisionOrder order) {
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
  const std::vector<int> pipeline = PipelineOrder(graph, hw, order);
  for (size_t i = 0; i < pipeline.size(); ++i) {
    const int v = pipeline[i];
    // A colocation group is consecutive in the order; only its first member may open a stage.
    const int grp = graph.nodes[v].colocation_group;
    const bool inside_group = hw.constraints.colocate && grp >= 0 && i > 0 &&
                              graph.nodes[pipeline[i - 1]].colocation_group == grp;
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
