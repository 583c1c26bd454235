// The learner's record sink: numbering, run-file rows, best partition, statistics, progress.
#include "learner/record_sink.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace mcmpart::learner {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

RecordSink::RecordSink(const TrainInputs& in, RunLog* log, int64_t start_evaluations,
                       const std::string& strategy)
    : in_(in), log_(log), start_(Clock::now()), strategy_(strategy) {
  s_.strategy = strategy;
  s_.evaluations = s_.start_evaluations = start_evaluations;
  progress_ = in.progress_to_stderr ? stderr : stdout;
  // A bar only on a real terminal: under mpirun every rank's stdout is a pseudo-terminal
  // even when the job's output goes to a file, so ranks print plain lines there.
  tty_ = isatty(fileno(progress_)) && std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr &&
         std::getenv("PMIX_RANK") == nullptr;
}

bool RecordSink::time_up() const {
  return in_.config.run.time_limit_s > 0 && Seconds(start_) >= in_.config.run.time_limit_s;
}

double RecordSink::elapsed_s() const { return Seconds(start_); }

void RecordSink::RestoreBest(const policy::TrainingState& st) {
  s_.best_throughput = st.best_throughput;
  s_.first_batch_best_throughput = st.first_batch_best_throughput;
  s_.best_partition = st.best_partition;
  s_.best_step = st.best_step;
}

void RecordSink::Add(const actors::EpisodeRecord& r, int64_t lag) {
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
  actors::EpisodeRecord row = r;
  row.step = step;
  row.wall_time_s = Seconds(start_);
  row.policy_lag = static_cast<int32_t>(lag);
  status_ = log_->AppendRollout(row);
  // Each graph of a corpus keeps its own best in the file, not only the run's best graph.
  if (status_.ok() && r.valid && r.throughput > log_->best_throughput(r.graph)) {
    status_ = log_->UpdateBest(r.graph, r.partition, r.throughput, step, row.wall_time_s);
  }
  log_s_ += Seconds(t);
}

void RecordSink::LogLearner(LearnerRow row) {
  if (!log_ || !status_.ok()) return;
  const auto t = Clock::now();
  row.wall_time_s = Seconds(start_);
  row.samples_seen = s_.evaluations;
  row.best_throughput = s_.best_throughput;
  status_ = log_->AppendLearner(row);
  log_s_ += Seconds(t);
}

void RecordSink::Progress(bool final_line) {
  const double interval_s = tty_ ? 0.25 : in_.config.run.progress_interval_s;
  if (!final_line && Seconds(last_progress_) < interval_s) return;
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
    std::fprintf(
        progress_,
        "\r[%s%s] %3.0f%%  %lld/%lld  update %lld  best %.1f/s  %.1f samples/s  eta %.0fs ",
        std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), 100 * frac,
        static_cast<long long>(s_.evaluations), static_cast<long long>(budget),
        static_cast<long long>(s_.updates), s_.best_throughput, rate, std::max(0.0, eta));
    if (final_line) std::fprintf(progress_, "\n");
  } else {
    std::fprintf(
        progress_,
        "[%s] update %lld  samples %lld/%lld  best %.1f samples/s (reward %.3f)  valid %.0f%%  "
        "%.1f samples/s  eta %.0fs\n",
        strategy_ == "rl" ? "train" : strategy_.c_str(), static_cast<long long>(s_.updates),
        static_cast<long long>(s_.evaluations), static_cast<long long>(budget), s_.best_throughput,
        s_.best_reward, 100.0 * valid_ / std::max<int64_t>(1, counted_), rate, std::max(0.0, eta));
  }
  std::fflush(progress_);
}

common::Status RecordSink::Finish() {
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

}  // namespace mcmpart::learner
