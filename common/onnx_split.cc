// Per-chip ONNX models of a partitioned ONNX model (libonnx + protobuf, as in onnx_import.cc).
#include "common/onnx_split.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

namespace ox = ::ONNX_NAMESPACE;

// Where each tensor comes from and who reads it, over the source graph's nodes.
struct TensorUse {
  std::unordered_map<std::string, int> producer;                // tensor → node index
  std::unordered_map<std::string, std::vector<int>> consumers;  // tensor → node indices
};

TensorUse IndexTensors(const ox::GraphProto& g) {
  TensorUse use;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const std::string& out : g.node(i).output()) {
      if (!out.empty()) use.producer[out] = i;
    }
    for (const std::string& in : g.node(i).input()) {
      if (!in.empty()) use.consumers[in].push_back(i);
    }
  }
  return use;
}

// Kahn's order over the node-to-node tensor edges, ties by source index (an already sorted
// model keeps its order). Errors on a cycle.
StatusOr<std::vector<int>> TopologicalOrder(const ox::GraphProto& g, const TensorUse& use,
                                            const std::string& path) {
  const int n = g.node_size();
  std::vector<int> indegree(n, 0);
  std::vector<std::vector<int>> succs(n);
  for (int i = 0; i < n; ++i) {
    std::set<int> preds;
    for (const std::string& in : g.node(i).input()) {
      auto it = use.producer.find(in);
      if (it != use.producer.end() && it->second != i) preds.insert(it->second);
    }
    indegree[i] = static_cast<int>(preds.size());
    for (int u : preds) succs[u].push_back(i);
  }
  std::set<int> ready;
  for (int i = 0; i < n; ++i) {
    if (indegree[i] == 0) ready.insert(i);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int v = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(v);
    for (int s : succs[v]) {
      if (--indegree[s] == 0) ready.insert(s);
    }
  }
  if (static_cast<int>(order.size()) != n) {
    return Status::Error(path + ": the ONNX graph has a cycle");
  }
  return order;
}

// Chip of every source node (see WriteOnnxChips).
StatusOr<std::vector<int>> AssignChips(const ox::GraphProto& g, const TensorUse& use,
                                       const std::vector<int>& order,
                                       const std::unordered_map<std::string, int>& tensor_node,
                                       const Partition& p, const std::string& path) {
  std::vector<int> chip(g.node_size(), -1);
  int lowest = INT_MAX;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const std::string& out : g.node(i).output()) {
      auto it = tensor_node.find(out);
      if (it == tensor_node.end()) continue;
      if (it->second < 0 || it->second >= static_cast<int>(p.size())) {
        return Status::Error(path + ": the partition has " + std::to_string(p.size()) +
                             " nodes, the import names node " + std::to_string(it->second));
      }
      chip[i] = p[it->second];
      lowest = std::min(lowest, chip[i]);
      break;
    }
  }
  if (lowest == INT_MAX) lowest = p.empty() ? 0 : *std::min_element(p.begin(), p.end());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const int v = *it;
    if (chip[v] >= 0) continue;
    int c = INT_MAX;
    for (const std::string& out : g.node(v).output()) {
      auto readers = use.consumers.find(out);
      if (readers == use.consumers.end()) continue;
      for (int r : readers->second) c = std::min(c, chip[r]);
    }
    chip[v] = c == INT_MAX ? lowest : c;
  }
  return chip;
}

// Type of every tensor the import saw (OnnxImportReport::tensor_types), else as declared.
StatusOr<std::unordered_map<std::string, ox::ValueInfoProto>> TensorTypes(
    const ox::GraphProto& source, const OnnxImportReport& report, const std::string& path) {
  ox::GraphProto inferred;
  if (!inferred.ParseFromString(report.tensor_types)) {
    return Status::Error(path + ": the import's tensor types do not parse");
  }
  std::unordered_map<std::string, ox::ValueInfoProto> types;
  for (const auto* list :
       {&source.input(), &source.value_info(), &source.output(), &inferred.value_info()}) {
    for (const ox::ValueInfoProto& vi : *list) {
      if (vi.has_type()) types[vi.name()] = vi;
    }
  }
  return types;
}

// The model of one chip: `nodes` (source indices in topological order) and what they need.
class ChipModelBuilder {
 public:
  ChipModelBuilder(const ox::ModelProto& source, const TensorUse& use,
                   const std::vector<int>& chip_of,
                   const std::unordered_map<std::string, ox::ValueInfoProto>& types,
                   const std::string& path)
      : source_(source), use_(use), chip_of_(chip_of), types_(types), path_(path) {
    const ox::GraphProto& g = source.graph();
    for (int i = 0; i < g.initializer_size(); ++i) initializers_[g.initializer(i).name()] = i;
    for (const auto& vi : g.input()) graph_inputs_[vi.name()] = &vi;
    for (const auto& vi : g.output()) graph_outputs_[vi.name()] = &vi;
  }

