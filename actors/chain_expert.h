// The balanced-chain expert of on-policy imitation (DAgger; Ross, Gordon and Bagnell, AISTATS
// 2011): from any state of sequential decoding, whether staying on the highest chip or opening
// the next one leaves the smaller bottleneck when the units left are split optimally.
#pragma once

#include <vector>

#include "actors/sequencer.h"
#include "common/partition.h"

namespace mcmpart::actors {

/// Labels states of sequential decoding (UnitSchedule order) with the chain expert's decision.
/// The expert sees units as a chain in decision order and minimises the largest chip busy time
/// over contiguous runs (the min-max chain partition), a run from step a to b costing its
/// compute (UnitSchedule::cost) plus cut_seconds[a] received and cut_seconds[b] sent, SRAM
/// ignored: a split balanced on busy time, which also corrects a state off it.
class ChainExpert {
 public:
  /// Tables for `schedule` (which must outlive the expert): O(K · n²) time, O(K · n) memory.
  explicit ChainExpert(const UnitSchedule& schedule);

  /// The expert's chip at every step of the decisions `p` makes (the chip of each unit's
  /// representative node, as ReplayPartition reads them): with h the highest chip used before
  /// the step, h + 1 when opening it now gives a bottleneck no larger than staying on h, else h
  /// (chip 0 at the first step).
  std::vector<int> Labels(const common::Partition& p) const;

  /// The expert's own split: every step takes its label (chips of nodes; transfers are
  /// estimated and SRAM is ignored, so it may need repair).
  common::Partition Decode() const;

  /// The smallest largest-chip busy time of splitting the steps from `step` on into at most
  /// `chips` contiguous runs, the first receiving cut_seconds[step] (0 when no step is left).
  double Rest(int chips, int step) const { return rest_[chips][step]; }

 private:
  // The expert's chip at `step` after `highest` (−1: none yet) whose busy time so far is `busy`.
  int Label(int step, int highest, double busy) const;
  // Bottleneck of staying on a chip whose busy time so far (compute and what it received) is
  // `busy` at `step`, with `chips_left` after it.
  double Stay(double busy, int step, int chips_left) const;
  double Stay(double busy, int step, int chips_left, const std::vector<double>* next) const;

  const UnitSchedule* schedule_;
  int n_ = 0;
  std::vector<double> prefix_;             // compute of the steps before i
  std::vector<double> cut_;                // UnitSchedule::cut_seconds (zeros when absent)
  std::vector<std::vector<double>> rest_;  // [chips][step]
};

}  // namespace mcmpart::actors
