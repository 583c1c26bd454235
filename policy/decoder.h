// Sequential decoding of a partition from one forward pass (plain arrays, no LibTorch): the
// policy's per-unit chip logits plus its per-unit weights on the Sequencer's state features,
// softmax over the chips the Sequencer allows.
#pragma once

#include <vector>

#include "actors/sequencer.h"
#include "common/partition.h"
#include "common/rng.h"

namespace mcmpart::policy {

/// One graph's forward-pass tables: logits[v·stride + c] for chips c < K and
/// theta[v·kStateFeatures + j], read at each unit's representative node.
struct DecoderTables {
  const float* logits = nullptr;
  int stride = 0;  ///< row length of `logits` (K_max)
  const float* theta = nullptr;
};

/// A decoded partition and, per node, the log-probability of the decision that placed it.
struct Decoded {
  common::Partition partition;
  std::vector<float> logp;
};

/// The step distribution of the Sequencer's current unit: log-probabilities of the allowed
/// chips (others −inf-like, below −1e8) from z_c = logit_c + Σ_j theta_j·f_cj. `allowed`,
/// `features` and `out` have K, K × kStateFeatures and K entries.
void StepLogProbs(const DecoderTables& t, int node, int k, const uint8_t* allowed,
                  const float* features, float* out);

/// Decodes one partition unit by unit (Sequencer order), sampling each step or, with
/// `greedy`, taking its most probable chip.
Decoded DecodeSequential(const actors::UnitSchedule& schedule, const DecoderTables& t,
                         common::Rng& rng, bool greedy);

/// Per-node log-probabilities of any partition under the same tables (ReplayPartition's
/// decisions), equal to DecodeSequential's for the partitions it produced.
std::vector<float> SequentialLogProbs(const actors::UnitSchedule& schedule, const DecoderTables& t,
                                      const common::Partition& p);

}  // namespace mcmpart::policy
