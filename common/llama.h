// Built-in graph generator: decoder-only Llama-style language models (Touvron et al., 2023,
// "Llama 2"), prefill or one decode step, at operator granularity.
#pragma once

#include <string>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

/// Which pass of autoregressive inference the graph is.
enum class LlamaPhase {
  kPrefill,  ///< the prompt: `seq` tokens at once, causal attention over them
  kDecode,   ///< one new token attending to a KV cache of `seq` past tokens and itself
};

/// Shape of a decoder-only Llama model. Defaults are Llama-2-7B (32 layers, hidden 4096, 32
/// heads, SwiGLU width 11008, vocabulary 32000) on a 2048-token prompt, batch 1, fp16.
/// Per layer: RMSNorm (Zhang & Sennrich, 2019) before attention and before the FFN, rotary
/// position embedding on Q and K (Su et al., 2021), grouped-query attention with `kv_heads`
/// K/V heads (Ainslie et al., 2023) and a SwiGLU FFN (Shazeer, 2020); no biases.
struct LlamaConfig {
  int layers = 32;
  int hidden = 4096;
  int heads = 32;
  int kv_heads = 0;  ///< K/V heads, dividing `heads`; 0 = heads (multi-head attention)
  int ffn = 11008;   ///< SwiGLU width (gate and up projections)
  int seq = 2048;    ///< prefill: prompt tokens; decode: tokens already in the KV cache
  int vocab = 32000;
  LlamaPhase phase = LlamaPhase::kPrefill;
  int dtype_bytes = 2;   ///< bytes per activation and KV-cache element (2 = fp16)
  int weight_bytes = 0;  ///< bytes per parameter; 0 = dtype_bytes
};

/// The K/V heads `config` means (kv_heads, or heads when 0).
int LlamaKvHeads(const LlamaConfig& config);

/// Checks `config`: every size positive, at most 1024 layers, dtype_bytes in 1..8, weight_bytes
/// 0, 1, 2, 4 or 8, hidden a multiple of heads with an even head size (RoPE
/// rotates pairs), heads a multiple of kv_heads, and every op below Graph::Finalize's 2^50
/// bound. The error, prefixed "built-in graph '<name>'", names the field.
Status ValidateLlamaConfig(const LlamaConfig& config, const std::string& name);

/// Builds the graph of a valid config (ValidateLlamaConfig): token embedding, per layer 18 ops
/// (RMSNorm, Q/K/V projections, RoPE on Q and K, attention scores, softmax, context, output
/// projection, residual add, RMSNorm, gate and up projections, SiLU, gate·up, down
/// projection, residual add), final RMSNorm and LM head over every processed token: 18 ×
/// layers + 4 nodes. In decode the KV cache is resident in SRAM: each layer's K cache
/// (seq · kv_heads · head size · dtype_bytes) counts in the scores op's `weight_bytes` and its
/// V cache in the context op's, next to the matmul that reads it. Finalized.
Graph MakeLlama(const LlamaConfig& config, const std::string& name = "llama");

/// The llama names MakeBuiltinGraph accepts: presets and the key=value form.
std::vector<std::string> LlamaGraphNames();
/// Whether `name` is a llama preset or starts with "llama:".
bool IsLlamaGraphName(const std::string& name);
/// Builds a preset ("llama-7b", "llama-7b-decode", "llama-70b", "llama-tiny",
/// "llama-tiny-decode") or "llama:layers=L,hidden=H,heads=A,kv_heads=G,ffn=F,seq=S,vocab=V,
/// dtype_bytes=B,phase=prefill|decode" (every field optional, defaults of LlamaConfig).
/// `weight_bytes` > 0 sets the bytes per parameter. Error names the graph and the field.
StatusOr<Graph> MakeLlamaFromName(const std::string& name, int weight_bytes = 0);

}  // namespace mcmpart::common
