// Infeasibility diagnosis: one named check per necessary condition of SPEC §2.
#include "hw/feasibility.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "hw/constraints.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Status;

// Pairwise pin checks along paths cost a BFS per pinned node: only for this many pins or fewer.
constexpr size_t kMaxPinsForPathCheck = 256;
// Up to this many nodes every node roots a max_hop neighbourhood check, else only the sources.
constexpr int kMaxNodesForAllRoots = 2000;

std::string Quote(const Graph& g, int v) { return "'" + g.nodes[v].name + "'"; }
std::string Bytes(int64_t b) { return std::to_string(b) + " bytes"; }

// Shortest edge counts from `root` to every node (-1 = unreachable).
std::vector<int> Distances(const Graph& g, int root) {
  std::vector<int> dist(g.num_nodes(), -1);
  std::deque<int> queue = {root};
  dist[root] = 0;
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    for (int v : g.succs()[u]) {
      if (dist[v] < 0) {
        dist[v] = dist[u] + 1;
        queue.push_back(v);
      }
    }
  }
  return dist;
}

Status CheckPinRange(const Graph& g, int k) {
  for (int v = 0; v < g.num_nodes(); ++v) {
    if (g.nodes[v].pin >= k) {
      return Status::Error("node " + Quote(g, v) + " is pinned to chip " +
                           std::to_string(g.nodes[v].pin) + " but the hardware has " +
                           std::to_string(k) + " chips");
    }
  }
  return Status::Ok();
}

Status CheckGroupPins(const Graph& g) {
  std::vector<int> pinned_by(g.colocation_groups.size(), -1);
  for (int v = 0; v < g.num_nodes(); ++v) {
    const int grp = g.nodes[v].colocation_group;
    if (grp < 0 || g.nodes[v].pin < 0) continue;
    const int other = pinned_by[grp];
    if (other >= 0 && g.nodes[other].pin != g.nodes[v].pin) {
      return Status::Error("colocation group '" + g.colocation_groups[grp] + "' has " +
                           Quote(g, other) + " pinned to chip " +
                           std::to_string(g.nodes[other].pin) + " and " + Quote(g, v) +
                           " pinned to chip " + std::to_string(g.nodes[v].pin));
    }
    pinned_by[grp] = v;
  }
  return Status::Ok();
}

// Along a path of d edges the chip can only rise (acyclic) and by at most H·d (max_hop).
Status CheckPinsAlongPaths(const Graph& g, const ConstraintConfig& c) {
  std::vector<int> pinned;
  for (int v = 0; v < g.num_nodes(); ++v) {
    if (g.nodes[v].pin >= 0) pinned.push_back(v);
  }
  if (!(c.acyclic || c.max_hop) || pinned.size() > kMaxPinsForPathCheck) return Status::Ok();
  const int h = c.max_hop_distance;
  for (int u : pinned) {
    const std::vector<int> dist = Distances(g, u);
    for (int v : pinned) {
      if (v == u || dist[v] < 0) continue;
      const int pu = g.nodes[u].pin, pv = g.nodes[v].pin;
      if (c.acyclic && pv < pu) {
        return Status::Error("pins conflict with acyclic: " + Quote(g, u) + " is pinned to chip " +
                             std::to_string(pu) + " but its descendant " + Quote(g, v) +
                             " to chip " + std::to_string(pv));
      }
      if (c.max_hop && pv - pu > static_cast<int64_t>(h) * dist[v]) {
        return Status::Error("pins conflict with max_hop " + std::to_string(h) + ": " +
                             Quote(g, v) + " (chip " + std::to_string(pv) + ") is " +
                             std::to_string(dist[v]) + " edge(s) after " + Quote(g, u) + " (chip " +
                             std::to_string(pu) + ")");
      }
    }
  }
  return Status::Ok();
}

Status CheckNodeSram(const Graph& g, int64_t s, bool buffers) {
  for (int v = 0; v < g.num_nodes(); ++v) {
    const int64_t need = g.nodes[v].weight_bytes + (buffers ? OpWorkingSetBytes(g, v) : 0);
    if (need > s) {
      return Status::Error("node " + Quote(g, v) + " alone needs " + Bytes(need) + " (weights " +
                           Bytes(g.nodes[v].weight_bytes) +
                           (buffers ? " + working set " + Bytes(OpWorkingSetBytes(g, v)) : "") +
                           ") but a chip has " + Bytes(s) + " of SRAM");
    }
  }
  return Status::Ok();
}

