// Partition JSON read/write.
#include "common/partition.h"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/graph_io.h"

namespace mcmpart::common {

using json = nlohmann::json;

Status CheckPartitionShape(const Graph& graph, int num_chips, const Partition& p) {
  if (static_cast<int>(p.size()) != graph.num_nodes()) {
    return Status::Error("partition has " + std::to_string(p.size()) + " entries but graph '" +
                         graph.name + "' has " + std::to_string(graph.num_nodes()) + " nodes");
  }
  for (int v = 0; v < graph.num_nodes(); ++v) {
    if (p[v] < 0 || p[v] >= num_chips) {
      return Status::Error("partition puts node " + std::to_string(v) + " ('" + graph.nodes[v].name +
                           "') on chip " + std::to_string(p[v]) + ", outside 0.." +
                           std::to_string(num_chips - 1));
    }
  }
  return Status::Ok();
}

StatusOr<Partition> ParsePartitionJson(const std::string& text, const Graph& graph,
                                       const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    return Status::Error(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object()) return Status::Error(source + ": expected a JSON object");
  Partition p;
  if (doc.contains("assignment")) {
    const json& a = doc["assignment"];
    if (!a.is_array()) return Status::Error(source + ": field 'assignment' must be an array");
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number_integer()) {
        return Status::Error(source + ": assignment[" + std::to_string(i) + "] must be an integer chip id");
      }
      const int64_t c = a[i].is_number_unsigned() && a[i].get<uint64_t>() > (1u << 20)
                            ? int64_t{-1}
                            : a[i].get<int64_t>();
      if (c < 0 || c > 1 << 20) {
        return Status::Error(source + ": assignment[" + std::to_string(i) + "] = " +
                             a[i].dump() + " is not a chip id");
      }
      p.push_back(static_cast<int>(c));
    }
  } else if (doc.contains("nodes") && doc["nodes"].is_object()) {
    std::unordered_map<std::string, int> index;
    for (int v = 0; v < graph.num_nodes(); ++v) index[graph.nodes[v].name] = v;
    p.assign(graph.num_nodes(), -1);
    for (const auto& [name, chip] : doc["nodes"].items()) {
      auto it = index.find(name);
      if (it == index.end()) return Status::Error(source + ": node '" + name + "' is not in graph '" + graph.name + "'");
      if (!chip.is_number_integer()) return Status::Error(source + ": chip of node '" + name + "' must be an integer");
      const int64_t c = chip.is_number_unsigned() && chip.get<uint64_t>() > (1u << 20)
                            ? int64_t{-1}
                            : chip.get<int64_t>();
      if (c < 0 || c > 1 << 20) {
        return Status::Error(source + ": chip of node '" + name + "' = " + chip.dump() +
                             " is not a chip id");
      }
      p[it->second] = static_cast<int>(c);
    }
    for (int v = 0; v < graph.num_nodes(); ++v) {
      if (p[v] < 0) return Status::Error(source + ": node '" + graph.nodes[v].name + "' has no chip");
    }
  } else {
    return Status::Error(source + ": expected field 'assignment' (array) or 'nodes' (object)");
  }
  if (static_cast<int>(p.size()) != graph.num_nodes()) {
    return Status::Error(source + ": partition has " + std::to_string(p.size()) +
                         " entries but graph '" + graph.name + "' has " +
                         std::to_string(graph.num_nodes()) + " nodes");
  }
  return p;
}

StatusOr<Partition> ReadPartitionJson(const std::string& path, const Graph& graph) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParsePartitionJson(text, graph, path);
}

std::string WritePartitionJsonString(const Graph& graph, int num_chips, const Partition& p) {
  json doc = {{"format", "mcmpart-partition"},
              {"graph", graph.name},
              {"num_chips", num_chips},
              {"assignment", p}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Status WritePartitionJson(const Graph& graph, int num_chips, const Partition& p,
                          const std::string& path) {
  return WriteFileAtomic(path, WritePartitionJsonString(graph, num_chips, p));
}

}  // namespace mcmpart::common
