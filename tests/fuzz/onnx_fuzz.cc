// libFuzzer target: the ONNX importer (protobuf parse, shape inference, conversion) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/graph_io.h"
#include "common/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  mcmpart::common::OnnxImportOptions options;
  mcmpart::common::OnnxImportReport report;  // keeps warnings off stderr
  auto graph = mcmpart::common::ImportOnnxFromBytes(bytes, "fuzz.onnx", options, &report);
  if (graph.ok()) {
    // What `mcmpart import -o` writes must read back.
    auto again = mcmpart::common::ParseGraphJson(mcmpart::common::WriteGraphJsonString(*graph),
                                                 "roundtrip");
    if (!again.ok() || again->num_nodes() != graph->num_nodes()) __builtin_trap();
  }
  return 0;
}
