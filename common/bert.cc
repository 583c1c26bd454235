// BERT-style encoder generator with MACs, vector work, weight and activation bytes per op.
#include "common/bert.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "common/synthetic.h"

namespace mcmpart::common {
namespace {

class Builder {
 public:
  Builder(Graph* g, int dtype_bytes) : g_(g), dtype_(dtype_bytes) {}

  int Input(const std::string& name, std::vector<int64_t> shape, int elem_bytes) {
    Node n;
    n.name = name;
    n.op = "Input";
    n.op_class = OpClass::kInput;
    n.shape = shape;
    n.output_bytes = Elements(shape) * elem_bytes;
    return g_->AddNode(n);
  }

  /// y[batch, m, n] = x[batch, m, k] · W[k, n] (+ bias). `weight` false: both operands are
  /// activations (attention scores/context).
  int MatMul(const std::string& name, std::vector<int> inputs, int64_t batch, int64_t m,
             int64_t k, int64_t n, bool weight, bool bias, std::vector<int64_t> out_shape) {
    Node node;
    node.name = name;
    node.op = "MatMul";
    node.op_class = OpClass::kMatMul;
    node.shape = std::move(out_shape);
    node.gemm = {batch, m, k, n};
    node.macs = batch * m * k * n;
    node.output_bytes = batch * m * n * dtype_;
    if (weight) node.weight_bytes = (k * n + (bias ? n : 0)) * dtype_;
    if (bias) node.vector_ops = batch * m * n;  // bias add on the vector unit
    return Connect(g_->AddNode(node), inputs);
  }

  /// Vector-unit op with `ops_per_element` operations per output element.
  int Vector(const std::string& name, const std::string& op, std::vector<int> inputs,
             std::vector<int64_t> shape, int64_t ops_per_element, int64_t weight_elems = 0) {
    Node node;
    node.name = name;
    node.op = op;
    node.op_class = OpClass::kVector;
    node.shape = shape;
    node.output_bytes = Elements(shape) * dtype_;
    node.vector_ops = Elements(shape) * ops_per_element;
    node.weight_bytes = weight_elems * dtype_;
    return Connect(g_->AddNode(node), inputs);
  }

  /// Data movement (gather): reads rows of a resident table.
  int Gather(const std::string& name, std::vector<int> inputs, std::vector<int64_t> shape,
             int64_t table_elems) {
    Node node;
    node.name = name;
    node.op = "Gather";
    node.op_class = OpClass::kDataMovement;
    node.shape = shape;
    node.output_bytes = Elements(shape) * dtype_;
    node.moved_bytes = 2 * node.output_bytes;
    node.weight_bytes = table_elems * dtype_;
    return Connect(g_->AddNode(node), inputs);
  }

 private:
  static int64_t Elements(const std::vector<int64_t>& shape) {
    int64_t e = 1;
    for (int64_t d : shape) e *= d;
    return e;
  }
  int Connect(int id, const std::vector<int>& inputs) {
    for (int in : inputs) g_->AddEdge(in, id);
    return id;
  }

  Graph* g_;
  int64_t dtype_;
};

}  // namespace

Graph MakeBert(const BertConfig& c, const std::string& name) {
  Graph g;
  g.name = name;
  Builder b(&g, c.dtype_bytes);
  const int64_t s = c.seq_len, h = c.hidden, nh = c.heads, dh = c.hidden / c.heads;
  const int64_t ff = c.intermediate > 0 ? c.intermediate : 4 * c.hidden;
  const std::vector<int64_t> act = {s, h};

  int ids = b.Input("input_ids", {s}, 4);
  int word = b.Gather("embeddings.word", {ids}, act, c.vocab * h);
  int pos = b.Gather("embeddings.position", {ids}, act, c.max_positions * h + 2 * h);
  int emb = b.Vector("embeddings.add", "Add", {word, pos}, act, 1);
  int x = b.Vector("embeddings.layernorm", "LayerNorm", {emb}, act, 8, 2 * h);

  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + ".";
    int q = b.MatMul(p + "attention.query", {x}, 1, s, h, h, true, true, act);
    int k = b.MatMul(p + "attention.key", {x}, 1, s, h, h, true, true, act);
    int v = b.MatMul(p + "attention.value", {x}, 1, s, h, h, true, true, act);
    int scores = b.MatMul(p + "attention.scores", {q, k}, nh, s, dh, s, false, false, {nh, s, s});
    int probs = b.Vector(p + "attention.softmax", "Softmax", {scores}, {nh, s, s}, 5);
    int ctx = b.MatMul(p + "attention.context", {probs, v}, nh, s, s, dh, false, false, act);
    int proj = b.MatMul(p + "attention.output", {ctx}, 1, s, h, h, true, true, act);
    int add1 = b.Vector(p + "attention.residual", "Add", {proj, x}, act, 1);
    int ln1 = b.Vector(p + "attention.layernorm", "LayerNorm", {add1}, act, 8, 2 * h);
    int ff1 = b.MatMul(p + "ffn.intermediate", {ln1}, 1, s, h, ff, true, true, {s, ff});
    int act1 = b.Vector(p + "ffn.gelu", "Gelu", {ff1}, {s, ff}, 8);
    int ff2 = b.MatMul(p + "ffn.output", {act1}, 1, s, ff, h, true, true, act);
    int add2 = b.Vector(p + "ffn.residual", "Add", {ff2, ln1}, act, 1);
    x = b.Vector(p + "ffn.layernorm", "LayerNorm", {add2}, act, 8, 2 * h);
  }
  int pooled = b.MatMul("pooler.dense", {x}, 1, 1, h, h, true, true, {1, h});
  b.Vector("pooler.tanh", "Tanh", {pooled}, {1, h}, 4);
  Status st = g.Finalize();
  assert(st.ok() && "generated BERT graph must be valid");
  (void)st;
  return g;
}

