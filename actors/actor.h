// The actor loop (SPEC §7): newest weights → sample → repair → evaluate → send records.
#pragma once

#include <memory>
#include <vector>

#include "actors/environment.h"
#include "actors/transport.h"
#include "common/config.h"
#include "common/status.h"

namespace mcmpart::actors {

/// Runs one actor rank until the learner sends kStop; returns an error only for a broken
/// protocol (a corrupt weights message). Keeps at most config.actor.max_inflight record
/// messages unacknowledged, and switches weights only between batches.
common::Status RunActor(const common::Config& config, std::vector<std::unique_ptr<Environment>>& envs,
                        Transport& transport, uint64_t seed);

}  // namespace mcmpart::actors
