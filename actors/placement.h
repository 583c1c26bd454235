// Placement units (nodes every valid partition puts on one chip), the pipeline order and the
// greedy balanced pipeline: plain structure of a (graph, hardware) pair, no search.
#pragma once

#include <vector>

#include "common/config_fields.h"
#include "common/graph.h"
#include "common/partition.h"
#include "hw/hardware.h"

namespace mcmpart::actors {

/// Root of `x` in the union-find forest `uf` (uf[v] = parent of v), compressing the path.
int FindRoot(std::vector<int>& uf, int x);

/// Union-find forest over the nodes with every colocation group joined (when colocate is on).
std::vector<int> JoinColocationGroups(const common::Graph& graph, const hw::Hardware& hw);

/// Joins the strongly connected components of the graph contracted by `uf` until none is
/// left: a contiguous split (or any acyclic one) puts a cycle through a colocation group on
/// one chip.
void MergeCycles(const common::Graph& graph, std::vector<int>& uf);

/// Unit of each node (0, 1, ... in node order): nodes of a colocation group (when colocate is
/// on) share a unit, and so do the groups a cycle runs through (when acyclic is on too); every
/// valid partition puts a unit on one chip.
std::vector<int> PlacementUnits(const common::Graph& graph, const hw::Hardware& hw);

/// A topological order with each colocation group (when colocate is on) consecutive. kLate:
/// every group as late as possible (by decreasing height, the longest path to a sink), so a
/// zero-compute source such as a weight comes just before its first consumer. kEarly: every
/// group but the sources as early as possible (by increasing depth, the longest path from the
/// non-source groups), each source just before its first consumer. Ties keep topological order.
/// The plain topological order when colocation groups form a cycle.
std::vector<int> PipelineOrder(const common::Graph& graph, const hw::Hardware& hw,
                               common::DecisionOrder order = common::DecisionOrder::kLate);

/// The greedy balanced pipeline: walks PipelineOrder and closes a stage once its compute
/// reaches total/`stages` (or the next node would overflow SRAM by weights), so stages are
/// contiguous and no colocation group is split; later stages take what remains. Not necessarily
/// valid (buffers, max_hop, pins): the environment repairs it. `stages` is clamped to 1..K.
common::Partition GreedyPipeline(const common::Graph& graph, const hw::Hardware& hw, int stages,
                                 common::DecisionOrder order = common::DecisionOrder::kLate);

}  // namespace mcmpart::actors
