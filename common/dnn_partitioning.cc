// dnn-partitioning benchmark format (Tarnawski et al., NeurIPS 2020): graph reader, split I/O.
#include "common/dnn_partitioning.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

using json = nlohmann::json;

constexpr double kMsToS = 1e-3;

// Reads a required finite, non-negative number.
Status GetNumber(const json& obj, const char* key, const std::string& where, double* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Error(where + ": missing field '" + key + "'");
  if (!it->is_number()) {
    return Status::Error(where + ": field '" + key + "' must be a number, got " + it->dump());
  }
  *out = it->get<double>();
  if (!std::isfinite(*out) || *out < 0) {
    return Status::Error(where + ": field '" + key + "' must be finite and >= 0, got " +
                         it->dump());
  }
  return Status::Ok();
}

// Reads an integer-valued number (the files write ids as 7 or 7.0).
Status GetId(const json& obj, const char* key, const std::string& where, int64_t* out) {
  double d = 0;
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Error(where + ": missing field '" + key + "'");
  if (!it->is_number() || (d = it->get<double>(), d != std::floor(d)) || std::fabs(d) > 9e15) {
    return Status::Error(where + ": field '" + key + "' must be an integer id, got " + it->dump());
  }
  *out = static_cast<int64_t>(d);
  return Status::Ok();
}

// Reads a 0/1/true/false flag; absent = `fallback`.
Status GetFlag(const json& obj, const char* key, const std::string& where, bool fallback,
               bool* out) {
  auto it = obj.find(key);
  *out = fallback;
  if (it == obj.end()) return Status::Ok();
  if (it->is_boolean()) {
    *out = it->get<bool>();
  } else if (it->is_number()) {
    *out = it->get<double>() != 0;
  } else {
    return Status::Error(where + ": field '" + key + "' must be a boolean or 0/1, got " +
                         it->dump());
  }
  return Status::Ok();
}

// "<id>:" prefix written by ParseDnnPartitioning; false when absent.
bool IdFromName(const std::string& name, int64_t* id) {
  size_t colon = name.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 18) return false;
  int64_t v = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + (name[i] - '0');
  }
  *id = v;
  return true;
}

// The graph file name without its folder and ".json".
std::string GraphName(const std::string& source) {
  std::string name = source;
  size_t slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0)
    name.resize(name.size() - 5);
  return name;
}

// Reads a dnn-partitioning graph: the device limits, then the nodes, then the edges.
class DnnGraphReader {
 public:
  explicit DnnGraphReader(const std::string& source) : source_(source) {}

  StatusOr<Graph> Read(const std::string& text);

 private:
  // maxFPGAs and maxSizePerFPGA become the graph's chip and SRAM hints.
  Status ReadLimits(const json& doc);
  Status ReadNode(const json& jn, const std::string& where);
  // Repeated (src, dst) edges merge into one with the larger size and cost.
  Status ReadEdge(const json& je, const std::string& where);

  const std::string& source_;
  Graph g_;
  std::unordered_map<int64_t, int> index_of_id_;
  std::map<std::pair<int, int>, int> edge_of_;  // (src, dst) → edge index
};

StatusOr<Graph> DnnGraphReader::Read(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    return Status::Error(source_ + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object()) return Status::Error(source_ + ": expected a JSON object at the top level");
  g_.name = GraphName(source_);
  MCMPART_RETURN_IF_ERROR(ReadLimits(doc));
  if (!doc.contains("nodes") || !doc["nodes"].is_array()) {
    return Status::Error(source_ + ": missing array 'nodes'");
  }
  if (!doc.contains("edges") || !doc["edges"].is_array()) {
    return Status::Error(source_ + ": missing array 'edges'");
  }
  int idx = 0;
  for (const json& jn : doc["nodes"]) {
    MCMPART_RETURN_IF_ERROR(ReadNode(jn, source_ + ": nodes[" + std::to_string(idx++) + "]"));
  }
  idx = 0;
  for (const json& je : doc["edges"]) {
    MCMPART_RETURN_IF_ERROR(ReadEdge(je, source_ + ": edges[" + std::to_string(idx++) + "]"));
  }
  Status st = g_.Finalize();
  if (!st.ok()) return st.WithContext(source_);
  return std::move(g_);
}

Status DnnGraphReader::ReadLimits(const json& doc) {
  int64_t max_fpgas = 0;
  MCMPART_RETURN_IF_ERROR(GetId(doc, "maxFPGAs", source_, &max_fpgas));
  if (max_fpgas < 1 || max_fpgas > 1 << 16) {
    return Status::Error(source_ + ": field 'maxFPGAs' must be in 1..65536, got " +
                         std::to_string(max_fpgas));
  }
  double max_size = 0;
  MCMPART_RETURN_IF_ERROR(GetNumber(doc, "maxSizePerFPGA", source_, &max_size));
  if (max_size > 9e18) return Status::Error(source_ + ": field 'maxSizePerFPGA' is too large");
  g_.hint_num_chips = static_cast<int>(max_fpgas);
  g_.hint_sram_bytes = static_cast<int64_t>(std::llround(max_size));
  return Status::Ok();
}

