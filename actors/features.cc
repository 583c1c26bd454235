// Feature extraction for the policy.
#include "actors/features.h"

#include <algorithm>
#include <cmath>

#include "actors/placement.h"
#include "hw/op_cost.h"

namespace mcmpart::actors {

namespace {
double OpSeconds(const common::Node& n, const hw::Hardware& hw) {
  return n.op_class == common::OpClass::kGiven ? n.latency_s
                                               : static_cast<double>(hw::OpCycles(n, hw)) * hw.cycle_s();
}
float Log(double x) { return static_cast<float>(std::log1p(std::max(0.0, x)) / 20.0); }
}  // namespace

double IdealTimePerSample(const common::Graph& graph, const hw::Hardware& hw) {
  double total = 0;
  for (const common::Node& n : graph.nodes) total += OpSeconds(n, hw);
  return total / hw.num_chips;
}

GraphFeatures BuildFeatures(const common::Graph& graph, const hw::Hardware& hw) {
  GraphFeatures f;
  const int n = graph.num_nodes();
  f.num_nodes = n;
  f.num_chips = hw.num_chips;
  f.node.assign(static_cast<size_t>(n) * GraphFeatures::kNodeFeatures, 0.f);
  f.prior_chip.assign(n, 0);
  std::vector<double> secs(n);
  double total_s = 0, total_w = 0;
  for (int v = 0; v < n; ++v) {
    secs[v] = OpSeconds(graph.nodes[v], hw);
    total_s += secs[v];
    total_w += static_cast<double>(graph.nodes[v].weight_bytes);
  }
  total_s = std::max(total_s, 1e-30);
  total_w = std::max(total_w, 1.0);
  double cum_s = 0, cum_w = 0;
  const std::vector<int> order = PipelineOrder(graph, hw);
  const common::Partition prior = GreedyPipeline(graph, hw, hw.num_chips);
  for (int i = 0; i < n; ++i) {
    const int v = order[i];
    const common::Node& node = graph.nodes[v];
    float* x = &f.node[static_cast<size_t>(v) * GraphFeatures::kNodeFeatures];
    x[static_cast<int>(node.op_class)] = 1.f;  // one-hot over the 6 op classes
    x[6] = Log(static_cast<double>(node.macs));
    x[7] = Log(static_cast<double>(node.vector_ops + node.moved_bytes));
    x[8] = Log(static_cast<double>(node.output_bytes));
    x[9] = Log(static_cast<double>(node.weight_bytes));
    x[10] = static_cast<float>(secs[v] / total_s * n);  // relative cost, ~1 on average
    // Compute and weight share before the node, and its position, in PipelineOrder.
    x[11] = static_cast<float>((cum_s + 0.5 * secs[v]) / total_s);
    x[12] = static_cast<float>((cum_w + 0.5 * node.weight_bytes) / total_w);
    x[13] = static_cast<float>(i) / static_cast<float>(std::max(1, n - 1));
    x[14] = static_cast<float>(std::log1p(graph.preds()[v].size()));
    x[15] = static_cast<float>(std::log1p(graph.succs()[v].size()));
    f.prior_chip[v] = prior[v];
    cum_s += secs[v];
    cum_w += static_cast<double>(node.weight_bytes);
  }
  const std::vector<int> unit = PlacementUnits(graph, hw);
  f.unit.assign(unit.begin(), unit.end());
  f.num_units = n == 0 ? 0 : 1 + *std::max_element(unit.begin(), unit.end());
  f.topo_order.assign(graph.topo_order().begin(), graph.topo_order().end());
  for (const common::Edge& e : graph.edges) {
    f.edge_src.push_back(e.src);
    f.edge_dst.push_back(e.dst);
  }
  const double sram = static_cast<double>(hw.chip.sram_bytes);
  f.hw = {static_cast<float>(hw.num_chips) / 16.f,
          static_cast<float>(total_w / (sram * hw.num_chips)),  // SRAM pressure
          Log(sram),
          Log(hw.link.bytes_per_cycle),
          static_cast<float>(hw.link.latency_cycles) / 100.f,
          Log(static_cast<double>(hw.chip.array_rows) * hw.chip.array_cols),
          Log(hw.chip.vector_lanes),
          hw.constraints.max_hop ? 1.f / hw.constraints.max_hop_distance : 0.f};
  return f;
}

}  // namespace mcmpart::actors
