// The dnn-partitioning benchmark format (Tarnawski et al., NeurIPS 2020): graphs and splits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"

namespace mcmpart::common {

/// True when the JSON text has the benchmark's top-level keys (maxFPGAs, nodes with
/// fpgaLatency…), so LoadGraph can tell it from the own format without a full parse.
bool LooksLikeDnnPartitioning(const std::string& text);

/// Parses a benchmark graph: fpgaLatency → kGiven latency, edge cost → Edge::cost_s,
/// edge size → Edge::bytes, node size → weight_bytes, colorClass → colocation group
/// "color<k>", maxFPGAs/maxSizePerFPGA → the graph's hardware hints. Latencies and costs are
/// taken as milliseconds (latency_s = value·1e-3), so max-load·1e3 equals their numbers.
/// What the IR cannot express: cpuLatency and maxCPUs are ignored (this project has no host
/// CPUs; a node with supportedOnFpga false is an error); isBackwardNode only sets the op name
/// ("Backward"/"Forward"). Node i keeps the file's order; its name is "<id>:<name>" so the
/// benchmark id survives every round trip (see DnnNodeIds). Finalized.
StatusOr<Graph> ParseDnnPartitioning(const std::string& text, const std::string& source);

/// Benchmark id of every node: parsed from the "<id>:" name prefix ParseDnnPartitioning
/// writes when every node has one, otherwise the node index.
std::vector<int64_t> DnnNodeIds(const Graph& graph);

/// Parses a split in the benchmark's format (human-experts/*.json): `fpgas[d].nodes` lists the
/// node ids on device d. Every node must appear exactly once; a node on a CPU is an error
/// (maxCPUs is treated as 0). `num_chips` (optional) receives the number of fpgas listed.
StatusOr<Partition> ParseDnnSplit(const std::string& text, const Graph& graph,
                                  const std::string& source, int* num_chips = nullptr);
StatusOr<Partition> ReadDnnSplit(const std::string& path, const Graph& graph,
                                 int* num_chips = nullptr);

/// Writes `p` in the split format: one `fpgas` entry per chip with its node ids (DnnNodeIds),
/// an empty CPU list, and per-chip `load` and `maxLoad` in milliseconds when `chip_load_s`
/// (seconds, one per chip, e.g. hw::Metrics::chip_busy_s) is given, -1 otherwise (as the
/// expert files do).
std::string WriteDnnSplitString(const Graph& graph, int num_chips, const Partition& p,
                                const std::vector<double>& chip_load_s = {});
/// Writes the split atomically.
Status WriteDnnSplit(const Graph& graph, int num_chips, const Partition& p, const std::string& path,
                     const std::vector<double>& chip_load_s = {});

}  // namespace mcmpart::common
