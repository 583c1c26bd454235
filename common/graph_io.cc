// Own JSON graph format (read/write), atomic file writes, and the --graph dispatcher.
#include "common/graph_io.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/bert.h"
#include "common/dnn_partitioning.h"
#include "common/onnx_import.h"

namespace mcmpart::common {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "mcmpart-graph";
constexpr int kVersion = 1;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Field readers: each names the file, the node/edge and the field on failure.
Status GetInt(const json& obj, const char* key, const std::string& where, bool required,
              int64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return required ? Status::Error(where + ": missing field '" + key + "'") : Status::Ok();
  }
  if (it->is_number_integer() || it->is_number_unsigned()) {
    *out = it->get<int64_t>();
    return Status::Ok();
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18) {
      *out = static_cast<int64_t>(d);
      return Status::Ok();
    }
  }
  return Status::Error(where + ": field '" + key + "' must be an integer, got " + it->dump());
}

Status GetDouble(const json& obj, const char* key, const std::string& where, double* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_number()) {
    return Status::Error(where + ": field '" + key + "' must be a number, got " + it->dump());
  }
  *out = it->get<double>();
  if (!std::isfinite(*out)) return Status::Error(where + ": field '" + key + "' is not finite");
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot open '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error("cannot read '" + path + "'");
  return ss.str();
}

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Error("cannot write '" + path + "' (cannot create '" + tmp + "')");
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return Status::Error("cannot write '" + path + "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Error("cannot move the temporary file into '" + path + "'");
  }
  return Status::Ok();
}

namespace {
StatusOr<Graph> ParseGraphJsonUnchecked(const std::string& text, const std::string& source);
}  // namespace

StatusOr<Graph> ParseGraphJson(const std::string& text, const std::string& source) {
  // A field of the wrong JSON type (e.g. a number where a string belongs) throws inside
  // nlohmann's accessors: answer it as bad input, never as a crash.
  try {
    return ParseGraphJsonUnchecked(text, source);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(source + ": a field has the wrong type (" + e.what() + ")");
  }
}

