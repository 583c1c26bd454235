// Policy inference: one forward pass per batch, sampling with the run's seeded RNG.
#include "policy/policy.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "policy/decoder.h"
#include "policy/policy_net.h"

namespace mcmpart::policy {

struct Policy::Impl {
  PolicyNet net{nullptr};
  bool tie_units = false;
  bool sequential = false;
  std::vector<FeatureTensors> graphs;
  std::vector<std::vector<int64_t>> units;  ///< per graph; empty when units are not tied
  std::vector<std::unique_ptr<actors::UnitSchedule>> schedules;  ///< per graph (sequential)
};

Policy::Policy(const common::PolicyConfig& config, uint64_t seed) : impl_(new Impl) {
  torch::set_num_threads(1);  // one rank per core: intra-op threads would oversubscribe
  torch::manual_seed(seed);
  impl_->net = PolicyNet(config);
  impl_->tie_units = config.tie_units;
  impl_->sequential = config.decoder == common::Decoder::kSequential;
  impl_->net->eval();
}

Policy::~Policy() = default;

void Policy::Soften(double t) { impl_->net->Soften(t); }

size_t Policy::num_parameters() const { return FlattenParameters(impl_->net).size(); }

std::vector<float> Policy::FlatWeights() const { return FlattenParameters(impl_->net); }

common::Status Policy::SetFlatWeights(const std::vector<float>& flat) {
  return LoadFlatParameters(impl_->net, flat);
}

int Policy::AddGraph(const actors::GraphFeatures& features) {
  impl_->graphs.push_back(ToTensors(features));
  impl_->units.push_back(impl_->tie_units ? features.unit : std::vector<int64_t>{});
  impl_->schedules.push_back(
      impl_->sequential ? std::make_unique<actors::UnitSchedule>(features.schedule) : nullptr);
  return static_cast<int>(impl_->graphs.size()) - 1;
}

std::vector<float> PolicySample::NodeLogProbs(const common::Partition& p) const {
  if (schedule != nullptr) {
    return SequentialLogProbs(*schedule, {log_prob_table.data(), max_chips, theta_table.data()}, p);
  }
  std::vector<float> out(p.size());
  for (size_t v = 0; v < p.size(); ++v) out[v] = log_prob_table[v * max_chips + p[v]];
  return out;
}

std::vector<double> PolicySample::RepairWeights(int i) const {
  const std::vector<float>& lp = logp.at(i);
  std::vector<double> out(lp.size());
  for (size_t v = 0; v < lp.size(); ++v) out[v] = std::exp(lp[v]);
  return out;
}

PolicySample Policy::Sample(int graph, int n, common::Rng& rng, bool greedy) {
  return std::move(SampleMany({graph}, n, rng, greedy).front());
}

namespace {

// Draws n partitions node by node from a [nodes × k] log-probability table; with `unit`
// non-empty, one draw per unit (its nodes share one row of probabilities).
void DrawSamples(PolicySample& s, int nodes, int n, const std::vector<int64_t>& unit,
                 common::Rng& rng, bool greedy) {
  const int k = s.max_chips;
  std::vector<double> cdf(k);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<int> unit_chip(unit.empty() ? 0 : nodes);
  for (int i = 0; i < n; ++i) {
    common::Partition p(nodes);
    std::vector<float> logp(nodes);
    std::fill(unit_chip.begin(), unit_chip.end(), -1);
    for (int v = 0; v < nodes; ++v) {
      const float* row = &s.log_prob_table[static_cast<size_t>(v) * k];
      int chip = 0;
      if (!unit.empty() && unit_chip[unit[v]] >= 0) {
        chip = unit_chip[unit[v]];
      } else if (greedy) {
        for (int c = 1; c < k; ++c) {
          if (row[c] > row[chip]) chip = c;
        }
      } else {
        double acc = 0;
        for (int c = 0; c < k; ++c) cdf[c] = (acc += std::exp(static_cast<double>(row[c])));
        const double u = uni(rng) * acc;
        while (chip < k - 1 && cdf[chip] <= u) ++chip;
      }
      if (!unit.empty()) unit_chip[unit[v]] = chip;
      p[v] = chip;
      logp[v] = row[chip];
    }
    s.proposals.push_back(std::move(p));
    s.logp.push_back(std::move(logp));
  }
}

void DecodeSamples(PolicySample& s, int n, common::Rng& rng, bool greedy) {
  const DecoderTables tables{s.log_prob_table.data(), s.max_chips, s.theta_table.data()};
  for (int i = 0; i < n; ++i) {
    Decoded d = DecodeSequential(*s.schedule, tables, rng, greedy);
    s.proposals.push_back(std::move(d.partition));
    s.logp.push_back(std::move(d.logp));
  }
}

}  // namespace

std::vector<PolicySample> Policy::SampleMany(const std::vector<int>& graphs, int n,
                                             common::Rng& rng, bool greedy) {
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  std::vector<int> distinct;
  for (int g : graphs) {
    if (std::find(distinct.begin(), distinct.end(), g) == distinct.end()) distinct.push_back(g);
  }
  std::vector<const FeatureTensors*> parts;
  for (int g : distinct) parts.push_back(&impl_->graphs.at(g));
  const FeatureTensors joint = BatchTensors(parts);
  PolicyOutput out = impl_->net->forward(joint);
  auto lp = out.log_probs.contiguous();
  auto th = out.theta.contiguous();
  const float* table = lp.data_ptr<float>();
  const float* theta = th.data_ptr<float>();
  constexpr int kF = actors::Sequencer::kStateFeatures;
  const int k = impl_->net->max_chips();
  std::vector<PolicySample> samples;
  for (int g : graphs) {
    const size_t slot = std::find(distinct.begin(), distinct.end(), g) - distinct.begin();
    PolicySample s;
    s.max_chips = k;
    s.log_prob_table.assign(table + joint.offsets[slot] * k, table + joint.offsets[slot + 1] * k);
    s.value = out.value[static_cast<int64_t>(slot)].item<float>();
    s.schedule = impl_->schedules[g].get();
    const auto decode_start = std::chrono::steady_clock::now();
    if (s.schedule != nullptr) {
      s.theta_table.assign(theta + joint.offsets[slot] * kF, theta + joint.offsets[slot + 1] * kF);
      DecodeSamples(s, n, rng, greedy);
    } else {
      DrawSamples(s, static_cast<int>(joint.offsets[slot + 1] - joint.offsets[slot]), n,
                  impl_->units[g], rng, greedy);
    }
    s.decode_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - decode_start)
            .count();
    samples.push_back(std::move(s));
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (PolicySample& s : samples) s.inference_ms = ms / samples.size();
  return samples;
}

}  // namespace mcmpart::policy