  StatusOr<ox::ModelProto> Build(int chip, const std::vector<int>& nodes, OnnxChipFile* file);

 private:
  Status AddCrossing(const std::string& tensor, ox::ValueInfoProto* out) const;

  const ox::ModelProto& source_;
  const TensorUse& use_;
  const std::vector<int>& chip_of_;
  const std::unordered_map<std::string, ox::ValueInfoProto>& types_;
  const std::string& path_;
  std::unordered_map<std::string, int> initializers_;
  std::unordered_map<std::string, const ox::ValueInfoProto*> graph_inputs_, graph_outputs_;
};

Status ChipModelBuilder::AddCrossing(const std::string& tensor, ox::ValueInfoProto* out) const {
  auto it = types_.find(tensor);
  if (it == types_.end()) {
    return Status::Error(path_ + ": tensor '" + tensor +
                         "' crosses chips but ONNX shape inference gives it no type");
  }
  *out = it->second;
  return Status::Ok();
}

StatusOr<ox::ModelProto> ChipModelBuilder::Build(int chip, const std::vector<int>& nodes,
                                                 OnnxChipFile* file) {
  const ox::GraphProto& src = source_.graph();
  ox::ModelProto model = source_;
  model.clear_graph();
  ox::GraphProto* g = model.mutable_graph();
  g->set_name(src.name() + "_chip" + std::to_string(chip));
  std::unordered_set<std::string> produced, seen_inputs;
  for (int v : nodes) {
    *g->add_node() = src.node(v);
    for (const std::string& out : src.node(v).output()) produced.insert(out);
  }
  for (int v : nodes) {
    for (const std::string& in : src.node(v).input()) {
      if (in.empty() || produced.count(in) || !seen_inputs.insert(in).second) continue;
      auto init = initializers_.find(in);
      if (init != initializers_.end()) {
        *g->add_initializer() = src.initializer(init->second);
      } else if (graph_inputs_.count(in)) {
        *g->add_input() = *graph_inputs_.at(in);
      } else {
        MCMPART_RETURN_IF_ERROR(AddCrossing(in, g->add_input()));
        ++file->cut_inputs;
      }
    }
  }
  for (const auto& vi : src.output()) {
    if (produced.count(vi.name())) *g->add_output() = vi;
  }
  for (int v : nodes) {
    for (const std::string& out : src.node(v).output()) {
      if (out.empty() || graph_outputs_.count(out)) continue;
      auto readers = use_.consumers.find(out);
      if (readers == use_.consumers.end()) continue;
      const bool crosses = std::any_of(readers->second.begin(), readers->second.end(),
                                       [&](int r) { return chip_of_[r] != chip; });
      if (!crosses) continue;
      MCMPART_RETURN_IF_ERROR(AddCrossing(out, g->add_output()));
      ++file->cut_outputs;
    }
  }
  file->chip = chip;
  file->nodes = static_cast<int>(nodes.size());
  return model;
}

}  // namespace

StatusOr<std::vector<OnnxChipFile>> WriteOnnxChips(const std::string& model_path,
                                                   const OnnxImportReport& report,
                                                   const Partition& p, const std::string& dir) {
  MCMPART_ASSIGN_OR_RETURN(std::string bytes, ReadFile(model_path));
  ox::ModelProto source;
  if (!source.ParseFromString(bytes) || !source.has_graph()) {
    return Status::Error(model_path + ": not a valid ONNX model");
  }
  const ox::GraphProto& g = source.graph();
  const TensorUse use = IndexTensors(g);
  MCMPART_ASSIGN_OR_RETURN(std::vector<int> order, TopologicalOrder(g, use, model_path));
  MCMPART_ASSIGN_OR_RETURN(std::vector<int> chip_of,
                           AssignChips(g, use, order, report.tensor_node, p, model_path));
  std::map<int, std::vector<int>> nodes_of_chip;
  for (int v : order) nodes_of_chip[chip_of[v]].push_back(v);
  MCMPART_ASSIGN_OR_RETURN(auto types, TensorTypes(g, report, model_path));
  ChipModelBuilder builder(source, use, chip_of, types, model_path);
  std::vector<OnnxChipFile> files;
  for (const auto& [chip, nodes] : nodes_of_chip) {
    OnnxChipFile file;
    MCMPART_ASSIGN_OR_RETURN(ox::ModelProto model, builder.Build(chip, nodes, &file));
    file.path = dir + "/chip_" + std::to_string(chip) + ".onnx";
    std::string out;
    if (!model.SerializeToString(&out)) {
      return Status::Error("cannot serialize the ONNX model of chip " + std::to_string(chip));
    }
    MCMPART_RETURN_IF_ERROR(WriteFileAtomic(file.path, out));
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace mcmpart::common
