// GraphSAGE policy network and parameter flattening.
#include "policy/policy_net.h"

namespace mcmpart::policy {

using actors::GraphFeatures;

FeatureTensors ToTensors(const GraphFeatures& f) {
  FeatureTensors t;
  const int64_t n = f.num_nodes;
  t.x = torch::from_blob(const_cast<float*>(f.node.data()), {n, GraphFeatures::kNodeFeatures},
                         torch::kFloat32)
            .clone();
  t.src = torch::from_blob(const_cast<int64_t*>(f.edge_src.data()),
                           {static_cast<int64_t>(f.edge_src.size())}, torch::kInt64)
              .clone();
  t.dst = torch::from_blob(const_cast<int64_t*>(f.edge_dst.data()),
                           {static_cast<int64_t>(f.edge_dst.size())}, torch::kInt64)
              .clone();
  auto ones = torch::ones({static_cast<int64_t>(f.edge_src.size())});
  auto indeg = torch::zeros({n}).index_add(0, t.dst, ones);
  auto outdeg = torch::zeros({n}).index_add(0, t.src, ones);
  t.inv_in = (1.0 / indeg.clamp_min(1.0)).unsqueeze(1);
  t.inv_out = (1.0 / outdeg.clamp_min(1.0)).unsqueeze(1);
  t.hw = torch::from_blob(const_cast<float*>(f.hw.data()), {1, GraphFeatures::kHwFeatures},
                          torch::kFloat32)
             .clone();
  t.order = torch::from_blob(const_cast<int64_t*>(f.topo_order.data()),
                             {static_cast<int64_t>(f.topo_order.size())}, torch::kInt64)
                .clone();
  t.node_graph = torch::zeros({n}, torch::kInt64);
  t.prior = torch::from_blob(const_cast<int64_t*>(f.prior_chip.data()), {n}, torch::kInt64).clone();
  t.unit = torch::from_blob(const_cast<int64_t*>(f.unit.data()), {n}, torch::kInt64).clone();
  t.unit_size = torch::zeros({static_cast<int64_t>(f.num_units), 1})
                    .index_add(0, t.unit, torch::ones({n, 1}));
  t.offsets = {0, n};
  t.num_chips = {f.num_chips};
  return t;
}

FeatureTensors BatchTensors(const std::vector<const FeatureTensors*>& graphs) {
  if (graphs.size() == 1) return *graphs[0];
  FeatureTensors b;
  std::vector<torch::Tensor> x, src, dst, inv_in, inv_out, hw, order, node_graph, prior, unit,
      unit_size;
  int64_t offset = 0, unit_offset = 0;
  b.offsets.push_back(0);
  for (size_t i = 0; i < graphs.size(); ++i) {
    const FeatureTensors& g = *graphs[i];
    const int64_t n = g.x.size(0);
    x.push_back(g.x);
    src.push_back(g.src + offset);
    dst.push_back(g.dst + offset);
    inv_in.push_back(g.inv_in);
    inv_out.push_back(g.inv_out);
    hw.push_back(g.hw);
    order.push_back(g.order + offset);
    prior.push_back(g.prior);
    unit.push_back(g.unit + unit_offset);
    unit_size.push_back(g.unit_size);
    unit_offset += g.unit_size.size(0);
    node_graph.push_back(torch::full({n}, static_cast<int64_t>(i), torch::kInt64));
    offset += n;
    b.offsets.push_back(offset);
    b.num_chips.push_back(g.num_chips.at(0));
  }
  b.x = torch::cat(x);
  b.src = torch::cat(src);
  b.dst = torch::cat(dst);
  b.inv_in = torch::cat(inv_in);
  b.inv_out = torch::cat(inv_out);
  b.hw = torch::cat(hw);
  b.order = torch::cat(order);
  b.node_graph = torch::cat(node_graph);
  b.prior = torch::cat(prior);
  b.unit = torch::cat(unit);
  b.unit_size = torch::cat(unit_size);
  return b;
}

SageLayerImpl::SageLayerImpl(int hidden)
    : self_(register_module("self", torch::nn::Linear(hidden, hidden))),
      pred_(register_module(
          "pred", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)))),
      succ_(register_module(
          "succ", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)))),
      norm_(register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})))) {}

