// The learner loop, the actor ranks' set-up and local searches, sharing one record sink.
#include "learner/train.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "actors/actor.h"
#include "actors/environment.h"
#include "actors/features.h"
#include "actors/policy.h"
#include "actors/record.h"
#include "actors/rl_strategy.h"
#include "actors/search.h"
#include "common/bounded_queue.h"
#include "hw/hardware.h"
#include "learner/ppo.h"
#include "learner/run_log.h"

namespace mcmpart::learner {
namespace {

using actors::Message;
using actors::MessageType;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

bool StopRequested(const TrainInputs& in) {
  return in.stop_requested && in.stop_requested->load(std::memory_order_relaxed);
}

// Consumes evaluated records for the run: steps, run-file rows, best partition, statistics
// and the terminal progress display. Used by the MPI learner and by local searches.
class RecordSink {
 public:
  RecordSink(const TrainInputs& in, RunLog* log, int64_t start_evaluations, const std::string& strategy)
      : in_(in), log_(log), start_(Clock::now()), strategy_(strategy) {
    s_.strategy = strategy;
    s_.evaluations = s_.start_evaluations = start_evaluations;
    progress_ = in.progress_to_stderr ? stderr : stdout;
    // A bar only on a real terminal: under mpirun every rank's stdout is a pseudo-terminal
    // even when the job's output goes to a file, so ranks print plain lines there.
    tty_ = isatty(fileno(progress_)) && std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr &&
           std::getenv("PMIX_RANK") == nullptr;
  }

  int64_t evaluations() const { return s_.evaluations; }
  bool budget_reached() const { return s_.evaluations >= in_.config.run.budget; }
  bool time_up() const { return in_.config.run.time_limit_s > 0 && Seconds(start_) >= in_.config.run.time_limit_s; }
  double elapsed_s() const { return Seconds(start_); }
  TrainSummary& summary() { return s_; }
  const common::Status& status() const { return status_; }

  // Restores the best-so-far from a checkpoint (resume).
  void RestoreBest(const TrainingState& st) {
    s_.best_throughput = st.best_throughput;
    s_.first_batch_best_throughput = st.first_batch_best_throughput;
    s_.best_partition = st.best_partition;
    s_.best_step = st.best_step;
  }

  // Logs one record; `lag` is the learner's version minus the record's.
  void Add(const actors::EpisodeRecord& r, int64_t lag) {
    const int64_t step = s_.evaluations++;
    valid_ += r.valid;
    proposal_valid_ += r.proposal_valid;
    times_.inference_ms += r.inference_ms;
    times_.repair_ms += r.repair_ms;
    times_.eval_ms += r.eval_ms;
    times_.message_ms += r.message_ms;
    times_.wait_ms += r.wait_ms;
    ++counted_;
    if (step < in_.config.ppo.batch_size) {
      s_.first_batch_best_throughput = std::max(s_.first_batch_best_throughput, r.throughput);
    }
    const bool new_best = r.valid && r.throughput > s_.best_throughput;
    if (new_best) {
      s_.best_throughput = r.throughput;
      s_.best_reward = r.reward;
      s_.best_step = step;
      s_.best_graph = r.graph;
      s_.best_partition = r.partition;
    }
    if (!log_ || !status_.ok()) return;
    const auto t = Clock::now();
    RolloutRow row;
    row.step = step;
    row.wall_time_s = Seconds(start_);
    row.rank = r.rank;
    row.graph = r.graph;
    row.policy_version = r.policy_version;
    row.policy_lag = static_cast<int32_t>(lag);
    row.strategy = actors::StrategyNames().at(r.strategy);
    row.reward = r.reward;
    row.throughput = r.throughput;
    row.latency_s = r.latency_s;
    row.valid = r.valid;
    row.proposal_valid = r.proposal_valid;
    row.repair_status = r.repair_status;
    row.changed_nodes = r.changed_nodes;
    row.repair_ms = r.repair_ms;
    row.eval_ms = r.eval_ms;
    row.inference_ms = r.inference_ms;
    row.message_ms = r.message_ms;
    row.wait_ms = r.wait_ms;
    row.proposal = r.proposal;
    row.partition = r.partition;
    status_ = log_->AppendRollout(row);
    if (status_.ok() && new_best) {
      status_ = log_->UpdateBest(r.graph, r.partition, r.throughput, step, row.wall_time_s);
    }
    log_s_ += Seconds(t);
  }

