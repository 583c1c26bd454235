// Llama-style decoder generator (Touvron et al., 2023) with MACs, vector work, weight, KV-cache
// and activation bytes per op.
#include "common/llama.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "common/graph_builder.h"

namespace mcmpart::common {
namespace {

using internal::kSoftmaxOps;
using internal::OpBuilder;

// Vector-unit operations per output element.
constexpr int64_t kRmsNormOps = 4;  // square, mean, scale by 1/rms, multiply by the gain
constexpr int64_t kRopeOps = 3;     // x·cos + rotate_half(x)·sin
constexpr int64_t kSiluOps = 4;     // exp, add, divide, multiply: x·sigmoid(x)

// The sizes every op of a layer is built from.
struct Dims {
  int64_t tokens;   // tokens processed: seq in prefill, 1 in decode
  int64_t context;  // tokens attended to: seq in prefill, seq + 1 in decode
  int64_t cached;   // tokens in the KV cache: 0 in prefill, seq in decode
  int64_t hidden, heads, kv_heads, head_dim, ffn, vocab;
};

Dims DimsOf(const LlamaConfig& c) {
  const bool decode = c.phase == LlamaPhase::kDecode;
  Dims d;
  d.tokens = decode ? 1 : c.seq;
  d.context = decode ? int64_t{c.seq} + 1 : c.seq;
  d.cached = decode ? c.seq : 0;
  d.hidden = c.hidden;
  d.heads = c.heads;
  d.kv_heads = LlamaKvHeads(c);
  d.head_dim = c.hidden / c.heads;
  d.ffn = c.ffn;
  d.vocab = c.vocab;
  return d;
}

// Grouped-query attention block on `x` (the residual stream); returns the residual sum.
int AddAttention(OpBuilder& b, const Dims& d, const std::string& p, int x) {
  const int64_t t = d.tokens, h = d.hidden, kv = d.kv_heads * d.head_dim;
  const std::vector<int64_t> act = {t, h}, kv_act = {t, kv};
  int norm = b.Vector(p + "attention_norm", "RMSNorm", {x}, act, kRmsNormOps, h);
  int q = b.MatMul(p + "attention.q_proj", {norm}, 1, t, h, h, true, false, act);
  int k = b.MatMul(p + "attention.k_proj", {norm}, 1, t, h, kv, true, false, kv_act);
  int v = b.MatMul(p + "attention.v_proj", {norm}, 1, t, h, kv, true, false, kv_act);
  int q_rope = b.Vector(p + "attention.q_rope", "RotaryEmbedding", {q}, act, kRopeOps);
  int k_rope = b.Vector(p + "attention.k_rope", "RotaryEmbedding", {k}, kv_act, kRopeOps);
  // Each query head attends with the K/V head of its group (heads / kv_heads query heads).
  const std::vector<int64_t> scores_shape = {d.heads, t, d.context};
  int scores = b.MatMul(p + "attention.scores", {q_rope, k_rope}, d.heads, t, d.head_dim, d.context,
                        false, false, scores_shape);
  int probs = b.Vector(p + "attention.softmax", "Softmax", {scores}, scores_shape, kSoftmaxOps);
  int ctx = b.MatMul(p + "attention.context", {probs, v}, d.heads, t, d.context, d.head_dim, false,
                     false, act);
  // Decode: the K and V of the cached tokens stay resident beside the matmul that reads them.
  const int64_t cache_bytes = d.cached * kv * b.act_bytes();
  b.AddResidentBytes(scores, cache_bytes);
  b.AddResidentBytes(ctx, cache_bytes);
  int out = b.MatMul(p + "attention.o_proj", {ctx}, 1, t, h, h, true, false, act);
  return b.Vector(p + "attention.residual", "Add", {out, x}, act, 1);
}

// SwiGLU feed-forward block on `x`; returns the residual sum.
int AddFfn(OpBuilder& b, const Dims& d, const std::string& p, int x) {
  const int64_t t = d.tokens, h = d.hidden, ff = d.ffn;
  const std::vector<int64_t> act = {t, h}, wide = {t, ff};
  int norm = b.Vector(p + "ffn_norm", "RMSNorm", {x}, act, kRmsNormOps, h);
  int gate = b.MatMul(p + "ffn.gate_proj", {norm}, 1, t, h, ff, true, false, wide);
  int up = b.MatMul(p + "ffn.up_proj", {norm}, 1, t, h, ff, true, false, wide);
  int silu = b.Vector(p + "ffn.silu", "Silu", {gate}, wide, kSiluOps);
  int mul = b.Vector(p + "ffn.mul", "Mul", {silu, up}, wide, 1);
  int down = b.MatMul(p + "ffn.down_proj", {mul}, 1, t, ff, h, true, false, act);
  return b.Vector(p + "ffn.residual", "Add", {down, x}, act, 1);
}

}  // namespace

int LlamaKvHeads(const LlamaConfig& c) { return c.kv_heads > 0 ? c.kv_heads : c.heads; }

Graph MakeLlama(const LlamaConfig& c, const std::string& name) {
  Graph g;
  g.name = name;
  g.weight_bytes_per_element = c.weight_bytes > 0 ? c.weight_bytes : c.dtype_bytes;
  OpBuilder b(&g, c.dtype_bytes, g.weight_bytes_per_element);
  const Dims d = DimsOf(c);
  const std::vector<int64_t> act = {d.tokens, d.hidden};
  int ids = b.Input("input_ids", {d.tokens}, 4);
  int x = b.Gather("embed_tokens", {ids}, act, d.vocab * d.hidden);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + ".";
    x = AddAttention(b, d, p, x);
    x = AddFfn(b, d, p, x);
  }
  int norm = b.Vector("norm", "RMSNorm", {x}, act, kRmsNormOps, d.hidden);
  b.MatMul("lm_head", {norm}, 1, d.tokens, d.hidden, d.vocab, true, false, {d.tokens, d.vocab});
  Status st = g.Finalize();
  assert(st.ok() && "generated Llama graph must be valid");
  (void)st;
  return g;
}

