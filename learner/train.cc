// Training and search runs: the learner rank, the actor ranks' set-up and local searches.
#include "learner/train.h"

#include <algorithm>
#include <memory>

#include "actors/environment.h"
#include "actors/record.h"
#include "actors/repair.h"
#include "actors/search/actor_loop.h"
#include "actors/search/strategy.h"
#include "learner/learner_loop.h"
#include "learner/record_sink.h"
#include "policy/policy.h"
#include "policy/ppo.h"
#include "policy/rl_strategy.h"

namespace mcmpart::learner {
namespace {

bool StopRequested(const TrainInputs& in) {
  return in.stop_requested && in.stop_requested->load(std::memory_order_relaxed);
}

common::StatusOr<std::vector<std::unique_ptr<actors::Environment>>> MakeEnvs(
    const TrainInputs& in) {
  std::vector<std::unique_ptr<actors::Environment>> envs;
  for (size_t i = 0; i < in.graphs.size(); ++i) {
    MCMPART_ASSIGN_OR_RETURN(auto env,
                             actors::Environment::Create(*in.graphs[i], in.HwOf(i), in.config));
    envs.push_back(std::move(env));
  }
  return envs;
}

std::vector<actors::Environment*> Raw(
    const std::vector<std::unique_ptr<actors::Environment>>& envs) {
  std::vector<actors::Environment*> out;
  for (const auto& e : envs) out.push_back(e.get());
  return out;
}

// The first failure of an environment's evaluator (an exec: program), or Ok.
common::Status EvaluatorStatus(const std::vector<std::unique_ptr<actors::Environment>>& envs) {
  for (const auto& env : envs) MCMPART_RETURN_IF_ERROR(env->evaluator().status());
  return common::Status::Ok();
}

// Wraps a strategy so that a failed evaluator ends the search: the records from the first
// failed one on are dropped (neither sent nor logged) and Ask offers nothing more, so a local
// search stops and an actor reports the failure to the learner (kFailed).
class StopOnEvaluatorFailure final : public actors::search::SearchStrategy {
 public:
  StopOnEvaluatorFailure(actors::search::SearchStrategy& inner,
                         const std::vector<std::unique_ptr<actors::Environment>>& envs)
      : inner_(inner), envs_(envs) {}
  const char* name() const override { return inner_.name(); }
  std::vector<actors::search::Candidate> Ask(int n) override {
    if (failed_) return {};
    return inner_.Ask(n);
  }
  void Tell(std::vector<actors::EpisodeRecord>& scored) override {
    inner_.Tell(scored);
    const auto bad = std::find_if(scored.begin(), scored.end(), [](const actors::EpisodeRecord& r) {
      return r.evaluator_failed;
    });
    failed_ = failed_ || bad != scored.end();
    scored.erase(bad, scored.end());
  }
  bool finished() const override { return failed_ || inner_.finished(); }
  common::Status status() const override {
    return failed_ ? EvaluatorStatus(envs_) : common::Status::Ok();
  }

