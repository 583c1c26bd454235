// libFuzzer target: the partition JSON reader and the dnn-partitioning split reader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/dnn_partitioning.h"
#include "common/graph_io.h"
#include "common/partition.h"

namespace {

// Four nodes, a diamond: the partitions in the corpus name these.
constexpr const char* kGraph = R"({"format": "mcmpart-graph", "version": 1, "name": "diamond",
  "nodes": [{"name": "a", "op": "Input", "class": "input", "output_bytes": 64},
            {"name": "b", "op": "Relu", "class": "vector", "output_bytes": 64, "vector_ops": 16},
            {"name": "c", "op": "Relu", "class": "vector", "output_bytes": 64, "vector_ops": 16},
            {"name": "d", "op": "Add", "class": "vector", "output_bytes": 64, "vector_ops": 16}],
  "edges": [{"src": 0, "dst": 1}, {"src": 0, "dst": 2}, {"src": 1, "dst": 3}, {"src": 2, "dst": 3}]})";

const mcmpart::common::Graph& TheGraph() {
  static const mcmpart::common::Graph graph = *mcmpart::common::ParseGraphJson(kGraph, "diamond");
  return graph;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const mcmpart::common::Graph& graph = TheGraph();
  auto p = mcmpart::common::ParsePartitionJson(text, graph, "fuzz.json");
  if (p.ok()) {
    if (static_cast<int>(p->size()) != graph.num_nodes()) __builtin_trap();
    for (int chip : *p) {
      if (chip < 0) __builtin_trap();
    }
    (void)mcmpart::common::CheckPartitionShape(graph, 4, *p);
    auto again = mcmpart::common::ParsePartitionJson(
        mcmpart::common::WritePartitionJsonString(graph, 4, *p), graph, "roundtrip");
    if (!again.ok() || *again != *p) __builtin_trap();
  }
  (void)mcmpart::common::ParseDnnSplit(text, graph, "fuzz.json");
  return 0;
}
