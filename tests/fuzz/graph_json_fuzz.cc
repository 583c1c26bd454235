// libFuzzer target: the own graph JSON reader and the dnn-partitioning reader on arbitrary bytes.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/dnn_partitioning.h"
#include "common/graph_io.h"

using mcmpart::common::Graph;
using mcmpart::common::StatusOr;

// A graph that parses must serialise and parse back to the same shape.
static void CheckRoundTrip(const Graph& g) {
  StatusOr<Graph> again =
      mcmpart::common::ParseGraphJson(mcmpart::common::WriteGraphJsonString(g), "roundtrip");
  if (!again.ok()) {
    // A reader/writer mismatch is a bug, not bad input: crash so libFuzzer keeps the input.
    __builtin_trap();
  }
  if (again->num_nodes() != g.num_nodes() || again->num_edges() != g.num_edges()) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  StatusOr<Graph> own = mcmpart::common::ParseGraphJson(text, "fuzz.json");
  if (own.ok()) CheckRoundTrip(*own);
  StatusOr<Graph> dnn = mcmpart::common::ParseDnnPartitioning(text, "fuzz.json");
  if (dnn.ok()) {
    assert(dnn->hint_num_chips >= 1);
    CheckRoundTrip(*dnn);
  }
  return 0;
}
