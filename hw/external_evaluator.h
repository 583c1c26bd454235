// The `exec:` evaluator: an outside program that scores partitions over line-delimited JSON.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"
#include "common/status.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"

namespace mcmpart::hw {

/// The argv that runs `command`: split at blanks with '…', "…" and \ quoting, or
/// {"/bin/sh", "-c", command} when it uses the shell (pipes, redirections, variables, globs…).
/// The program itself is looked up on PATH unless it names a path. Fails for an empty command,
/// an unterminated quote, or a program that does not exist or is not executable.
common::StatusOr<std::vector<std::string>> ExternalCommandArgv(const std::string& command);

/// Scores partitions with an outside program, started once and kept running (README,
/// "External evaluators"). mcmpart writes one JSON object per line to its stdin:
///   {"type":"init","graph":<graph JSON>,"hardware":{"num_chips":K,…}}  once, then per request
///   {"type":"evaluate","id":N,"partition":[chip of node 0,…]}
/// and reads one line per request from its stdout: {"id":N,"throughput":X,"latency_s":Y},
/// optionally with "chip_busy_s":[K numbers]. The program's stderr passes through.
/// A reply that is not a JSON object, names another id, lacks a finite throughput >= 0, or does
/// not come within the timeout, or the program exiting, makes status() fail for good with a
/// message naming the command and quoting what it sent; Evaluate then returns empty Metrics.
/// The destructor closes the program's stdin, waits briefly for it to exit (not when it has
/// failed), then kills its process group and reaps it. Not thread-safe.
class ExternalEvaluator final : public Evaluator {
 public:
  /// Starts `command` (ExternalCommandArgv) and sends the init line. Fails only when the
  /// program cannot be started; a program that dies at once fails at the first Evaluate.
  /// `graph` and `hw` must outlive the evaluator.
  static common::StatusOr<std::unique_ptr<ExternalEvaluator>> Start(const std::string& command,
                                                                    const common::Graph& graph,
                                                                    const Hardware& hw,
                                                                    double timeout_s);
  ~ExternalEvaluator() override;
  ExternalEvaluator(const ExternalEvaluator&) = delete;
  ExternalEvaluator& operator=(const ExternalEvaluator&) = delete;

  const char* name() const override { return "exec"; }
  Metrics Evaluate(const common::Partition& p) override;
  common::Status status() const override { return status_; }
  /// The program's process id (its process group has the same id).
  pid_t pid() const { return pid_; }

 private:
  using Clock = std::chrono::steady_clock;
  ExternalEvaluator(std::string command, const common::Graph& graph, const Hardware& hw,
                    double timeout_s, pid_t pid, int fd);

  common::Status SendLine(const std::string& line, Clock::time_point deadline);
  common::StatusOr<std::string> ReadLine(Clock::time_point deadline);
  common::StatusOr<Metrics> ParseReply(const std::string& line, const common::Partition& p) const;
  /// "exited with status 3" or "was killed by signal 9"; reaps the program when it has ended.
  std::string DescribeExit();
  common::Status Fail(const std::string& what) const;
  void Stop();

  std::string command_;
  const common::Graph& graph_;
  const Hardware& hw_;
  double timeout_s_;
  pid_t pid_;
  int fd_;  ///< our end of the socket that is the program's stdin and stdout
  bool reaped_ = false;
  int64_t next_id_ = 0;
  std::string buffer_;  ///< bytes read past the last line
  common::Status status_;
};

}  // namespace mcmpart::hw
