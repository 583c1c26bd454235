// Tests for the Llama generator: published parameter counts, closed-form MACs and bytes,
// structure per layer, the decode KV cache, names and their errors, and weight precision.
#include "common/llama.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/bert.h"
#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

// Totals of a Llama model written from the architecture (Touvron et al., 2023), layer by
// layer, independently of the generator.
struct Totals {
  int64_t macs = 0;
  int64_t weight_bytes = 0;  // parameters at `w` bytes each plus the decode KV cache
};

Totals ClosedForm(const LlamaConfig& c) {
  const int64_t h = c.hidden, a = c.heads, g = c.kv_heads > 0 ? c.kv_heads : c.heads;
  const int64_t dh = h / a, ff = c.ffn, vocab = c.vocab;
  const bool decode = c.phase == LlamaPhase::kDecode;
  const int64_t t = decode ? 1 : c.seq;            // query tokens
  const int64_t ctx = decode ? c.seq + 1 : c.seq;  // keys each query attends to
  const int64_t cached = decode ? c.seq : 0;       // tokens whose K and V are cached
  const int64_t w = c.weight_bytes > 0 ? c.weight_bytes : c.dtype_bytes;
  // Parameters per layer: Q and O are h×h, K and V h×(g·dh); SwiGLU's gate and up h×ff and
  // down ff×h; two RMSNorm gains of h.
  const int64_t matrices = 2 * h * h + 2 * h * g * dh + 3 * h * ff;
  const int64_t layer_params = matrices + 2 * h;
  // MACs per layer: every weight matrix once per query token, then QK^T and PV per query head.
  const int64_t layer_macs = t * matrices + 2 * a * t * ctx * dh;
  // The KV cache of a layer: K and V of every cached token, at the activation dtype.
  const int64_t layer_cache = 2 * cached * g * dh * c.dtype_bytes;
  Totals total;
  total.macs = c.layers * layer_macs + t * h * vocab;  // + the LM head
  // + the token embedding and the LM head (untied, vocab×h each) and the final RMSNorm
  total.weight_bytes = c.layers * (layer_params * w + layer_cache) + (2 * vocab * h + h) * w;
  return total;
}

LlamaConfig MakeConfig(int layers, int hidden, int heads, int kv_heads, int ffn, int seq,
                       LlamaPhase phase) {
  LlamaConfig c;
  c.layers = layers;
  c.hidden = hidden;
  c.heads = heads;
  c.kv_heads = kv_heads;
  c.ffn = ffn;
  c.seq = seq;
  c.vocab = 1000;
  c.phase = phase;
  return c;
}

Graph BuiltinOrDie(const std::string& name, int weight_bytes = 0) {
  StatusOr<Graph> g = MakeBuiltinGraph(name, weight_bytes);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(g).value() : Graph();
}