namespace {

// Checks the header (format, version, node and edge arrays) and reads the graph name.
Status ReadGraphHeader(const json& doc, const std::string& source, Graph* g) {
  if (!doc.is_object()) return Status::Error(source + ": expected a JSON object at the top level");
  if (doc.value("format", "") != kFormat) {
    return Status::Error(source + ": field 'format' must be \"" + kFormat + "\"");
  }
  int64_t version = 0;
  MCMPART_RETURN_IF_ERROR(GetInt(doc, "version", source, true, &version));
  if (version != kVersion) {
    return Status::Error(source + ": unsupported graph format version " + std::to_string(version));
  }
  if (doc.contains("name") && doc["name"].is_string()) g->name = doc["name"].get<std::string>();
  int64_t weight_element = 0;
  MCMPART_RETURN_IF_ERROR(GetInt(doc, "weight_bytes_per_element", source, false, &weight_element));
  if (weight_element != 0 && !IsWeightElementSize(weight_element)) {
    return Status::Error(source + ": field 'weight_bytes_per_element' must be 1, 2, 4 or 8");
  }
  g->weight_bytes_per_element = static_cast<int>(weight_element);
  if (!doc.contains("nodes") || !doc["nodes"].is_array()) {
    return Status::Error(source + ": missing array 'nodes'");
  }
  if (!doc.contains("edges") || !doc["edges"].is_array()) {
    return Status::Error(source + ": missing array 'edges'");
  }
  return Status::Ok();
}

// Name, op and class of a node.
Status ReadNodeKind(const json& jn, const std::string& where, Node* n) {
  if (!jn.contains("name") || !jn["name"].is_string()) {
    return Status::Error(where + ": missing string field 'name'");
  }
  n->name = jn["name"].get<std::string>();
  if (!jn.contains("op") || !jn["op"].is_string()) {
    return Status::Error(where + ": missing string field 'op'");
  }
  n->op = jn["op"].get<std::string>();
  if (!jn.contains("class") || !jn["class"].is_string() ||
      !ParseOpClass(jn["class"].get<std::string>(), &n->op_class)) {
    return Status::Error(where +
                         ": field 'class' must be one of input, matmul, conv, vector, "
                         "data_movement, given");
  }
  return Status::Ok();
}

Status ReadShape(const json& jn, const std::string& where, Node* n) {
  if (!jn.contains("shape")) return Status::Ok();
  if (!jn["shape"].is_array()) return Status::Error(where + ": field 'shape' must be an array");
  for (const json& d : jn["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return Status::Error(where + ": field 'shape' must hold non-negative integers");
    }
    n->shape.push_back(d.get<int64_t>());
  }
  return Status::Ok();
}

Status ReadGemm(const json& jn, const std::string& where, Node* n) {
  if (!jn.contains("gemm")) return Status::Ok();
  const json& gm = jn["gemm"];
  if (!gm.is_array() || gm.size() != 4) {
    return Status::Error(where + ": field 'gemm' must be [batch, m, k, n]");
  }
  int64_t dims[4];
  for (int i = 0; i < 4; ++i) {
    if (!gm[i].is_number_integer() || gm[i].get<int64_t>() < 0) {
      return Status::Error(where + ": field 'gemm' must hold non-negative integers");
    }
    dims[i] = gm[i].get<int64_t>();
  }
  n->gemm = {dims[0], dims[1], dims[2], dims[3]};
  return Status::Ok();
}

// Sizes and work of a node, and the fields its class requires.
Status ReadNodeWork(const json& jn, const std::string& where, Node* n) {
  MCMPART_RETURN_IF_ERROR(GetInt(jn, "output_bytes", where, true, &n->output_bytes));
  MCMPART_RETURN_IF_ERROR(GetInt(jn, "weight_bytes", where, false, &n->weight_bytes));
  MCMPART_RETURN_IF_ERROR(GetInt(jn, "macs", where, false, &n->macs));
  MCMPART_RETURN_IF_ERROR(GetInt(jn, "vector_ops", where, false, &n->vector_ops));
  MCMPART_RETURN_IF_ERROR(GetInt(jn, "moved_bytes", where, false, &n->moved_bytes));
  MCMPART_RETURN_IF_ERROR(GetDouble(jn, "latency_s", where, &n->latency_s));
  MCMPART_RETURN_IF_ERROR(ReadGemm(jn, where, n));
  if ((n->op_class == OpClass::kMatMul || n->op_class == OpClass::kConv) &&
      (n->gemm.batch <= 0 || n->gemm.m <= 0 || n->gemm.k <= 0 || n->gemm.n <= 0)) {
    return Status::Error(where + " ('" + n->name + "'): class " + OpClassName(n->op_class) +
                         " needs a positive 'gemm' [batch, m, k, n]");
  }
  return Status::Ok();
}

Status ReadNode(const json& jn, const std::string& where, Graph* g) {
  if (!jn.is_object()) return Status::Error(where + ": expected an object");
  Node n;
  MCMPART_RETURN_IF_ERROR(ReadNodeKind(jn, where, &n));
  MCMPART_RETURN_IF_ERROR(ReadShape(jn, where, &n));
  MCMPART_RETURN_IF_ERROR(ReadNodeWork(jn, where, &n));
  if (jn.contains("colocate")) {
    if (!jn["colocate"].is_string())
      return Status::Error(where + ": field 'colocate' must be a string");
    n.colocation_group = g->ColocationGroup(jn["colocate"].get<std::string>());
  }
  int64_t pin = -1;
  MCMPART_RETURN_IF_ERROR(GetInt(jn, "pin", where, false, &pin));
  if (pin < -1 || pin > 1 << 16) return Status::Error(where + ": field 'pin' out of range");
  n.pin = static_cast<int>(pin);
  g->AddNode(std::move(n));
  return Status::Ok();
}

Status ReadEdge(const json& je, const std::string& where, Graph* g) {
  if (!je.is_object()) return Status::Error(where + ": expected an object");
  int64_t src = 0, dst = 0;
  MCMPART_RETURN_IF_ERROR(GetInt(je, "src", where, true, &src));
  MCMPART_RETURN_IF_ERROR(GetInt(je, "dst", where, true, &dst));
  if (src < 0 || src >= g->num_nodes() || dst < 0 || dst >= g->num_nodes()) {
    return Status::Error(where + ": src/dst must name nodes 0.." +
                         std::to_string(g->num_nodes() - 1));
  }
  Edge e;
  e.src = static_cast<int>(src);
  e.dst = static_cast<int>(dst);
  e.bytes = g->nodes[e.src].output_bytes;
  MCMPART_RETURN_IF_ERROR(GetInt(je, "bytes", where, false, &e.bytes));
  MCMPART_RETURN_IF_ERROR(GetDouble(je, "cost_s", where, &e.cost_s));
  g->edges.push_back(e);
  return Status::Ok();
}

StatusOr<Graph> ParseGraphJsonUnchecked(const std::string& text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    return Status::Error(source + ": not valid JSON (" + e.what() + ")");
  }
  Graph g;
  MCMPART_RETURN_IF_ERROR(ReadGraphHeader(doc, source, &g));
  int idx = 0;
  for (const json& jn : doc["nodes"]) {
    MCMPART_RETURN_IF_ERROR(ReadNode(jn, source + ": node " + std::to_string(idx++), &g));
  }
  idx = 0;
  for (const json& je : doc["edges"]) {
    MCMPART_RETURN_IF_ERROR(ReadEdge(je, source + ": edge " + std::to_string(idx++), &g));
  }
  Status st = g.Finalize();
  if (!st.ok()) return st.WithContext(source);
  return g;
}

}  // namespace

