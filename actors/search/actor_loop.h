// The actor loop (SPEC §7): newest weights → ask the strategy → repair → evaluate → send.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "actors/environment.h"
#include "actors/search/strategy.h"
#include "actors/transport.h"
#include "common/config.h"
#include "common/status.h"

namespace mcmpart::actors::search {

/// Applies a weights broadcast (version, flat weights); empty weights = nothing to apply.
using WeightsHandler = std::function<common::Status(int64_t version, const std::vector<float>&)>;

/// Runs one actor rank until the learner sends kStop. Keeps at most
/// config.actor.max_inflight record messages unacknowledged; switches weights only between
/// batches; after a kHold (synchronous mode: the learner's batch is full) waits for the next
/// weights. Each record carries the actor's messaging and waiting time.
/// A strategy that runs out of candidates sends kDone early and waits for kStop; one that failed
/// (SearchStrategy::status) sends kFailed with the reason instead, so that the learner ends the
/// run and reports it. Returns an error only for a broken protocol (a corrupt weights message).
common::Status RunActor(const common::Config& config, SearchStrategy& strategy,
                        const std::vector<Environment*>& envs, Transport& transport,
                        const WeightsHandler& on_weights);

}  // namespace mcmpart::actors::search
