// Placement units decided one at a time with the cheap constraints kept true as they go: the
// rules the sequential policy decoder's masks and repair's constructive projection share.
#pragma once

#include <cstdint>
#include <vector>

#include "common/config_fields.h"
#include "common/graph.h"
#include "common/partition.h"
#include "hw/hardware.h"

namespace mcmpart::actors {

/// The static part of sequential decoding for one (graph, hardware) pair: placement units in
/// a topological order of the unit graph, their edges, costs, weights and pins. Plain data.
struct UnitSchedule {
  int num_chips = 0;
  int num_units = 0;
  std::vector<int> unit;        ///< PlacementUnits: unit of each node
  std::vector<int> order;       ///< units in decision order (topological, pipeline-like)
  std::vector<int> rep_node;    ///< per unit: its first node in PipelineOrder
  std::vector<int> unit_nodes;  ///< per unit: number of nodes
  std::vector<std::vector<int>> preds, succs;  ///< unit edges of tensor transfers, deduplicated
  std::vector<double> cost;                    ///< per unit: Σ hw::OpSeconds of its nodes
  double total_cost = 0;
  /// Per step boundary i in 0..num_units: Σ hw::SendSeconds of the tensors that a cut before
  /// step i would send (made by a step < i, read by one ≥ i); 0 at both ends. What a chip run
  /// from step a to b pays beside its compute, roughly: cut[a] received, cut[b] sent.
  std::vector<double> cut_seconds;
  /// A tensor read outside its unit: made at decision step `step`, read at the later steps
  /// `reader_steps` (sorted, distinct), costing `seconds` (hw::SendSeconds) to send and as much
  /// to receive on each chip that reads it (the maxload model). cut_seconds sums these.
  struct Tensor {
    int step = 0;
    double seconds = 0;
    std::vector<int> reader_steps;
  };
  std::vector<Tensor> tensors;
  std::vector<int64_t> weight;   ///< per unit: Σ weight bytes
  int64_t sram_bytes = 0;        ///< running weight budget per chip; 0 when sram is off
  std::vector<int> pin;          ///< per unit: its pinned chip or −1 (pin constraint on)
  std::vector<int> pin_ceiling;  ///< per unit: min pin over itself and its descendants (acyclic)
  /// Per unit: weight bytes of itself and all its descendants (acyclic and sram on; exact up to
  /// kExactDescendantUnits units, else the heaviest path, a lower bound), all of which must sit
  /// on its chip or later ones.
  std::vector<int64_t> descendant_weight;
  static constexpr int kExactDescendantUnits = 8192;
  /// Monotone look-ahead (acyclic and sram on, no pinned unit; tests may switch it off): can
  /// the units of the later steps still be packed in decision order, each chip a contiguous
  /// run of them? A chip's run costs its weights plus, with buffers counted (sram_buffers),
  /// the largest `headroom` among its units: the unit's largest op working set plus twice its
  /// largest sent tensor, an estimate of the buffers. Next-fit is optimal for such packings
  /// (the cost only grows as a run extends), so a step may take chip c ≥ the highest used
  /// only if the later units still fit in order on c and the chips above it.
  bool lookahead = false;
  std::vector<int64_t> order_weight_prefix;  ///< per step i: Σ weights of the steps < i
  std::vector<std::vector<int64_t>>
      headroom_max;              ///< sparse table: [l][i] = max over 2^l steps from i
  std::vector<int> fresh_chips;  ///< per step i: chips next-fit needs from empty ones for steps i..
  static constexpr int kUnpackable = 1 << 29;
  /// The end of the run that starts at step `from` on a chip already holding `used` weight
  /// bytes and `head` headroom: the largest j such that steps from..j−1 fit beside them.
  int RunEnd(int from, int64_t used, int64_t head) const;
  bool acyclic = false;
  int max_hop = 0;  ///< H when max_hop is on, else 0
};

/// Builds the schedule; units follow PipelineOrder(`order`) as far as the unit graph allows.
UnitSchedule BuildUnitSchedule(const common::Graph& graph, const hw::Hardware& hw,
                               common::DecisionOrder order = common::DecisionOrder::kLate);

/// Walks UnitSchedule::order. At each step the current unit may take the chips in
/// [lo, hi]: lo = the highest chip of its decided predecessors (acyclic); hi = the lowest of
/// the chip after the highest chip used so far (chips open in order, which no_skip needs and
/// no objective loses by), K − 1, its pin ceiling and, with max_hop, every decided
/// predecessor's chip + H carried back to its undecided ancestors; a pinned unit takes its pin.
/// Chips whose weights would pass the SRAM budget, or whose free SRAM together with the later
/// chips' cannot hold the unit's descendants' weights, or (UnitSchedule::lookahead) after
/// which the later units could not be packed in order, are dropped unless that empties the
/// set; the look-ahead alone is dropped first. With acyclic and sram the only constraints and
/// an in-order packing of all units possible, every decode is then valid. Each allowed chip comes
/// with kStateFeatures numbers describing the state after taking it.
class Sequencer {
 public:
  /// Features per (unit, chip): [0] the chip is the highest used so far, [1] it opens the next
  /// one, [2] it lies below the highest, [3] its compute so far over the per-chip share
  /// Σcost/K, [4] how far the unit would push it past the share, [5] its weights with the
  /// unit over the SRAM budget (0 when sram is off), [6] K·(compute decided, unit included)/Σcost
  /// − (chip + 1), clipped to ±2: positive when the chip is behind the balanced schedule,
  /// [7] on the chip that opens the next one, log(r / (g − r)) for r chips not yet opened and
  /// g units left (clipped to ±kOpenLogOddsMax; 0 elsewhere): with weight 1 and nothing else,
  /// each in-order split of the units over the K chips is equally likely (Xie et al., 2022,
  /// start from random search's distribution; the policy learns from there), [8] the chip's
  /// busy time if its run ended after this unit (compute plus the cut_seconds it receives at
  /// its start and sends at this end) over the share, [9] on the chip that opens the next one,
  /// the final busy time of the chip it closes, over the share: where transfers make a cut
  /// cheap or dear, which a split balanced on compute alone does not see.
  static constexpr int kStateFeatures = 10;
  static constexpr int kOpenLogOddsFeature = 7;
  static constexpr float kOpenLogOddsMax = 10.f;

