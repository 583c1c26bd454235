// The partitions a training run clones before PPO (--imitate-from), read and checked.
#pragma once

#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/hardware.h"

namespace mcmpart::learner {

/// Reads the --imitate-from file `path` for the training graphs `graphs`, given on the
/// command line as the '+' entries `specs` (same order) and run on `hws` (one per graph).
/// The file is either the partition JSON `mcmpart partition --out-dir D` writes
/// (D/partition.json), when the run has one training graph, or a manifest
/// {"targets": [{"graph": SPEC, "partition": FILE}, ...]} whose SPEC is an entry of `specs`
/// spelled as given and whose FILE (relative paths from the manifest's folder) is such a
/// partition JSON. Returns one partition per graph, empty for graphs without a target. Each
/// target must fit its graph, use chips below K and satisfy the hardware's constraints; errors
/// (unreadable or malformed file, unknown or repeated graph, wrong size, invalid partition)
/// name the file and the entry.
common::StatusOr<std::vector<common::Partition>> LoadImitationTargets(
    const std::string& path, const std::vector<std::string>& specs,
    const std::vector<const common::Graph*>& graphs, const std::vector<const hw::Hardware*>& hws);

}  // namespace mcmpart::learner
