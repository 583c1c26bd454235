// Graph IR: a DAG of operations with the sizes and work the evaluators and the policy need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mcmpart::common {

/// Which hardware unit an op's cost comes from (SPEC §4).
enum class OpClass {
  kInput,         ///< graph input or constant: no compute
  kMatMul,        ///< (batched) GEMM on the systolic array; `gemm` holds its shape
  kConv,          ///< convolution lowered to GEMM (im2col); `gemm` holds the lowered shape
  kVector,        ///< elementwise, activation, reduction, softmax, normalisation
  kDataMovement,  ///< transpose, reshape, concat, gather…: bound by SRAM bandwidth
  kGiven,         ///< carries a measured latency (`latency_s`), e.g. the dnn-partitioning graphs
};

const char* OpClassName(OpClass c);
/// Parses the name written by OpClassName; false when unknown.
bool ParseOpClass(const std::string& name, OpClass* out);

/// Whether `bytes` is a weight element size graphs state and --weight-bytes takes: 1, 2, 4, 8.
bool IsWeightElementSize(int64_t bytes);
/// Ok for 0 (the source's own sizes) or IsWeightElementSize, else an error naming the value.
Status CheckWeightElementSize(int64_t bytes);

/// GEMM view of a matmul/conv: `batch` independent (m×k)·(k×n) products.
struct GemmShape {
  int64_t batch = 0;
  int64_t m = 0;
  int64_t k = 0;
  int64_t n = 0;
};

/// One operation. Sizes are bytes; work is counted in MACs (systolic) or vector element ops.
struct Node {
  std::string name;
  std::string op;  ///< op type as the source names it ("MatMul", "Softmax", "Conv", …)
  OpClass op_class = OpClass::kVector;
  std::vector<int64_t> shape;  ///< output shape
  int64_t output_bytes = 0;
  int64_t weight_bytes = 0;   ///< parameters resident in SRAM
  int64_t macs = 0;           ///< multiply-accumulates (kMatMul/kConv)
  GemmShape gemm;             ///< valid for kMatMul/kConv
  int64_t vector_ops = 0;     ///< element operations on the vector unit (kVector)
  int64_t moved_bytes = 0;    ///< bytes read+written by a kDataMovement op
  double latency_s = -1.0;    ///< given latency in seconds; < 0 = derive from the fields above
  int colocation_group = -1;  ///< index into Graph::colocation_groups, -1 = none
  int pin = -1;               ///< chip this node must be placed on, -1 = free
};

/// u→v: v consumes u's output tensor.
struct Edge {
  int src = 0;
  int dst = 0;
  int64_t bytes = 0;     ///< tensor bytes moved when src and dst are on different chips
  double cost_s = -1.0;  ///< given transfer time in seconds; < 0 = derive from bytes and links
};

/// A computation graph. Call Finalize() after building to get adjacency and a topological order.
/// Not thread-safe to mutate; const access is safe from many threads after Finalize().
class Graph {
 public:
  std::string name;
  std::vector<Node> nodes;
  std::vector<Edge> edges;
  std::vector<std::string> colocation_groups;  ///< group names, indexed by Node::colocation_group
  /// Hardware the source format prescribes (dnn-partitioning's maxFPGAs / maxSizePerFPGA);
  /// 0 = none. Used by the `from-graph` hardware preset.
  int hint_num_chips = 0;
  int64_t hint_sram_bytes = 0;
  /// Bytes per weight element the graph's `weight_bytes` assume (1 = int8/fp8, 2 = fp16/bf16,
  /// 4 = fp32, 8 = fp64); 0 = not stated or mixed (the source's own element types).
  int weight_bytes_per_element = 0;

  int num_nodes() const { return static_cast<int>(nodes.size()); }
  int num_edges() const { return static_cast<int>(edges.size()); }

  /// Adds a node and returns its index.
  int AddNode(Node node);
  /// Adds u→v carrying u's output bytes.
  void AddEdge(int src, int dst);
  /// Returns the index of the group, creating it if needed.
  int ColocationGroup(const std::string& group_name);

  /// Checks ids, duplicate names and edges, sizes, kGiven latencies (finite, ≥ 0) and
  /// acyclicity; builds adjacency and the topological order. Returns a message naming the
  /// offending node/edge on failure.
  Status Finalize();
  bool finalized() const { return finalized_; }

  /// Valid after Finalize().
  const std::vector<int>& topo_order() const { return topo_order_; }
  /// Position of each node in topo_order().
  const std::vector<int>& topo_rank() const { return topo_rank_; }
  const std::vector<std::vector<int>>& preds() const { return preds_; }
  const std::vector<std::vector<int>>& succs() const { return succs_; }
  /// Indices of edges leaving / entering each node.
  const std::vector<std::vector<int>>& out_edges() const { return out_edges_; }
  const std::vector<std::vector<int>>& in_edges() const { return in_edges_; }

  int64_t TotalWeightBytes() const;
  int64_t TotalMacs() const;
  /// Bytes a node sends when its consumers are elsewhere: the largest bytes on its out-edges.
  int64_t SendBytes(int node) const;
  /// Transfer time given on the node's out-edges (the benchmark's per-source cost), -1 if none.
  double SendCost(int node) const;

 private:
  bool finalized_ = false;
  std::vector<int> topo_order_;
  std::vector<int> topo_rank_;
  std::vector<std::vector<int>> preds_, succs_, out_edges_, in_edges_;
};

}  // namespace mcmpart::common
