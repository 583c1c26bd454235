// Sequential decoder: the Sequencer's masks and features with the policy's tables.
#include "policy/decoder.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace mcmpart::policy {

using actors::Sequencer;
constexpr int kF = Sequencer::kStateFeatures;
// Log-probability given to chips the step does not allow (their probability is exactly 0).
constexpr float kMasked = -1e9f;

void StepLogProbs(const DecoderTables& t, int node, int k, const uint8_t* allowed,
                  const float* features, float* out) {
  const float* logit = t.logits + static_cast<size_t>(node) * t.stride;
  const float* theta = t.theta + static_cast<size_t>(node) * kF;
  float top = kMasked;
  for (int c = 0; c < k; ++c) {
    if (!allowed[c]) {
      out[c] = kMasked;
      continue;
    }
    float z = logit[c];
    for (int j = 0; j < kF; ++j) z += theta[j] * features[c * kF + j];
    out[c] = z;
    top = std::max(top, z);
  }
  double sum = 0;
  for (int c = 0; c < k; ++c) {
    if (allowed[c]) sum += std::exp(static_cast<double>(out[c] - top));
  }
  const float log_sum = top + static_cast<float>(std::log(sum));
  for (int c = 0; c < k; ++c) {
    if (allowed[c]) out[c] -= log_sum;
  }
}

namespace {

int Draw(const std::vector<float>& logp, common::Rng& rng, bool greedy) {
  const int k = static_cast<int>(logp.size());
  int chip = static_cast<int>(std::max_element(logp.begin(), logp.end()) - logp.begin());
  if (greedy) return chip;
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  double acc = 0;
  for (int c = 0; c < k; ++c) {
    if (logp[c] <= kMasked / 2) continue;
    acc += std::exp(static_cast<double>(logp[c]));
    chip = c;
    if (u < acc) break;
  }
  return chip;
}

}  // namespace

Decoded DecodeSequential(const actors::UnitSchedule& schedule, const DecoderTables& t,
                         common::Rng& rng, bool greedy) {
  const int k = schedule.num_chips;
  Sequencer seq(schedule);
  std::vector<uint8_t> allowed(k);
  std::vector<float> features(static_cast<size_t>(k) * kF), logp(k);
  std::vector<float> unit_logp(schedule.num_units);
  while (!seq.done()) {
    const int u = seq.unit();
    seq.Options(allowed.data(), features.data());
    StepLogProbs(t, schedule.rep_node[u], k, allowed.data(), features.data(), logp.data());
    const int chip = Draw(logp, rng, greedy);
    unit_logp[u] = logp[chip];
    seq.Assign(chip);
  }
  Decoded d;
  d.partition = seq.ToPartition();
  d.logp.resize(d.partition.size());
  for (size_t v = 0; v < d.logp.size(); ++v) d.logp[v] = unit_logp[schedule.unit[v]];
  return d;
}

std::vector<float> SequentialLogProbs(const actors::UnitSchedule& schedule, const DecoderTables& t,
                                      const common::Partition& p) {
  const int k = schedule.num_chips;
  const actors::UnitReplay r = actors::ReplayPartition(schedule, p);
  std::vector<float> unit_logp(schedule.num_units), logp(k);
  for (int step = 0; step < schedule.num_units; ++step) {
    const int u = schedule.order[step];
    StepLogProbs(t, schedule.rep_node[u], k, &r.allowed[static_cast<size_t>(step) * k],
                 &r.features[static_cast<size_t>(step) * k * kF], logp.data());
    unit_logp[u] = logp[r.actions[step]];
  }
  std::vector<float> out(p.size());
  for (size_t v = 0; v < out.size(); ++v) out[v] = unit_logp[schedule.unit[v]];
  return out;
}

}  // namespace mcmpart::policy
