// The learner rank as a class with named steps: receive, accept or drop stale, start an
// update, take its result, broadcast, checkpoint, evaluate held-out graphs, log.
#include "learner/learner_loop.h"

#include <sys/resource.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "actors/chain_expert.h"
#include "actors/environment.h"
#include "actors/features.h"
#include "actors/search/actor_loop.h"
#include "common/bounded_queue.h"
#include "hw/hardware.h"
#include "learner/record_sink.h"
#include "learner/run_log.h"
#include "policy/policy.h"
#include "policy/ppo.h"

namespace mcmpart::learner {
namespace {

using actors::Message;
using actors::MessageType;
using policy::PpoStats;
using policy::PpoTrainer;
using policy::TrainingState;
using Clock = std::chrono::steady_clock;

// Peak resident memory of this process in MiB.
double MaxRssMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double SecondsSince(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// How long the learner sleeps when no message is waiting.
constexpr auto kIdlePoll = std::chrono::microseconds(50);

// Counts occurrences of one sign that the learner falls behind and warns on stderr at the
// `first`-th, then once per `every` more: visible, never a flood.
class BehindWarning {
 public:
  BehindWarning(const char* what, int64_t first, int64_t every)
      : what_(what), first_(first), every_(every) {}
  void Add(int64_t total) {
    ++count_;
    if (count_ < first_ || (count_ - first_) % every_ != 0) return;
    std::fprintf(stderr, "warning: the learner falls behind the actors: %lld %s so far\n",
                 static_cast<long long>(total), what_);
  }
  int64_t count() const { return count_; }

 private:
  const char* what_;
  const int64_t first_, every_;
  int64_t count_ = 0;
};

// Mean and maximum of the policy lags of a set of records.
struct LagStats {
  double sum = 0, max = 0;
  int64_t count = 0;
  void Add(int64_t lag) {
    sum += static_cast<double>(lag);
    max = std::max(max, static_cast<double>(lag));
    ++count;
  }
  double mean() const { return count ? sum / static_cast<double>(count) : 0; }
};

// What one PPO update produced.
struct UpdateResult {
  PpoStats stats;
  std::vector<float> weights;
  double reward_mean = 0;
  LagStats lag;  // of the batch it trained on
};

// Runs PPO updates on a worker thread, one at a time, so that receiving, acknowledging and
// logging go on while the learner trains (MPI stays on the caller's thread).
class UpdateWorker {
 public:
  explicit UpdateWorker(PpoTrainer& trainer) : trainer_(trainer), thread_([this] { Loop(); }) {}
  ~UpdateWorker() { Stop(); }

  bool busy() const { return busy_; }
  void Start(std::vector<actors::EpisodeRecord> batch, const LagStats& lag) {
    busy_ = true;
    jobs_.Push(Job{std::move(batch), lag});
  }
  // The finished update, if any; the trainer is then free until the next Start.
  std::optional<UpdateResult> TakeResult() {
    std::optional<UpdateResult> r;
    {
      std::lock_guard<std::mutex> lock(mu_);
      r.swap(result_);
    }
    if (r) busy_ = false;
    return r;
  }
  // Lets a running update finish, then ends the thread.
  void Stop() {
    jobs_.Close();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Job {
    std::vector<actors::EpisodeRecord> batch;
    LagStats lag;
  };
  void Loop() {
    Job job;
    while (jobs_.Pop(&job)) {
      UpdateResult r;
      r.stats = trainer_.Update(job.batch);
      r.weights = trainer_.FlatWeights();
      double reward_sum = 0;
      for (const auto& rec : job.batch) reward_sum += rec.reward;
      r.reward_mean = reward_sum / static_cast<double>(std::max<size_t>(1, job.batch.size()));
      r.lag = job.lag;
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(r);
    }
  }

  PpoTrainer& trainer_;
  common::BoundedQueue<Job> jobs_{1};
  std::mutex mu_;
  std::optional<UpdateResult> result_;
  bool busy_ = false;  // an update was started and its result not yet taken
  std::thread thread_;
};

// Greedy decoding of the held-out graphs with given weights, repaired and scored.
class HeldoutEvaluator {
 public:
  static common::StatusOr<std::unique_ptr<HeldoutEvaluator>> Create(const TrainInputs& in) {
    auto e = std::unique_ptr<HeldoutEvaluator>(new HeldoutEvaluator(in.config));
    for (size_t i = 0; i < in.heldout.size(); ++i) {
      MCMPART_ASSIGN_OR_RETURN(
          auto env, actors::Environment::Create(*in.heldout[i], in.HeldoutHwOf(i), in.config));
      e->policy_.AddGraph(env->features());
      e->envs_.push_back(std::move(env));
    }
    return e;
  }
  // Mean reward over the held-out graphs; -1 when the weights do not fit the policy.
  double Evaluate(const std::vector<float>& weights) {
    if (!policy_.SetFlatWeights(weights).ok()) return -1.0;
    double sum = 0;
    for (size_t i = 0; i < envs_.size(); ++i) {
      policy::PolicySample greedy = policy_.Sample(static_cast<int>(i), 1, rng_, /*greedy=*/true);
      sum += envs_[i]->Score(greedy.proposals[0], greedy.RepairWeights(0)).reward;
    }
    return sum / static_cast<double>(envs_.size());
  }

 private:
  explicit HeldoutEvaluator(const common::Config& c)
      : policy_(c.policy, static_cast<uint64_t>(c.run.seed)),
        rng_(static_cast<uint64_t>(c.run.seed)) {}
  policy::Policy policy_;
  std::vector<std::unique_ptr<actors::Environment>> envs_;
  common::Rng rng_;
};

RunMeta MakeMeta(const TrainInputs& in, int ranks) {
  RunMeta meta;
  meta.config_text = common::ConfigToToml(in.config);
  meta.hardware_text = hw::HardwareToToml(in.hw);
  for (size_t i = 0; i < in.graphs.size(); ++i) {
    meta.graph_names.push_back(in.graphs[i]->name);
    meta.graph_hardware_texts.push_back(hw::HardwareToToml(in.HwOf(i)));
  }
  meta.seed = static_cast<uint64_t>(in.config.run.seed);
  meta.ranks = ranks;
  meta.git_revision = in.git_revision;
  meta.start_time = in.start_time;
  meta.command_line = in.command_line;
  meta.evaluator = common::EnumName(in.config.run.evaluator);
  return meta;
}

bool StopRequested(const TrainInputs& in) {
  return in.stop_requested && in.stop_requested->load(std::memory_order_relaxed);
}

// The learner rank. Run() is the loop; every other method is one step of it.
class LearnerLoop {
 public:
  LearnerLoop(const TrainInputs& in, actors::Transport& t, bool learning, std::string strategy)
      : in_(in),
        c_(in.config),
        t_(t),
        learning_(learning),
        strategy_(std::move(strategy)),
        ckpt_(CheckpointPath(in.config)),
        sync_quota_(in.config.actor.max_policy_lag == 0 && learning
                        ? actors::search::SyncMessagesPerVersion(in.config, t.size() - 1)
                        : 0),
        inbox_(static_cast<size_t>(t.size())) {}

  common::StatusOr<TrainSummary> Run() {
    common::Status setup = Setup();
    if (!setup.ok()) {
      StopActors();
      return setup;
    }
    Broadcast(trainer_ ? trainer_->FlatWeights() : std::vector<float>{});
    while (Running()) {
      TakeResult();
      MaybeStartUpdate();
      ReceiveOne();
    }
    return Finish();
  }

 private:
  // Policy and optimiser (restored or initialised), run file, held-out graphs, sink.
  common::Status Setup() {
    if (learning_) {
      trainer_ = std::make_unique<PpoTrainer>(c_, static_cast<uint64_t>(c_.run.seed));
      for (size_t i = 0; i < in_.graphs.size(); ++i) {
        trainer_->AddGraph(
            actors::BuildFeatures(*in_.graphs[i], in_.HwOf(i), c_.actor.decision_order));
      }
      if (in_.resume) {
        MCMPART_ASSIGN_OR_RETURN(restored_, trainer_->LoadCheckpoint(ckpt_));
      } else if (!c_.run.init_from.empty()) {
        MCMPART_RETURN_IF_ERROR(trainer_->LoadWeights(c_.run.init_from));
        if (c_.run.init_temperature != 1.0) trainer_->Soften(c_.run.init_temperature);
      }
    }
    MCMPART_ASSIGN_OR_RETURN(log_, OpenRunLog(in_, t_.size()));
    if (trainer_ && !in_.heldout.empty()) {
      MCMPART_ASSIGN_OR_RETURN(heldout_, HeldoutEvaluator::Create(in_));
    }
    // Evaluations continue from the rows the run file holds: none lost, none repeated.
    sink_ =
        std::make_unique<RecordSink>(in_, log_.get(), log_ ? log_->num_rollouts() : 0, strategy_);
    TrainSummary& s = sink_->summary();
    s.ranks = t_.size();
    version_ = restored_.policy_version;
    s.updates = restored_.updates;
    s.dropped_stale = restored_.dropped_stale;
    if (in_.resume) sink_->RestoreBest(restored_);
    MCMPART_RETURN_IF_ERROR(CloneTargets());
    if (trainer_) worker_ = std::make_unique<UpdateWorker>(*trainer_);
    return common::Status::Ok();
  }

  // Throughput of the chain expert's own split of `env`'s graph, repaired (0 when invalid):
  // how good a teacher DAgger's expert is there.
  static double ExpertThroughput(actors::Environment& env) {
    const actors::UnitSchedule& schedule = env.features().schedule;
    if (schedule.num_units == 0) return 0.0;
    const actors::ScoreOutcome o = env.Score(actors::ChainExpert(schedule).Decode(), {});
    return o.valid ? o.throughput : 0.0;
  }

  // Behaviour cloning of the --imitate-from targets before the first broadcast (the actors
  // wait for those weights), then a checkpoint, so that --resume does not clone again. Each
  // target is scored once and offered to self-imitation's elites.
  common::Status CloneTargets() {
    if (!trainer_ || in_.resume) return common::Status::Ok();
    std::vector<policy::ImitationTarget> targets;
    TrainSummary& s = sink_->summary();
    for (size_t g = 0; g < in_.imitate.size(); ++g) {
      if (in_.imitate[g].empty()) continue;
      targets.push_back({static_cast<int>(g), in_.imitate[g]});
      MCMPART_ASSIGN_OR_RETURN(auto env,
                               actors::Environment::Create(*in_.graphs[g], in_.HwOf(g), c_));
      const actors::ScoreOutcome o = env->Score(in_.imitate[g], {});
      if (o.valid) trainer_->SeedElite(static_cast<int>(g), in_.imitate[g], o.reward);
      ImitationSummary t;
      t.graph = static_cast<int>(g);
      t.throughput = o.throughput;
      t.expert_throughput = ExpertThroughput(*env);
      s.imitation.targets.push_back(t);
    }
    if (targets.empty()) return common::Status::Ok();
    if (c_.ppo.imitate_dagger > 0) {
      std::fprintf(stderr, "[imitate] DAgger's expert, its own split repaired: %s\n",
                   s.imitation.ExpertSummary().c_str());
    }
    const int steps = c_.ppo.imitate_steps;
    auto progress = [&](const policy::ImitationStats& st) { PrintImitation(st, steps); };
    const policy::ImitationStats st =
        trainer_->Imitate(targets, steps, progress, std::max(1, steps / 10));
    ImitationLog& im = s.imitation;
    for (size_t i = 0; i < im.targets.size(); ++i) {
      im.targets[i].decisions = st.decisions[i];
      im.targets[i].forced_steps = st.forced_steps[i];
      im.targets[i].agreement = st.target_agreement[i];
    }
    im.steps = st.step;
    im.loss = st.loss;
    im.step_ms = st.step_ms;
    im.dagger_decisions = st.dagger_decisions;
    im.dagger_agreement = st.dagger_agreement;
    if (log_) MCMPART_RETURN_IF_ERROR(log_->WriteImitation(im));
    return SaveCheckpoint();
  }

  // Cloning progress on stderr: one line per report, and at the start and the end one per
  // target (its forced steps, throughput and agreement).
  void PrintImitation(const policy::ImitationStats& st, int steps) const {
    std::fprintf(stderr,
                 "[imitate] step %d/%d  loss %.4f per decision  greedy agreement %.1f%%  "
                 "%.1f ms/step\n",
                 st.step, steps, st.loss, 100 * st.agreement, st.step_ms);
    if (st.step != 0 && st.step != steps) return;
    const std::vector<ImitationSummary>& targets = sink_->summary().imitation.targets;
    for (size_t i = 0; i < targets.size(); ++i) {
      const int forced = st.forced_steps[i];
      std::fprintf(stderr,
                   "[imitate]   target of '%s': %d decisions, %d forced, throughput %.1f "
                   "samples/s, greedy agreement %.1f%%%s\n",
                   in_.graphs[targets[i].graph]->name.c_str(), st.decisions[i], forced,
                   targets[i].throughput, 100 * st.target_agreement[i],
                   forced > 0 && st.step == 0
                       ? " (forced: chips the decoder masks there, e.g. opened out of order or "
                         "ruled out by the SRAM look-ahead; left out of the loss, and greedy "
                         "decoding cannot match them)"
                       : "");
    }
  }

  bool Running() const {
    return !sink_->budget_reached() && !sink_->time_up() && status_.ok() && sink_->status().ok() &&
           actors_done_ < t_.size() - 1 && !StopRequested(in_);
  }

  // Sends `weights` (the current version) to every actor; returns the seconds it took.
  double Broadcast(const std::vector<float>& weights) {
    const auto start = Clock::now();
    auto payload =
        std::make_shared<const std::vector<uint8_t>>(actors::EncodeWeights(version_, weights));
    for (int a = 1; a < t_.size(); ++a) t_.Send(a, MessageType::kWeights, payload);
    const double s = SecondsSince(start);
    broadcast_s_ += s;
    return s;
  }

  // One message from any actor: records are accepted and acknowledged; none waiting = idle.
  void ReceiveOne() {
    Message m;
    if (!t_.TryReceive(&m, -1)) {
      if (StopRequested(in_)) return;
      const auto idle_start = Clock::now();
      std::this_thread::sleep_for(kIdlePoll);
      idle_s_ += SecondsSince(idle_start);
      return;
    }
    if (m.type == MessageType::kDone) {
      ++actors_done_;
      inbox_[m.source].done = true;
    }
    if (m.type == MessageType::kFailed) return ActorFailed(m);
    if (m.type != MessageType::kRecords) return;
    auto decoded = actors::DecodeRecords(m.payload.data(), m.payload.size());
    if (!decoded.ok()) {
      status_ = decoded.status().WithContext("message from rank " + std::to_string(m.source));
      return;
    }
    if (sync_quota_ > 0) {
      Inbox(m.source, std::move(*decoded));
    } else {
      for (actors::EpisodeRecord& r : *decoded) {
        if (sink_->budget_reached()) break;
        Accept(std::move(r));
      }
    }
    MaybeStartUpdate();
    Acknowledge(m.source);
    sink_->Progress();
  }

  // Synchronous mode: a version's records wait until every actor has sent its share
  // (SyncMessagesPerVersion, after which it waits for new weights), then are taken in rank
  // order, so that the batch, and the run, do not depend on the order messages arrive in.
  void Inbox(int source, std::vector<actors::EpisodeRecord> records) {
    Box& box = inbox_[source];
    ++box.messages;
    for (actors::EpisodeRecord& r : records) box.records.push_back(std::move(r));
    for (int a = 1; a < t_.size(); ++a) {
      if (!inbox_[a].done && inbox_[a].messages < sync_quota_) return;
    }
    for (int a = 1; a < t_.size(); ++a) {
      for (actors::EpisodeRecord& r : inbox_[a].records) {
        if (sink_->budget_reached()) break;
        Accept(std::move(r));
      }
      inbox_[a].records.clear();
      inbox_[a].messages = 0;
    }
  }

  // An actor cannot go on (its evaluator failed): the run ends with its reason.
  void ActorFailed(const Message& m) {
    ++actors_done_;
    if (!status_.ok()) return;
    status_ = common::Status::Error(std::string(m.payload.begin(), m.payload.end()))
                  .WithContext("actor rank " + std::to_string(m.source));
  }

  // Logs a record, then drops it as stale or adds it to the next batch.
  void Accept(actors::EpisodeRecord r) {
    const int64_t lag = version_ - r.policy_version;
    sink_->Add(r, lag);
    run_lag_.Add(lag);
    if (!learning_) return;
    if (lag > c_.actor.max_policy_lag) {
      stale_warning_.Add(++sink_->summary().dropped_stale);
      return;
    }
    batch_lag_.Add(lag);
    batch_.push_back(std::move(r));
    // Memory stays bounded: past a full batch only the actors' unacknowledged messages add.
    assert(batch_.size() <= static_cast<size_t>(c_.ppo.batch_size) +
                                static_cast<size_t>(t_.size() - 1) * c_.actor.max_inflight *
                                    c_.actor.samples_per_message &&
           "records beyond the actors' credits");
  }

  // Backpressure: while an update runs and the next batch is already full, acks are held
  // back, so actors run out of credits and wait instead of piling records up here.
  void Acknowledge(int source) {
    if (worker_ && worker_->busy() && static_cast<int>(batch_.size()) >= c_.ppo.batch_size) {
      deferred_acks_.push_back(source);
      held_warning_.Add(held_warning_.count() + 1);
    } else {
      t_.Send(source, MessageType::kAck, nullptr);
    }
  }

  void MaybeStartUpdate() {
    if (!worker_ || worker_->busy() || static_cast<int>(batch_.size()) < c_.ppo.batch_size) {
      return;
    }
    worker_->Start(std::move(batch_), batch_lag_);
    batch_.clear();
    batch_lag_ = LagStats{};
    for (int source : deferred_acks_) t_.Send(source, MessageType::kAck, nullptr);
    deferred_acks_.clear();
  }

  // A finished update becomes the next policy version: broadcast, logged, checkpointed.
  void TakeResult() {
    if (!worker_) return;
    std::optional<UpdateResult> r = worker_->TakeResult();
    if (!r) return;
    TrainSummary& s = sink_->summary();
    update_s_ += r->stats.update_ms / 1e3;
    ++version_;
    const double broadcast_ms = Broadcast(r->weights) * 1e3;
    ++s.updates;
    LogUpdate(*r, broadcast_ms);
    if (c_.run.checkpoint_every > 0 && s.updates % c_.run.checkpoint_every == 0) {
      status_ = SaveCheckpoint();
    }
  }

  void LogUpdate(const UpdateResult& r, double broadcast_ms) {
    TrainSummary& s = sink_->summary();
    LearnerRow row;
    row.update = s.updates;
    row.policy_version = version_;
    row.policy_loss = r.stats.policy_loss;
    row.value_loss = r.stats.value_loss;
    row.entropy = r.stats.entropy;
    row.approx_kl = r.stats.approx_kl;
    row.clip_fraction = r.stats.clip_fraction;
    row.sil_loss = r.stats.sil_loss;
    row.grad_norm = r.stats.grad_norm;
    row.learning_rate = r.stats.learning_rate;
    row.lag_mean = r.lag.mean();
    row.lag_max = r.lag.max;
    row.reward_mean = r.reward_mean;
    row.update_ms = r.stats.update_ms;
    row.broadcast_ms = broadcast_ms;
    row.idle_ms = idle_s_ * 1e3;
    row.dropped_stale = s.dropped_stale;
    row.epochs_run = r.stats.epochs_run;
    if (heldout_ && s.updates % c_.run.eval_every == 0) {
      row.heldout_reward = s.heldout_reward = heldout_->Evaluate(r.weights);
    }
    sink_->LogLearner(row);
  }

  // Only while no update runs, so the trainer is not shared with the worker. The run file is
  // flushed first: the checkpoint never runs ahead of the file.
  common::Status SaveCheckpoint() {
    if (!trainer_ || ckpt_.empty()) return common::Status::Ok();
    if (log_) MCMPART_RETURN_IF_ERROR(log_->Flush());
    const TrainSummary& s = sink_->summary();
    TrainingState st;
    st.policy_version = version_;
    st.updates = s.updates;
    st.evaluations = s.evaluations;
    st.dropped_stale = s.dropped_stale;
    st.log_rollout_rows = log_ ? log_->num_rollouts() : 0;
    st.log_learner_rows = log_ ? log_->num_learner_rows() : 0;
    st.best_throughput = s.best_throughput;
    st.first_batch_best_throughput = s.first_batch_best_throughput;
    st.best_partition = s.best_partition;
    st.best_step = s.best_step;
    st.config_text = common::ConfigToToml(c_);
    MCMPART_RETURN_IF_ERROR(trainer_->SaveCheckpoint(ckpt_, st));
    sink_->summary().checkpoint = ckpt_;
    return common::Status::Ok();
  }

  void StopActors() {
    for (int a = 1; a < t_.size(); ++a) t_.Send(a, MessageType::kStop, nullptr);
    // Waits for kDone from every actor not already done, discarding records still in flight.
    while (actors_done_ < t_.size() - 1) {
      const MessageType type = t_.Receive(-1).type;
      if (type == MessageType::kDone || type == MessageType::kFailed) ++actors_done_;
    }
    t_.Flush();
  }

  // Stops the actors, writes the last checkpoint, fills the summary and closes the run file.
  common::StatusOr<TrainSummary> Finish() {
    if (worker_) worker_->Stop();
    if (status_.ok()) TakeResult();  // an update that finished while stopping still counts
    TrainSummary& s = sink_->summary();
    if (StopRequested(in_)) s.interrupted = true;
    StopActors();
    if (status_.ok() && sink_->status().ok()) status_ = SaveCheckpoint();
    s.policy_version = version_;
    s.lag_mean = run_lag_.mean();
    s.lag_max = run_lag_.max;
    s.learner_update_s = update_s_;
    s.learner_broadcast_s = broadcast_s_;
    s.learner_idle_s = idle_s_;
    s.learner_max_rss_mb = MaxRssMb();
    s.broadcast_ms_mean =
        1e3 * broadcast_s_ / std::max<int64_t>(1, s.updates - restored_.updates + 1);
    common::Status finished = sink_->Finish();
    if (status_.ok()) status_ = finished;
    if (!status_.ok()) {
      return status_.WithContext(c_.run.out.empty() ? "run" : "run file '" + c_.run.out + "'");
    }
    return s;
  }

  const TrainInputs& in_;
  const common::Config& c_;
  actors::Transport& t_;
  const bool learning_;
  const std::string strategy_;
  const std::string ckpt_;
  // Synchronous learning (max_policy_lag 0): messages per actor and version (else 0), and each
  // actor's records of the current version waiting for the others'.
  const int sync_quota_;
  struct Box {
    int messages = 0;
    bool done = false;
    std::vector<actors::EpisodeRecord> records;
  };
  std::vector<Box> inbox_;

  std::unique_ptr<PpoTrainer> trainer_;
  TrainingState restored_;
  std::unique_ptr<RunLog> log_;
  std::unique_ptr<HeldoutEvaluator> heldout_;
  std::unique_ptr<RecordSink> sink_;
  std::unique_ptr<UpdateWorker> worker_;

  int64_t version_ = 0;
  common::Status status_;
  int actors_done_ = 0;  // actors whose strategy ran out of candidates (exhaustive searches)
  std::vector<actors::EpisodeRecord> batch_;
  LagStats batch_lag_, run_lag_;
  std::vector<int> deferred_acks_;
  // A stale drop is news at once; held acks are backpressure working, news once they pile up.
  BehindWarning stale_warning_{"records dropped as stale (--max-policy-lag)", 1, 100};
  BehindWarning held_warning_{
      "record messages whose acknowledgement waited for an update "
      "(actors out of credits)",
      100, 1000};
  double broadcast_s_ = 0, update_s_ = 0, idle_s_ = 0;
};

}  // namespace

common::StatusOr<std::unique_ptr<RunLog>> OpenRunLog(const TrainInputs& in, int ranks) {
  if (in.config.run.out.empty()) return std::unique_ptr<RunLog>();
  RunLogOptions opts;
  opts.flush_interval_s = in.config.run.flush_interval_s;
  if (in.resume) return RunLog::OpenForAppend(in.config.run.out, opts);
  return RunLog::Create(in.config.run.out, MakeMeta(in, ranks), in.graphs, opts);
}

common::StatusOr<TrainSummary> RunLearnerRank(const TrainInputs& in, actors::Transport& t,
                                              bool learning, const std::string& strategy) {
  LearnerLoop loop(in, t, learning, strategy);
  return loop.Run();
}

}  // namespace mcmpart::learner