  void LogLearner(LearnerRow row) {
    if (!log_ || !status_.ok()) return;
    const auto t = Clock::now();
    row.wall_time_s = Seconds(start_);
    row.samples_seen = s_.evaluations;
    row.best_throughput = s_.best_throughput;
    status_ = log_->AppendLearner(row);
    log_s_ += Seconds(t);
  }

  // A progress bar with ETA on a terminal, plain periodic lines otherwise.
  void Progress(bool final_line = false) {
    if (!final_line && Seconds(last_progress_) < (tty_ ? 0.25 : in_.config.run.progress_interval_s)) return;
    last_progress_ = Clock::now();
    const double el = Seconds(start_);
    const int64_t done = s_.evaluations - s_.start_evaluations;
    const double rate = done / std::max(el, 1e-9);
    const int64_t budget = in_.config.run.budget;
    double eta = (budget - s_.evaluations) / std::max(rate, 1e-9);
    if (in_.config.run.time_limit_s > 0) eta = std::min(eta, in_.config.run.time_limit_s - el);
    const double frac = static_cast<double>(s_.evaluations) / budget;
    if (tty_) {
      const int width = 24, filled = static_cast<int>(frac * width);
      std::fprintf(progress_, "\r[%s%s] %3.0f%%  %lld/%lld  update %lld  best %.1f/s  %.1f samples/s  eta %.0fs ",
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), 100 * frac,
                   static_cast<long long>(s_.evaluations), static_cast<long long>(budget),
                   static_cast<long long>(s_.updates), s_.best_throughput, rate, std::max(0.0, eta));
      if (final_line) std::fprintf(progress_, "\n");
    } else {
      std::fprintf(progress_,
                   "[%s] update %lld  samples %lld/%lld  best %.1f samples/s (reward %.3f)  valid %.0f%%  "
                   "%.1f samples/s  eta %.0fs\n",
                   strategy_ == "rl" ? "train" : strategy_.c_str(), static_cast<long long>(s_.updates),
                   static_cast<long long>(s_.evaluations), static_cast<long long>(budget),
                   s_.best_throughput, s_.best_reward, 100.0 * valid_ / std::max<int64_t>(1, counted_),
                   rate, std::max(0.0, eta));
    }
    std::fflush(progress_);
  }

  // Fills the remaining summary fields and closes the run file.
  common::Status Finish() {
    if (tty_) Progress(true);
    s_.wall_s = Seconds(start_);
    s_.samples_per_s = (s_.evaluations - s_.start_evaluations) / std::max(s_.wall_s, 1e-9);
    const double n = static_cast<double>(std::max<int64_t>(1, counted_));
    s_.valid_fraction = valid_ / n;
    s_.proposal_valid_fraction = proposal_valid_ / n;
    s_.actor = times_;
    s_.actor.inference_ms /= n;
    s_.actor.repair_ms /= n;
    s_.actor.eval_ms /= n;
    s_.actor.message_ms /= n;
    s_.actor.wait_ms /= n;
    s_.learner_log_s = log_s_;
    if (log_) {
      common::Status closed = log_->Close();
      if (status_.ok()) status_ = closed;
    }
    return status_;
  }