torch::Tensor SageLayerImpl::forward(const torch::Tensor& h, const FeatureTensors& g) {
  auto from_preds = torch::zeros_like(h).index_add(0, g.dst, h.index_select(0, g.src)) * g.inv_in;
  auto from_succs = torch::zeros_like(h).index_add(0, g.src, h.index_select(0, g.dst)) * g.inv_out;
  return norm_(h + torch::relu(self_(h) + pred_(from_preds) + succ_(from_succs)));
}

SegmentAttentionImpl::SegmentAttentionImpl(int hidden, int heads, int segment)
    : segment_(segment),
      attn_(register_module("attn", torch::nn::MultiheadAttention(
                                        torch::nn::MultiheadAttentionOptions(hidden, heads)))),
      ffn_(register_module(
          "ffn", torch::nn::Sequential(torch::nn::Linear(hidden, 2 * hidden), torch::nn::ReLU(),
                                       torch::nn::Linear(2 * hidden, hidden)))),
      norm1_(register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})))),
      norm2_(
          register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})))) {}

torch::Tensor SegmentAttentionImpl::forward(const torch::Tensor& h, const FeatureTensors& g) {
  auto x = h.index_select(0, g.order);
  std::vector<torch::Tensor> outs;
  for (int gi = 0; gi < g.num_graphs(); ++gi) {
    torch::Tensor memory;  // no memory across graphs
    const int64_t end = g.offsets[gi + 1];
    for (int64_t s = g.offsets[gi]; s < end; s += segment_) {
      auto q = x.slice(0, s, std::min<int64_t>(end, s + segment_));
      auto kv = memory.defined() ? torch::cat({memory, q}, 0) : q;
      auto attended = std::get<0>(attn_->forward(q.unsqueeze(1), kv.unsqueeze(1), kv.unsqueeze(1),
                                                 torch::Tensor(), false))
                          .squeeze(1);
      auto y = norm1_(q + attended);
      y = norm2_(y + ffn_->forward(y));
      outs.push_back(y);
      memory = y.detach();
    }
  }
  return torch::zeros_like(h).index_copy(0, g.order, torch::cat(outs, 0));
}

PolicyNetImpl::PolicyNetImpl(const common::PolicyConfig& c)
    : max_chips_(c.max_chips),
      tie_units_(c.tie_units || c.decoder == common::Decoder::kSequential) {
  const int h = c.hidden;
  embed_ = register_module("embed", torch::nn::Linear(GraphFeatures::kNodeFeatures, h));
  hw_embed_ = register_module("hw_embed", torch::nn::Linear(GraphFeatures::kHwFeatures, h));
  for (int i = 0; i < c.sage_layers; ++i) {
    layers_.push_back(register_module("sage" + std::to_string(i), SageLayer(h)));
  }
  for (int i = 0; i < c.attention_layers; ++i) {
    attention_.push_back(register_module("attention" + std::to_string(i),
                                         SegmentAttention(h, c.attention_heads, c.segment)));
  }
  head_ =
      register_module("head", torch::nn::Sequential(torch::nn::Linear(2 * h, h), torch::nn::ReLU(),
                                                    torch::nn::Linear(h, c.max_chips)));
  value_ =
      register_module("value", torch::nn::Sequential(torch::nn::Linear(2 * h, h), torch::nn::ReLU(),
                                                     torch::nn::Linear(h, 1)));
  prior_scale_ = register_parameter("prior_scale", torch::full({1}, c.prior_init));
  state_head_ =
      register_module("state_head", torch::nn::Linear(2 * h, actors::Sequencer::kStateFeatures));
  // Start near the uniform policy: small final-layer weights.
  torch::NoGradGuard no_grad;
  for (torch::nn::LinearImpl* last : {head_[2]->as<torch::nn::Linear>(), state_head_.get()}) {
    last->weight.mul_(0.01);
    last->bias.zero_();
  }
  // Weight 1 on the open log-odds: the sequential decoder starts uniform over in-order splits
  // rather than stay-or-open with equal odds at every step (which opens every chip early).
  state_head_->bias[actors::Sequencer::kOpenLogOddsFeature] = 1.0;
}

