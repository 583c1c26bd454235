// The dnn-partitioning benchmark format (Tarnawski et al., NeurIPS 2020): graphs and splits.
#pragma once

#include <string>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

/// True when the JSON text has the benchmark's top-level keys (maxFPGAs, nodes with
/// fpgaLatency…), so LoadGraph can tell it from the own format without a full parse.
bool LooksLikeDnnPartitioning(const std::string& text);

/// Parses a benchmark graph: fpgaLatency → kGiven latency, edge cost → Edge::cost_s,
/// size → weight_bytes, colorClass → colocation group, maxFPGAs/maxSizePerFPGA → the graph's
/// hardware hints. Latencies and costs are taken as milliseconds. Finalized.
StatusOr<Graph> ParseDnnPartitioning(const std::string& text, const std::string& source);

}  // namespace mcmpart::common
