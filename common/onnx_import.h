// ONNX import: shape inference and per-op work/bytes for the graph IR.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

struct OnnxImportOptions {
  bool strict = false;  ///< unknown op ⇒ error instead of a warning and the fallback cost
  /// Bytes per weight element (1, 2, 4 or 8: --weight-bytes); 0 = the tensor's own element
  /// type. Activations keep their ONNX element types.
  int weight_bytes = 0;
  /// Shape inference by repeated whole-graph ONNX inference rounds with folding between
  /// them (the older path, quadratic in the depth of shape arithmetic), instead of one
  /// topological pass; kept to cross-check the pass in tests.
  bool whole_graph_inference = false;
};

/// What the importer did besides building the graph.
struct OnnxImportReport {
  int onnx_nodes = 0;    ///< nodes in the ONNX graph
  int folded_nodes = 0;  ///< constant and shape-only nodes folded away (no IR node)
  int unknown_nodes = 0;  ///< nodes of unknown op types given the fallback cost
  std::vector<std::string> warnings;
  /// The IR node of every live ONNX tensor: each graph input that became a kInput node and
  /// each output of an ONNX node that became an IR node (folded nodes' outputs are absent).
  /// An ONNX node maps to the IR node of its outputs; this is how a partition of the graph
  /// goes back to the model's own nodes (common/onnx_split.h).
  std::unordered_map<std::string, int> tensor_node;
  /// The type and shape of every tensor after the importer's shape inference and folding
  /// (folded tensors included): a serialized onnx.GraphProto holding only value_info entries,
  /// read by common/onnx_split.cc.
  std::string tensor_types;
};

/// Reads an .onnx file, runs ONNX shape inference (with data propagation) and converts it.
///
/// Mapping:
/// - Conv → kConv lowered by im2col: batch = groups, m = N·Hout·Wout, k = Cin/groups·kh·kw,
///   n = Cout/groups. ConvTranspose: batch = groups, m = N·Hin·Win, k = Cin/groups,
///   n = Cout/groups·kh·kw. Gemm/MatMul → kMatMul; a rank-2 right operand folds the left
///   operand's leading dims into m. Bias adds count one vector op per output element.
/// - Elementwise, activation, softmax, normalisation, reduction and pooling ops → kVector
///   with a fixed number of vector ops per element (see kVectorCost in onnx_import.cc).
/// - Layout and indexing ops → kDataMovement: views (Reshape, Flatten, Squeeze, Unsqueeze,
///   Identity, Dropout) move nothing; gathers and slices read and write the output; others
///   read their inputs and write their output.
/// - Weights: initializers, Constant tensors, and graph inputs that reach a weight slot
///   (Conv/Gemm weights and biases, MatMul's right operand, normalisation parameters, a
///   Gather table, or any operand of an elementwise op or Concat unless it is the first graph
///   input or integer-typed), through layout ops. Only floating-point and 8-bit tensors with
///   more than one element count; a weight read by several nodes is charged to each of them
///   (each needs it resident).
/// - Nodes whose inputs are all constant, and Shape/Size of statically shaped tensors, are
///   folded away. Remaining graph inputs become kInput nodes.
/// - Unknown op: a warning and the fallback cost of one vector op per output element, or an
///   error when options.strict.
/// Bytes use the element type's size, for weights options.weight_bytes when set; the graph's
/// weight_bytes_per_element is that size when every weight has it, else 0. Every live tensor
/// needs a static inferred shape.
/// Warnings go to `report` when given, else to stderr. The result is finalized.
StatusOr<Graph> ImportOnnx(const std::string& path, const OnnxImportOptions& options,
                           OnnxImportReport* report = nullptr);

/// As ImportOnnx, for a serialized model already in memory; `source` names it in messages and
/// gives the graph its name (a trailing ".onnx" is dropped).
StatusOr<Graph> ImportOnnxFromBytes(const std::string& bytes, const std::string& source,
                                    const OnnxImportOptions& options,
                                    OnnxImportReport* report = nullptr);

}  // namespace mcmpart::common
