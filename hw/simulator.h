// The cycle-level chiplet simulator (SPEC §4): the `cycle` evaluator and its optional trace.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// How many samples stream through the pipeline per evaluation.
struct SimOptions {
  int samples = 8;  ///< N samples simulated back to back (the input is never the bottleneck)
  int warmup = 2;   ///< samples whose completion is not measured; needs samples ≥ warmup + 2
};

/// Checks samples ≥ warmup + 2, warmup ≥ 0 and samples ≤ 4096.
common::Status ValidateSimOptions(const SimOptions& options);

/// One interval of a trace: an op on a chip's compute unit or one hop of a tensor on a link.
struct TraceEvent {
  bool is_op = true;
  int resource = 0;  ///< chip id (op) or link id, an index into Hardware::Links() (hop)
  int sample = 0;
  int node = 0;      ///< the op, or the node whose output tensor moves
  int dst_chip = 0;  ///< hop only: the chip the tensor is bound for
  double start_s = 0.0;
  double end_s = 0.0;
};

/// Everything one simulation did, in simulation order.
struct SimTrace {
  std::vector<TraceEvent> events;
};

/// Discrete-event simulation of N samples streaming through a partitioned graph:
/// - each chip runs its ops in the graph's topological order, sample after sample; an op
///   starts when its compute unit is free and all its inputs are on its chip, and holds the
///   unit for hw::OpSeconds;
/// - a tensor bound for another chip is sent once per (producer, receiving chip) of
///   hw::CutTensors and moves hop by hop along Hardware::Route; each hop holds its link for
///   hw::SendSeconds, store-and-forward; a link serves hops FIFO by the time they are ready,
///   ties in the order they became known;
/// - throughput is measured from the completion times of samples warmup..N−1; latency is the
///   completion time of sample 0, which enters an empty pipeline.
/// Pipelined chips follow Xie et al. (MLSys 2022, §2): weights stay resident, so the chiplets
/// form a pipeline over samples. Everything static is precomputed by the constructor;
/// Evaluate() reuses its buffers. Not thread-safe: one instance per thread.
class CycleSimulator final : public Evaluator {
 public:
  /// `graph` (finalized) and `hw` must outlive the simulator; `options` must be valid.
  CycleSimulator(const common::Graph& graph, const Hardware& hw, const SimOptions& options);

  const char* name() const override { return "cycle"; }
  Metrics Evaluate(const common::Partition& p) override;
  /// Evaluate() that also records every op and hop into `trace` (cleared first) when non-null.
  Metrics Simulate(const common::Partition& p, SimTrace* trace);

  const SimOptions& options() const { return options_; }
  /// Seconds node v holds its chip's compute unit.
  double OpSeconds(int v) const { return op_s_[v]; }
  /// Seconds the output tensor of node v holds one link hop.
  double HopSecondsOf(int v) const { return hop_s_[v]; }

 private:
  struct Event {
    double t;
    uint32_t seq;
    int slot;
    int hop;
    int sample;
  };

  void BuildSchedule(const common::Partition& p);
  void Push(double t, int slot, int hop, int sample);
  void Advance(int chip, SimTrace* trace);

  const common::Graph& graph_;
  const Hardware& hw_;
  const SimOptions options_;
  const int n_, k_;

  // Static, from the constructor.
  std::vector<double> op_s_, hop_s_;
  std::vector<int64_t> send_bytes_;
  std::vector<int> route_begin_, route_links_;  // links from chip a to b: [a*K+b, a*K+b+1)
  std::vector<std::string> link_names_;

  // Per partition, rebuilt by BuildSchedule (capacity kept between calls).
  const common::Partition* p_ = nullptr;
  std::vector<int> chip_begin_, chip_ops_;  // ops of chip c in topological order
  std::vector<int> in_begin_, in_items_;    // inputs of v: node u ≥ 0 local, −1−slot remote
  std::vector<int> out_begin_, out_slots_;  // transfers node v starts
  std::vector<int> slot_src_, slot_dst_;    // per transfer slot: producer node, chip
  int num_slots_ = 0;

  // Simulation state.
  std::vector<double> finish_;  // [sample * n + v]
  std::vector<double> arrive_;  // [sample * slots + slot], < 0 = not yet arrived
  std::vector<double> chip_free_, link_free_, done_;
  std::vector<int> head_sample_, head_index_;
  std::vector<Event> heap_;
  uint32_t seq_ = 0;
};

/// The `cycle` evaluator with the given options (checked by ValidateSimOptions).
common::StatusOr<std::unique_ptr<CycleSimulator>> MakeCycleEvaluator(
    const common::Graph& graph, const Hardware& hw, const SimOptions& options = {});

/// Chrome trace-event JSON (opens in Perfetto / chrome://tracing): process "chips" with one
/// thread per chip holding its ops, process "links" with one thread per link holding its hops.
/// Times are microseconds. Every event carries its sample in args.
std::string TraceToChromeJson(const common::Graph& graph, const Hardware& hw,
                              const SimTrace& trace);

}  // namespace mcmpart::hw
