// Splits an ONNX model along a partition of its imported graph: one ONNX model per chip.
#pragma once

#include <string>
#include <vector>

#include "common/onnx_import.h"
#include "common/partition.h"
#include "common/status.h"

namespace mcmpart::common {

/// One chip's model as WriteOnnxChips wrote it.
struct OnnxChipFile {
  int chip = 0;
  std::string path;
  int nodes = 0;        ///< ONNX nodes of the source model on this chip
  int cut_inputs = 0;   ///< graph inputs that another chip produces
  int cut_outputs = 0;  ///< graph outputs that another chip reads
};

/// Writes `<dir>/chip_<c>.onnx` for every chip that holds at least one node of the model at
/// `model_path`, given a partition `p` of the graph ImportOnnx made of it and that import's
/// `report` (tensor_node and tensor_types). A node the graph has (an output in tensor_node) goes to
/// its IR node's chip; a node the importer folded away (constants, shape arithmetic) goes to the
/// lowest chip among the nodes reading its outputs (in reverse topological order, so chains of
/// folded nodes follow their consumers), or to the lowest used chip when nothing reads it.
/// Each chip's model keeps its nodes in the source's topological order with their names,
/// attributes and domains, the initializers they read, the source's graph inputs they read and
/// graph outputs they produce; a tensor produced on another chip becomes a graph input and one
/// read on another chip a graph output, typed by the import's shape inference.
/// Opsets, IR version and model-local functions are copied. Every source node lands in exactly
/// one file. Files are written atomically. Errors: unreadable model, a partition that does
/// not fit `tensor_node`, or a crossing tensor without an inferred type.
StatusOr<std::vector<OnnxChipFile>> WriteOnnxChips(const std::string& model_path,
                                                   const OnnxImportReport& report,
                                                   const Partition& p, const std::string& dir);

}  // namespace mcmpart::common
