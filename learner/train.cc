// Learner loop and rank dispatch for `mcmpart train`.
#include "learner/train.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "actors/actor.h"
#include "actors/environment.h"
#include "actors/features.h"
#include "actors/record.h"
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

void StopActors(actors::Transport& t) {
  for (int a = 1; a < t.size(); ++a) t.Send(a, MessageType::kStop, nullptr);
}

// Waits for kDone from every actor, discarding records that were still in flight.
void DrainActors(actors::Transport& t) {
  int done = 0;
  while (done < t.size() - 1) {
    Message m = t.Receive(-1);
    if (m.type == MessageType::kDone) ++done;
  }
  t.Flush();
}

common::StatusOr<TrainSummary> RunLearner(const TrainInputs& in, actors::Transport& t) {
  const common::Config& c = in.config;
  const auto start = Clock::now();
  std::FILE* progress = in.progress_to_stderr ? stderr : stdout;
  PpoTrainer trainer(c, static_cast<uint64_t>(c.run.seed));
  std::vector<double> ideal_s;
  for (const common::Graph* g : in.graphs) {
    trainer.AddGraph(actors::BuildFeatures(*g, in.hw));
    ideal_s.push_back(actors::IdealTimePerSample(*g, in.hw));
  }

  std::unique_ptr<RunLog> log;
  if (!c.run.out.empty()) {
    RunMeta meta;
    meta.config_text = common::ConfigToToml(c);
    meta.hardware_text = hw::HardwareToToml(in.hw);
    for (const common::Graph* g : in.graphs) meta.graph_names.push_back(g->name);
    meta.seed = static_cast<uint64_t>(c.run.seed);
    meta.ranks = t.size();
    meta.git_revision = in.git_revision;
    meta.start_time = in.start_time;
    meta.command_line = in.command_line;
    meta.evaluator = c.run.evaluator;
    RunLogOptions opts;
    opts.flush_interval_s = c.run.flush_interval_s;
    auto created = RunLog::Create(c.run.out, meta, in.graphs, opts);
    if (!created.ok()) {
      StopActors(t);
      DrainActors(t);
      return created.status();
    }
    log = std::move(created).value();
  }

  int64_t version = 0;
  auto broadcast = [&]() {
    auto payload = std::make_shared<const std::vector<uint8_t>>(
        actors::EncodeWeights(version, trainer.FlatWeights()));
    for (int a = 1; a < t.size(); ++a) t.Send(a, MessageType::kWeights, payload);
  };
  broadcast();

  TrainSummary s;
  s.ranks = t.size();
  std::vector<actors::EpisodeRecord> batch;
  int64_t valid = 0, proposal_valid = 0;
  double sum_repair = 0, sum_eval = 0, sum_infer = 0, lag_sum = 0, lag_max = 0;
  int64_t lag_count = 0;
  auto last_progress = Clock::now();
  common::Status log_status;
  auto time_up = [&] { return c.run.time_limit_s > 0 && Seconds(start) >= c.run.time_limit_s; };

  while (s.evaluations < c.run.budget && !time_up() && log_status.ok()) {
    Message m = t.Receive(-1);
    if (m.type != MessageType::kRecords) continue;
    t.Send(m.source, MessageType::kAck, nullptr);
    auto decoded = actors::DecodeRecords(m.payload.data(), m.payload.size());
    if (!decoded.ok()) {
      log_status = decoded.status().WithContext("message from rank " + std::to_string(m.source));
      break;
    }
    for (actors::EpisodeRecord& r : *decoded) {
      if (s.evaluations >= c.run.budget) break;
      const int64_t step = s.evaluations++;
      const int64_t lag = version - r.policy_version;
      valid += r.valid;
      proposal_valid += r.proposal_valid;
      sum_repair += r.repair_ms;
      sum_eval += r.eval_ms;
      sum_infer += r.inference_ms;
      if (step < c.ppo.batch_size) {
        s.first_batch_best_throughput = std::max(s.first_batch_best_throughput, r.throughput);
      }
      const bool new_best = r.valid && r.throughput > s.best_throughput;
      if (new_best) {
        s.best_throughput = r.throughput;
        s.best_reward = r.reward;
        s.best_step = step;
        s.best_partition = r.partition;
      }
      if (log) {
        RolloutRow row;
        row.step = step;
        row.wall_time_s = Seconds(start);
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
        row.proposal = r.proposal;
        row.partition = r.partition;
        log_status = log->AppendRollout(row);
        if (log_status.ok() && new_best) {
          log_status = log->UpdateBest(r.graph, r.partition, r.throughput, step, row.wall_time_s);
        }
      }
      if (lag > c.actor.max_policy_lag) {
        ++s.dropped_stale;
        continue;
      }
      lag_sum += static_cast<double>(lag);
      lag_max = std::max(lag_max, static_cast<double>(lag));
      ++lag_count;
      batch.push_back(std::move(r));
    }
    if (static_cast<int>(batch.size()) >= c.ppo.batch_size) {
      PpoStats st = trainer.Update(batch);
      ++version;
      auto bt = Clock::now();
      broadcast();
      const double broadcast_ms = std::chrono::duration<double, std::milli>(Clock::now() - bt).count();
      ++s.updates;
      if (log && log_status.ok()) {
        LearnerRow row;
        row.update = s.updates;
        row.samples_seen = s.evaluations;
        row.wall_time_s = Seconds(start);
        row.policy_version = version;
        row.policy_loss = st.policy_loss;
        row.value_loss = st.value_loss;
        row.entropy = st.entropy;
        row.approx_kl = st.approx_kl;
        row.clip_fraction = st.clip_fraction;
        row.grad_norm = st.grad_norm;
        row.learning_rate = st.learning_rate;
        row.lag_mean = lag_count ? lag_sum / lag_count : 0;
        row.lag_max = lag_max;
        double reward_sum = 0;
        for (const auto& r : batch) reward_sum += r.reward;
        row.reward_mean = reward_sum / batch.size();
        row.best_throughput = s.best_throughput;
        row.update_ms = st.update_ms;
        row.broadcast_ms = broadcast_ms;
        row.epochs_run = st.epochs_run;
        log_status = log->AppendLearner(row);
      }
      lag_sum = lag_max = 0;
      lag_count = 0;
      batch.clear();
    }
    if (Seconds(last_progress) >= c.run.progress_interval_s) {
      last_progress = Clock::now();
      const double el = Seconds(start);
      const double rate = s.evaluations / std::max(el, 1e-9);
      std::fprintf(progress,
                   "[train] update %lld  samples %lld/%lld  best %.1f samples/s (reward %.3f)  "
                   "valid %.0f%%  %.1f samples/s  eta %.0fs\n",
                   static_cast<long long>(s.updates), static_cast<long long>(s.evaluations),
                   static_cast<long long>(c.run.budget), s.best_throughput, s.best_reward,
                   100.0 * valid / std::max<int64_t>(1, s.evaluations), rate,
                   (c.run.budget - s.evaluations) / std::max(rate, 1e-9));
      std::fflush(progress);
    }
  }
  StopActors(t);
  DrainActors(t);
  s.policy_version = version;
  s.wall_s = Seconds(start);
  s.samples_per_s = s.evaluations / std::max(s.wall_s, 1e-9);
  const double n = static_cast<double>(std::max<int64_t>(1, s.evaluations));
  s.valid_fraction = valid / n;
  s.proposal_valid_fraction = proposal_valid / n;
  s.mean_repair_ms = sum_repair / n;
  s.mean_eval_ms = sum_eval / n;
  s.mean_inference_ms = sum_infer / n;
  if (log) {
    common::Status closed = log->Close();
    if (log_status.ok()) log_status = closed;
  }
  if (!log_status.ok()) return log_status.WithContext("run file '" + c.run.out + "'");
  return s;
}

}  // namespace

common::StatusOr<TrainSummary> RunTraining(const TrainInputs& in, actors::Transport& t) {
  if (t.size() < 2) {
    return common::Status::Error(
        "train needs at least 2 MPI ranks (rank 0 learns, the others act): run it as "
        "`mpirun -np 3 mcmpart train …`");
  }
  if (t.rank() == 0) return RunLearner(in, t);
  std::vector<std::unique_ptr<actors::Environment>> envs;
  for (const common::Graph* g : in.graphs) {
    MCMPART_ASSIGN_OR_RETURN(auto env, actors::Environment::Create(*g, in.hw, in.config));
    envs.push_back(std::move(env));
  }
  MCMPART_RETURN_IF_ERROR(actors::RunActor(in.config, envs, t, static_cast<uint64_t>(in.config.run.seed)));
  return TrainSummary{};
}

}  // namespace mcmpart::learner