Status DnnGraphReader::ReadNode(const json& jn, const std::string& where) {
  if (!jn.is_object()) return Status::Error(where + ": expected an object");
  int64_t id = 0;
  MCMPART_RETURN_IF_ERROR(GetId(jn, "id", where, &id));
  if (id < 0) return Status::Error(where + ": field 'id' must be >= 0, got " + std::to_string(id));
  double latency_ms = 0, size = 0;
  MCMPART_RETURN_IF_ERROR(GetNumber(jn, "fpgaLatency", where, &latency_ms));
  if (jn.contains("size")) MCMPART_RETURN_IF_ERROR(GetNumber(jn, "size", where, &size));
  if (size > 9e18) return Status::Error(where + ": field 'size' is too large");
  bool on_fpga = true, backward = false;
  MCMPART_RETURN_IF_ERROR(GetFlag(jn, "supportedOnFpga", where, true, &on_fpga));
  MCMPART_RETURN_IF_ERROR(GetFlag(jn, "isBackwardNode", where, false, &backward));
  if (!on_fpga) {
    return Status::Error(where + " (id " + std::to_string(id) +
                         "): supportedOnFpga is false, but this project has no host CPUs "
                         "(maxCPUs is treated as 0)");
  }
  Node n;
  std::string name;
  if (jn.contains("name")) {
    if (!jn["name"].is_string()) return Status::Error(where + ": field 'name' must be a string");
    name = jn["name"].get<std::string>();
  }
  n.name = std::to_string(id) + ":" + name;
  n.op = backward ? "Backward" : "Forward";
  n.op_class = OpClass::kGiven;
  n.latency_s = latency_ms * kMsToS;
  n.weight_bytes = static_cast<int64_t>(std::llround(size));
  if (jn.contains("colorClass")) {
    int64_t color = 0;
    MCMPART_RETURN_IF_ERROR(GetId(jn, "colorClass", where, &color));
    n.colocation_group = g_.ColocationGroup("color" + std::to_string(color));
  }
  if (!index_of_id_.emplace(id, g_.num_nodes()).second) {
    return Status::Error(where + ": duplicate node id " + std::to_string(id));
  }
  g_.AddNode(std::move(n));
  return Status::Ok();
}

Status DnnGraphReader::ReadEdge(const json& je, const std::string& where) {
  if (!je.is_object()) return Status::Error(where + ": expected an object");
  int64_t src_id = 0, dst_id = 0;
  MCMPART_RETURN_IF_ERROR(GetId(je, "sourceId", where, &src_id));
  MCMPART_RETURN_IF_ERROR(GetId(je, "destId", where, &dst_id));
  auto s = index_of_id_.find(src_id), d = index_of_id_.find(dst_id);
  if (s == index_of_id_.end() || d == index_of_id_.end()) {
    return Status::Error(where + ": names node id " +
                         std::to_string(s == index_of_id_.end() ? src_id : dst_id) +
                         ", which is not in 'nodes'");
  }
  double cost_ms = 0, size = 0;
  MCMPART_RETURN_IF_ERROR(GetNumber(je, "cost", where, &cost_ms));
  if (je.contains("size")) MCMPART_RETURN_IF_ERROR(GetNumber(je, "size", where, &size));
  if (size > 9e18) return Status::Error(where + ": field 'size' is too large");
  Edge e;
  e.src = s->second;
  e.dst = d->second;
  e.bytes = static_cast<int64_t>(std::llround(size));
  e.cost_s = cost_ms * kMsToS;
  auto [it, inserted] = edge_of_.emplace(std::make_pair(e.src, e.dst), g_.num_edges());
  if (!inserted) {
    Edge& old = g_.edges[it->second];
    old.bytes = std::max(old.bytes, e.bytes);
    old.cost_s = std::max(old.cost_s, e.cost_s);
    return Status::Ok();
  }
  g_.edges.push_back(e);
  Node& src = g_.nodes[e.src];
  src.output_bytes = std::max(src.output_bytes, e.bytes);
  return Status::Ok();
}

}  // namespace

bool LooksLikeDnnPartitioning(const std::string& text) {
  return text.find("\"maxFPGAs\"") != std::string::npos ||
         text.find("\"fpgaLatency\"") != std::string::npos;
}

StatusOr<Graph> ParseDnnPartitioning(const std::string& text, const std::string& source) {
  return DnnGraphReader(source).Read(text);
}

std::vector<int64_t> DnnNodeIds(const Graph& graph) {
  std::vector<int64_t> ids(graph.num_nodes());
  for (int v = 0; v < graph.num_nodes(); ++v) {
    if (!IdFromName(graph.nodes[v].name, &ids[v])) {
      for (int u = 0; u < graph.num_nodes(); ++u) ids[u] = u;
      return ids;
    }
  }
  return ids;
}

