// Partitions (node → chip) and their JSON files.
#pragma once

#include <string>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

/// p[v] = chip of node v, in 0..K-1.
using Partition = std::vector<int>;

/// Checks length and chip range only (constraints are hw::CheckPartition's job).
Status CheckPartitionShape(const Graph& graph, int num_chips, const Partition& p);

/// Own partition JSON: {"format": "mcmpart-partition", "graph": name, "num_chips": K,
/// "assignment": [chip per node]}; also accepts {"nodes": {"name": chip, …}}.
StatusOr<Partition> ParsePartitionJson(const std::string& text, const Graph& graph,
                                       const std::string& source);
StatusOr<Partition> ReadPartitionJson(const std::string& path, const Graph& graph);
std::string WritePartitionJsonString(const Graph& graph, int num_chips, const Partition& p);
Status WritePartitionJson(const Graph& graph, int num_chips, const Partition& p,
                          const std::string& path);

}  // namespace mcmpart::common