const Node* Find(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

TEST(Llama, SevenBAndSeventyBHaveTheirPublishedParameterCounts) {
  // Llama-2-7b and Llama-2-70b as released: 6,738,415,616 and 68,976,648,192 parameters.
  Graph seven = BuiltinOrDie("llama-7b");
  EXPECT_EQ(seven.TotalWeightBytes(), 2 * int64_t{6738415616});  // fp16
  EXPECT_EQ(seven.weight_bytes_per_element, 2);
  EXPECT_EQ(seven.num_nodes(), 18 * 32 + 4);
  Graph seventy = BuiltinOrDie("llama-70b", 1);
  EXPECT_EQ(seventy.TotalWeightBytes(), int64_t{68976648192});  // int8
  EXPECT_EQ(seventy.num_nodes(), 18 * 80 + 4);
  // Decode adds the KV cache: 2 · 2048 tokens · 4096 · 2 bytes per layer (7B has no GQA).
  Graph decode = BuiltinOrDie("llama-7b-decode");
  EXPECT_EQ(decode.TotalWeightBytes(), seven.TotalWeightBytes() + 32 * 2 * 2048 * 4096 * 2);
  EXPECT_EQ(decode.num_nodes(), seven.num_nodes());
}

TEST(Llama, MacsAndWeightBytesMatchTheClosedForm) {
  std::vector<LlamaConfig> configs = {
      MakeConfig(2, 256, 4, 0, 688, 128, LlamaPhase::kPrefill),  // multi-head attention
      MakeConfig(3, 512, 8, 2, 1376, 96, LlamaPhase::kPrefill),  // GQA, 4 query heads per K/V head
      MakeConfig(3, 512, 8, 2, 1376, 96, LlamaPhase::kDecode),
      MakeConfig(1, 384, 6, 6, 1000, 200, LlamaPhase::kDecode),
      MakeConfig(2, 256, 8, 1, 700, 50, LlamaPhase::kDecode),  // multi-query attention
  };
  configs.push_back(configs[1]);
  configs.back().weight_bytes = 1;  // int8 weights, fp16 activations and KV cache
  configs.push_back(configs[2]);
  configs.back().dtype_bytes = 4;
  for (const LlamaConfig& c : configs) {
    const std::string what = "layers " + std::to_string(c.layers) + ", kv_heads " +
                             std::to_string(c.kv_heads) +
                             (c.phase == LlamaPhase::kDecode ? ", decode" : ", prefill");
    ASSERT_TRUE(ValidateLlamaConfig(c, "t").ok()) << what;
    Graph g = MakeLlama(c, "t");
    const Totals want = ClosedForm(c);
    EXPECT_EQ(g.TotalMacs(), want.macs) << what;
    EXPECT_EQ(g.TotalWeightBytes(), want.weight_bytes) << what;
  }
}

TEST(Llama, EveryLayerHasEighteenOpsAndTheGraphIsADag) {
  for (int layers : {1, 2, 5}) {
    for (LlamaPhase phase : {LlamaPhase::kPrefill, LlamaPhase::kDecode}) {
      Graph g = MakeLlama(MakeConfig(layers, 256, 4, 2, 688, 64, phase), "t");
      ASSERT_TRUE(g.finalized());
      EXPECT_EQ(g.num_nodes(), 18 * layers + 4);
      std::vector<int> per_layer(layers, 0);
      for (const Node& n : g.nodes) {
        for (int l = 0; l < layers; ++l) {
          per_layer[l] += n.name.rfind("layer" + std::to_string(l) + ".", 0) == 0;
        }
      }
      for (int l = 0; l < layers; ++l) EXPECT_EQ(per_layer[l], 18) << "layer " << l;
      ASSERT_EQ(static_cast<int>(g.topo_order().size()), g.num_nodes());
      for (const Edge& e : g.edges) EXPECT_LT(g.topo_rank()[e.src], g.topo_rank()[e.dst]);
      // One input and one output: the graph is a single connected stack.
      int sources = 0, sinks = 0;
      for (int v = 0; v < g.num_nodes(); ++v) {
        sources += g.preds()[v].empty();
        sinks += g.succs()[v].empty();
      }
      EXPECT_EQ(sources, 1);
      EXPECT_EQ(sinks, 1);
    }
  }
}

TEST(Llama, PrefillIsCausalSeqBySeqAndDecodeReadsTheKvCache) {
  const LlamaConfig pre = MakeConfig(2, 512, 8, 2, 1376, 96, LlamaPhase::kPrefill);
  Graph prefill = MakeLlama(pre, "p");
  const Node* scores = Find(prefill, "layer1.attention.scores");
  ASSERT_NE(scores, nullptr);
  EXPECT_EQ(scores->gemm.batch, 8);
  EXPECT_EQ(scores->gemm.m, 96);
  EXPECT_EQ(scores->gemm.k, 64);
  EXPECT_EQ(scores->gemm.n, 96);
  EXPECT_EQ(scores->weight_bytes, 0);
  EXPECT_EQ(Find(prefill, "layer1.attention.softmax")->shape, (std::vector<int64_t>{8, 96, 96}));
  // GQA: K and V projections are hidden × (kv_heads · head size).
  EXPECT_EQ(Find(prefill, "layer1.attention.k_proj")->gemm.n, 2 * 64);
  EXPECT_EQ(Find(prefill, "layer1.attention.v_proj")->weight_bytes, 512 * 128 * 2);

  LlamaConfig dec = pre;
  dec.phase = LlamaPhase::kDecode;
  Graph decode = MakeLlama(dec, "d");
  for (int l = 0; l < 2; ++l) {
    const std::string p = "layer" + std::to_string(l) + ".attention.";
    const Node* s = Find(decode, p + "scores");
    const Node* ctx = Find(decode, p + "context");
    ASSERT_NE(s, nullptr);
    ASSERT_NE(ctx, nullptr);
    // One query token against the 96 cached tokens and itself.
    EXPECT_EQ(s->gemm.m, 1);
    EXPECT_EQ(s->gemm.n, 97);
    EXPECT_EQ(ctx->gemm.k, 97);
    // The layer's cache, 2 · seq · kv_heads · head size · dtype bytes, split K | V.
    EXPECT_EQ(s->weight_bytes + ctx->weight_bytes, 2 * 96 * 2 * 64 * 2);
    EXPECT_EQ(s->weight_bytes, ctx->weight_bytes);
  }
  EXPECT_EQ(Find(decode, "lm_head")->gemm.m, 1);
}

TEST(Llama, NamesBuildTheirConfigs) {
  LlamaConfig c = MakeConfig(2, 256, 4, 2, 512, 64, LlamaPhase::kDecode);
  c.vocab = 500;
  Graph named = BuiltinOrDie(
      "llama:layers=2,hidden=256,heads=4,kv_heads=2,ffn=512,seq=64,vocab=500,phase=decode");
  Graph direct = MakeLlama(
      c, "llama:layers=2,hidden=256,heads=4,kv_heads=2,ffn=512,seq=64,vocab=500,phase=decode");
  EXPECT_EQ(WriteGraphJsonString(named), WriteGraphJsonString(direct));
  // Every field is optional: the defaults are Llama-2-7B's prefill.
  Graph defaults = BuiltinOrDie("llama:");
  Graph seven = BuiltinOrDie("llama-7b");
  EXPECT_EQ(defaults.TotalMacs(), seven.TotalMacs());
  EXPECT_EQ(defaults.TotalWeightBytes(), seven.TotalWeightBytes());
  EXPECT_EQ(BuiltinOrDie("llama:layers=3,phase=prefill").num_nodes(), 18 * 3 + 4);
  for (const std::string& name : LlamaGraphNames()) {
    if (name.find('=') == std::string::npos) {
      EXPECT_TRUE(MakeBuiltinGraph(name).ok()) << name;
    }
  }
  bool listed = false;
  for (const std::string& name : BuiltinGraphNames()) listed |= name == "llama-tiny";
  EXPECT_TRUE(listed);
}

TEST(Llama, BadNamesNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"llama:hidden=250,heads=4", "hidden must be a multiple of heads"},
      {"llama:heads=8,kv_heads=3", "heads must be a multiple of kv_heads"},
      {"llama:heads=4,kv_heads=8", "kv_heads must be in 1..heads"},
      {"llama:hidden=12,heads=4", "head size) must be even"},
      {"llama:phase=train", "phase must be prefill or decode, got 'train'"},
      {"llama:layers=0", "'layers' must be in 1..1048576"},
      {"llama:layers=2000", "layers must be at most 1024"},
      {"llama:seq=x", "'seq' needs an integer, got 'x'"},
      {"llama:dtype_bytes=16", "dtype_bytes must be in 1..8"},
      {"llama:layers", "field 'layers' is not key=value"},
      {"llama:depth=3",
       "unknown field 'depth' (expected layers, hidden, heads, kv_heads, ffn, "
       "seq, vocab, dtype_bytes, phase)"},
      {"llama:seq=1048576,hidden=8192,heads=64", "2^50"},
      {"llama-13b", "unknown built-in graph 'llama-13b'"},
  };
  for (const auto& [name, needle] : cases) {
    StatusOr<Graph> g = MakeBuiltinGraph(name);
    ASSERT_FALSE(g.ok()) << name;
    EXPECT_NE(g.status().message().find(needle), std::string::npos) << g.status().message();
    if (name.rfind("llama:", 0) == 0) {
      EXPECT_NE(g.status().message().find("built-in graph '" + name + "'"), std::string::npos)
          << g.status().message();
    }
  }
}

