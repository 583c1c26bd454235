// Necessary conditions for a valid partition to exist: the quick infeasibility diagnosis
// that repair and exact search run before any search.
#pragma once

#include "common/graph.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// Necessary conditions for a valid partition to exist (pins in range and consistent with
/// acyclic/max_hop along paths, an op or colocation group above S, total weights above K·S,
/// weights near a node that max_hop forces onto too few chips). An error names the cause; Ok
/// does not prove feasibility.
common::Status DiagnoseInfeasible(const common::Graph& graph, const Hardware& hw);

}  // namespace mcmpart::hw
