// Message transport between the learner (rank 0) and actors (ranks 1..N-1), plain types.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace mcmpart::actors {

enum class MessageType : int {
  kRecords = 1,  ///< actor → learner: encoded EpisodeRecords
  kWeights = 2,  ///< learner → actor: version + flat weights
  kAck = 3,      ///< learner → actor: one records message consumed (returns a credit)
  kStop = 4,     ///< learner → actor: finish now
  kDone = 5,     ///< actor → learner: last message of this actor
  // 6 was kHold: synchronous actors now wait by themselves (SyncMessagesPerVersion).
  kFailed = 7,   ///< actor → learner: this actor cannot go on; payload: why (text)
};

struct Message {
  int source = -1;
  MessageType type = MessageType::kAck;
  std::vector<uint8_t> payload;
};

using Payload = std::shared_ptr<const std::vector<uint8_t>>;

/// Point-to-point messaging within one job. Implementations own in-flight buffers until the
/// send completes. Used by one thread per rank.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Non-blocking send; `payload` may be shared between several sends (one weights buffer).
  virtual void Send(int dest, MessageType type, Payload payload) = 0;
  /// Blocks for the next message from `source` (-1 = any).
  virtual Message Receive(int source = -1) = 0;
  /// Returns true and fills `msg` if a message from `source` (-1 = any) is waiting.
  virtual bool TryReceive(Message* msg, int source = -1) = 0;
  /// Completes every pending send.
  virtual void Flush() = 0;
};

/// Weights message payload: [int64 version][float × n], little-endian on every host.
std::vector<uint8_t> EncodeWeights(int64_t version, const std::vector<float>& weights);
bool DecodeWeights(const std::vector<uint8_t>& payload, int64_t* version,
                   std::vector<float>* weights);

}  // namespace mcmpart::actors