 private:
  actors::search::SearchStrategy& inner_;
  const std::vector<std::unique_ptr<actors::Environment>>& envs_;
  bool failed_ = false;
};

// Actor sampling streams are keyed on the seed, the rank and the policy version of the first
// weights received: a fresh run starts at version 0, a resumed run at its checkpoint's version,
// so it draws new samples rather than repeating the first segment's.
uint64_t ActorSeed(const TrainInputs& in, int rank, int64_t first_version) {
  return common::DeriveSeed(common::DeriveSeed(static_cast<uint64_t>(in.config.run.seed), rank),
                            static_cast<uint64_t>(first_version));
}

}  // namespace

common::Status CheckSearchStrategy(const std::string& strategy) {
  const auto id = actors::StrategyFromName(strategy);
  if (id && *id != actors::StrategyId::kRl) return common::Status::Ok();
  return common::Status::Error("--strategy '" + strategy + "' is unknown (expected one of " +
                               actors::SearchStrategyNames(", ") + "; RL is `mcmpart train`)");
}

common::Status CheckPartitionable(const common::Graph& graph, const hw::Hardware& hw) {
  actors::Repairer repairer(graph, hw);
  common::Status feasible = repairer.CheckFeasible();
  if (feasible.ok()) return feasible;
  return common::Status::Error("graph '" + graph.name + "' cannot be partitioned on '" + hw.name +
                               "': " + feasible.message());
}

std::string CheckpointPath(const common::Config& c) {
  if (!c.run.checkpoint.empty()) return c.run.checkpoint;
  if (!c.run.out.empty()) return c.run.out + ".ckpt";
  return "";
}

common::StatusOr<std::string> ReadCheckpointConfig(const std::string& path) {
  return policy::ReadCheckpointConfigText(path);
}

common::StatusOr<TrainSummary> RunTraining(const TrainInputs& in, actors::Transport& t) {
  if (t.size() < 2) {
    return common::Status::Error(
        "train needs at least 2 MPI ranks (rank 0 learns, the others act): run it as "
        "`mpirun -np 3 mcmpart train …`");
  }
  if (t.rank() == 0) return RunLearnerRank(in, t, /*learning=*/true, "rl");
  MCMPART_ASSIGN_OR_RETURN(auto envs, MakeEnvs(in));
  policy::Policy policy(in.config.policy, static_cast<uint64_t>(in.config.run.seed));
  for (const auto& env : envs) policy.AddGraph(env->features());
  const int per_step = std::max<int>(in.config.actor.envs_per_actor, 1);
  policy::RlStrategy strategy(policy, Raw(envs), per_step, ActorSeed(in, t.rank(), 0));
  auto on_weights = [&](int64_t v, const std::vector<float>& flat) -> common::Status {
    MCMPART_RETURN_IF_ERROR(policy.SetFlatWeights(flat));
    if (strategy.policy_version() < 0) strategy.Reseed(ActorSeed(in, t.rank(), v));
    strategy.SetPolicyVersion(v);
    return common::Status::Ok();
  };
  StopOnEvaluatorFailure guarded(strategy, envs);
  MCMPART_RETURN_IF_ERROR(actors::search::RunActor(in.config, guarded, Raw(envs), t, on_weights));
  return TrainSummary{};
}

common::StatusOr<TrainSummary> RunSearch(const TrainInputs& in, const std::string& strategy_name,
                                         actors::Transport* t) {
  if (t && t->size() > 1) {
    if (t->rank() == 0) return RunLearnerRank(in, *t, /*learning=*/false, strategy_name);
    MCMPART_ASSIGN_OR_RETURN(auto envs, MakeEnvs(in));
    MCMPART_ASSIGN_OR_RETURN(
        auto strategy, actors::search::MakeBaselineStrategy(strategy_name, Raw(envs), in.config,
                                                            ActorSeed(in, t->rank(), 0)));
    StopOnEvaluatorFailure guarded(*strategy, envs);
    MCMPART_RETURN_IF_ERROR(actors::search::RunActor(in.config, guarded, Raw(envs), *t, nullptr));
    return TrainSummary{};
  }
  // In this process: ask, score, tell until the budget, the time limit or a finished search.
  MCMPART_ASSIGN_OR_RETURN(auto envs, MakeEnvs(in));
  MCMPART_ASSIGN_OR_RETURN(auto inner,
                           actors::search::MakeBaselineStrategy(strategy_name, Raw(envs), in.config,
                                                                ActorSeed(in, 1, 0)));
  auto strategy = std::make_unique<StopOnEvaluatorFailure>(*inner, envs);
  MCMPART_ASSIGN_OR_RETURN(auto log, OpenRunLog(in, 1));
  RecordSink sink(in, log.get(), log ? log->num_rollouts() : 0, strategy_name);
  sink.summary().ranks = 1;
  while (!sink.budget_reached() && !sink.time_up() && !strategy->finished() && sink.status().ok()) {
    if (StopRequested(in)) {
      sink.summary().interrupted = true;
      break;
    }
    std::vector<actors::EpisodeRecord> records =
        actors::search::AskScoreTell(*strategy, Raw(envs), in.config.actor.samples_per_message, 0);
    if (records.empty()) break;
    for (const actors::EpisodeRecord& r : records) {
      if (sink.budget_reached()) break;
      sink.Add(r, 0);
    }
    sink.Progress();
  }
  common::Status st = sink.Finish();
  if (!st.ok()) return st.WithContext("run file '" + in.config.run.out + "'");
  MCMPART_RETURN_IF_ERROR(EvaluatorStatus(envs));
  return sink.summary();
}

}  // namespace mcmpart::learner
