// Helpers shared by the benchmarks.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"
#include "policy/ppo.h"

namespace mcmpart::cli {

/// Prints the PPO update's cost split (forward, backward, optimiser, other) and stores it in
/// `(*result)["update_split_ms"]`.
void PrintUpdateSplit(const policy::PpoStats& split, nlohmann::json* result);

/// Adds the split fields of `s` divided by `n` to `sum`.
void AddUpdateSplit(const policy::PpoStats& s, int n, policy::PpoStats* sum);

/// Up to `wanted` valid partitions: random pipeline cuts of the topological order with jittered
/// bounds, each node pulled down to just above its inputs; all-on-chip-0 if none is valid.
std::vector<common::Partition> BenchPartitions(const common::Graph& g, const hw::Hardware& hw,
                                               uint64_t seed, int wanted);

/// Evaluations per second of `eval` cycling through `parts` for about `seconds`.
struct Rate {
  double evals_per_s = 0;
  int64_t evals = 0;
  double checksum = 0;  ///< keeps the work observable
};
Rate Measure(hw::Evaluator* eval, const std::vector<common::Partition>& parts, double seconds);

/// The q-quantile (0..1, nearest rank) of `v`; 0 when empty.
double Percentile(std::vector<double> v, double q);

/// "8,16" → {8, 16}: a comma-separated list of integers, each in lo..hi; the error names
/// `flag` and says "is not <what> in lo..hi".
common::StatusOr<std::vector<int>> ParseIntList(const std::string& list, const std::string& flag,
                                                int lo, int hi, const std::string& what);

/// "8,16" → {8, 16}; each count in 1..256. The error names `flag`.
common::StatusOr<std::vector<int>> ParseChipCounts(const std::string& list,
                                                   const std::string& flag = "--chips");

}  // namespace mcmpart::cli
