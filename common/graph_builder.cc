// The generators' op builder and graph-name field parser.
#include "common/graph_builder.h"

#include <sstream>
#include <stdexcept>

namespace mcmpart::common::internal {

int OpBuilder::Input(const std::string& name, std::vector<int64_t> shape, int elem_bytes) {
  Node n;
  n.name = name;
  n.op = "Input";
  n.op_class = OpClass::kInput;
  n.output_bytes = Elements(shape) * elem_bytes;
  n.shape = std::move(shape);
  return g_->AddNode(n);
}

int OpBuilder::MatMul(const std::string& name, std::vector<int> inputs, int64_t batch, int64_t m,
                      int64_t k, int64_t n, bool weight, bool bias,
                      std::vector<int64_t> out_shape) {
  Node node;
  node.name = name;
  node.op = "MatMul";
  node.op_class = OpClass::kMatMul;
  node.shape = std::move(out_shape);
  node.gemm = {batch, m, k, n};
  node.macs = batch * m * k * n;
  node.output_bytes = batch * m * n * act_;
  if (weight) node.weight_bytes = (k * n + (bias ? n : 0)) * weight_;
  if (bias) node.vector_ops = batch * m * n;  // bias add on the vector unit
  return Connect(g_->AddNode(node), inputs);
}

int OpBuilder::Vector(const std::string& name, const std::string& op, std::vector<int> inputs,
                      std::vector<int64_t> shape, int64_t ops_per_element, int64_t weight_elems) {
  Node node;
  node.name = name;
  node.op = op;
  node.op_class = OpClass::kVector;
  node.output_bytes = Elements(shape) * act_;
  node.vector_ops = Elements(shape) * ops_per_element;
  node.weight_bytes = weight_elems * weight_;
  node.shape = std::move(shape);
  return Connect(g_->AddNode(node), inputs);
}

int OpBuilder::Gather(const std::string& name, std::vector<int> inputs, std::vector<int64_t> shape,
                      int64_t table_elems) {
  Node node;
  node.name = name;
  node.op = "Gather";
  node.op_class = OpClass::kDataMovement;
  node.output_bytes = Elements(shape) * act_;
  node.moved_bytes = 2 * node.output_bytes;
  node.weight_bytes = table_elems * weight_;
  node.shape = std::move(shape);
  return Connect(g_->AddNode(node), inputs);
}

int64_t OpBuilder::Elements(const std::vector<int64_t>& shape) {
  int64_t e = 1;
  for (int64_t d : shape) e *= d;
  return e;
}

int OpBuilder::Connect(int id, const std::vector<int>& inputs) {
  for (int in : inputs) g_->AddEdge(in, id);
  return id;
}

Status NameError(const std::string& name, const std::string& message) {
  return Status::Error("built-in graph '" + name + "': " + message);
}

StatusOr<std::vector<NameField>> ParseNameFields(const std::string& name,
                                                 const std::string& prefix) {
  std::vector<NameField> out;
  std::stringstream fields(name.substr(prefix.size()));
  std::string field;
  while (std::getline(fields, field, ',')) {
    const auto eq = field.find('=');
    if (eq == std::string::npos) {
      return NameError(name, "field '" + field + "' is not key=value");
    }
    out.emplace_back(field.substr(0, eq), field.substr(eq + 1));
  }
  return out;
}

StatusOr<int> ParsePositiveField(const std::string& name, const std::string& key,
                                 const std::string& value) {
  int parsed = 0;
  try {
    size_t used = 0;
    parsed = std::stoi(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
  } catch (const std::exception&) {
    return NameError(name, "'" + key + "' needs an integer, got '" + value + "'");
  }
  if (parsed <= 0 || parsed > 1 << 20) {
    return NameError(name, "'" + key + "' must be in 1..1048576");
  }
  return parsed;
}

Status SetIntFields(const std::string& name, const std::vector<NameField>& fields,
                    const std::vector<IntField>& targets, const std::string& other_keys) {
  for (const auto& [key, val] : fields) {
    MCMPART_ASSIGN_OR_RETURN(int value, ParsePositiveField(name, key, val));
    int* target = nullptr;
    std::string known;
    for (const IntField& f : targets) {
      if (key == f.key) target = f.target;
      known += (known.empty() ? "" : ", ") + std::string(f.key);
    }
    if (!other_keys.empty()) known += ", " + other_keys;
    if (!target) return NameError(name, "unknown field '" + key + "' (expected " + known + ")");
    *target = value;
  }
  return Status::Ok();
}

}  // namespace mcmpart::common::internal