Status ValidateLlamaConfig(const LlamaConfig& c, const std::string& name) {
  auto error = [&](const std::string& m) { return internal::NameError(name, m); };
  for (const auto& [key, value] : std::vector<std::pair<const char*, int>>{{"layers", c.layers},
                                                                           {"hidden", c.hidden},
                                                                           {"heads", c.heads},
                                                                           {"ffn", c.ffn},
                                                                           {"seq", c.seq},
                                                                           {"vocab", c.vocab}}) {
    if (value <= 0 || value > 1 << 20) return error(std::string(key) + " must be in 1..1048576");
  }
  if (c.layers > 1024) return error("layers must be at most 1024");
  if (c.dtype_bytes < 1 || c.dtype_bytes > 8) return error("dtype_bytes must be in 1..8");
  if (c.weight_bytes != 0 && !IsWeightElementSize(c.weight_bytes)) {
    return error("weight_bytes must be 0, 1, 2, 4 or 8");
  }
  if (c.kv_heads < 0 || c.kv_heads > c.heads) return error("kv_heads must be in 1..heads");
  if (c.hidden % c.heads != 0) return error("hidden must be a multiple of heads");
  if ((c.hidden / c.heads) % 2 != 0) {
    return error("hidden / heads (the head size) must be even: RoPE rotates pairs");
  }
  if (c.heads % LlamaKvHeads(c) != 0) return error("heads must be a multiple of kv_heads");
  // The largest per-op quantities must stay below Graph::Finalize's 2^50 bound (and the
  // graph's totals well inside int64).
  const Dims d = DimsOf(c);
  const double t = d.tokens, ctx = d.context, h = d.hidden, ff = d.ffn, vocab = d.vocab;
  const double act = c.dtype_bytes, w = std::max(c.weight_bytes, c.dtype_bytes);
  const double kv = static_cast<double>(d.kv_heads * d.head_dim);
  const double largest = std::max({t * ctx * h, t * h * ff, t * h * vocab,  // MACs
                                   d.heads * t * ctx * std::max<double>(act, kSoftmaxOps),
                                   t * std::max(ff, vocab) * std::max<double>(act, kSiluOps),
                                   2 * t * h * std::max<double>(act, kRmsNormOps), vocab * h * w,
                                   h * std::max(h, ff) * w, d.cached * kv * act});
  if (largest > 0x1p50 || largest * c.layers * 18 > 0x1p62) {
    return error(
        "seq, hidden, heads, ffn and vocab give ops above 2^50 MACs or bytes "
        "(absurd sizes)");
  }
  return Status::Ok();
}

