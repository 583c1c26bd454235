// Zero-shot policy evaluation: greedy and best-of-N sampled decoding, repaired and scored.
#include "learner/evaluate.h"

#include <chrono>
#include <cstdio>

#include "actors/environment.h"
#include "actors/search/dp.h"
#include "policy/policy.h"
#include "policy/ppo.h"

namespace mcmpart::learner {
namespace {
// Stream of the evaluation's sampling, apart from the streams training derives from the seed.
constexpr uint64_t kEvalStream = 0xE7A1;

// DP's partition of `env`'s graph, scored by `env`'s evaluator, into `out`.
void ScoreDp(actors::Environment* env, PolicyEvaluation* out) {
  const auto start = std::chrono::steady_clock::now();
  auto dp = actors::search::DpMaxLoad(env->graph(), env->hardware());
  out->dp_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!dp.ok()) {
    out->dp_note = dp.status().message();
    return;
  }
  actors::ScoreOutcome r = env->Score(dp->partition, {});
  out->dp.valid = r.valid && r.changed_nodes == 0;
  out->dp.proposal = dp->partition;
  out->dp.partition = r.partition;
  out->dp.reward = r.reward;
  if (out->dp.valid) {
    out->dp.metrics = env->evaluator().Evaluate(r.partition);
  } else {
    out->dp_note = "DP's partition is not valid under the run's constraints";
  }
}

// Decoding `i` of `s`, repaired and scored by `env`.
DecodeResult ScoreDecoding(actors::Environment* env, const policy::PolicySample& s, int i) {
  actors::ScoreOutcome r = env->Score(s.proposals[i], s.RepairWeights(i));
  DecodeResult d;
  d.valid = r.valid;
  d.proposal = s.proposals[i];
  d.partition = r.partition;
  d.changed_nodes = r.changed_nodes;
  d.reward = r.reward;
  if (r.valid) d.metrics = env->evaluator().Evaluate(r.partition);
  return d;
}

}  // namespace

std::string TemperaturesText(const std::vector<double>& temperatures) {
  std::string text;
  for (double t : temperatures) {
    char number[32];
    std::snprintf(number, sizeof(number), "%s%g", text.empty() ? "" : ",", t);
    text += number;
  }
  return text;
}

common::StatusOr<PolicyEvaluation> EvaluatePolicy(const common::Config& config,
                                                  const std::string& checkpoint,
                                                  const common::Graph& graph,
                                                  const hw::Hardware& hw,
                                                  const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  MCMPART_ASSIGN_OR_RETURN(std::vector<float> weights,
                           policy::ReadCheckpointWeights(checkpoint, config.policy));
  policy::Policy policy(config.policy, static_cast<uint64_t>(config.run.seed));
  MCMPART_RETURN_IF_ERROR(policy.SetFlatWeights(weights));
  MCMPART_ASSIGN_OR_RETURN(auto env, actors::Environment::Create(graph, hw, config));
  policy.AddGraph(env->features());
  common::Rng rng(common::DeriveSeed(static_cast<uint64_t>(config.run.seed), kEvalStream));

  PolicyEvaluation out;
  out.greedy = ScoreDecoding(env.get(), policy.Sample(0, 1, rng, /*greedy=*/true), 0);
  out.samples = options.samples;
  const int levels = static_cast<int>(options.temperatures.size());
  int valid = 0;
  for (int level = 0; level < levels && options.samples > 0; ++level) {
    const int n = options.samples / levels + (level < options.samples % levels ? 1 : 0);
    const double t = options.temperatures[level];
    if (n == 0) continue;
    MCMPART_RETURN_IF_ERROR(policy.SetFlatWeights(weights));
    if (t != 1.0) policy.Soften(t);
    policy::PolicySample s = policy.Sample(0, n, rng);
    for (int i = 0; i < n; ++i) {
      DecodeResult d = ScoreDecoding(env.get(), s, i);
      valid += d.valid;
      if (d.valid &&
          (!out.sampled.valid || d.metrics.throughput > out.sampled.metrics.throughput)) {
        out.sampled = std::move(d);
        out.sampled_temperature = t;
      }
    }
  }
  if (options.samples > 0) out.valid_fraction = static_cast<double>(valid) / options.samples;
  if (options.with_dp) ScoreDp(env.get(), &out);
  MCMPART_RETURN_IF_ERROR(env->evaluator().status());
  out.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace mcmpart::learner
