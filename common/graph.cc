// Graph IR: validation, adjacency and topological order.
#include "common/graph.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>

namespace mcmpart::common {

bool IsWeightElementSize(int64_t bytes) {
  return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8;
}

Status CheckWeightElementSize(int64_t bytes) {
  if (bytes == 0 || IsWeightElementSize(bytes)) return Status::Ok();
  return Status::Error("bytes per weight element must be 1, 2, 4 or 8, got " +
                       std::to_string(bytes));
}

const char* OpClassName(OpClass c) {
  switch (c) {
    case OpClass::kInput:
      return "input";
    case OpClass::kMatMul:
      return "matmul";
    case OpClass::kConv:
      return "conv";
    case OpClass::kVector:
      return "vector";
    case OpClass::kDataMovement:
      return "data_movement";
    case OpClass::kGiven:
      return "given";
  }
  return "?";
}

bool ParseOpClass(const std::string& name, OpClass* out) {
  static const std::pair<const char*, OpClass> kAll[] = {{"input", OpClass::kInput},
                                                         {"matmul", OpClass::kMatMul},
                                                         {"conv", OpClass::kConv},
                                                         {"vector", OpClass::kVector},
                                                         {"data_movement", OpClass::kDataMovement},
                                                         {"given", OpClass::kGiven}};
  for (const auto& [n, c] : kAll) {
    if (name == n) {
      *out = c;
      return true;
    }
  }
  return false;
}

int Graph::AddNode(Node node) {
  nodes.push_back(std::move(node));
  finalized_ = false;
  return num_nodes() - 1;
}

void Graph::AddEdge(int src, int dst) {
  Edge e;
  e.src = src;
  e.dst = dst;
  e.bytes = (src >= 0 && src < num_nodes()) ? nodes[src].output_bytes : 0;
  edges.push_back(e);
  finalized_ = false;
}

int Graph::ColocationGroup(const std::string& group_name) {
  for (size_t i = 0; i < colocation_groups.size(); ++i) {
    if (colocation_groups[i] == group_name) return static_cast<int>(i);
  }
  colocation_groups.push_back(group_name);
  return static_cast<int>(colocation_groups.size()) - 1;
}

Status Graph::Finalize() {
  const int n = num_nodes();
  if (n == 0) return Status::Error("graph '" + name + "' has no nodes");
  std::unordered_map<std::string, int> by_name;
  double total = 0;  // all sizes and work counts together
  for (int i = 0; i < n; ++i) {
    const Node& node = nodes[i];
    if (node.name.empty()) return Status::Error("node " + std::to_string(i) + " has an empty name");
    auto [it, inserted] = by_name.emplace(node.name, i);
    if (!inserted) {
      return Status::Error("duplicate node name '" + node.name + "' (nodes " +
                           std::to_string(it->second) + " and " + std::to_string(i) + ")");
    }
    if (node.output_bytes < 0 || node.weight_bytes < 0 || node.macs < 0 || node.vector_ops < 0 ||
        node.moved_bytes < 0) {
      return Status::Error("node '" + node.name + "' has a negative size or work count");
    }
    if (node.op_class == OpClass::kGiven &&
        !(std::isfinite(node.latency_s) && node.latency_s >= 0)) {
      std::ostringstream got;
      got << node.latency_s;
      return Status::Error("node '" + node.name +
                           "' has class given but no finite latency_s >= 0 (got " + got.str() +
                           ")");
    }
    // Bounds keep every sum over nodes, chips and links inside int64.
    constexpr int64_t kMaxQuantity = int64_t{1} << 50;
    if (node.output_bytes > kMaxQuantity || node.weight_bytes > kMaxQuantity ||
        node.macs > kMaxQuantity || node.vector_ops > kMaxQuantity ||
        node.moved_bytes > kMaxQuantity) {
      return Status::Error("node '" + node.name +
                           "' has a size or work count above 2^50 "
                           "(output_bytes " +
                           std::to_string(node.output_bytes) + ", weight_bytes " +
                           std::to_string(node.weight_bytes) + ", macs " +
                           std::to_string(node.macs) + ")");
    }
    total += static_cast<double>(node.output_bytes) + static_cast<double>(node.weight_bytes) +
             static_cast<double>(node.macs) + static_cast<double>(node.vector_ops) +
             static_cast<double>(node.moved_bytes);
    if (node.colocation_group >= static_cast<int>(colocation_groups.size())) {
      return Status::Error("node '" + node.name + "' names an unknown colocation group");
    }
  }
  preds_.assign(n, {});
  succs_.assign(n, {});
  out_edges_.assign(n, {});
  in_edges_.assign(n, {});
  std::set<std::pair<int, int>> seen;
  for (int e = 0; e < num_edges(); ++e) {
    const Edge& edge = edges[e];
    const std::string where = "edge " + std::to_string(e) + " (" + std::to_string(edge.src) + "->" +
                              std::to_string(edge.dst) + ")";
    if (edge.src < 0 || edge.src >= n || edge.dst < 0 || edge.dst >= n) {
      return Status::Error(where + " names a node outside 0.." + std::to_string(n - 1));
    }
    if (edge.src == edge.dst)
      return Status::Error(where + " is a self-loop on '" + nodes[edge.src].name + "'");
    if (!seen.insert({edge.src, edge.dst}).second) {
      return Status::Error(where + " duplicates an earlier edge");
    }
    if (edge.bytes < 0) return Status::Error(where + " has negative bytes");
    if (edge.bytes > int64_t{1} << 50) return Status::Error(where + " has bytes above 2^50");
    total += static_cast<double>(edge.bytes);
    preds_[edge.dst].push_back(edge.src);
    succs_[edge.src].push_back(edge.dst);
    out_edges_[edge.src].push_back(e);
    in_edges_[edge.dst].push_back(e);
  }
  if (total > 0x1p62) {
    return Status::Error("graph '" + name +
                         "': its sizes and work counts add up to more than 2^62");
  }
  // Kahn's algorithm, smallest index first so the order is deterministic.
  std::vector<int> indeg(n);
  for (int v = 0; v < n; ++v) indeg[v] = static_cast<int>(preds_[v].size());
  std::set<int> ready;
  for (int v = 0; v < n; ++v) {
    if (indeg[v] == 0) ready.insert(v);
  }
  topo_order_.clear();
  topo_order_.reserve(n);
  while (!ready.empty()) {
    int v = *ready.begin();
    ready.erase(ready.begin());
    topo_order_.push_back(v);
    for (int s : succs_[v]) {
      if (--indeg[s] == 0) ready.insert(s);
    }
  }
  if (static_cast<int>(topo_order_.size()) != n) {
    for (int v = 0; v < n; ++v) {
      if (indeg[v] > 0)
        return Status::Error("graph has a cycle through node '" + nodes[v].name + "'");
    }
  }
  topo_rank_.assign(n, 0);
  for (int i = 0; i < n; ++i) topo_rank_[topo_order_[i]] = i;
  finalized_ = true;
  return Status::Ok();
}

int64_t Graph::TotalWeightBytes() const {
  int64_t total = 0;
  for (const Node& node : nodes) total += node.weight_bytes;
  return total;
}

int64_t Graph::TotalMacs() const {
  int64_t total = 0;
  for (const Node& node : nodes) total += node.macs;
  return total;
}

int64_t Graph::SendBytes(int node) const {
  int64_t bytes = 0;
  for (int e : out_edges_[node]) bytes = std::max(bytes, edges[e].bytes);
  return bytes;
}

double Graph::SendCost(int node) const {
  double cost = -1.0;
  for (int e : out_edges_[node]) cost = std::max(cost, edges[e].cost_s);
  return cost;
}

}  // namespace mcmpart::common
