// Policy inputs: per-node and hardware features of one (graph, hardware) pair, plain types.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/sequencer.h"
#include "common/graph.h"
#include "hw/hardware.h"

namespace mcmpart::actors {

/// Features the policy consumes (SPEC §6). Built once per (graph, hardware) pair.
struct GraphFeatures {
  static constexpr int kNodeFeatures = 16;
  /// K, SRAM pressure, SRAM, link bandwidth and latency, array, lanes, 1/H, topology one-hot
  /// (ring, chain, mesh), mesh columns / K.
  static constexpr int kHwFeatures = 12;
  int num_nodes = 0;
  int num_chips = 0;
  std::vector<float> node;        ///< num_nodes × kNodeFeatures, row-major
  std::vector<int64_t> edge_src;  ///< message passing edges u→v
  std::vector<int64_t> edge_dst;
  std::vector<int64_t> topo_order;  ///< node ids in topological order (attention order)
  /// Chip of each node in the greedy balanced pipeline over all K chips (GreedyPipeline).
  std::vector<int64_t> prior_chip;
  std::vector<float> hw;      ///< kHwFeatures
  std::vector<int64_t> unit;  ///< PlacementUnits: nodes of one unit must share a chip
  int num_units = 0;
  UnitSchedule schedule;  ///< sequential decoding's rules (unit ids as in `unit`)
};

/// Op type, log work and bytes, degrees, topological position and the cumulative share of
/// compute/weights in topological order (where a balanced contiguous split would cut); the
/// positions, shares, prior and schedule follow PipelineOrder(`order`).
GraphFeatures BuildFeatures(const common::Graph& graph, const hw::Hardware& hw,
                            common::DecisionOrder order = common::DecisionOrder::kLate);

/// Time per sample of a perfect split: Σ op time / K (no transfers). Reward normaliser.
double IdealTimePerSample(const common::Graph& graph, const hw::Hardware& hw);

}  // namespace mcmpart::actors
