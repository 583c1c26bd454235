// `mcmpart bench policy`: policy inference ms per sample and PPO update ms per batch.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "actors/features.h"
#include "cli/bench_util.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "common/graph_io.h"
#include "hw/hardware.h"
#include "policy/policy.h"
#include "policy/ppo.h"

namespace mcmpart::cli {

void AddUpdateSplit(const policy::PpoStats& s, int n, policy::PpoStats* sum) {
  sum->update_ms += s.update_ms / n;
  sum->prepare_ms += s.prepare_ms / n;
  sum->forward_ms += s.forward_ms / n;
  sum->backward_ms += s.backward_ms / n;
  sum->optimizer_ms += s.optimizer_ms / n;
}

void PrintUpdateSplit(const policy::PpoStats& split, nlohmann::json* result) {
  std::printf(
      "  update split: forward %.1f ms, backward %.1f ms, optimiser %.1f ms, other %.1f ms "
      "(of which decisions %.1f ms)\n",
      split.forward_ms, split.backward_ms, split.optimizer_ms, split.OtherMs(), split.prepare_ms);
  (*result)["update_split_ms"] = {{"forward", split.forward_ms},
                                  {"backward", split.backward_ms},
                                  {"optimizer", split.optimizer_ms},
                                  {"other", split.OtherMs()},
                                  {"prepare", split.prepare_ms}};
}

int RunBenchPolicy(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart bench policy",
                           "Policy inference time per sampled partition (one forward pass shared "
                           "by the samples of a batch) and PPO update time per batch.");
  options.add_options()("repeats", "timed repetitions", cxxopts::value<int>()->default_value("10"));
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("bench policy", parsed.status());
  if (parsed->help) return kExitOk;
  const int repeats = parsed->result["repeats"].as<int>();
  if (repeats < 1 || repeats > 100000) {
    return ReportBadInput("bench policy", common::Status::Error("--repeats must be in 1..100000"));
  }
  auto graph = common::LoadGraph(config.run.graph, config.run.weight_bytes.bytes);
  if (!graph.ok()) return ReportBadInput("bench policy", graph.status().WithContext("--graph"));
  auto hardware = LoadRunHardware(*parsed, *graph, &config);
  if (!hardware.ok()) return ReportBadInput("bench policy", hardware.status().WithContext("--hw"));

  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  const actors::GraphFeatures features = actors::BuildFeatures(*graph, *hardware);
  policy::Policy policy(config.policy, static_cast<uint64_t>(config.run.seed));
  policy.AddGraph(features);
  common::Rng rng(1);
  nlohmann::json result = {{"graph", graph->name},
                           {"nodes", graph->num_nodes()},
                           {"hardware", hardware->name},
                           {"parameters", policy.num_parameters()}};
  std::printf("policy on %s (%d nodes), %s, %zu parameters, 1 thread\n", graph->name.c_str(),
              graph->num_nodes(), hardware->name.c_str(), policy.num_parameters());
  policy.Sample(0, 1, rng);  // warm-up
  const char* decoder = common::EnumName(config.policy.decoder);
  result["decoder"] = decoder;
  for (int n : {1, 4, 16, 64}) {
    auto t = Clock::now();
    double decode_ms = 0;
    for (int r = 0; r < repeats; ++r) decode_ms += policy.Sample(0, n, rng).decode_ms;
    const double per_sample = ms_since(t) / repeats / n;
    const double decode_per_sample = decode_ms / repeats / n;
    std::printf("  inference, %2d samples per forward: %8.3f ms per sample (%s decoding %.3f)\n", n,
                per_sample, decoder, decode_per_sample);
    result["inference_ms_per_sample_batch" + std::to_string(n)] = per_sample;
    result["decode_ms_per_sample_batch" + std::to_string(n)] = decode_per_sample;
  }
  policy::PpoTrainer trainer(config, static_cast<uint64_t>(config.run.seed));
  trainer.AddGraph(features);
  policy::PolicySample s = policy.Sample(0, config.ppo.batch_size, rng);
  std::vector<actors::EpisodeRecord> batch(config.ppo.batch_size);
  for (int i = 0; i < config.ppo.batch_size; ++i) {
    batch[i].proposal = s.proposals[i];
    batch[i].logp_proposal = s.logp[i];
    batch[i].value = s.value;
    batch[i].reward = static_cast<double>(i % 7) / 7.0;
  }
  const int update_repeats = std::max(1, repeats / 5);
  auto t = Clock::now();
  int epochs = 0;
  policy::PpoStats split;
  for (int r = 0; r < update_repeats; ++r) {
    const policy::PpoStats st = trainer.Update(batch);
    epochs += st.epochs_run;
    AddUpdateSplit(st, update_repeats, &split);
  }
  const double per_update = ms_since(t) / update_repeats;
  std::printf("  PPO update, batch %d, minibatch %d, %.1f epochs on average: %8.1f ms per update\n",
              config.ppo.batch_size, config.ppo.minibatch,
              static_cast<double>(epochs) / update_repeats, per_update);
  PrintUpdateSplit(split, &result);
  result["ppo_update_ms"] = per_update;
  result["batch_size"] = config.ppo.batch_size;
  if (parsed->json) std::cout << result.dump() << std::endl;
  return kExitOk;
}

}  // namespace mcmpart::cli