  explicit Sequencer(const UnitSchedule& schedule);
  /// Back to the first step with nothing decided.
  void Reset();
  bool done() const { return step_ == schedule_->num_units; }
  int step() const { return step_; }
  /// The unit the current step decides.
  int unit() const { return schedule_->order[step_]; }
  /// Allowed chips of the current unit (`allowed[c]` 0/1, K entries) and every chip's
  /// features (K × kStateFeatures, row-major). Returns the number of allowed chips (≥ 1).
  int Options(uint8_t* allowed, float* features) const;
  /// Decides the current unit on `chip` (any chip in 0..K−1) and moves to the next step.
  void Assign(int chip);
  /// Chip of each decided unit, −1 for the others.
  const std::vector<int>& unit_chip() const { return chip_; }
  /// The partition of the decided units (every node takes its unit's chip); all decided.
  common::Partition ToPartition() const;

 private:
  void LowerCeiling(int unit, int ceiling);
  // Features [8] and [9] of `chip` at the current step (share = Σcost / K > 0).
  void BusyFeatures(int chip, double share, float* f) const;
  // Feature [7] of the chip that opens the next one at the current step.
  float OpenLogOdds() const;
  // Whether the units after the current step fit in order on `chip` (with the current unit
  // added) and the chips above it (UnitSchedule::lookahead).
  bool LaterUnitsFit(int chip) const;

  const UnitSchedule* schedule_;
  int step_ = 0;
  int highest_ = -1;
  double decided_cost_ = 0;
  std::vector<int> chip_;
  std::vector<int> ceiling_;
  std::vector<double> load_;
  std::vector<double> received_;  // per chip: cut_seconds at the step that opened it
  std::vector<int64_t> weights_;
  std::vector<int64_t> headroom_;  // per chip: the largest headroom of its units
  std::vector<int> stack_;
};

/// The decisions a partition makes in UnitSchedule order, for scoring it under a sequential
/// policy: per step, the chip of the unit's representative node, the allowed chips with that
/// chip added when the rules had excluded it (a repaired partition may do what the masks do
/// not allow), and the features. Arrays are num_units × K and num_units × K × kStateFeatures.
struct UnitReplay {
  std::vector<int> actions;
  std::vector<uint8_t> allowed;
  std::vector<float> features;
  /// Per step: 1 when the rules had excluded the partition's chip (a *forced* step, one the
  /// sequential decoder can never take: e.g. a chip opened before the one below it, or one the
  /// SRAM look-ahead rules out), else 0.
  std::vector<uint8_t> forced;
  /// Number of forced steps; 0 means the decoder can produce the partition.
  int ForcedSteps() const;
};
UnitReplay ReplayPartition(const UnitSchedule& schedule, const common::Partition& p);

}  // namespace mcmpart::actors
