// Where evaluated records go on the learner: steps, run-file rows, the best partition,
// statistics and the terminal progress display.
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

/// Consumes evaluated records for the run: numbers them, logs them (with learner rows) to the
/// run file, keeps the best partition and the run's statistics, and shows progress. Used by
/// the MPI learner and by local searches; one thread.
class RecordSink {
 public:
  /// `log` may be null (no run file); evaluations continue from `start_evaluations`.
  RecordSink(const TrainInputs& in, RunLog* log, int64_t start_evaluations,
             const std::string& strategy);

  int64_t evaluations() const { return s_.evaluations; }
  bool budget_reached() const { return s_.evaluations >= in_.config.run.budget; }
  /// The run's time limit has passed (never without one).
  bool time_up() const;
  /// Seconds since the sink was made.
  double elapsed_s() const;
  TrainSummary& summary() { return s_; }
  /// The first run-file error; once set, nothing more is logged.
  const common::Status& status() const { return status_; }

  /// Restores the best-so-far from a checkpoint (resume).
  void RestoreBest(const policy::TrainingState& st);
  /// Logs one record; `lag` is the learner's version minus the record's.
  void Add(const actors::EpisodeRecord& r, int64_t lag);
  /// Logs one learner row, filling its wall time, samples seen and best throughput.
  void LogLearner(LearnerRow row);
  /// A progress bar with ETA on a terminal, plain periodic lines otherwise.
  void Progress(bool final_line = false);
  /// Fills the remaining summary fields and closes the run file.
  common::Status Finish();

 private:
  using Clock = std::chrono::steady_clock;

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

}  // namespace mcmpart::learner
