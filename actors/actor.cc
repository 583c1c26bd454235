// Actor loop: strategy proposals, repair and evaluation, records to the learner.
#include "actors/actor.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

namespace mcmpart::actors {

namespace {
using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Test hook: extra milliseconds per message on the last actor rank (a slow actor next to fast
// ones), from MCMPART_TEST_LAST_RANK_DELAY_MS; 0 when unset. A bad value is a bug of the test
// that sets it: abort with a message (an actor's error would leave the learner waiting).
double TestLastRankDelayMs() {
  constexpr const char* kVar = "MCMPART_TEST_LAST_RANK_DELAY_MS";
  const char* text = std::getenv(kVar);
  if (text == nullptr || *text == '\0') return 0.0;
  char* end = nullptr;
  const double ms = std::strtod(text, &end);
  if (*end != '\0' || !(ms >= 0 && ms <= 60000)) {
    std::fprintf(stderr, "%s must be a number of ms in [0, 60000], got '%s'\n", kVar, text);
    std::abort();
  }
  return ms;
}
}  // namespace

common::Status RunActor(const common::Config& config, SearchStrategy& strategy,
                        const std::vector<Environment*>& envs, Transport& transport,
                        const WeightsHandler& on_weights) {
  const double delay_ms = transport.rank() == transport.size() - 1 ? TestLastRankDelayMs() : 0;
  int credits = config.actor.max_inflight;
  bool stop = false, hold = false, have_weights = false;
  std::vector<uint8_t> pending_weights;
  double wait_ms = 0;  // blocked on the learner since the last message
  double message_ms = 0;  // encoding and posting the previous message
  auto handle = [&](Message& m) {
    switch (m.type) {
      case MessageType::kWeights:
        pending_weights = std::move(m.payload);
        hold = false;
        break;
      case MessageType::kAck: ++credits; break;
      case MessageType::kHold: hold = true; break;
      case MessageType::kStop: stop = true; break;
      default: break;
    }
  };
  auto receive_blocking = [&]() {
    const auto t = Clock::now();
    Message m = transport.Receive(0);
    wait_ms += MsSince(t);
    handle(m);
  };
  auto apply_weights = [&]() -> common::Status {
    if (pending_weights.empty()) return common::Status::Ok();
    std::vector<float> flat;
    int64_t version = 0;
    if (!DecodeWeights(pending_weights, &version, &flat)) {
      return common::Status::Error("corrupt weights message");
    }
    pending_weights.clear();
    have_weights = true;
    return on_weights ? on_weights(version, flat) : common::Status::Ok();
  };

  while (!have_weights && !stop) {  // the learner's first weights (or an early stop)
    receive_blocking();
    MCMPART_RETURN_IF_ERROR(apply_weights());
  }
  wait_ms = 0;
  while (!stop) {
    Message m;
    while (transport.TryReceive(&m, 0)) handle(m);
    if (stop) break;
    if (credits <= 0 || (hold && pending_weights.empty())) {
      receive_blocking();
      continue;
    }
    MCMPART_RETURN_IF_ERROR(apply_weights());  // only between batches
    std::vector<Candidate> candidates = strategy.Ask(config.actor.samples_per_message);
    if (candidates.empty()) {
      // An exhaustive strategy has nothing new: say so once (kDone), then wait for kStop.
      transport.Send(0, MessageType::kDone, nullptr);
      while (!stop) receive_blocking();
      transport.Flush();
      return common::Status::Ok();
    }
    std::vector<EpisodeRecord> records;
    records.reserve(candidates.size());
    for (Candidate& c : candidates) {
      EpisodeRecord r = std::move(c.record);
      r.rank = transport.rank();
      envs.at(r.graph)->Score(r.proposal, c.repair_weights, &r);
      records.push_back(std::move(r));
    }
    strategy.Tell(records);
    if (delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay_ms));
    }
    const auto t = Clock::now();
    for (EpisodeRecord& r : records) {
      r.wait_ms = wait_ms / static_cast<double>(records.size());
      r.message_ms = message_ms / static_cast<double>(records.size());
    }
    auto payload = std::make_shared<std::vector<uint8_t>>();
    EncodeRecords(records, payload.get());
    transport.Send(0, MessageType::kRecords, std::move(payload));
    // Sending is asynchronous: its cost (encoding, posting) is charged to the next message.
    message_ms = MsSince(t);
    wait_ms = 0;
    --credits;
  }
  transport.Send(0, MessageType::kDone, nullptr);
  transport.Flush();
  return common::Status::Ok();
}

}  // namespace mcmpart::actors
