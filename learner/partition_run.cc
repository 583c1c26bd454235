// The strategies of `mcmpart partition` in turn: DP, the policy, then annealing seeded from the
// best.
#include "learner/partition_run.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <sstream>

#include "actors/environment.h"
#include "actors/search/strategy.h"
#include "common/rng.h"
#include "learner/evaluate.h"

namespace mcmpart::learner {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The search's time limit in seconds from its start (infinite when there is none).
double Deadline(const PartitionSearchOptions& options) {
  return options.time_limit_s > 0 ? options.time_limit_s : std::numeric_limits<double>::infinity();
}

bool Stopped(const PartitionSearchOptions& options) {
  return options.stop_requested && options.stop_requested->load(std::memory_order_relaxed);
}

// Ask → score → tell one candidate at a time until the strategy is finished, `until_s`
// (measured from `start`) is reached or `out` holds `max_evaluations` (> 0); the best valid
// record goes into `out`.
common::Status Drive(actors::search::SearchStrategy& strategy, actors::Environment& env,
                     Clock::time_point start, double until_s, const PartitionSearchOptions& options,
                     PartitionProgress* progress, StrategyOutcome* out,
                     int64_t max_evaluations = 0) {
  const std::vector<actors::Environment*> envs = {&env};
  while (!strategy.finished() && SecondsSince(start) < until_s && !Stopped(options) &&
         (max_evaluations <= 0 || out->evaluations < max_evaluations)) {
    std::vector<actors::EpisodeRecord> records = actors::search::AskScoreTell(strategy, envs, 1, 0);
    if (records.empty()) break;
    for (const actors::EpisodeRecord& r : records) {
      if (r.evaluator_failed) return env.evaluator().status();
      ++out->evaluations;
      ++progress->evaluations;
      if (!r.valid || (out->valid && r.throughput <= out->throughput)) continue;
      out->valid = true;
      out->throughput = r.throughput;
      out->partition = r.partition;
      progress->best_throughput = std::max(progress->best_throughput, r.throughput);
    }
    progress->elapsed_s = SecondsSince(start);
    progress->strategy_evaluations = out->evaluations;
    if (options.progress) options.progress(*progress);
  }
  return common::Status::Ok();
}

// The policy's greedy and sampled decodings (EvaluatePolicy), the better valid one kept.
StrategyOutcome RunPolicy(const common::Graph& graph, const hw::Hardware& hw,
                          const common::Config& config, const PartitionSearchOptions& options) {
  StrategyOutcome out;
  out.name = "policy";
  const Clock::time_point start = Clock::now();
  common::Config with_shape = config;
  with_shape.policy = options.policy;
  EvalOptions eval_options;
  eval_options.samples = options.policy_samples;
  eval_options.temperatures = options.policy_temperatures;
  auto eval = EvaluatePolicy(with_shape, options.policy_checkpoint, graph, hw, eval_options);
  out.seconds = SecondsSince(start);
  if (!eval.ok()) {
    out.note = eval.status().message();
    return out;
  }
  out.evaluations = 1 + eval->samples;
  for (const DecodeResult* d : {&eval->greedy, &eval->sampled}) {
    if (!d->valid || (out.valid && d->metrics.throughput <= out.throughput)) continue;
    out.valid = true;
    out.throughput = d->metrics.throughput;
    out.partition = d->partition;
  }
  out.note = "greedy and " + std::to_string(eval->samples) + " sampled decodings at temperature " +
             TemperaturesText(eval_options.temperatures) + ", repaired";
  return out;
}

// The best valid partition so far, which starts every annealing chain (none: the chains start
// from greedy pipelines); `note` says which.
std::vector<common::Partition> AnnealStarts(const std::vector<StrategyOutcome>& done,
                                            std::string* note) {
  const StrategyOutcome* from = nullptr;
  for (const StrategyOutcome& s : done) {
    if (s.valid && (!from || s.throughput > from->throughput)) from = &s;
  }
  *note = from ? "chains started from the " + from->name + " partition"
               : "started from greedy pipelines";
  if (!from) return {};
  return {from->partition};
}

// A short first annealing run measures its evaluations per second, which sets the budget
// (the temperature schedule) of the main run over the time left.
constexpr double kProbeSeconds = 1.0;
constexpr double kProbeShare = 0.05;
constexpr int64_t kMinAnnealBudget = 16;

// Simulated annealing with its chains started from the best partition in `done`: the budget
// options.anneal_budget, or else the time left times the evaluation rate of a short timing run
// (whose evaluations count too).
common::Status RunAnneal(actors::Environment& env, Clock::time_point start,
                         const std::vector<StrategyOutcome>& done,
                         const PartitionSearchOptions& options, PartitionProgress* progress,
                         StrategyOutcome* anneal) {
  anneal->name = "anneal";
  const Clock::time_point anneal_start = Clock::now();
  std::vector<common::Partition> starts = AnnealStarts(done, &anneal->note);
  const uint64_t seed = common::DeriveSeed(options.seed, 2);
  int64_t budget = options.anneal_budget;
  if (budget <= 0) {
    const double left_s = options.time_limit_s - SecondsSince(start);
    const double probe_until_s =
        SecondsSince(start) + std::min(kProbeSeconds, kProbeShare * left_s);
    auto probe = actors::search::MakeAnnealStrategy({&env}, kMinAnnealBudget, seed, starts);
    MCMPART_RETURN_IF_ERROR(Drive(*probe, env, start, probe_until_s, options, progress, anneal));
    const double rate = anneal->evaluations / std::max(SecondsSince(anneal_start), 1e-6);
    const double rest_s = std::max(0.0, options.time_limit_s - SecondsSince(start));
    budget = std::max<int64_t>(kMinAnnealBudget, static_cast<int64_t>(rate * rest_s));
  }
  auto strategy = actors::search::MakeAnnealStrategy({&env}, budget, seed + 1, starts);
  MCMPART_RETURN_IF_ERROR(Drive(*strategy, env, start, Deadline(options), options, progress, anneal,
                                options.anneal_budget));
  anneal->seconds = SecondsSince(anneal_start);
  return common::Status::Ok();
}

}  // namespace

