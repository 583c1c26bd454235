// ONNX import: placeholder until the importer lands.
#include "common/onnx_import.h"

namespace mcmpart::common {

StatusOr<Graph> ImportOnnx(const std::string& path, const OnnxImportOptions& options) {
  return Status::Error(path + ": ONNX import is not supported yet");
}

}  // namespace mcmpart::common
