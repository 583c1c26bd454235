// Seeded synthetic graph families for pre-training the policy on many graph shapes (SPEC §6).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common {

/// Families, after the architectures the paper's pre-training corpus spans (Xie et al., 2022):
/// `chain` (VGG-like conv stack, Simonyan & Zisserman 2015), `residual` (ResNet basic blocks,
/// He et al. 2016), `inception` (parallel conv branches joined by Concat, Szegedy et al. 2015),
/// `encdec` (Transformer encoder–decoder with cross-attention, Vaswani et al. 2017).
enum class SyntheticFamily { kChain, kResidual, kInception, kEncDec };

/// Names accepted in "synth:<family>:…": "chain", "residual", "inception", "encdec".
std::vector<std::string> SyntheticFamilyNames();

struct SyntheticConfig {
  SyntheticFamily family = SyntheticFamily::kChain;
  uint64_t seed = 1;
  int nodes = 100;  ///< blocks are added until the graph has at least this many nodes
  int dtype_bytes = 1;
  int weight_bytes = 0;  ///< bytes per parameter; 0 = dtype_bytes
};

/// Builds one graph. Same config ⇒ same graph; widths, kernels, strides, branch counts and
/// layer sizes are drawn from the seed. Work and bytes follow the same conventions as MakeBert
/// (conv by im2col, bias/activation on the vector unit). Finalized.
Graph MakeSynthetic(const SyntheticConfig& config, const std::string& name);

/// Parses "synth:<family>[:key=value,…]" with keys seed and nodes (and dtype_bytes), e.g.
/// "synth:chain:seed=3,nodes=120"; `weight_bytes` > 0 sets the bytes per parameter. Error names
/// the bad family, key or value.
StatusOr<Graph> MakeSyntheticFromName(const std::string& name, int weight_bytes = 0);

}  // namespace mcmpart::common