std::vector<std::string> BuiltinGraphNames() {
  return {"bert-base", "bert-large", "bert-medium", "bert-small", "bert-mini", "bert-tiny",
          "bert:layers=L,hidden=H,heads=A,seq=S", "synth:chain|residual|inception|encdec:seed=N,nodes=N"};
}

StatusOr<Graph> MakeBuiltinGraph(const std::string& name) {
  // Sizes of the BERT family (Turc et al., 2019, "Well-Read Students Learn Better").
  static const std::map<std::string, BertConfig> kPresets = {
      {"bert-base", {12, 768, 12, 128}},  {"bert-large", {24, 1024, 16, 128}},
      {"bert-medium", {8, 512, 8, 128}},  {"bert-small", {4, 512, 8, 128}},
      {"bert-mini", {4, 256, 4, 128}},    {"bert-tiny", {2, 128, 2, 128}},
  };
  auto it = kPresets.find(name);
  if (it != kPresets.end()) return MakeBert(it->second, name);
  if (name.rfind("synth:", 0) == 0) return MakeSyntheticFromName(name);
  if (name.rfind("bert:", 0) == 0) {
    BertConfig c;
    std::stringstream fields(name.substr(5));
    std::string field;
    while (std::getline(fields, field, ',')) {
      auto eq = field.find('=');
      if (eq == std::string::npos) {
        return Status::Error("built-in graph '" + name + "': field '" + field + "' is not key=value");
      }
      const std::string key = field.substr(0, eq), val = field.substr(eq + 1);
      int value = 0;
      try {
        size_t used = 0;
        value = std::stoi(val, &used);
        if (used != val.size()) throw std::invalid_argument(val);
      } catch (const std::exception&) {
        return Status::Error("built-in graph '" + name + "': '" + key + "' needs an integer, got '" + val + "'");
      }
      if (value <= 0 || value > 1 << 20) {
        return Status::Error("built-in graph '" + name + "': '" + key + "' must be in 1..1048576");
      }
      if (key == "layers") c.layers = value;
      else if (key == "hidden") c.hidden = value;
      else if (key == "heads") c.heads = value;
      else if (key == "seq") c.seq_len = value;
      else if (key == "intermediate") c.intermediate = value;
      else if (key == "dtype_bytes") c.dtype_bytes = value;
      else {
        return Status::Error("built-in graph '" + name + "': unknown field '" + key +
                             "' (expected layers, hidden, heads, seq, intermediate, dtype_bytes)");
      }
    }
    if (c.hidden % c.heads != 0) {
      return Status::Error("built-in graph '" + name + "': hidden must be a multiple of heads");
    }
    if (c.layers > 1024) return Status::Error("built-in graph '" + name + "': at most 1024 layers");
    // The largest per-op quantities (attention MACs and scores, FFN MACs and activations) must
    // stay below Graph::Finalize's 2^50 bound, and their products inside int64.
    const double s = c.seq_len, h = c.hidden, bytes = c.dtype_bytes;
    const double ff = c.intermediate > 0 ? c.intermediate : 4.0 * c.hidden;
    if (std::max({s * s * h, s * h * ff, s * s * c.heads * bytes, s * ff * bytes}) > 0x1p50) {
      return Status::Error("built-in graph '" + name + "': seq, hidden, heads and intermediate "
                           "give ops above 2^50 MACs or bytes (absurd sizes)");
    }
    return MakeBert(c, name);
  }
  std::string known;
  for (const auto& n : BuiltinGraphNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::Error("unknown built-in graph '" + name + "' (known: " + known + ")");
}

}  // namespace mcmpart::common