void PolicyNetImpl::Soften(double t) {
  torch::NoGradGuard no_grad;
  auto* logits = head_[2]->as<torch::nn::Linear>();
  for (torch::nn::LinearImpl* last : {logits, state_head_.get()}) {
    last->weight.div_(t);
    last->bias.div_(t);
  }
  prior_scale_.div_(t);
}

PolicyOutput PolicyNetImpl::forward(const FeatureTensors& g) {
  auto hw = torch::relu(hw_embed_(g.hw));  // [G, h]
  auto h = torch::relu(embed_(g.x));
  for (auto& layer : layers_) h = layer(h, g);
  for (auto& layer : attention_) h = layer(h, g);
  auto cond = torch::cat({h, hw.index_select(0, g.node_graph)}, 1);
  auto logits =
      head_->forward(cond) + prior_scale_ * torch::one_hot(g.prior, max_chips_).to(torch::kFloat32);
  // Chips at or above each graph's K get -1e9: probability exactly 0 after the softmax.
  auto mask = torch::zeros({g.num_graphs(), max_chips_});
  for (int gi = 0; gi < g.num_graphs(); ++gi) {
    if (g.num_chips[gi] < max_chips_) mask[gi].slice(0, g.num_chips[gi], max_chips_).fill_(-1e9);
  }
  logits = logits + mask.index_select(0, g.node_graph);
  auto theta = state_head_(cond);
  if (tie_units_ && g.unit_size.size(0) < logits.size(0)) {
    auto unit_mean = [&](const torch::Tensor& t) {
      return (torch::zeros({g.unit_size.size(0), t.size(1)}).index_add(0, g.unit, t) / g.unit_size)
          .index_select(0, g.unit);
    };
    logits = unit_mean(logits);
    theta = unit_mean(theta);
  }
  auto counts = torch::tensor(g.offsets, torch::kInt64).diff().to(torch::kFloat32).unsqueeze(1);
  auto pooled = torch::zeros({g.num_graphs(), h.size(1)}).index_add(0, g.node_graph, h) / counts;
  PolicyOutput out;
  out.log_probs = torch::log_softmax(logits, 1);
  out.theta = theta;
  out.value = value_->forward(torch::cat({pooled, hw}, 1)).squeeze(1);
  return out;
}

std::vector<float> FlattenParameters(PolicyNet& net) {
  torch::NoGradGuard no_grad;
  std::vector<float> flat;
  for (const auto& p : net->parameters()) {
    auto c = p.detach().contiguous().view(-1);
    flat.insert(flat.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return flat;
}

common::Status LoadFlatParameters(PolicyNet& net, const std::vector<float>& flat) {
  torch::NoGradGuard no_grad;
  size_t total = 0;
  for (const auto& p : net->parameters()) total += static_cast<size_t>(p.numel());
  if (total != flat.size()) {
    return common::Status::Error("weights have " + std::to_string(flat.size()) +
                                 " values but the policy has " + std::to_string(total));
  }
  size_t offset = 0;
  for (auto& p : net->parameters()) {
    auto src =
        torch::from_blob(const_cast<float*>(flat.data() + offset), p.sizes(), torch::kFloat32);
    p.copy_(src);
    offset += static_cast<size_t>(p.numel());
  }
  return common::Status::Ok();
}

}  // namespace mcmpart::policy
