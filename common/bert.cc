// BERT-style encoder generator with MACs, vector work, weight and activation bytes per op.
#include "common/bert.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "common/graph_builder.h"
#include "common/llama.h"
#include "common/synthetic.h"

namespace mcmpart::common {

Graph MakeBert(const BertConfig& c, const std::string& name) {
  Graph g;
  g.name = name;
  g.weight_bytes_per_element = c.weight_bytes > 0 ? c.weight_bytes : c.dtype_bytes;
  internal::OpBuilder b(&g, c.dtype_bytes, g.weight_bytes_per_element);
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
    int probs = b.Vector(p + "attention.softmax", "Softmax", {scores}, {nh, s, s},
                         internal::kSoftmaxOps);
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

namespace {

// Parses "bert:key=value,…" on top of the BERT-base defaults.
StatusOr<BertConfig> ParseBertName(const std::string& name) {
  BertConfig c;
  MCMPART_ASSIGN_OR_RETURN(std::vector<internal::NameField> fields,
                           internal::ParseNameFields(name, "bert:"));
  MCMPART_RETURN_IF_ERROR(internal::SetIntFields(name, fields,
                                                 {{"layers", &c.layers},
                                                  {"hidden", &c.hidden},
                                                  {"heads", &c.heads},
                                                  {"seq", &c.seq_len},
                                                  {"intermediate", &c.intermediate},
                                                  {"dtype_bytes", &c.dtype_bytes}}));
  if (c.hidden % c.heads != 0) {
    return internal::NameError(name, "hidden must be a multiple of heads");
  }
  if (c.layers > 1024) return internal::NameError(name, "at most 1024 layers");
  // The largest per-op quantities (attention MACs and scores, FFN MACs and activations) must
  // stay below Graph::Finalize's 2^50 bound, and their products inside int64.
  const double s = c.seq_len, h = c.hidden, bytes = c.dtype_bytes;
  const double ff = c.intermediate > 0 ? c.intermediate : 4.0 * c.hidden;
  if (std::max({s * s * h, s * h * ff, s * s * c.heads * bytes, s * ff * bytes}) > 0x1p50) {
    return internal::NameError(name,
                               "seq, hidden, heads and intermediate give ops above 2^50 MACs or "
                               "bytes (absurd sizes)");
  }
  return c;
}

}  // namespace

std::vector<std::string> BuiltinGraphNames() {
  std::vector<std::string> names = {"bert-base",
                                    "bert-large",
                                    "bert-medium",
                                    "bert-small",
                                    "bert-mini",
                                    "bert-tiny",
                                    "bert:layers=L,hidden=H,heads=A,seq=S"};
  for (const std::string& n : LlamaGraphNames()) names.push_back(n);
  names.push_back("synth:chain|residual|inception|encdec:seed=N,nodes=N");
  return names;
}

StatusOr<Graph> MakeBuiltinGraph(const std::string& name, int weight_bytes) {
  MCMPART_RETURN_IF_ERROR(CheckWeightElementSize(weight_bytes));
  // Sizes of the BERT family (Turc et al., 2019, "Well-Read Students Learn Better").
  static const std::map<std::string, BertConfig> kPresets = {
      {"bert-base", {12, 768, 12, 128}},  {"bert-large", {24, 1024, 16, 128}},
      {"bert-medium", {8, 512, 8, 128}},  {"bert-small", {4, 512, 8, 128}},
      {"bert-mini", {4, 256, 4, 128}},    {"bert-tiny", {2, 128, 2, 128}},
  };
  auto it = kPresets.find(name);
  if (it != kPresets.end() || name.rfind("bert:", 0) == 0) {
    BertConfig c;
    if (it != kPresets.end()) {
      c = it->second;
    } else {
      MCMPART_ASSIGN_OR_RETURN(c, ParseBertName(name));
    }
    c.weight_bytes = weight_bytes;
    return MakeBert(c, name);
  }
  if (IsLlamaGraphName(name)) return MakeLlamaFromName(name, weight_bytes);
  if (name.rfind("synth:", 0) == 0) return MakeSyntheticFromName(name, weight_bytes);
  std::string known;
  for (const auto& n : BuiltinGraphNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::Error("unknown built-in graph '" + name + "' (known: " + known + ")");
}

}  // namespace mcmpart::common