std::string SearchLimitText(double time_limit_s, int64_t anneal_budget) {
  std::string text;
  if (anneal_budget > 0) {
    text = "an annealing budget of " + std::to_string(anneal_budget) + " evaluations";
  }
  if (time_limit_s > 0 || text.empty()) {
    std::ostringstream seconds;
    seconds << time_limit_s << " s";
    text += (text.empty() ? "" : " and ") + seconds.str();
  }
  return text;
}

common::StatusOr<PartitionSearchResult> RunPartitionSearch(const common::Graph& graph,
                                                           const hw::Hardware& hw,
                                                           const common::Config& config,
                                                           const PartitionSearchOptions& options) {
  MCMPART_ASSIGN_OR_RETURN(auto env, actors::Environment::Create(graph, hw, config));
  PartitionSearchResult result;
  result.policy_note =
      options.policy_checkpoint.empty() ? options.policy_note : options.policy_checkpoint;
  const Clock::time_point start = Clock::now();
  PartitionProgress progress;
  progress.limit_s = options.time_limit_s;
  progress.anneal_budget = options.anneal_budget;
  auto announce = [&](const char* name) {
    progress.strategy = name;
    progress.elapsed_s = SecondsSince(start);
    if (options.progress) options.progress(progress);
  };

  StrategyOutcome dp;
  dp.name = "dp";
  announce("dp");
  auto dp_strategy = actors::search::MakeBaselineStrategy("dp", {env.get()}, config, options.seed);
  if (dp_strategy.ok()) {
    MCMPART_RETURN_IF_ERROR(
        Drive(**dp_strategy, *env, start, Deadline(options), options, &progress, &dp));
    if (!dp.valid) dp.note = "its partition is not valid under the evaluator's checks";
  } else {
    dp.note = dp_strategy.status().message();
  }
  dp.seconds = SecondsSince(start);
  result.strategies.push_back(dp);
  if (!options.policy_checkpoint.empty() && !Stopped(options)) {
    announce("policy");
    result.strategies.push_back(RunPolicy(graph, hw, config, options));
    progress.evaluations += result.strategies.back().evaluations;
    if (result.strategies.back().valid) {
      progress.best_throughput =
          std::max(progress.best_throughput, result.strategies.back().throughput);
    }
  }

  announce("anneal");
  StrategyOutcome anneal;
  MCMPART_RETURN_IF_ERROR(RunAnneal(*env, start, result.strategies, options, &progress, &anneal));
  result.strategies.push_back(anneal);

  result.interrupted = Stopped(options);
  for (size_t i = 0; i < result.strategies.size(); ++i) {
    const StrategyOutcome& s = result.strategies[i];
    if (!s.valid) continue;
    if (result.best < 0 || s.throughput > result.strategies[result.best].throughput) {
      result.best = static_cast<int>(i);
    }
  }
  if (result.best < 0) {
    return common::Status::Error("no strategy found a valid partition of '" + graph.name +
                                 "' on '" + hw.name + "' within " +
                                 SearchLimitText(options.time_limit_s, options.anneal_budget) +
                                 " (dp: " + (dp.note.empty() ? "invalid" : dp.note) + ")");
  }
  return result;
}

}  // namespace mcmpart::learner
