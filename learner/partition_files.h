// The output folder of `mcmpart partition`: partition files, per-chip ONNX, drawings, report.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/graph.h"
#include "common/onnx_import.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"
#include "learner/partition_run.h"

namespace mcmpart::learner {

/// Graphviz DOT of partition `p`: one cluster per chip, nodes filled with their
/// chip's colour, edges between chips red and bold. A graph of more than `max_nodes` nodes is
/// drawn collapsed: one box per stage (a maximal run of consecutive nodes of the topological
/// order on one chip) with its node count and first and last node, edges merged per pair of
/// stages and labelled with the tensors and bytes they carry.
std::string PartitionDot(const common::Graph& graph, const common::Partition& p,
                         int max_nodes = 300);

/// SVG bar chart of each chip's busy time (share of the time per sample) and SRAM use (share
/// of its capacity), as scripts/analyze.py draws it for a run's best partition.
std::string ChipsSvg(const hw::Metrics& metrics, const hw::Hardware& hw);

/// Runs Graphviz `dot -Tsvg dot_path -o svg_path`; an error when dot is not on PATH or fails.
common::Status RenderDot(const std::string& dot_path, const std::string& svg_path);

/// What `mcmpart partition` writes.
struct PartitionFilesInput {
  const common::Graph* graph = nullptr;
  const hw::Hardware* hw = nullptr;
  const common::Config* config = nullptr;
  const PartitionSearchResult* result = nullptr;
  std::string model;  ///< as given on the command line
  /// For an ONNX model: its import's report (else null: no chip files).
  const common::OnnxImportReport* onnx_report = nullptr;
  double time_limit_s = 0;
  int64_t anneal_budget = 0;  ///< PartitionSearchOptions::anneal_budget
};

/// What was written.
struct PartitionFiles {
  std::vector<std::string> files;  ///< names inside the output folder
  std::vector<std::string> notes;  ///< e.g. why partition.svg is missing
  hw::Metrics metrics;             ///< the cycle simulator's metrics of the best partition
};

/// An output folder written in a temporary folder beside it and moved into place at the end,
/// so a failure leaves nothing half-written.
class OutputDir {
 public:
  /// Creates the temporary folder (and missing parents of `dir`); errors name `dir`.
  static common::StatusOr<OutputDir> Create(const std::string& dir);
  OutputDir(OutputDir&& other) noexcept;
  OutputDir& operator=(OutputDir&&) = delete;
  OutputDir(const OutputDir&) = delete;
  /// Removes what is not yet committed.
  ~OutputDir();

  const std::string& staging() const { return staging_; }
  /// Moves the staged files into `dir`: a rename of the folder when `dir` does not exist, else
  /// one rename per file (chip_*.onnx left from an earlier run are removed first).
  common::Status Commit();

 private:
  OutputDir() = default;
  std::string dir_, staging_;
  std::vector<std::string> created_parents_;  // innermost first
  bool committed_ = false;
};

/// Writes every file of `in` into `out.staging()`: partition.json, partition_split.json,
/// chip_<c>.onnx (ONNX models), partition.dot and partition.svg (when Graphviz's dot is
/// there), chips.svg, trace.json (the cycle simulator's, as `mcmpart simulate --trace`) and
/// report.md.
common::StatusOr<PartitionFiles> WritePartitionFiles(const PartitionFilesInput& in,
                                                     const OutputDir& out);

}  // namespace mcmpart::learner