Status CheckGroupSram(const Graph& g, int64_t s, bool buffers) {
  std::vector<int64_t> gw(g.colocation_groups.size(), 0), gws(g.colocation_groups.size(), 0);
  for (int v = 0; v < g.num_nodes(); ++v) {
    const int grp = g.nodes[v].colocation_group;
    if (grp < 0) continue;
    gw[grp] += g.nodes[v].weight_bytes;
    if (buffers) gws[grp] = std::max(gws[grp], OpWorkingSetBytes(g, v));
  }
  for (size_t grp = 0; grp < gw.size(); ++grp) {
    if (gw[grp] + gws[grp] > s) {
      return Status::Error("colocation group '" + g.colocation_groups[grp] + "' needs " +
                           Bytes(gw[grp] + gws[grp]) + " (weights " + Bytes(gw[grp]) +
                           ") but a chip has " + Bytes(s) + " of SRAM");
    }
  }
  return Status::Ok();
}

Status CheckTotalWeights(const Graph& g, int64_t s, int k) {
  const int64_t total = g.TotalWeightBytes();
  if (total > s * k) {
    return Status::Error("total weights " + Bytes(total) + " exceed K x S = " + std::to_string(k) +
                         " x " + Bytes(s) + " = " + Bytes(s * k));
  }
  return Status::Ok();
}

// Under acyclic + max_hop H the nodes within d edges of r lie on chips p(r)..p(r)+H·d.
Status CheckHopNeighbourhoods(const Graph& g, int64_t s, int k, int h) {
  const int n = g.num_nodes();
  std::vector<int> roots;
  for (int v = 0; v < n; ++v) {
    if (n <= kMaxNodesForAllRoots || g.preds()[v].empty()) roots.push_back(v);
  }
  for (int r : roots) {
    const std::vector<int> dist = Distances(g, r);
    std::vector<int64_t> by_dist(n + 1, 0);
    for (int v = 0; v < n; ++v) {
      if (dist[v] >= 0) by_dist[dist[v]] += g.nodes[v].weight_bytes;
    }
    int64_t within = 0;
    for (int d = 0; d <= n; ++d) {
      within += by_dist[d];
      const int64_t chips = std::min<int64_t>(k, static_cast<int64_t>(h) * d + 1);
      if (within > chips * s) {
        return Status::Error("max_hop " + std::to_string(h) + " cannot split the graph: the " +
                             Bytes(within) + " of weights within " + std::to_string(d) +
                             " edge(s) of " + Quote(g, r) + " must share " + std::to_string(chips) +
                             " chip(s) of " + Bytes(s));
      }
      if (chips == k) break;
    }
  }
  return Status::Ok();
}

}  // namespace

Status DiagnoseInfeasible(const Graph& g, const Hardware& hw) {
  const ConstraintConfig& c = hw.constraints;
  const int k = hw.num_chips;
  const int64_t s = hw.chip.sram_bytes;
  if (c.pin) {
    MCMPART_RETURN_IF_ERROR(CheckPinRange(g, k));
    if (c.colocate) MCMPART_RETURN_IF_ERROR(CheckGroupPins(g));
    MCMPART_RETURN_IF_ERROR(CheckPinsAlongPaths(g, c));
  }
  if (!c.sram) return Status::Ok();
  MCMPART_RETURN_IF_ERROR(CheckNodeSram(g, s, c.sram_buffers));
  if (c.colocate && !g.colocation_groups.empty()) {
    MCMPART_RETURN_IF_ERROR(CheckGroupSram(g, s, c.sram_buffers));
  }
  MCMPART_RETURN_IF_ERROR(CheckTotalWeights(g, s, k));
  if (c.acyclic && c.max_hop) {
    MCMPART_RETURN_IF_ERROR(CheckHopNeighbourhoods(g, s, k, c.max_hop_distance));
  }
  return Status::Ok();
}

}  // namespace mcmpart::hw
