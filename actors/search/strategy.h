// The one ask/tell interface every search strategy implements (Timeloop's Next/Report):
// RL, random search, simulated annealing, dynamic programming, greedy and exact search.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/environment.h"
#include "actors/record.h"
#include "common/config.h"
#include "common/rng.h"
#include "common/status.h"

namespace mcmpart::actors::search {

/// A proposal waiting to be scored: `record` carries the proposal and whatever the strategy
/// knows about it (graph index, policy version and log-probs for RL); `repair_weights` is the
/// per-node cost of changing it (empty = 1 each).
struct Candidate {
  EpisodeRecord record;
  std::vector<double> repair_weights;
};

/// Proposes partitions and learns from their evaluations. Strategies see only records: the
/// evaluators know nothing about them. One instance per actor (or per local search), covering
/// every environment of that actor; not thread-safe.
class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  /// Name as in kStrategyNames ("rl", "random", "anneal", "dp", "greedy", "exact").
  virtual const char* name() const = 0;
  /// Up to `n` candidates (fewer, or none, when the strategy has nothing new to offer).
  virtual std::vector<Candidate> Ask(int n) = 0;
  /// The candidates of the last Ask after Environment::Score, in order. A strategy may fill
  /// fields it owns (RL: log-probs of the repaired action).
  virtual void Tell(std::vector<EpisodeRecord>& scored) = 0;
  /// True when asking again cannot produce anything new (exhaustive strategies).
  virtual bool finished() const { return false; }
  /// Ok, or why the search cannot go on (its evaluator failed); a failed strategy is finished.
  virtual common::Status status() const { return common::Status::Ok(); }
};

/// One ask → score → tell round, the step every search loop repeats: up to `n` candidates
/// from `strategy`, each repaired and evaluated by its environment (`envs[record.graph]`) and
/// stamped with `rank`, told back to the strategy in order. Empty when the strategy had none.
std::vector<EpisodeRecord> AskScoreTell(SearchStrategy& strategy,
                                        const std::vector<Environment*>& envs, int n, int rank);

/// Builds a baseline strategy by name over `envs` (not owned; must outlive it). "rl" is made
/// by the training driver, which owns the policy.
common::StatusOr<std::unique_ptr<SearchStrategy>> MakeBaselineStrategy(
    const std::string& name, std::vector<Environment*> envs, const common::Config& config,
    uint64_t seed);

/// The "anneal" strategy with `budget` evaluations for its temperature schedule, every chain
/// on environment g starting from starts[g] when given (e.g. the DP's partition) instead of
/// the greedy pipelines. `envs` must outlive it.
std::unique_ptr<SearchStrategy> MakeAnnealStrategy(std::vector<Environment*> envs, int64_t budget,
                                                   uint64_t seed,
                                                   const std::vector<common::Partition>& starts);

}  // namespace mcmpart::actors::search
