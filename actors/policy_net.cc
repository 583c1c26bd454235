// GraphSAGE policy network and parameter flattening.
#include "actors/policy_net.h"

namespace mcmpart::actors {

FeatureTensors ToTensors(const GraphFeatures& f) {
  FeatureTensors t;
  const int64_t n = f.num_nodes;
  t.x = torch::from_blob(const_cast<float*>(f.node.data()), {n, GraphFeatures::kNodeFeatures},
                         torch::kFloat32).clone();
  t.src = torch::from_blob(const_cast<int64_t*>(f.edge_src.data()),
                           {static_cast<int64_t>(f.edge_src.size())}, torch::kInt64).clone();
  t.dst = torch::from_blob(const_cast<int64_t*>(f.edge_dst.data()),
                           {static_cast<int64_t>(f.edge_dst.size())}, torch::kInt64).clone();
  auto ones = torch::ones({static_cast<int64_t>(f.edge_src.size())});
  auto indeg = torch::zeros({n}).index_add(0, t.dst, ones);
  auto outdeg = torch::zeros({n}).index_add(0, t.src, ones);
  t.inv_in = (1.0 / indeg.clamp_min(1.0)).unsqueeze(1);
  t.inv_out = (1.0 / outdeg.clamp_min(1.0)).unsqueeze(1);
  t.hw = torch::from_blob(const_cast<float*>(f.hw.data()), {1, GraphFeatures::kHwFeatures},
                          torch::kFloat32).clone();
  t.num_chips = f.num_chips;
  return t;
}

SageLayerImpl::SageLayerImpl(int hidden)
    : self_(register_module("self", torch::nn::Linear(hidden, hidden))),
      pred_(register_module("pred", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)))),
      succ_(register_module("succ", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)))),
      norm_(register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})))) {}

torch::Tensor SageLayerImpl::forward(const torch::Tensor& h, const FeatureTensors& g) {
  auto from_preds = torch::zeros_like(h).index_add(0, g.dst, h.index_select(0, g.src)) * g.inv_in;
  auto from_succs = torch::zeros_like(h).index_add(0, g.src, h.index_select(0, g.dst)) * g.inv_out;
  return norm_(h + torch::relu(self_(h) + pred_(from_preds) + succ_(from_succs)));
}

PolicyNetImpl::PolicyNetImpl(const common::PolicyConfig& c) : max_chips_(c.max_chips) {
  const int h = c.hidden;
  embed_ = register_module("embed", torch::nn::Linear(GraphFeatures::kNodeFeatures, h));
  hw_embed_ = register_module("hw_embed", torch::nn::Linear(GraphFeatures::kHwFeatures, h));
  for (int i = 0; i < c.sage_layers; ++i) {
    layers_.push_back(register_module("sage" + std::to_string(i), SageLayer(h)));
  }
  head_ = register_module("head", torch::nn::Sequential(torch::nn::Linear(2 * h, h), torch::nn::ReLU(),
                                                        torch::nn::Linear(h, c.max_chips)));
  value_ = register_module("value", torch::nn::Sequential(torch::nn::Linear(2 * h, h), torch::nn::ReLU(),
                                                          torch::nn::Linear(h, 1)));
  // Start near the uniform policy: small final-layer weights.
  torch::NoGradGuard no_grad;
  auto* last = head_[2]->as<torch::nn::Linear>();
  last->weight.mul_(0.01);
  last->bias.zero_();
}

PolicyOutput PolicyNetImpl::forward(const FeatureTensors& g) {
  auto hw = torch::relu(hw_embed_(g.hw));  // [1, h]
  auto h = torch::relu(embed_(g.x));
  for (auto& layer : layers_) h = layer(h, g);
  const int64_t n = h.size(0);
  auto cond = torch::cat({h, hw.expand({n, hw.size(1)})}, 1);
  auto logits = head_->forward(cond);
  if (g.num_chips < max_chips_) {
    auto mask = torch::zeros({max_chips_});
    mask.slice(0, g.num_chips, max_chips_).fill_(-1e9);
    logits = logits + mask;
  }
  PolicyOutput out;
  out.log_probs = torch::log_softmax(logits, 1);
  out.value = value_->forward(torch::cat({h.mean(0, true), hw}, 1)).squeeze();
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
    auto src = torch::from_blob(const_cast<float*>(flat.data() + offset), p.sizes(), torch::kFloat32);
    p.copy_(src);
    offset += static_cast<size_t>(p.numel());
  }
  return common::Status::Ok();
}

}  // namespace mcmpart::actors
