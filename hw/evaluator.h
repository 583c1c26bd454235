// Evaluator interface (SPEC §3): (graph, hardware, valid partition) → metrics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// What every evaluator reports. Times in seconds; throughput in samples/s.
struct Metrics {
  double throughput = 0.0;
  double time_per_sample_s = 0.0;        ///< steady-state interval between finished samples
  double latency_s = 0.0;                ///< single-sample latency through the whole pipeline
  std::vector<double> chip_busy_s;       ///< busy time per sample, per chip
  std::vector<int64_t> chip_sram_bytes;  ///< SRAM use (weights + buffers) per chip
  std::vector<double> link_bytes;        ///< bytes per sample, per directed link (see link_names)
  std::vector<std::string> link_names;   ///< "0->1", …
  std::vector<double> link_busy_s;       ///< seconds per sample each link is held; empty when
                                         ///< the evaluator does not model links
  std::string bottleneck;                ///< "chip 3" or "link 2->3"
};

/// The metrics as one JSON object, keyed by the field names above (`mcmpart simulate --json`).
std::string MetricsToJsonString(const Metrics& m);

/// Scores valid partitions of one graph on one hardware config. Evaluate() on an invalid
/// partition is a bug (asserted); check with hw::CheckPartition first.
/// Not thread-safe: use one instance per thread.
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual const char* name() const = 0;
  virtual Metrics Evaluate(const common::Partition& p) = 0;
  /// Ok, or why the evaluator can no longer score (an outside program failed); once failed it
  /// stays failed and Evaluate returns empty Metrics. Built-in evaluators never fail.
  virtual common::Status status() const { return common::Status::Ok(); }
};

/// The evaluators' names, as run.evaluator spells them (common::EnumNames<EvaluatorKind>);
/// common::ParseEnum<common::EvaluatorKind> (common/config.h) reads one.
std::vector<std::string> EvaluatorNames();

/// Builds an evaluator of `kind` bound to `graph` and `hw` (both must outlive it); fails when
/// the cycle simulator cannot be built for them.
common::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(common::EvaluatorKind kind,
                                                           const common::Graph& graph,
                                                           const Hardware& hw);

/// Builds the evaluator `run.evaluator` names: a built-in one, or an `exec:` program started
/// now (hw/external_evaluator.h) with run.evaluator_timeout_s per reply.
common::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(const common::RunConfig& run,
                                                           const common::Graph& graph,
                                                           const Hardware& hw);

/// The analytical `maxload` evaluator: time per sample = max over chips of (compute + the
/// transfer time of tensors sent, once per source node, and received, once per source node
/// and chip). With given latencies and edge costs it is the dnn-partitioning max-load.
std::unique_ptr<Evaluator> MakeMaxLoadEvaluator(const common::Graph& graph, const Hardware& hw);

}  // namespace mcmpart::hw
