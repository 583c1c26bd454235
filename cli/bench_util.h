// Helpers shared by the policy and learner benchmarks.
#pragma once

#include <nlohmann/json.hpp>

#include "policy/ppo.h"

namespace mcmpart::cli {

/// Prints the PPO update's cost split (forward, backward, optimiser, other) and stores it in
/// `(*result)["update_split_ms"]`.
void PrintUpdateSplit(const policy::PpoStats& split, nlohmann::json* result);

/// Adds the split fields of `s` divided by `n` to `sum`.
void AddUpdateSplit(const policy::PpoStats& s, int n, policy::PpoStats* sum);

}  // namespace mcmpart::cli