namespace {

// Llama 2 (Touvron et al., 2023, Table 1 and the released configs): 7B has multi-head
// attention, 70B grouped-query attention with 8 K/V heads. The tiny one is for tests.
const std::map<std::string, LlamaConfig>& LlamaPresets() {
  static const std::map<std::string, LlamaConfig> kPresets = [] {
    auto shape = [](int layers, int hidden, int heads, int kv_heads, int ffn) {
      LlamaConfig c;
      c.layers = layers;
      c.hidden = hidden;
      c.heads = heads;
      c.kv_heads = kv_heads;
      c.ffn = ffn;
      return c;
    };
    const LlamaConfig seven_b;
    const LlamaConfig seventy_b = shape(80, 8192, 64, 8, 28672);
    LlamaConfig tiny = shape(2, 256, 4, 2, 688);
    tiny.seq = 128;
    tiny.vocab = 1024;
    std::map<std::string, LlamaConfig> presets = {
        {"llama-7b", seven_b}, {"llama-70b", seventy_b}, {"llama-tiny", tiny}};
    for (const char* base : {"llama-7b", "llama-tiny"}) {
      LlamaConfig decode = presets[base];
      decode.phase = LlamaPhase::kDecode;
      presets[std::string(base) + "-decode"] = decode;
    }
    return presets;
  }();
  return kPresets;
}

// Parses "llama:key=value,…" on top of the LlamaConfig defaults.
StatusOr<LlamaConfig> ParseLlamaName(const std::string& name) {
  LlamaConfig c;
  MCMPART_ASSIGN_OR_RETURN(std::vector<internal::NameField> fields,
                           internal::ParseNameFields(name, "llama:"));
  std::vector<internal::NameField> sizes;
  for (const internal::NameField& f : fields) {
    if (f.first != "phase") {
      sizes.push_back(f);
    } else if (f.second == "prefill" || f.second == "decode") {
      c.phase = f.second == "decode" ? LlamaPhase::kDecode : LlamaPhase::kPrefill;
    } else {
      return internal::NameError(name, "phase must be prefill or decode, got '" + f.second + "'");
    }
  }
  MCMPART_RETURN_IF_ERROR(internal::SetIntFields(name, sizes,
                                                 {{"layers", &c.layers},
                                                  {"hidden", &c.hidden},
                                                  {"heads", &c.heads},
                                                  {"kv_heads", &c.kv_heads},
                                                  {"ffn", &c.ffn},
                                                  {"seq", &c.seq},
                                                  {"vocab", &c.vocab},
                                                  {"dtype_bytes", &c.dtype_bytes}},
                                                 "phase"));
  return c;
}

}  // namespace

std::vector<std::string> LlamaGraphNames() {
  std::vector<std::string> names;
  for (const auto& preset : LlamaPresets()) names.push_back(preset.first);
  names.push_back(
      "llama:layers=L,hidden=H,heads=A,kv_heads=G,ffn=F,seq=S,vocab=V,phase=prefill|decode");
  return names;
}

bool IsLlamaGraphName(const std::string& name) {
  return LlamaPresets().count(name) > 0 || name.rfind("llama:", 0) == 0;
}

StatusOr<Graph> MakeLlamaFromName(const std::string& name, int weight_bytes) {
  LlamaConfig c;
  auto it = LlamaPresets().find(name);
  if (it != LlamaPresets().end()) {
    c = it->second;
  } else if (name.rfind("llama:", 0) == 0) {
    MCMPART_ASSIGN_OR_RETURN(c, ParseLlamaName(name));
  } else {
    return Status::Error("'" + name + "' is not a llama graph name");
  }
  c.weight_bytes = weight_bytes;
  MCMPART_RETURN_IF_ERROR(ValidateLlamaConfig(c, name));
  return MakeLlama(c, name);
}

}  // namespace mcmpart::common
