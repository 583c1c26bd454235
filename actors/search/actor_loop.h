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

/// Synchronous mode (max_policy_lag 0) of a learning run: every actor sends exactly this many
/// record messages per weights version, then waits for the next weights, and the learner trains
/// on all of them in rank order. It is the fewest per actor whose records
/// (samples_per_message × envs_per_actor each) fill ppo.batch_size, so a batch holds at least
/// batch_size records and is the same on every run of a seed and rank count.
int SyncMessagesPerVersion(const common::Config& config, int num_actors);

/// Runs one actor rank until the learner sends kStop. Keeps at most
/// config.actor.max_inflight record messages unacknowledged; switches weights only between
/// batches. In synchronous mode a learning actor (`on_weights` set) waits for the next weights
/// after its SyncMessagesPerVersion messages of each version, so it never samples with stale
/// ones. Each record carries the actor's messaging and waiting time.
/// A strategy that runs out of candidates sends kDone early and waits for kStop; one that failed
/// (SearchStrategy::status) sends kFailed with the reason instead, so that the learner ends the
/// run and reports it. Returns an error only for a broken protocol (a corrupt weights message).
common::Status RunActor(const common::Config& config, SearchStrategy& strategy,
                        const std::vector<Environment*>& envs, Transport& transport,
                        const WeightsHandler& on_weights);

}  // namespace mcmpart::actors::search
