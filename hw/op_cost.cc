// Op cost model: systolic tiling, vector unit, SRAM-bound data movement, given latencies.
#include "hw/op_cost.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace mcmpart::hw {

namespace {
int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

int64_t GemmCycles(const common::GemmShape& g, int rows, int cols) {
  if (g.batch <= 0 || g.m <= 0 || g.k <= 0 || g.n <= 0) return 0;
  const int64_t tiles = CeilDiv(g.k, rows) * CeilDiv(g.n, cols);
  return g.batch * tiles * (rows + g.m + rows + cols - 2);
}

int64_t OpCycles(const common::Node& node, const Hardware& hw) {
  using common::OpClass;
  const ChipletSpec& c = hw.chip;
  switch (node.op_class) {
    case OpClass::kInput:
      return 0;
    case OpClass::kGiven:
      return static_cast<int64_t>(std::llround(node.latency_s * c.freq_ghz * 1e9));
    case OpClass::kMatMul:
    case OpClass::kConv:
      // Bias/activation fused on the vector unit runs in the array's shadow; count the max.
      return std::max(GemmCycles(node.gemm, c.array_rows, c.array_cols),
                      CeilDiv(node.vector_ops, c.vector_lanes));
    case OpClass::kVector:
      return CeilDiv(node.vector_ops, c.vector_lanes);
    case OpClass::kDataMovement:
      return static_cast<int64_t>(
          std::ceil(static_cast<double>(node.moved_bytes) / c.sram_bytes_per_cycle));
  }
  return 0;
}

double OpSeconds(const common::Node& node, const Hardware& hw) {
  if (node.op_class == common::OpClass::kGiven) {
    assert(node.latency_s >= 0);
    return node.latency_s;
  }
  return static_cast<double>(OpCycles(node, hw)) * hw.cycle_s();
}

double HopSeconds(int64_t bytes, const Hardware& hw) {
  const double cycles =
      std::ceil(static_cast<double>(bytes) / hw.link.bytes_per_cycle) + hw.link.latency_cycles;
  return cycles * hw.cycle_s();
}

double SendSeconds(const common::Graph& graph, int v, const Hardware& hw) {
  const double given = graph.SendCost(v);
  return given >= 0 ? given : HopSeconds(graph.SendBytes(v), hw);
}

}  // namespace mcmpart::hw
