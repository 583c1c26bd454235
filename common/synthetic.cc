// Seeded synthetic graph families: conv chains, residual stacks, inception branches,
// Transformer encoder–decoders.
#include "common/synthetic.h"

#include <algorithm>
#include <sstream>

#include "common/rng.h"

namespace mcmpart::common {
namespace {

// Draws from the engine directly (not std::uniform_int_distribution) so a seed gives the same
// graph with every standard library.
int64_t Uniform(Rng& rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

template <typename T>
T Pick(Rng& rng, const std::vector<T>& options) {
  return options[static_cast<size_t>(rng() % options.size())];
}

int64_t Elements(const std::vector<int64_t>& shape) {
  int64_t e = 1;
  for (int64_t d : shape) e *= d;
  return e;
}

// Appends ops with their work and bytes; feature maps are [C, H, W], token tensors [S, H].
class Builder {
 public:
  Builder(Graph* g, int64_t dtype, int64_t weight_dtype)
      : g_(g), dtype_(dtype), weight_dtype_(weight_dtype) {}

  int Input(std::vector<int64_t> shape) {
    Node n = Make("input", "Input", OpClass::kInput, shape);
    return g_->AddNode(n);
  }

  /// k×k convolution with `cout` filters and a bias, im2col lowering.
  int Conv(int in, int64_t cout, int64_t k, int64_t stride) {
    const std::vector<int64_t>& s = g_->nodes[in].shape;
    std::vector<int64_t> out = {cout, std::max<int64_t>(1, s[1] / stride),
                                std::max<int64_t>(1, s[2] / stride)};
    Node n = Make("conv", "Conv", OpClass::kConv, out);
    n.gemm = {1, out[1] * out[2], s[0] * k * k, cout};
    n.macs = n.gemm.m * n.gemm.k * n.gemm.n;
    n.weight_bytes = (s[0] * k * k * cout + cout) * weight_dtype_;
    n.vector_ops = Elements(out);
    return Connect(g_->AddNode(n), {in});
  }

  /// y[S, n] = x[S, k]·W (+ bias), or an activation–activation product when `weight` is false.
  int MatMul(std::vector<int> ins, int64_t batch, int64_t m, int64_t k, int64_t n_cols, bool weight,
             std::vector<int64_t> out) {
    Node n = Make("matmul", "MatMul", OpClass::kMatMul, out);
    n.gemm = {batch, m, k, n_cols};
    n.macs = batch * m * k * n_cols;
    if (weight) {
      n.weight_bytes = (k * n_cols + n_cols) * weight_dtype_;
      n.vector_ops = batch * m * n_cols;
    }
    return Connect(g_->AddNode(n), ins);
  }

  int Vector(const std::string& op, std::vector<int> ins, int64_t ops_per_element,
             int64_t weight_elems = 0) {
    Node n = Make(Lower(op), op, OpClass::kVector, g_->nodes[ins[0]].shape);
    n.vector_ops = Elements(n.shape) * ops_per_element;
    n.weight_bytes = weight_elems * weight_dtype_;
    return Connect(g_->AddNode(n), ins);
  }

  int Pool(int in, int64_t stride) {
    const std::vector<int64_t>& s = g_->nodes[in].shape;
    Node n = Make("maxpool", "MaxPool", OpClass::kVector,
                  {s[0], std::max<int64_t>(1, s[1] / stride), std::max<int64_t>(1, s[2] / stride)});
    n.vector_ops = Elements(n.shape) * 9;
    return Connect(g_->AddNode(n), {in});
  }

  /// Channel concatenation of feature maps with equal H, W.
  int Concat(const std::vector<int>& ins) {
    std::vector<int64_t> shape = g_->nodes[ins[0]].shape;
    shape[0] = 0;
    for (int i : ins) shape[0] += g_->nodes[i].shape[0];
    Node n = Make("concat", "Concat", OpClass::kDataMovement, shape);
    n.moved_bytes = 2 * n.output_bytes;
    return Connect(g_->AddNode(n), ins);
  }

  /// A [S, H] → [H, S] style transpose (shape given).
  int Transpose(int in, std::vector<int64_t> shape) {
    Node n = Make("transpose", "Transpose", OpClass::kDataMovement, shape);
    n.moved_bytes = 2 * n.output_bytes;
    return Connect(g_->AddNode(n), {in});
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  Node Make(const std::string& stem, const std::string& op, OpClass c, std::vector<int64_t> shape) {
    Node n;
    n.name = stem + "_" + std::to_string(g_->num_nodes());
    n.op = op;
    n.op_class = c;
    n.shape = std::move(shape);
    n.output_bytes = Elements(n.shape) * (c == OpClass::kInput ? 1 : dtype_);
    return n;
  }
  int Connect(int id, const std::vector<int>& ins) {
    std::vector<int> unique = ins;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (int in : unique) g_->AddEdge(in, id);
    return id;
  }

  Graph* g_;
  int64_t dtype_;
  int64_t weight_dtype_;
};

// Downsamples by 2 with probability 1/4 while the map is larger than 7×7.
int64_t DrawStride(Rng& rng, const Node& x) {
  return (x.shape[1] > 7 && rng() % 4 == 0) ? 2 : 1;
}

void BuildChain(Rng& rng, Builder& b, Graph& g, int target) {
  int x = b.Input({3, 224, 224});
  while (g.num_nodes() < target) {
    x = b.Conv(x, Pick<int64_t>(rng, {32, 64, 128, 256, 512}), Pick<int64_t>(rng, {1, 3, 3, 5}),
               DrawStride(rng, g.nodes[x]));
    x = b.Vector("Relu", {x}, 1);
    if (g.nodes[x].shape[1] > 7 && rng() % 6 == 0) x = b.Pool(x, 2);
  }
}

void BuildResidual(Rng& rng, Builder& b, Graph& g, int target) {
  int x = b.Input({3, 224, 224});
  x = b.Vector("Relu", {b.Conv(x, 64, 7, 2)}, 1);
  int64_t width = 64;
  while (g.num_nodes() < target) {
    if (rng() % 4 == 0 && width < 1024) width *= 2;
    const int64_t stride = width != g.nodes[x].shape[0] ? DrawStride(rng, g.nodes[x]) : 1;
    int y = b.Vector("Relu", {b.Conv(x, width, 3, stride)}, 1);
    y = b.Conv(y, width, 3, 1);
    int shortcut = (width != g.nodes[x].shape[0] || stride != 1) ? b.Conv(x, width, 1, stride) : x;
    x = b.Vector("Relu", {b.Vector("Add", {y, shortcut}, 1)}, 1);
  }
}

void BuildInception(Rng& rng, Builder& b, Graph& g, int target) {
  int x = b.Input({3, 224, 224});
  x = b.Pool(b.Vector("Relu", {b.Conv(x, 64, 7, 2)}, 1), 2);
  while (g.num_nodes() < target) {
    const int branches = static_cast<int>(Uniform(rng, 2, 4));
    std::vector<int> outs;
    for (int br = 0; br < branches; ++br) {
      int y = x;
      const int depth = static_cast<int>(Uniform(rng, 1, 3));
      for (int d = 0; d < depth; ++d) {
        y = b.Conv(y, Pick<int64_t>(rng, {32, 48, 64, 96, 128}),
                   d == 0 ? 1 : Pick<int64_t>(rng, {3, 5}), 1);
        y = b.Vector("Relu", {y}, 1);
      }
      outs.push_back(y);
    }
    x = b.Concat(outs);
    if (g.nodes[x].shape[1] > 7 && rng() % 3 == 0) x = b.Pool(x, 2);
  }
}

// One multi-head attention: queries from `q_in`, keys/values from `kv_in`.
int Attention(Builder& b, Graph& g, int q_in, int kv_in, int64_t heads) {
  const int64_t sq = g.nodes[q_in].shape[0], h = g.nodes[q_in].shape[1];
  const int64_t skv = g.nodes[kv_in].shape[0], dh = h / heads;
  int q = b.MatMul({q_in}, 1, sq, h, h, true, {sq, h});
  int k = b.MatMul({kv_in}, 1, skv, h, h, true, {skv, h});
  int v = b.MatMul({kv_in}, 1, skv, h, h, true, {skv, h});
  int kt = b.Transpose(k, {h, skv});
  int scores = b.MatMul({q, kt}, heads, sq, dh, skv, false, {heads, sq, skv});
  int probs = b.Vector("Softmax", {scores}, 5);
  int ctx = b.MatMul({probs, v}, heads, sq, skv, dh, false, {sq, h});
  int proj = b.MatMul({ctx}, 1, sq, h, h, true, {sq, h});
  return b.Vector("LayerNorm", {b.Vector("Add", {proj, q_in}, 1)}, 8, 2 * h);
}

int FeedForward(Builder& b, Graph& g, int x, int64_t ff) {
  const int64_t s = g.nodes[x].shape[0], h = g.nodes[x].shape[1];
  int y = b.Vector("Gelu", {b.MatMul({x}, 1, s, h, ff, true, {s, ff})}, 8);
  y = b.MatMul({y}, 1, s, ff, h, true, {s, h});
  return b.Vector("LayerNorm", {b.Vector("Add", {y, x}, 1)}, 8, 2 * h);
}

void BuildEncDec(Rng& rng, Builder& b, Graph& g, int target) {
  const int64_t h = Pick<int64_t>(rng, {128, 256, 512, 768});
  const int64_t heads = h / 64;
  const int64_t ff = 4 * h;
  const int64_t src_len = Pick<int64_t>(rng, {64, 128, 256}), tgt_len = Pick<int64_t>(rng, {32, 64, 128});
  constexpr int kNodesPerEncoderLayer = 15, kNodesPerDecoderLayer = 25;
  const int layers = std::max(1, (target - 4) / (kNodesPerEncoderLayer + kNodesPerDecoderLayer));
  int src = b.Vector("LayerNorm", {b.Input({src_len, h})}, 8, 2 * h);
  int tgt = b.Vector("LayerNorm", {b.Input({tgt_len, h})}, 8, 2 * h);
  for (int l = 0; l < layers; ++l) src = FeedForward(b, g, Attention(b, g, src, src, heads), ff);
  while (g.num_nodes() < target) {
    tgt = Attention(b, g, tgt, tgt, heads);
    tgt = FeedForward(b, g, Attention(b, g, tgt, src, heads), ff);
  }
}

}  // namespace

std::vector<std::string> SyntheticFamilyNames() { return {"chain", "residual", "inception", "encdec"}; }

Graph MakeSynthetic(const SyntheticConfig& config, const std::string& name) {
  Graph g;
  g.name = name;
  Rng rng(DeriveSeed(config.seed, static_cast<uint64_t>(config.family)));
  g.weight_bytes_per_element = config.weight_bytes > 0 ? config.weight_bytes : config.dtype_bytes;
  Builder b(&g, config.dtype_bytes, g.weight_bytes_per_element);
  const int target = std::max(2, config.nodes);
  switch (config.family) {
    case SyntheticFamily::kChain: BuildChain(rng, b, g, target); break;
    case SyntheticFamily::kResidual: BuildResidual(rng, b, g, target); break;
    case SyntheticFamily::kInception: BuildInception(rng, b, g, target); break;
    case SyntheticFamily::kEncDec: BuildEncDec(rng, b, g, target); break;
  }
  Status st = g.Finalize();
  assert(st.ok() && "generated synthetic graph must be valid");
  (void)st;
  return g;
}

StatusOr<Graph> MakeSyntheticFromName(const std::string& name, int weight_bytes) {
  const std::string prefix = "synth:";
  if (name.rfind(prefix, 0) != 0) return Status::Error("'" + name + "' is not a synth: graph name");
  std::string rest = name.substr(prefix.size());
  const size_t colon = rest.find(':');
  const std::string family = rest.substr(0, colon);
  const std::string fields = colon == std::string::npos ? "" : rest.substr(colon + 1);
  SyntheticConfig c;
  const std::vector<std::string> families = SyntheticFamilyNames();
  auto it = std::find(families.begin(), families.end(), family);
  if (it == families.end()) {
    return Status::Error("built-in graph '" + name + "': unknown synthetic family '" + family +
                         "' (expected chain, residual, inception or encdec)");
  }
  c.family = static_cast<SyntheticFamily>(it - families.begin());
  std::stringstream ss(fields);
  std::string field;
  while (std::getline(ss, field, ',')) {
    const size_t eq = field.find('=');
    if (eq == std::string::npos) {
      return Status::Error("built-in graph '" + name + "': field '" + field + "' is not key=value");
    }
    const std::string key = field.substr(0, eq), val = field.substr(eq + 1);
    int64_t value = 0;
    try {
      size_t used = 0;
      value = std::stoll(val, &used);
      if (used != val.size()) throw std::invalid_argument(val);
    } catch (const std::exception&) {
      return Status::Error("built-in graph '" + name + "': '" + key + "' needs an integer, got '" + val + "'");
    }
    if (key == "seed" && value >= 0) {
      c.seed = static_cast<uint64_t>(value);
    } else if (key == "nodes" && value >= 2 && value <= 1000000) {
      c.nodes = static_cast<int>(value);
    } else if (key == "dtype_bytes" && value >= 1 && value <= 8) {
      c.dtype_bytes = static_cast<int>(value);
    } else if (key == "seed" || key == "nodes" || key == "dtype_bytes") {
      return Status::Error("built-in graph '" + name + "': '" + key + "' = " + val +
                           " is out of range (seed >= 0, nodes 2..1000000, dtype_bytes 1..8)");
    } else {
      return Status::Error("built-in graph '" + name + "': unknown field '" + key +
                           "' (expected seed, nodes, dtype_bytes)");
    }
  }
  c.weight_bytes = weight_bytes;
  return MakeSynthetic(c, name);
}

}  // namespace mcmpart::common
