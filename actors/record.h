// Episode records sent from actors to the learner, and their byte encoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/partition.h"
#include "common/status.h"

namespace mcmpart::actors {

/// One evaluated partition (SPEC §7): what the learner trains on and logs.
struct EpisodeRecord {
  int32_t rank = 0;
  int32_t graph = 0;           ///< index into the run's graph list
  int64_t policy_version = 0;  ///< weights that produced the proposal
  int32_t strategy = 0;        ///< index into StrategyNames()
  common::Partition proposal;
  common::Partition partition;          ///< after repair (empty when repair failed)
  std::vector<float> logp_proposal;     ///< per node, behaviour policy
  std::vector<float> logp_partition;    ///< per node, behaviour policy, repaired action
  float value = 0;
  double reward = 0;
  double throughput = 0;
  double latency_s = 0;
  bool valid = false;
  bool proposal_valid = false;
  int32_t repair_status = 0;
  int32_t changed_nodes = 0;
  double inference_ms = 0, repair_ms = 0, eval_ms = 0;
  double message_ms = 0;  ///< actor time spent sending its message, per record
  double wait_ms = 0;     ///< actor time blocked on the learner before this message, per record
};

/// Names of search strategies, indexed by EpisodeRecord::strategy.
const std::vector<std::string>& StrategyNames();

/// Appends the encoding of `records` to `out` (little-endian, length-prefixed).
void EncodeRecords(const std::vector<EpisodeRecord>& records, std::vector<uint8_t>* out);
/// Decodes a buffer written by EncodeRecords; an error means a corrupt message.
common::StatusOr<std::vector<EpisodeRecord>> DecodeRecords(const uint8_t* data, size_t size);

}  // namespace mcmpart::actors
