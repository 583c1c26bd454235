// The shipped pre-trained policy: where `--checkpoint pretrained` and `--init-from pretrained`
// find it, and the network shape it was trained with.
#pragma once

#include <string>

#include "common/config.h"
#include "common/status.h"

namespace mcmpart::cli {

/// The checkpoint name that stands for the shipped pre-trained policy.
inline constexpr const char* kPretrainedName = "pretrained";

/// `spec` itself, or for "pretrained" the first readable of: $MCMPART_PRETRAINED (which, when
/// set, must name a readable file), `<executable dir>/../share/mcmpart/pretrained.ckpt`, the
/// install data dir's `mcmpart/pretrained.ckpt`, the source tree's `models/pretrained.ckpt`.
/// The error lists the places looked at.
common::StatusOr<std::string> ResolveCheckpoint(const std::string& spec, const std::string& flag);

/// Replaces `config->policy` (the network's shape) by that recorded in the checkpoint at `path`.
common::Status AdoptCheckpointPolicy(const std::string& path, common::Config* config);

/// For a checkpoint flag's value `*spec`: resolves "pretrained" to its file (in place) and then
/// takes the network shape from it; any other value is left as given.
common::Status ResolveCheckpointFlag(const std::string& flag, std::string* spec,
                                     common::Config* config);

}  // namespace mcmpart::cli
