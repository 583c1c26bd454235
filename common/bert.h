// Built-in graph generators: BERT-style transformer encoders (Devlin et al., 2019).
#pragma once

#include <string>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

/// Shape of a BERT-style encoder. Defaults are BERT-base (12 layers, 768 hidden, 12 heads,
/// 128 tokens). Inference of one sample (batch 1); `dtype_bytes` for weights and activations
/// (1 = int8 inference, the common accelerator datatype), `weight_bytes` for the weights alone.
struct BertConfig {
  int layers = 12;
  int hidden = 768;
  int heads = 12;
  int seq_len = 128;
  int intermediate = 0;  ///< FFN width; 0 = 4 × hidden
  int vocab = 30522;
  int max_positions = 512;
  int dtype_bytes = 1;
  int weight_bytes = 0;  ///< bytes per parameter; 0 = dtype_bytes
};

/// Builds the encoder graph: embeddings, then per layer Q/K/V projections, batched attention
/// matmuls, softmax, output projection, residual adds, LayerNorms and the FFN. Finalized.
Graph MakeBert(const BertConfig& config, const std::string& name = "bert");

/// Names accepted by MakeBuiltinGraph.
std::vector<std::string> BuiltinGraphNames();
/// Builds a built-in graph by name ("bert-base", "bert-tiny", …,
/// "bert:layers=4,hidden=256,heads=4,seq=64", the llama and synth: names). `weight_bytes` > 0
/// sets the bytes per parameter (--weight-bytes); 0 keeps the generator's own. Error names the
/// unknown name or field.
StatusOr<Graph> MakeBuiltinGraph(const std::string& name, int weight_bytes = 0);

}  // namespace mcmpart::common