TEST(Llama, WeightBytesSetsTheWeightPrecisionOnly) {
  Graph fp16 = BuiltinOrDie("llama-tiny-decode");
  Graph int8 = BuiltinOrDie("llama-tiny-decode", 1);
  Graph fp32 = BuiltinOrDie("llama-tiny-decode", 4);
  EXPECT_EQ(fp16.weight_bytes_per_element, 2);
  EXPECT_EQ(int8.weight_bytes_per_element, 1);
  EXPECT_EQ(fp32.weight_bytes_per_element, 4);
  ASSERT_EQ(int8.num_nodes(), fp16.num_nodes());
  for (int v = 0; v < fp16.num_nodes(); ++v) {
    const Node &a = fp16.nodes[v], &b = int8.nodes[v], &c = fp32.nodes[v];
    EXPECT_EQ(a.output_bytes, b.output_bytes) << a.name;  // activations stay fp16
    if (a.name.find("attention.scores") != std::string::npos ||
        a.name.find("attention.context") != std::string::npos) {
      EXPECT_EQ(a.weight_bytes, b.weight_bytes) << a.name;  // the KV cache is activations
      EXPECT_GT(a.weight_bytes, 0) << a.name;
    } else {
      EXPECT_EQ(a.weight_bytes, 2 * b.weight_bytes) << a.name;
      EXPECT_EQ(c.weight_bytes, 2 * a.weight_bytes) << a.name;
    }
  }
  // BERT and the synthetic families take it too; their activations keep their dtype.
  Graph bert = BuiltinOrDie("bert-tiny");
  Graph bert_fp32 = BuiltinOrDie("bert-tiny", 4);
  EXPECT_EQ(bert.weight_bytes_per_element, 1);
  EXPECT_EQ(bert_fp32.TotalWeightBytes(), 4 * bert.TotalWeightBytes());
  EXPECT_EQ(bert_fp32.nodes.back().output_bytes, bert.nodes.back().output_bytes);
  Graph synth = BuiltinOrDie("synth:encdec:seed=2,nodes=60");
  Graph synth_fp16 = BuiltinOrDie("synth:encdec:seed=2,nodes=60", 2);
  EXPECT_EQ(synth_fp16.TotalWeightBytes(), 2 * synth.TotalWeightBytes());
  EXPECT_EQ(synth_fp16.weight_bytes_per_element, 2);
  // A saved graph says what it assumed.
  StatusOr<Graph> back = ParseGraphJson(WriteGraphJsonString(int8), "int8.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->weight_bytes_per_element, 1);
  EXPECT_EQ(WriteGraphJsonString(*back), WriteGraphJsonString(int8));
}

}  // namespace
}  // namespace mcmpart::common
