// The balanced-chain expert of on-policy imitation (DAgger; Ross, Gordon and Bagnell, AISTATS
// 2011): from any state of sequential decoding, whether staying on the highest chip or opening
// the next one leaves the smaller bottleneck when the units left are split optimally.
#pragma once

#include <vector>

#include "actors/sequencer.h"
#include "common/partition.h"

namespace mcmpart::actors {

/// Labels states of sequential decoding (UnitSchedule order) with the chain expert's decision.
/// The expert splits the units in decision order into contiguous runs, one chip each, and
/// minimises the largest chip busy time under the maxload model (hw::MakeMaxLoadEvaluator): a
/// run's compute, plus the send time of each tensor it makes that a later run reads, plus that
/// of each tensor made before it that it reads (UnitSchedule::tensors). SRAM is ignored: a split
/// balanced on busy time, which also corrects a state off it. Over in-order splits this is the
/// dynamic program of Tarnawski et al. (NeurIPS 2020) restricted to prefixes of one order.
class ChainExpert {
 public:
  /// Tables for `schedule` (which must outlive the expert): O(n · (K · n + T)) time for n
  /// units, K chips and T tensors; O(K · n) memory.
  explicit ChainExpert(const UnitSchedule& schedule);

  /// The expert's chip at every step of the decisions `p` makes (the chip of each unit's
  /// representative node, as ReplayPartition reads them): with h the highest chip used before
  /// the step and its run begun at step s, h + 1 when ending that run here gives a bottleneck no
  /// larger than extending it, else h (chip 0 at the first step).
  std::vector<int> Labels(const common::Partition& p) const;

  /// The expert's own split: every step takes its label (SRAM is ignored, so it may need
  /// repair).
  common::Partition Decode() const;

  /// The smallest largest-chip busy time of splitting the steps from `step` on into at most
  /// `chips` contiguous runs, the steps before it on other chips (0 when no step is left).
  double Rest(int chips, int step) const { return rest_[chips][step]; }

  /// Busy time of a chip whose run is steps a..b−1, every other step on other chips, for each b
  /// in a + 1..n (entries up to a are 0).
  std::vector<double> RunLoads(int a) const;

 private:
  // Per step i ≥ `start`: busy time of the run start..i−1 (`ended`) and the best bottleneck of
  // extending it past i with `chips_left` chips after it (`extended`).
  struct Run {
    std::vector<double> ended, extended;
  };
  Run MakeRun(int start, int chips_left) const;
  // The expert's chip at `step` on the run `run` of chip `highest` (−1: none yet).
  int Label(int step, int highest, const Run& run) const;

  const UnitSchedule* schedule_;
  int n_ = 0;
  std::vector<double> prefix_;             // compute of the steps before i
  std::vector<std::vector<double>> rest_;  // [chips][step]
};

}  // namespace mcmpart::actors
