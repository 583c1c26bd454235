// Constraint checker for SPEC §2.
#include "hw/constraints.h"

#include <algorithm>

#include "hw/cut_tensors.h"

namespace mcmpart::hw {

using common::Graph;
using common::Partition;

int64_t OpWorkingSetBytes(const Graph& graph, int node) {
  int64_t bytes = graph.nodes[node].output_bytes;
  for (int e : graph.in_edges()[node]) bytes += graph.edges[e].bytes;
  return bytes;
}

SramUse ComputeSramUse(const Graph& graph, int num_chips, const Partition& p) {
  SramUse use;
  use.weights.assign(num_chips, 0);
  use.buffers.assign(num_chips, 0);
  std::vector<int64_t> max_op(num_chips, 0);
  CutTensors cut(graph, p, num_chips);
  for (int u = 0; u < graph.num_nodes(); ++u) {
    const int cu = p[u];
    use.weights[cu] += graph.nodes[u].weight_bytes;
    max_op[cu] = std::max(max_op[cu], OpWorkingSetBytes(graph, u));
    int64_t bytes = -1;  // computed at the first receiver: most nodes send nothing
    const bool sent = cut.ForEachReceiver(u, [&](int cv) {
      if (bytes < 0) bytes = graph.SendBytes(u);
      use.buffers[cv] += bytes;
    });
    if (sent) use.buffers[cu] += bytes;
  }
  for (int c = 0; c < num_chips; ++c) use.buffers[c] += max_op[c];
  return use;
}

std::vector<Violation> CheckPartition(const Graph& graph, const Hardware& hw, const Partition& p,
                                      int max_violations) {
  std::vector<Violation> out;
  auto full = [&] { return max_violations > 0 && static_cast<int>(out.size()) >= max_violations; };
  auto add = [&](const char* name, std::string msg) {
    if (!full()) out.push_back({name, std::move(msg)});
  };
  common::Status shape = common::CheckPartitionShape(graph, hw.num_chips, p);
  if (!shape.ok()) {
    add("shape", shape.message());
    return out;
  }
  const ConstraintConfig& c = hw.constraints;
  auto node = [&](int v) { return "'" + graph.nodes[v].name + "'"; };
  for (const common::Edge& e : graph.edges) {
    const int cu = p[e.src], cv = p[e.dst];
    if (c.acyclic && cu > cv) {
      add("acyclic", "edge " + node(e.src) + "->" + node(e.dst) + " goes from chip " +
                         std::to_string(cu) + " back to chip " + std::to_string(cv));
    }
    if (c.max_hop && cv - cu > c.max_hop_distance) {
      add("max_hop", "edge " + node(e.src) + "->" + node(e.dst) + " spans chips " +
                         std::to_string(cu) + "->" + std::to_string(cv) + ", more than " +
                         std::to_string(c.max_hop_distance) + " hop(s)");
    }
    if (full()) return out;
  }
  if (c.no_skip) {
    std::vector<bool> used(hw.num_chips, false);
    for (int chip : p) used[chip] = true;
    int highest = -1;
    for (int k = 0; k < hw.num_chips; ++k) {
      if (used[k]) highest = k;
    }
    for (int k = 0; k < highest; ++k) {
      if (!used[k]) {
        add("no_skip",
            "chip " + std::to_string(k) + " is unused below used chip " + std::to_string(highest));
      }
    }
  }
  if (c.colocate && !graph.colocation_groups.empty()) {
    std::vector<int> group_chip(graph.colocation_groups.size(), -1),
        group_node(graph.colocation_groups.size(), -1);
    for (int v = 0; v < graph.num_nodes(); ++v) {
      const int g = graph.nodes[v].colocation_group;
      if (g < 0) continue;
      if (group_chip[g] < 0) {
        group_chip[g] = p[v];
        group_node[g] = v;
      } else if (group_chip[g] != p[v]) {
        add("colocate", "group '" + graph.colocation_groups[g] + "': " + node(group_node[g]) +
                            " on chip " + std::to_string(group_chip[g]) + " but " + node(v) +
                            " on chip " + std::to_string(p[v]));
        group_chip[g] = p[v];  // report each split once per change
        group_node[g] = v;
      }
    }
  }
  if (c.pin) {
    for (int v = 0; v < graph.num_nodes(); ++v) {
      const int pin = graph.nodes[v].pin;
      if (pin >= 0 && p[v] != pin) {
        add("pin", node(v) + " is pinned to chip " + std::to_string(pin) + " but placed on chip " +
                       std::to_string(p[v]));
      }
    }
  }
  if (c.sram) {
    SramUse use = ComputeSramUse(graph, hw.num_chips, p);
    for (int k = 0; k < hw.num_chips; ++k) {
      const int64_t total = use.weights[k] + (c.sram_buffers ? use.buffers[k] : 0);
      if (total > hw.chip.sram_bytes) {
        add("sram", "chip " + std::to_string(k) + " needs " + std::to_string(total) +
                        " bytes (weights " + std::to_string(use.weights[k]) + ", buffers " +
                        std::to_string(c.sram_buffers ? use.buffers[k] : 0) + ") of " +
                        std::to_string(hw.chip.sram_bytes));
      }
    }
  }
  return out;
}

bool IsValid(const Graph& graph, const Hardware& hw, const Partition& p) {
  return CheckPartition(graph, hw, p, 1).empty();
}

std::string DescribeViolations(const std::vector<Violation>& violations) {
  if (violations.empty()) return "partition is valid";
  std::string msg = "partition violates ";
  for (size_t i = 0; i < violations.size(); ++i) {
    if (i) msg += "; ";
    msg += violations[i].constraint + ": " + violations[i].message;
  }
  return msg;
}

}  // namespace mcmpart::hw