 private:
  const TrainInputs& in_;
  RunLog* log_;
  Clock::time_point start_, last_progress_ = Clock::now();
  std::string strategy_;
  TrainSummary s_;
  common::Status status_;
  std::FILE* progress_;
  bool tty_ = false;
  int64_t valid_ = 0, proposal_valid_ = 0, counted_ = 0;
  ActorTimes times_;
  double log_s_ = 0;
};

RunMeta MakeMeta(const TrainInputs& in, int ranks) {
  RunMeta meta;
  meta.config_text = common::ConfigToToml(in.config);
  meta.hardware_text = hw::HardwareToToml(in.hw);
  for (const common::Graph* g : in.graphs) meta.graph_names.push_back(g->name);
  meta.seed = static_cast<uint64_t>(in.config.run.seed);
  meta.ranks = ranks;
  meta.git_revision = in.git_revision;
  meta.start_time = in.start_time;
  meta.command_line = in.command_line;
  meta.evaluator = common::EnumName(in.config.run.evaluator);
  return meta;
}

// Creates (or, on resume, reopens) the run file; null when no --out was given.
common::StatusOr<std::unique_ptr<RunLog>> OpenLog(const TrainInputs& in, int ranks) {
  if (in.config.run.out.empty()) return std::unique_ptr<RunLog>();
  RunLogOptions opts;
  opts.flush_interval_s = in.config.run.flush_interval_s;
  if (in.resume) return RunLog::OpenForAppend(in.config.run.out, opts);
  return RunLog::Create(in.config.run.out, MakeMeta(in, ranks), in.graphs, opts);
}

void StopActors(actors::Transport& t) {
  for (int a = 1; a < t.size(); ++a) t.Send(a, MessageType::kStop, nullptr);
}

// Waits for kDone from every actor not already done, discarding records still in flight.
void DrainActors(actors::Transport& t, int done = 0) {
  while (done < t.size() - 1) {
    Message m = t.Receive(-1);
    if (m.type == MessageType::kDone) ++done;
  }
  t.Flush();
}

common::StatusOr<TrainSummary> RunLearner(const TrainInputs& in, actors::Transport& t, bool learning,
                                          const std::string& strategy) {
  const common::Config& c = in.config;
  std::unique_ptr<PpoTrainer> trainer;
  TrainingState restored;
  const std::string ckpt = CheckpointPath(c);
  common::Status setup;
  if (learning) {
    trainer = std::make_unique<PpoTrainer>(c, static_cast<uint64_t>(c.run.seed));
    for (const common::Graph* g : in.graphs) trainer->AddGraph(actors::BuildFeatures(*g, in.hw));
    if (in.resume) {
      auto st = trainer->LoadCheckpoint(ckpt);
      if (st.ok()) restored = *st;
      else setup = st.status();
    } else if (!c.run.init_from.empty()) {
      setup = trainer->LoadWeights(c.run.init_from);
    }
  }
  std::unique_ptr<RunLog> log;
  if (setup.ok()) {
    auto opened = OpenLog(in, t.size());
    if (opened.ok()) log = std::move(opened).value();
    else setup = opened.status();
  }
  if (!setup.ok()) {
    StopActors(t);
    DrainActors(t);
    return setup;
  }
  // Evaluations continue from the rows the run file holds: none lost, none repeated.
  RecordSink sink(in, log.get(), log ? log->num_rollouts() : 0, strategy);
  TrainSummary& s = sink.summary();
  s.ranks = t.size();
  int64_t version = restored.policy_version;
  s.updates = restored.updates;
  s.dropped_stale = restored.dropped_stale;
  if (in.resume) sink.RestoreBest(restored);

  double broadcast_s = 0, update_s = 0, idle_s = 0;
  auto broadcast = [&](const std::vector<float>& weights) {
    const auto bt = Clock::now();
    auto payload = std::make_shared<const std::vector<uint8_t>>(actors::EncodeWeights(version, weights));
    for (int a = 1; a < t.size(); ++a) t.Send(a, MessageType::kWeights, payload);
    const double el = Seconds(bt);
    broadcast_s += el;
    return el;
  };
  // Called only while no update is running, so the trainer is not shared with the worker.
  auto save_checkpoint = [&]() -> common::Status {
    if (!trainer || ckpt.empty()) return common::Status::Ok();
    if (log) MCMPART_RETURN_IF_ERROR(log->Flush());  // the checkpoint never runs ahead of the file
    TrainingState st;
    st.policy_version = version;
    st.updates = s.updates;
    st.evaluations = s.evaluations;
    st.dropped_stale = s.dropped_stale;
    st.log_rollout_rows = log ? log->num_rollouts() : 0;
    st.log_learner_rows = log ? log->num_learner_rows() : 0;
    st.best_throughput = s.best_throughput;
    st.first_batch_best_throughput = s.first_batch_best_throughput;
    st.best_partition = s.best_partition;
    st.best_step = s.best_step;
    st.config_text = common::ConfigToToml(c);
    MCMPART_RETURN_IF_ERROR(trainer->SaveCheckpoint(ckpt, st));
    s.checkpoint = ckpt;
    return common::Status::Ok();
  };
  broadcast(trainer ? trainer->FlatWeights() : std::vector<float>{});

  // PPO updates run on a worker thread so that receiving, acknowledging and logging go on
  // while the learner trains (MPI stays on this thread). One update is in flight at a time;
  // records arriving meanwhile form the next batch.
  struct Job {
    std::vector<actors::EpisodeRecord> batch;
    double lag_mean = 0, lag_max = 0;
  };
  struct Result {
    PpoStats stats;
    std::vector<float> weights;
    double reward_mean = 0, lag_mean = 0, lag_max = 0;
  };
  // Held-out graphs: greedy decoding with the newest weights, repaired and scored.
  std::vector<std::unique_ptr<actors::Environment>> heldout;
  std::unique_ptr<actors::Policy> eval_policy;
  if (trainer && !in.heldout.empty()) {
    eval_policy = std::make_unique<actors::Policy>(c.policy, static_cast<uint64_t>(c.run.seed));
    for (const common::Graph* g : in.heldout) {
      auto env = actors::Environment::Create(*g, in.hw, c);
      if (!env.ok()) return env.status();
      eval_policy->AddGraph((*env)->features());
      heldout.push_back(std::move(env).value());
    }
  }
  common::Rng eval_rng(static_cast<uint64_t>(c.run.seed));
  auto evaluate_heldout = [&](const std::vector<float>& weights) {
    if (heldout.empty() || !eval_policy->SetFlatWeights(weights).ok()) return -1.0;
    double sum = 0;
    for (size_t i = 0; i < heldout.size(); ++i) {
      actors::PolicySample greedy = eval_policy->Sample(static_cast<int>(i), 1, eval_rng, /*greedy=*/true);
      actors::EpisodeRecord r;
      std::vector<double> w(greedy.logp[0].size());
      for (size_t v = 0; v < w.size(); ++v) w[v] = std::exp(greedy.logp[0][v]);
      heldout[i]->Score(greedy.proposals[0], w, &r);
      sum += r.reward;
    }
    return sum / static_cast<double>(heldout.size());
  };
  common::BoundedQueue<Job> jobs(1);
  std::mutex result_mu;
  std::optional<Result> result;
  std::thread worker;
  if (trainer) {
    worker = std::thread([&] {
      Job job;
      while (jobs.Pop(&job)) {
        Result r;
        r.stats = trainer->Update(job.batch);
        r.weights = trainer->FlatWeights();
        double reward_sum = 0;
        for (const auto& rec : job.batch) reward_sum += rec.reward;
        r.reward_mean = reward_sum / std::max<size_t>(1, job.batch.size());
        r.lag_mean = job.lag_mean;
        r.lag_max = job.lag_max;
        std::lock_guard<std::mutex> lock(result_mu);
        result = std::move(r);
      }
    });
  }
  bool busy = false;  // an update was handed to the worker and its result not yet taken
  common::Status status;
  auto take_result = [&]() {
    std::optional<Result> r;
    {
      std::lock_guard<std::mutex> lock(result_mu);
      r.swap(result);
    }
    if (!r) return;
    busy = false;
    update_s += r->stats.update_ms / 1e3;
    ++version;
    const double bms = broadcast(r->weights) * 1e3;
    ++s.updates;
    LearnerRow row;
    row.update = s.updates;
    row.policy_version = version;
    row.policy_loss = r->stats.policy_loss;
    row.value_loss = r->stats.value_loss;
    row.entropy = r->stats.entropy;
    row.approx_kl = r->stats.approx_kl;
    row.clip_fraction = r->stats.clip_fraction;
    row.sil_loss = r->stats.sil_loss;
    row.grad_norm = r->stats.grad_norm;
    row.learning_rate = r->stats.learning_rate;
    row.lag_mean = r->lag_mean;
    row.lag_max = r->lag_max;
    row.reward_mean = r->reward_mean;
    row.update_ms = r->stats.update_ms;
    row.broadcast_ms = bms;
    row.idle_ms = idle_s * 1e3;
    row.dropped_stale = s.dropped_stale;
    row.epochs_run = r->stats.epochs_run;
    if (!heldout.empty() && s.updates % c.run.eval_every == 0) {
      row.heldout_reward = s.heldout_reward = evaluate_heldout(r->weights);
    }
    sink.LogLearner(row);
    if (c.run.checkpoint_every > 0 && s.updates % c.run.checkpoint_every == 0) status = save_checkpoint();
  };

  std::vector<actors::EpisodeRecord> batch;
  double lag_sum = 0, lag_max = 0, lag_total = 0, lag_total_max = 0;
  int64_t lag_count = 0, lag_total_count = 0;
  const bool sync = c.actor.max_policy_lag == 0;
  int actors_done = 0;  // actors whose strategy ran out of candidates (exhaustive searches)
  // Backpressure: while an update runs and the next batch is already full, acks are held back,
  // so actors run out of credits and wait instead of piling records up at the learner.
  std::vector<int> deferred_acks;
  auto maybe_start_update = [&]() {
    if (!trainer || busy || static_cast<int>(batch.size()) < c.ppo.batch_size) return;
    Job job;
    job.batch = std::move(batch);
    job.lag_mean = lag_count ? lag_sum / lag_count : 0;
    job.lag_max = lag_max;
    batch.clear();
    lag_sum = lag_max = 0;
    lag_count = 0;
    busy = true;
    jobs.Push(std::move(job));
    // Synchronous mode: every actor waits for the weights this batch produces. The hold goes
    // out before the ack of the message that filled the batch, so an actor with one message
    // in flight never samples with stale weights.
    if (sync) {
      for (int a = 1; a < t.size(); ++a) t.Send(a, MessageType::kHold, nullptr);
    }
    for (int source : deferred_acks) t.Send(source, MessageType::kAck, nullptr);
    deferred_acks.clear();
  };
  while (!sink.budget_reached() && !sink.time_up() && status.ok() && sink.status().ok() &&
         actors_done < t.size() - 1 && !StopRequested(in)) {
    take_result();
    maybe_start_update();
    Message m;
    if (!t.TryReceive(&m, -1)) {
      if (StopRequested(in)) break;
      const auto idle_start = Clock::now();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      idle_s += Seconds(idle_start);
      continue;
    }
    if (m.type == MessageType::kDone) ++actors_done;
    if (m.type != MessageType::kRecords) continue;
    auto decoded = actors::DecodeRecords(m.payload.data(), m.payload.size());
    if (!decoded.ok()) {
      status = decoded.status().WithContext("message from rank " + std::to_string(m.source));
      break;
    }
    for (actors::EpisodeRecord& r : *decoded) {
      if (sink.budget_reached()) break;
      const int64_t lag = version - r.policy_version;
      sink.Add(r, lag);
      lag_total += static_cast<double>(lag);
      lag_total_max = std::max(lag_total_max, static_cast<double>(lag));
      ++lag_total_count;
      if (!learning) continue;
      if (lag > c.actor.max_policy_lag) {
        ++s.dropped_stale;
        continue;
      }
      lag_sum += static_cast<double>(lag);
      lag_max = std::max(lag_max, static_cast<double>(lag));
      ++lag_count;
      batch.push_back(std::move(r));
    }
    maybe_start_update();
    if (trainer && busy && static_cast<int>(batch.size()) >= c.ppo.batch_size) {
      deferred_acks.push_back(m.source);
    } else {
      t.Send(m.source, MessageType::kAck, nullptr);
    }
    sink.Progress();
  }
  jobs.Close();
  if (worker.joinable()) worker.join();
  if (status.ok()) take_result();  // an update that finished while stopping still counts
  if (StopRequested(in)) s.interrupted = true;
  StopActors(t);
  DrainActors(t, actors_done);
  if (status.ok() && sink.status().ok()) status = save_checkpoint();
  s.policy_version = version;
  s.lag_mean = lag_total_count ? lag_total / lag_total_count : 0;
  s.lag_max = lag_total_max;
  s.learner_update_s = update_s;
  s.learner_broadcast_s = broadcast_s;
  s.learner_idle_s = idle_s;
  s.broadcast_ms_mean = 1e3 * broadcast_s / std::max<int64_t>(1, s.updates - restored.updates + 1);
  common::Status finished = sink.Finish();
  if (status.ok()) status = finished;
  if (!status.ok()) return status.WithContext(c.run.out.empty() ? "run" : "run file '" + c.run.out + "'");
  return s;
}

common::StatusOr<std::vector<std::unique_ptr<actors::Environment>>> MakeEnvs(const TrainInputs& in) {
  std::vector<std::unique_ptr<actors::Environment>> envs;
  for (const common::Graph* g : in.graphs) {
    MCMPART_ASSIGN_OR_RETURN(auto env, actors::Environment::Create(*g, in.hw, in.config));
    envs.push_back(std::move(env));
  }
  return envs;
}

std::vector<actors::Environment*> Raw(const std::vector<std::unique_ptr<actors::Environment>>& envs) {
  std::vector<actors::Environment*> out;
  for (const auto& e : envs) out.push_back(e.get());
  return out;
}

// Actor sampling streams are keyed on the seed, the rank and the policy version of the first
// weights received: a fresh run starts at version 0, a resumed run at its checkpoint's version,
// so it draws new samples rather than repeating the first segment's.
uint64_t ActorSeed(const TrainInputs& in, int rank, int64_t first_version) {
  return common::DeriveSeed(common::DeriveSeed(static_cast<uint64_t>(in.config.run.seed), rank),
                            static_cast<uint64_t>(first_version));
}

}  // namespace

