// Rank 0 of a distributed run: receives records, trains (PPO) or only logs, broadcasts weights.
#pragma once

#include <memory>
#include <string>

#include "actors/transport.h"
#include "common/status.h"
#include "learner/run_log.h"
#include "learner/train.h"

namespace mcmpart::learner {

/// Runs the learner rank until the budget, the time limit, a stop request or every actor
/// being done: logs every record, and when `learning`, trains the policy with PPO on the
/// records within the policy-lag bound and broadcasts each update's weights. `strategy` names
/// the actors' strategy ("rl" when learning). Stops the actors before returning.
common::StatusOr<TrainSummary> RunLearnerRank(const TrainInputs& in, actors::Transport& transport,
                                              bool learning, const std::string& strategy);

/// Creates (or, on resume, reopens) the run file of `in`; null when no --out was given.
common::StatusOr<std::unique_ptr<RunLog>> OpenRunLog(const TrainInputs& in, int ranks);

}  // namespace mcmpart::learner
