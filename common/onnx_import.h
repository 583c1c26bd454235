// ONNX import: shape inference and per-op work/bytes for the graph IR.
#pragma once

#include <string>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

struct OnnxImportOptions {
  bool strict = false;  ///< unknown op ⇒ error instead of a warning and the fallback cost
};

/// Reads an .onnx file, runs ONNX shape inference and converts it. Finalized.
StatusOr<Graph> ImportOnnx(const std::string& path, const OnnxImportOptions& options);

}  // namespace mcmpart::common
