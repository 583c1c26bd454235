// Per-op compute time on one chiplet (SPEC §4 cost model), shared by every evaluator.
#pragma once

#include <cstdint>

#include "common/graph.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// Cycles of a (batch × m×k×n) GEMM on an R×C weight-stationary systolic array:
/// batch · ⌈k/R⌉ · ⌈n/C⌉ · (R + m + R + C − 2): per weight tile, R cycles to load the tile,
/// then m rows streamed with R + C − 2 cycles of fill and drain.
int64_t GemmCycles(const common::GemmShape& g, int rows, int cols);

/// Cycles one node occupies its chip's compute unit (systolic array or vector unit).
/// kGiven nodes convert latency_s with the chip clock.
int64_t OpCycles(const common::Node& node, const Hardware& hw);

/// Seconds a tensor of `bytes` holds one link hop: (⌈bytes/B⌉ + L) cycles.
double HopSeconds(int64_t bytes, const Hardware& hw);

}  // namespace mcmpart::hw
