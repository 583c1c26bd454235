// Feature extraction for the policy.
#include "actors/features.h"

#include <algorithm>
#include <cmath>

#include "actors/placement.h"
#include "hw/op_cost.h"

namespace mcmpart::actors {

namespace {

// Columns of a node's row in GraphFeatures::node.
enum NodeColumn : int {
  kOpClassOneHot = 0,        // six columns, one per common::OpClass: the op's hardware unit
  kLogMacs = 6,              // systolic work
  kLogVectorWork = 7,        // vector-unit work and bytes moved: the non-systolic work
  kLogOutputBytes = 8,       // what a cut after the node sends
  kLogWeightBytes = 9,       // what the node costs in SRAM
  kRelativeCost = 10,        // its op seconds over the mean over nodes, ~1 on average
  kComputeShareBefore = 11,  // op seconds before it in PipelineOrder: where balanced splits cut
  kWeightShareBefore = 12,   // the same for weights: where SRAM would force a cut
  kPipelinePosition = 13,    // rank in PipelineOrder scaled to [0, 1]
  kLogInDegree = 14,         // fan-in: tensors it may receive
  kLogOutDegree = 15,        // fan-out: chips it may send to
};
static_assert(kOpClassOneHot + static_cast<int>(common::OpClass::kGiven) + 1 == kLogMacs);
static_assert(kLogOutDegree + 1 == GraphFeatures::kNodeFeatures);

// Columns of GraphFeatures::hw: what tells one package from another.
enum HwColumn : int {
  kChips = 0,             // K / kChipScale
  kSramPressure = 1,      // Σ weights / (S·K): how tight SRAM is for this graph
  kLogSram = 2,           // S
  kLogLinkBandwidth = 3,  // link bytes per cycle
  kLinkLatency = 4,       // link cycles per hop / kLinkLatencyScale
  kLogArray = 5,          // systolic array cells R·C
  kLogVectorLanes = 6,    // vector lanes
  kInverseMaxHop = 7,     // 1/H, 0 when max_hop is off
  kTopologyOneHot = 8,    // three columns, one per hw::Topology: ring, chain, mesh
  kMeshColumnShare = 11,  // mesh columns / K (0 off a mesh): how far chip c+1 can be from c
};
static_assert(kTopologyOneHot + static_cast<int>(hw::Topology::kMesh) + 1 == kMeshColumnShare);
static_assert(kMeshColumnShare + 1 == GraphFeatures::kHwFeatures);

// log1p of sizes and counts reaches ln 2^50 ≈ 35 (Graph::Finalize's bound); /20 keeps values
// up to e^20 ≈ 5e8 within [0, 1].
constexpr double kLogScale = 20.0;
// The largest presets (mcm16-ring, mcm4x4-mesh) have 16 chips: K/16 ≤ 1 on every preset.
constexpr float kChipScale = 16.f;
// Link latencies are tens of cycles (21 by default): L/100 stays below 1.
constexpr float kLinkLatencyScale = 100.f;

float Log(double x) { return static_cast<float>(std::log1p(std::max(0.0, x)) / kLogScale); }

// The GraphFeatures::hw row of `hw` for a graph of `total_weight_bytes`.
std::vector<float> HardwareFeatures(const hw::Hardware& hw, double total_weight_bytes) {
  std::vector<float> x(GraphFeatures::kHwFeatures, 0.f);
  const double sram = static_cast<double>(hw.chip.sram_bytes);
  x[kChips] = static_cast<float>(hw.num_chips) / kChipScale;
  x[kSramPressure] = static_cast<float>(total_weight_bytes / (sram * hw.num_chips));
  x[kLogSram] = Log(sram);
  x[kLogLinkBandwidth] = Log(hw.link.bytes_per_cycle);
  x[kLinkLatency] = static_cast<float>(hw.link.latency_cycles) / kLinkLatencyScale;
  x[kLogArray] = Log(static_cast<double>(hw.chip.array_rows) * hw.chip.array_cols);
  x[kLogVectorLanes] = Log(hw.chip.vector_lanes);
  x[kInverseMaxHop] = hw.constraints.max_hop ? 1.f / hw.constraints.max_hop_distance : 0.f;
  x[kTopologyOneHot + static_cast<int>(hw.topology)] = 1.f;
  if (hw.topology == hw::Topology::kMesh) {
    x[kMeshColumnShare] = static_cast<float>(hw.mesh_cols) / static_cast<float>(hw.num_chips);
  }
  return x;
}

}  // namespace

double IdealTimePerSample(const common::Graph& graph, const hw::Hardware& hw) {
  double total = 0;
  for (const common::Node& n : graph.nodes) total += hw::OpSeconds(n, hw);
  return total / hw.num_chips;
}

GraphFeatures BuildFeatures(const common::Graph& graph, const hw::Hardware& hw,
                            common::DecisionOrder order) {
  GraphFeatures f;
  const int n = graph.num_nodes();
  f.num_nodes = n;
  f.num_chips = hw.num_chips;
  f.node.assign(static_cast<size_t>(n) * GraphFeatures::kNodeFeatures, 0.f);
  f.prior_chip.assign(n, 0);
  std::vector<double> secs(n);
  double total_s = 0, total_w = 0;
  for (int v = 0; v < n; ++v) {
    secs[v] = hw::OpSeconds(graph.nodes[v], hw);
    total_s += secs[v];
    total_w += static_cast<double>(graph.nodes[v].weight_bytes);
  }
  total_s = std::max(total_s, 1e-30);
  total_w = std::max(total_w, 1.0);
  double cum_s = 0, cum_w = 0;
  const std::vector<int> pipeline = PipelineOrder(graph, hw, order);
  const common::Partition prior = GreedyPipeline(graph, hw, hw.num_chips, order);
  for (int i = 0; i < n; ++i) {
    const int v = pipeline[i];
    const common::Node& node = graph.nodes[v];
    float* x = &f.node[static_cast<size_t>(v) * GraphFeatures::kNodeFeatures];
    x[kOpClassOneHot + static_cast<int>(node.op_class)] = 1.f;
    x[kLogMacs] = Log(static_cast<double>(node.macs));
    x[kLogVectorWork] = Log(static_cast<double>(node.vector_ops + node.moved_bytes));
    x[kLogOutputBytes] = Log(static_cast<double>(node.output_bytes));
    x[kLogWeightBytes] = Log(static_cast<double>(node.weight_bytes));
    x[kRelativeCost] = static_cast<float>(secs[v] / total_s * n);
    x[kComputeShareBefore] = static_cast<float>((cum_s + 0.5 * secs[v]) / total_s);
    x[kWeightShareBefore] = static_cast<float>((cum_w + 0.5 * node.weight_bytes) / total_w);
    x[kPipelinePosition] = static_cast<float>(i) / static_cast<float>(std::max(1, n - 1));
    x[kLogInDegree] = static_cast<float>(std::log1p(graph.preds()[v].size()));
    x[kLogOutDegree] = static_cast<float>(std::log1p(graph.succs()[v].size()));
    f.prior_chip[v] = prior[v];
    cum_s += secs[v];
    cum_w += static_cast<double>(node.weight_bytes);
  }
  f.schedule = BuildUnitSchedule(graph, hw, order);
  f.unit.assign(f.schedule.unit.begin(), f.schedule.unit.end());
  f.num_units = f.schedule.num_units;
  f.topo_order.assign(graph.topo_order().begin(), graph.topo_order().end());
  for (const common::Edge& e : graph.edges) {
    f.edge_src.push_back(e.src);
    f.edge_dst.push_back(e.dst);
  }
  f.hw = HardwareFeatures(hw, total_w);
  return f;
}

}  // namespace mcmpart::actors
