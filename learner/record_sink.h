// The record sink: evaluated records become run-file rows, the best partition, statistics and
// the progress display.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "actors/record.h"
#include "common/status.h"
#include "learner/run_log.h"
#include "learner/train.h"
#include "policy/ppo.h"

namespace mcmpart::learner {

/// Seconds since `since` on the steady clock.
double SecondsSince(std::chrono::steady_clock::time_point since);

/// Consumes evaluated records for the run: steps, run-file rows, best partition, statistics
/// and the terminal progress display. Used by the MPI learner and by local searches.
class RecordSink {
 public:
  /// `log` may be null (no run file); evaluations are counted from `start_evaluations`.
  RecordSink(const TrainInputs& in, RunLog* log, int64_t start_evaluations,
             const std::string& strategy);

  int64_t evaluations() const { return s_.evaluations; }
  bool budget_reached() const { return s_.evaluations >= in_.config.run.budget; }
  bool time_up() const;
  double elapsed_s() const { return SecondsSince(start_); }
  TrainSummary& summary() { return s_; }
  const common::Status& status() const { return status_; }

  /// Restores the best-so-far from a checkpoint (resume).
  void RestoreBest(const policy::TrainingState& st);
  /// Logs one record; `lag` is the learner's version minus the record's.
  void Add(const actors::EpisodeRecord& r, int64_t lag);
  /// Logs one learner update (wall time, samples seen and best throughput filled in here).
  void LogLearner(LearnerRow row);
  /// A progress bar with ETA on a terminal, plain periodic lines otherwise.
  void Progress(bool final_line = false);
  /// Fills the remaining summary fields and closes the run file.
  common::Status Finish();

 private:
  void Count(const actors::EpisodeRecord& r, int64_t step);
  void PrintBar(double frac, double rate, double eta, bool final_line);
  void PrintLine(double rate, double eta);

  const TrainInputs& in_;
  RunLog* log_;
  std::chrono::steady_clock::time_point start_, last_progress_;
  std::string strategy_;
  TrainSummary s_;
  common::Status status_;
  std::FILE* progress_;
  bool tty_ = false;
  int64_t valid_ = 0, proposal_valid_ = 0, counted_ = 0;
  ActorTimes times_;
  double log_s_ = 0;
};

}  // namespace mcmpart::learner