std::string CheckpointPath(const common::Config& c) {
  if (!c.run.checkpoint.empty()) return c.run.checkpoint;
  if (!c.run.out.empty()) return c.run.out + ".ckpt";
  return "";
}

common::StatusOr<std::string> ReadCheckpointConfig(const std::string& path) {
  return ReadCheckpointConfigText(path);
}

common::StatusOr<TrainSummary> RunTraining(const TrainInputs& in, actors::Transport& t) {
  if (t.size() < 2) {
    return common::Status::Error(
        "train needs at least 2 MPI ranks (rank 0 learns, the others act): run it as "
        "`mpirun -np 3 mcmpart train …`");
  }
  if (t.rank() == 0) return RunLearner(in, t, /*learning=*/true, "rl");
  MCMPART_ASSIGN_OR_RETURN(auto envs, MakeEnvs(in));
  actors::Policy policy(in.config.policy, static_cast<uint64_t>(in.config.run.seed));
  for (const auto& env : envs) policy.AddGraph(env->features());
  int64_t version = -1;
  const int per_step = std::max<int>(in.config.actor.envs_per_actor, 1);
  actors::RlStrategy strategy(policy, Raw(envs), per_step, ActorSeed(in, t.rank(), 0), &version);
  auto on_weights = [&](int64_t v, const std::vector<float>& flat) -> common::Status {
    MCMPART_RETURN_IF_ERROR(policy.SetFlatWeights(flat));
    if (version < 0) strategy.Reseed(ActorSeed(in, t.rank(), v));
    version = v;
    return common::Status::Ok();
  };
  MCMPART_RETURN_IF_ERROR(actors::RunActor(in.config, strategy, Raw(envs), t, on_weights));
  return TrainSummary{};
}

