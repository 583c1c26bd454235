// Actor loop: strategy proposals, repair and evaluation, records to the learner.
#include "actors/search/actor_loop.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

namespace mcmpart::actors::search {

namespace {
using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Test hook: extra milliseconds per message on the last actor rank (a slow actor next to fast
// ones), from MCMPART_TEST_LAST_RANK_DELAY_MS; 0 when unset. A value that is not a number of
// ms in [0, 60000] is a bug of the test that sets it: warned about and ignored.
double TestLastRankDelayMs() {
  constexpr const char* kVar = "MCMPART_TEST_LAST_RANK_DELAY_MS";
  const char* text = std::getenv(kVar);
  if (text == nullptr || *text == '\0') return 0.0;
  char* end = nullptr;
  const double ms = std::strtod(text, &end);
  if (*end != '\0' || !(ms >= 0 && ms <= 60000)) {
    std::fprintf(stderr, "warning: %s must be a number of ms in [0, 60000], got '%s'; ignored\n",
                 kVar, text);
    return 0.0;
  }
  return ms;
}

// One actor rank. Run() is the loop; every other method is one step of it.
class ActorLoop {
 public:
  ActorLoop(const common::Config& config, SearchStrategy& strategy,
            const std::vector<Environment*>& envs, Transport& transport,
            const WeightsHandler& on_weights)
      : config_(config),
        strategy_(strategy),
        envs_(envs),
        t_(transport),
        on_weights_(on_weights),
        credits_(config.actor.max_inflight),
        sync_quota_(config.actor.max_policy_lag == 0 && on_weights
                        ? SyncMessagesPerVersion(config, transport.size() - 1)
                        : 0),
        delay_ms_(transport.rank() == transport.size() - 1 ? TestLastRankDelayMs() : 0) {}

  common::Status Run() {
    while (!have_weights_ && !stop_) {  // the learner's first weights (or an early stop)
      ReceiveBlocking();
      MCMPART_RETURN_IF_ERROR(ApplyWeights());
    }
    wait_ms_ = 0;
    while (!stop_) {
      Message m;
      while (t_.TryReceive(&m, 0)) Handle(m);
      if (stop_) break;
      if (credits_ <= 0 || (hold_ && pending_weights_.empty())) {
        ReceiveBlocking();
        continue;
      }
      MCMPART_RETURN_IF_ERROR(ApplyWeights());  // only between batches
      std::vector<EpisodeRecord> records =
          AskScoreTell(strategy_, envs_, config_.actor.samples_per_message, t_.rank());
      if (records.empty()) return FinishEarly();
      Send(std::move(records));
    }
    t_.Send(0, MessageType::kDone, nullptr);
    t_.Flush();
    return strategy_.status();  // a failure the stop overtook: this rank reports it
  }

 private:
  void Handle(Message& m) {
    switch (m.type) {
      case MessageType::kWeights:
        pending_weights_ = std::move(m.payload);
        hold_ = false;
        break;
      case MessageType::kAck:
        ++credits_;
        break;
      case MessageType::kStop:
        stop_ = true;
        break;
      default:
        break;
    }
  }

  void ReceiveBlocking() {
    const auto t = Clock::now();
    Message m = t_.Receive(0);
    wait_ms_ += MsSince(t);
    Handle(m);
  }

  common::Status ApplyWeights() {
    if (pending_weights_.empty()) return common::Status::Ok();
    std::vector<float> flat;
    int64_t version = 0;
    if (!DecodeWeights(pending_weights_, &version, &flat)) {
      return common::Status::Error("corrupt weights message");
    }
    pending_weights_.clear();
    have_weights_ = true;
    sent_in_version_ = 0;
    return on_weights_ ? on_weights_(version, flat) : common::Status::Ok();
  }

  // Each record carries its share of the time spent waiting and sending since the last one.
  void Send(std::vector<EpisodeRecord> records) {
    if (delay_ms_ > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay_ms_));
    }
    const auto t = Clock::now();
    for (EpisodeRecord& r : records) {
      r.wait_ms = wait_ms_ / static_cast<double>(records.size());
      r.message_ms = message_ms_ / static_cast<double>(records.size());
    }
    auto payload = std::make_shared<std::vector<uint8_t>>();
    EncodeRecords(records, payload.get());
    t_.Send(0, MessageType::kRecords, std::move(payload));
    // Sending is asynchronous: its cost (encoding, posting) is charged to the next message.
    message_ms_ = MsSince(t);
    wait_ms_ = 0;
    --credits_;
    // Synchronous mode: this version's share of the batch is sent; wait for the next weights.
    if (sync_quota_ > 0 && ++sent_in_version_ >= sync_quota_) hold_ = true;
  }

  // An exhaustive strategy has nothing new: say so once (kDone), then wait for kStop. A failed
  // one sends its reason (kFailed) for the learner to report.
  common::Status FinishEarly() {
    const common::Status failed = strategy_.status();
    if (failed.ok()) {
      t_.Send(0, MessageType::kDone, nullptr);
    } else {
      const std::string& why = failed.message();
      t_.Send(0, MessageType::kFailed,
              std::make_shared<std::vector<uint8_t>>(why.begin(), why.end()));
    }
    while (!stop_) ReceiveBlocking();
    t_.Flush();
    return common::Status::Ok();
  }

  const common::Config& config_;
  SearchStrategy& strategy_;
  const std::vector<Environment*>& envs_;
  Transport& t_;
  const WeightsHandler& on_weights_;
  int credits_;
  const int sync_quota_;  // messages per weights version in synchronous mode, else 0
  int sent_in_version_ = 0;
  const double delay_ms_;  // test hook: sleep before each message
  bool stop_ = false, hold_ = false, have_weights_ = false;
  std::vector<uint8_t> pending_weights_;
  double wait_ms_ = 0;     // blocked on the learner since the last message
  double message_ms_ = 0;  // encoding and posting the previous message
};

}  // namespace

int SyncMessagesPerVersion(const common::Config& config, int num_actors) {
  const int64_t per_round = static_cast<int64_t>(std::max(1, num_actors)) *
                            config.actor.samples_per_message * config.actor.envs_per_actor;
  return static_cast<int>((config.ppo.batch_size + per_round - 1) / per_round);
}

common::Status RunActor(const common::Config& config, SearchStrategy& strategy,
                        const std::vector<Environment*>& envs, Transport& transport,
                        const WeightsHandler& on_weights) {
  return ActorLoop(config, strategy, envs, transport, on_weights).Run();
}

}  // namespace mcmpart::actors::search
