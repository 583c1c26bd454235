// The policy network (LibTorch): GraphSAGE layers over the graph, per-node chip logits
// masked to K, and a value head on the pooled graph embedding (SPEC §6). Internal to
// mcmpart_policy: the only header that includes LibTorch.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "actors/features.h"
#include "common/config.h"
#include "common/status.h"

namespace mcmpart::policy {

/// Features of one graph, or of a batch of G graphs as one disjoint union, as tensors with
/// the mean-aggregation normalisers precomputed.
struct FeatureTensors {
  torch::Tensor x;           ///< [N, F]
  torch::Tensor src;         ///< [E] int64
  torch::Tensor dst;         ///< [E] int64
  torch::Tensor inv_in;      ///< [N, 1] 1 / max(1, in-degree)
  torch::Tensor inv_out;     ///< [N, 1] 1 / max(1, out-degree)
  torch::Tensor hw;          ///< [G, H]
  torch::Tensor order;       ///< [N] int64: each graph's topological order, graph after graph
  torch::Tensor node_graph;  ///< [N] int64: graph of each node
  torch::Tensor prior;       ///< [N] int64: chip of each node in GreedyPipeline over all K chips
  torch::Tensor unit;        ///< [N] int64: placement unit of each node, unit ids graph after graph
  torch::Tensor unit_size;   ///< [U, 1] nodes per unit
  std::vector<int64_t> offsets;  ///< G + 1 node offsets
  std::vector<int> num_chips;    ///< K per graph
  int num_graphs() const { return static_cast<int>(num_chips.size()); }
};
FeatureTensors ToTensors(const actors::GraphFeatures& f);
/// Disjoint union of graphs, for one batched forward pass.
FeatureTensors BatchTensors(const std::vector<const FeatureTensors*>& graphs);

/// GraphSAGE layer (Hamilton et al., NeurIPS 2017) with separate mean aggregators over
/// predecessors and successors, residual connection and LayerNorm.
class SageLayerImpl : public torch::nn::Module {
 public:
  explicit SageLayerImpl(int hidden);
  torch::Tensor forward(const torch::Tensor& h, const FeatureTensors& g);

 private:
  torch::nn::Linear self_{nullptr}, pred_{nullptr}, succ_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(SageLayer);

/// Attention over the nodes in topological order, split into segments; each segment attends
/// to itself and to the previous segment's outputs held as memory without gradient
/// (segment-level recurrence of Transformer-XL, Dai et al., ACL 2019). Cost is linear in the
/// number of nodes, so graphs of thousands of nodes fit on a CPU.
class SegmentAttentionImpl : public torch::nn::Module {
 public:
  SegmentAttentionImpl(int hidden, int heads, int segment);
  /// Attends within each graph of the batch separately.
  torch::Tensor forward(const torch::Tensor& h, const FeatureTensors& g);

 private:
  int segment_;
  torch::nn::MultiheadAttention attn_{nullptr};
  torch::nn::Sequential ffn_{nullptr};
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(SegmentAttention);

struct PolicyOutput {
  torch::Tensor log_probs;  ///< [N, K_max] log-softmax with chips ≥ K of the node's graph masked
  torch::Tensor theta;      ///< [N, kStateFeatures] weights of the sequential decoder's features
  torch::Tensor value;      ///< [G] predicted normalised reward per graph
};

/// GNN policy in the style of GDP (Zhou et al., 2019) as used by Xie et al. (MLSys 2022):
/// node embedding → GraphSAGE × L → segment-recurrent attention in topological order →
/// per-node logits conditioned on hardware features, plus a learned multiple (initially
/// --prior-init, default 2) of a one-hot "balanced contiguous split" prior; value head on the
/// pooled embedding. With tie_units or the sequential decoder, the nodes of a placement unit get
/// their unit's mean logits (one decision). A second head gives each unit its weights `theta`
/// on the sequential decoder's state features (policy/decoder.h), initially near 0.
class PolicyNetImpl : public torch::nn::Module {
 public:
  explicit PolicyNetImpl(const common::PolicyConfig& config);
  PolicyOutput forward(const FeatureTensors& g);
  int max_chips() const { return max_chips_; }
  /// Divides the chip logits (head and prior weight) and the state-feature weights by `t`:
  /// every decoding step then draws from softmax(z / t) (t > 1: flatter).
  void Soften(double t);

 private:
  int max_chips_;
  bool tie_units_;  ///< unit-mean logits: tie_units or the sequential decoder
  torch::nn::Linear embed_{nullptr}, hw_embed_{nullptr};
  std::vector<SageLayer> layers_;
  std::vector<SegmentAttention> attention_;
  torch::nn::Sequential head_{nullptr}, value_{nullptr};
  torch::nn::Linear state_head_{nullptr};
  torch::Tensor prior_scale_;  ///< learned weight of the prior logit, starts at --prior-init
};
TORCH_MODULE(PolicyNet);

/// All parameters concatenated into one buffer (the weights broadcast).
std::vector<float> FlattenParameters(PolicyNet& net);
/// Inverse of FlattenParameters; error on a size mismatch.
common::Status LoadFlatParameters(PolicyNet& net, const std::vector<float>& flat);

}  // namespace mcmpart::policy