StatusOr<Partition> ParseDnnSplit(const std::string& text, const Graph& graph,
                                  const std::string& source, int* num_chips) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    return Status::Error(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("fpgas") || !doc["fpgas"].is_array()) {
    return Status::Error(source +
                         ": expected an object with an array 'fpgas' (a dnn-partitioning split)");
  }
  std::unordered_map<int64_t, int> index_of_id;
  const std::vector<int64_t> ids = DnnNodeIds(graph);
  for (int v = 0; v < graph.num_nodes(); ++v) index_of_id[ids[v]] = v;

  auto node_list = [&](const json& device, const std::string& where) -> StatusOr<std::vector<int>> {
    if (!device.is_object() || !device.contains("nodes") || !device["nodes"].is_array()) {
      return Status::Error(where + ": expected an object with an array 'nodes'");
    }
    std::vector<int> out;
    for (const json& jid : device["nodes"]) {
      const double d = jid.is_number() ? jid.get<double>() : -1;
      const bool integral = d >= 0 && d <= 9e15 && d == std::floor(d);
      auto it = integral ? index_of_id.find(static_cast<int64_t>(d)) : index_of_id.end();
      if (it == index_of_id.end()) {
        return Status::Error(where + ": node id " + jid.dump() + " is not a node of graph '" +
                             graph.name + "'");
      }
      out.push_back(it->second);
    }
    return out;
  };

  if (doc.contains("cpus")) {
    if (!doc["cpus"].is_array()) return Status::Error(source + ": field 'cpus' must be an array");
    for (size_t c = 0; c < doc["cpus"].size(); ++c) {
      const std::string where = source + ": cpus[" + std::to_string(c) + "]";
      MCMPART_ASSIGN_OR_RETURN(std::vector<int> on_cpu, node_list(doc["cpus"][c], where));
      if (!on_cpu.empty()) {
        return Status::Error(where + ": places node '" + graph.nodes[on_cpu[0]].name +
                             "' on a CPU, but this project has no CPUs (maxCPUs is treated as 0)");
      }
    }
  }
  Partition p(graph.num_nodes(), -1);
  const json& fpgas = doc["fpgas"];
  for (size_t d = 0; d < fpgas.size(); ++d) {
    const std::string where = source + ": fpgas[" + std::to_string(d) + "]";
    MCMPART_ASSIGN_OR_RETURN(std::vector<int> nodes, node_list(fpgas[d], where));
    for (int v : nodes) {
      if (p[v] >= 0) {
        return Status::Error(where + ": node '" + graph.nodes[v].name + "' is already on fpgas[" +
                             std::to_string(p[v]) + "]");
      }
      p[v] = static_cast<int>(d);
    }
  }
  for (int v = 0; v < graph.num_nodes(); ++v) {
    if (p[v] < 0) {
      return Status::Error(source + ": node '" + graph.nodes[v].name + "' is on no device");
    }
  }
  if (num_chips) *num_chips = static_cast<int>(fpgas.size());
  return p;
}

StatusOr<Partition> ReadDnnSplit(const std::string& path, const Graph& graph, int* num_chips) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseDnnSplit(text, graph, path, num_chips);
}

std::string WriteDnnSplitString(const Graph& graph, int num_chips, const Partition& p,
                                const std::vector<double>& chip_load_s) {
  assert(static_cast<int>(p.size()) == graph.num_nodes());
  assert(chip_load_s.empty() || static_cast<int>(chip_load_s.size()) == num_chips);
  const std::vector<int64_t> ids = DnnNodeIds(graph);
  json fpgas = json::array();
  double max_load_ms = chip_load_s.empty() ? -1.0 : 0.0;
  for (int c = 0; c < num_chips; ++c) {
    json nodes = json::array();
    for (int v = 0; v < graph.num_nodes(); ++v) {
      if (p[v] == c) nodes.push_back(ids[v]);
    }
    double load_ms = chip_load_s.empty() ? -1.0 : chip_load_s[c] / kMsToS;
    max_load_ms = std::max(max_load_ms, load_ms);
    fpgas.push_back({{"load", load_ms}, {"nodes", std::move(nodes)}});
  }
  json doc;
  doc["cpus"] = json::array({json{{"load", 0.0}, {"nodes", json::array()}}});
  doc["fpgas"] = std::move(fpgas);
  doc["maxLoad"] = max_load_ms;
  return doc.dump(4) + "\n";
}

Status WriteDnnSplit(const Graph& graph, int num_chips, const Partition& p, const std::string& path,
                     const std::vector<double>& chip_load_s) {
  return WriteFileAtomic(path, WriteDnnSplitString(graph, num_chips, p, chip_load_s));
}

}  // namespace mcmpart::common
