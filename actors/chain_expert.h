// The balanced-chain expert of on-policy imitation (DAgger; Ross, Gordon and Bagnell, AISTATS
// 2011): from any state of sequential decoding, whether staying on the highest chip or opening
// the next one leaves the smaller bottleneck when the units left are split optimally.
#pragma once

#include <vector>

#include "actors/sequencer.h"
#include "common/partition.h"

namespace mcmpart::actors {

/// Labels states of sequential decoding (UnitSchedule order) with the chain expert's decision.
/// The expert sees units as a chain in decision order with their compute (UnitSchedule::cost)
/// and minimises the largest chip compute over contiguous runs (the min-max chain partition,
/// ignoring transfers and SRAM): a balanced split that also corrects a state off it.
class ChainExpert {
 public:
  /// Tables for `schedule` (which must outlive the expert): O(K · n²) time, O(K · n) memory.
  explicit ChainExpert(const UnitSchedule& schedule);

  /// The expert's chip at every step of the decisions `p` makes (the chip of each unit's
  /// representative node, as ReplayPartition reads them): with h the highest chip used before
  /// the step and L the compute on h so far, h + 1 when opening it now gives a bottleneck no
  /// larger than staying on h, else h (chip 0 at the first step).
  std::vector<int> Labels(const common::Partition& p) const;

  /// The smallest largest-chip compute of splitting the steps from `step` on into at most
  /// `chips` contiguous runs (0 when no step is left; chips ≥ 1).
  double Rest(int chips, int step) const { return rest_[chips][step]; }

 private:
  // Bottleneck of staying on a chip that already holds `load` at `step`, `chips_left` after it.
  double Stay(double load, int step, int chips_left) const;

  const UnitSchedule* schedule_;
  int n_ = 0;
  std::vector<double> prefix_;             // compute of the steps before i
  std::vector<std::vector<double>> rest_;  // [chips][step]
};

}  // namespace mcmpart::actors
