// Per-op compute time on one chiplet (SPEC §4 cost model), shared by every evaluator.
#pragma once

#include <cstdint>

#include "common/graph.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// Cycles of a (batch × m×k×n) GEMM on an R×C weight-stationary systolic array (Kung, 1982;
/// the TPU's matrix unit, Jouppi et al., ISCA 2017):
/// batch · ⌈k/R⌉ · ⌈n/C⌉ · (R + m + R + C − 2): per weight tile, R cycles to load the tile,
/// then m rows streamed with R + C − 2 cycles of fill and drain. Tiles run one after another
/// (no double-buffered weight load); a partial tile costs a full one. tests/hw/op_cost_test.cc
/// checks the formula against a cycle-stepped array.
int64_t GemmCycles(const common::GemmShape& g, int rows, int cols);

/// Cycles one node occupies its chip's compute unit (SPEC §4): kMatMul/kConv = GemmCycles,
/// or the fused bias/activation on the vector unit if that is longer; kVector = ⌈ops/W⌉;
/// kDataMovement = ⌈moved bytes / SRAM bytes per cycle⌉; kInput = 0; kGiven converts
/// latency_s with the chip clock (OpSeconds uses latency_s itself).
int64_t OpCycles(const common::Node& node, const Hardware& hw);

/// Seconds one node occupies its chip's compute unit: a kGiven node's latency_s as given
/// (Graph::Finalize rejects negative ones), otherwise OpCycles at the chip clock.
double OpSeconds(const common::Node& node, const Hardware& hw);

/// Seconds a tensor of `bytes` holds one link hop: (⌈bytes/B⌉ + L) cycles.
double HopSeconds(int64_t bytes, const Hardware& hw);

/// Seconds node v's output tensor holds one link hop, and what a chip spends sending or
/// receiving it: the transfer time given on v's out-edges (Graph::SendCost) when there is one,
/// otherwise HopSeconds of Graph::SendBytes.
double SendSeconds(const common::Graph& graph, int v, const Hardware& hw);

}  // namespace mcmpart::hw
