// Reading and writing graphs: the product's own JSON format and the dispatcher behind --graph.
#pragma once

#include <string>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

/// Parses the product's own JSON graph format (docs in README, "Graph JSON"). The result is
/// finalized. `source` names the input in error messages.
StatusOr<Graph> ParseGraphJson(const std::string& text, const std::string& source);
/// Reads a graph JSON file (own format).
StatusOr<Graph> ReadGraphJson(const std::string& path);
/// Serialises to the own JSON format; ParseGraphJson(WriteGraphJsonString(g)) == g.
std::string WriteGraphJsonString(const Graph& graph);
/// Writes atomically (temp file + rename).
Status WriteGraphJson(const Graph& graph, const std::string& path);

/// Resolves a --graph argument: a built-in name (see BuiltinGraphNames), a `.onnx` file, a
/// dnn-partitioning `.json` or an own-format `.json`. `weight_bytes` (1, 2, 4 or 8; 0 = the
/// source's own) sets the bytes per weight element of an ONNX import or a built-in graph; a
/// `.json` graph must already state that precision (Graph::weight_bytes_per_element), as a
/// saved graph cannot be rescaled exactly. The result is finalized.
StatusOr<Graph> LoadGraph(const std::string& spec, int weight_bytes = 0);

/// Writes `content` to `path` atomically: a temp file in the same folder, then rename.
Status WriteFileAtomic(const std::string& path, const std::string& content);
/// Reads a whole file; an error names the path.
StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace mcmpart::common