StatusOr<Graph> ReadGraphJson(const std::string& path) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseGraphJson(text, path);
}

std::string WriteGraphJsonString(const Graph& g) {
  json doc;
  doc["format"] = kFormat;
  doc["version"] = kVersion;
  doc["name"] = g.name;
  if (g.weight_bytes_per_element > 0) doc["weight_bytes_per_element"] = g.weight_bytes_per_element;
  json nodes = json::array();
  for (const Node& n : g.nodes) {
    json jn;
    jn["name"] = n.name;
    jn["op"] = n.op;
    jn["class"] = OpClassName(n.op_class);
    jn["shape"] = n.shape;
    jn["output_bytes"] = n.output_bytes;
    if (n.weight_bytes) jn["weight_bytes"] = n.weight_bytes;
    if (n.macs) jn["macs"] = n.macs;
    if (n.op_class == OpClass::kMatMul || n.op_class == OpClass::kConv) {
      jn["gemm"] = {n.gemm.batch, n.gemm.m, n.gemm.k, n.gemm.n};
    }
    if (n.vector_ops) jn["vector_ops"] = n.vector_ops;
    if (n.moved_bytes) jn["moved_bytes"] = n.moved_bytes;
    if (n.latency_s >= 0) jn["latency_s"] = n.latency_s;
    if (n.colocation_group >= 0) jn["colocate"] = g.colocation_groups[n.colocation_group];
    if (n.pin >= 0) jn["pin"] = n.pin;
    nodes.push_back(std::move(jn));
  }
  json edges = json::array();
  for (const Edge& e : g.edges) {
    json je = {{"src", e.src}, {"dst", e.dst}, {"bytes", e.bytes}};
    if (e.cost_s >= 0) je["cost_s"] = e.cost_s;
    edges.push_back(std::move(je));
  }
  doc["nodes"] = std::move(nodes);
  doc["edges"] = std::move(edges);
  // Names from ONNX files need not be valid UTF-8: replace bad bytes rather than throw.
  return doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

Status WriteGraphJson(const Graph& graph, const std::string& path) {
  return WriteFileAtomic(path, WriteGraphJsonString(graph));
}

StatusOr<Graph> LoadGraph(const std::string& spec, int weight_bytes) {
  if (spec.empty()) return Status::Error("--graph is empty (expected a built-in name or a file)");
  MCMPART_RETURN_IF_ERROR(CheckWeightElementSize(weight_bytes));
  if (EndsWith(spec, ".onnx")) {
    OnnxImportOptions options;
    options.weight_bytes = weight_bytes;
    return ImportOnnx(spec, options);
  }
  if (EndsWith(spec, ".json")) {
    MCMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(spec));
    const bool dnn = LooksLikeDnnPartitioning(text);
    MCMPART_ASSIGN_OR_RETURN(Graph g,
                             dnn ? ParseDnnPartitioning(text, spec) : ParseGraphJson(text, spec));
    if (weight_bytes != 0 && g.weight_bytes_per_element != weight_bytes) {
      // A saved graph holds weight bytes, not element counts: it cannot be rescaled exactly.
      const std::string stated = g.weight_bytes_per_element > 0
                                     ? std::to_string(g.weight_bytes_per_element) + "-byte weights"
                                     : std::string("weights of unstated precision");
      return Status::Error("'" + spec + "' stores " + stated + ", not " +
                           std::to_string(weight_bytes) +
                           "-byte ones (weight precision applies when importing an ONNX model "
                           "or building a built-in graph)");
    }
    return g;
  }
  if (access(spec.c_str(), F_OK) == 0) {
    return Status::Error("graph file '" + spec +
                         "' has an unknown extension (expected .json or .onnx)");
  }
  return MakeBuiltinGraph(spec, weight_bytes);
}

}  // namespace mcmpart::common
