// The SPEC §2 constraints: one definition shared by the checker, the repair model and the
// simulator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// One broken constraint, e.g. {"acyclic", "edge 'a'->'b' goes from chip 3 back to chip 1"}.
struct Violation {
  std::string constraint;  ///< acyclic, no_skip, max_hop, sram, colocate, pin, shape
  std::string message;
};

/// SRAM use per chip under SPEC §2: weights(c) and buffers(c) = bytes of the tensors c
/// receives and sends (hw::CutTensors: once per source node each) + the largest working set
/// (input + output bytes) of an op on c.
struct SramUse {
  std::vector<int64_t> weights;
  std::vector<int64_t> buffers;
  int64_t total(int chip) const { return weights[chip] + buffers[chip]; }
};

/// Input + output bytes of one op: the op term of buffers(c).
int64_t OpWorkingSetBytes(const common::Graph& graph, int node);

/// SRAM use of a partition (length/range must already be checked).
SramUse ComputeSramUse(const common::Graph& graph, int num_chips, const common::Partition& p);

/// Lists violated enabled constraints, at most `max_violations` (0 = all). An empty result
/// means the partition is valid. Length and chip range are checked first ("shape").
std::vector<Violation> CheckPartition(const common::Graph& graph, const Hardware& hw,
                                      const common::Partition& p, int max_violations = 16);

/// True when CheckPartition finds nothing.
bool IsValid(const common::Graph& graph, const Hardware& hw, const common::Partition& p);

/// Joins violations into one message: "partition violates acyclic: …; sram: …".
std::string DescribeViolations(const std::vector<Violation>& violations);

}  // namespace mcmpart::hw