common::StatusOr<TrainSummary> RunSearch(const TrainInputs& in, const std::string& strategy_name,
                                         actors::Transport* t) {
  if (t && t->size() > 1) {
    if (t->rank() == 0) return RunLearner(in, *t, /*learning=*/false, strategy_name);
    MCMPART_ASSIGN_OR_RETURN(auto envs, MakeEnvs(in));
    MCMPART_ASSIGN_OR_RETURN(auto strategy, actors::MakeBaselineStrategy(
                                                strategy_name, Raw(envs), in.config,
                                                ActorSeed(in, t->rank(), 0)));
    MCMPART_RETURN_IF_ERROR(actors::RunActor(in.config, *strategy, Raw(envs), *t, nullptr));
    return TrainSummary{};
  }
  // In this process: ask, score, tell until the budget, the time limit or a finished search.
  MCMPART_ASSIGN_OR_RETURN(auto envs, MakeEnvs(in));
  MCMPART_ASSIGN_OR_RETURN(auto strategy, actors::MakeBaselineStrategy(strategy_name, Raw(envs), in.config,
                                                                       ActorSeed(in, 1, 0)));
  MCMPART_ASSIGN_OR_RETURN(auto log, OpenLog(in, 1));
  RecordSink sink(in, log.get(), log ? log->num_rollouts() : 0, strategy_name);
  sink.summary().ranks = 1;
  while (!sink.budget_reached() && !sink.time_up() && !strategy->finished() && sink.status().ok()) {
    if (StopRequested(in)) {
      sink.summary().interrupted = true;
      break;
    }
    std::vector<actors::Candidate> candidates = strategy->Ask(in.config.actor.samples_per_message);
    if (candidates.empty()) break;
    std::vector<actors::EpisodeRecord> records;
    for (actors::Candidate& c : candidates) {
      actors::EpisodeRecord r = std::move(c.record);
      envs.at(r.graph)->Score(r.proposal, c.repair_weights, &r);
      records.push_back(std::move(r));
    }
    strategy->Tell(records);
    for (const actors::EpisodeRecord& r : records) {
      if (sink.budget_reached()) break;
      sink.Add(r, 0);
    }
    sink.Progress();
  }
  common::Status st = sink.Finish();
  if (!st.ok()) return st.WithContext("run file '" + in.config.run.out + "'");
  return sink.summary();
}

}  // namespace mcmpart::learner
