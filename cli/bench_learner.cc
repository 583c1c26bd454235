// `mcmpart bench learner`: samples/s the learner consumes, end to end, with its parts.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "actors/environment.h"
#include "actors/record.h"
#include "actors/search/strategy.h"
#include "actors/transport.h"
#include "cli/bench_util.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "common/graph_io.h"
#include "hw/hardware.h"
#include "policy/policy.h"
#include "policy/ppo.h"
#include "policy/rl_strategy.h"

namespace mcmpart::cli {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
// CPU seconds this process has used: on a shared machine the wall clock also counts the time
// other processes held the core.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Record messages as actors send them: sampled by the policy, repaired and scored by the
// environment, encoded samples_per_message at a time.
std::vector<std::vector<uint8_t>> MakeMessages(const common::Config& config,
                                               actors::Environment& env, int samples) {
  policy::Policy policy(config.policy, static_cast<uint64_t>(config.run.seed));
  policy.AddGraph(env.features());
  policy::RlStrategy strategy(policy, {&env}, 1, static_cast<uint64_t>(config.run.seed));
  strategy.SetPolicyVersion(0);
  std::vector<std::vector<uint8_t>> messages;
  for (int made = 0; made < samples;) {
    std::vector<actors::EpisodeRecord> records = actors::search::AskScoreTell(
        strategy, {&env}, std::min(config.actor.samples_per_message, samples - made), 1);
    made += static_cast<int>(records.size());
    messages.emplace_back();
    actors::EncodeRecords(records, &messages.back());
  }
  return messages;
}

// Time per part of consuming one batch, summed over the timed batches.
struct LearnerParts {
  double decode_ms = 0, update_ms = 0, weights_ms = 0;
  policy::PpoStats split;
  int epochs = 0;
};

// Decodes the messages of `batches` batches (cycling through `messages`), trains on each batch
// and encodes the weights broadcast, as the learner rank does.
common::Status ConsumeBatches(const std::vector<std::vector<uint8_t>>& messages, int batches,
                              int batch_size, policy::PpoTrainer& trainer, LearnerParts* parts) {
  size_t next = 0;
  for (int b = 0; b < batches; ++b) {
    auto t = Clock::now();
    std::vector<actors::EpisodeRecord> batch;
    while (static_cast<int>(batch.size()) < batch_size) {
      const std::vector<uint8_t>& m = messages[next++ % messages.size()];
      MCMPART_ASSIGN_OR_RETURN(auto decoded, actors::DecodeRecords(m.data(), m.size()));
      for (auto& r : decoded) batch.push_back(std::move(r));
    }
    batch.resize(batch_size);
    parts->decode_ms += MsSince(t);
    t = Clock::now();
    const policy::PpoStats st = trainer.Update(batch);
    parts->update_ms += MsSince(t);
    parts->epochs += st.epochs_run;
    AddUpdateSplit(st, 1, &parts->split);
    t = Clock::now();
    const std::vector<uint8_t> payload = actors::EncodeWeights(b + 1, trainer.FlatWeights());
    parts->weights_ms += MsSince(t);
    if (payload.empty()) return common::Status::Error("empty weights buffer");
  }
  return common::Status::Ok();
}

}  // namespace

int RunBenchLearner(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart bench learner",
                           "Samples per second the learner consumes, end to end: decode record "
                           "messages made by the actors' code path, batch, PPO update, weights "
                           "buffer. Run it under `taskset -c 0` for one core.");
  options.add_options()("batches", "timed PPO updates", cxxopts::value<int>()->default_value("8"));
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("bench learner", parsed.status());
  if (parsed->help) return kExitOk;
  const int batches = parsed->result["batches"].as<int>();
  if (batches < 1 || batches > 100000) {
    return ReportBadInput("bench learner", common::Status::Error("--batches must be in 1..100000"));
  }
  auto graph = common::LoadGraph(config.run.graph, config.run.weight_bytes.bytes);
  if (!graph.ok()) return ReportBadInput("bench learner", graph.status().WithContext("--graph"));
  auto hardware = LoadRunHardware(*parsed, *graph, &config);
  if (!hardware.ok()) return ReportBadInput("bench learner", hardware.status().WithContext("--hw"));
  auto env = actors::Environment::Create(*graph, *hardware, config);
  if (!env.ok()) return ReportBadInput("bench learner", env.status());

  // Distinct records for two batches, at least: consecutive updates see different data.
  const int batch = config.ppo.batch_size;
  const auto messages = MakeMessages(config, **env, std::min(2 * batch, 4096));
  policy::PpoTrainer trainer(config, static_cast<uint64_t>(config.run.seed));
  trainer.AddGraph((*env)->features());
  LearnerParts warm, parts;
  common::Status st = ConsumeBatches(messages, 1, batch, trainer, &warm);
  const auto start = Clock::now();
  const double cpu_start = CpuSeconds();
  if (st.ok()) st = ConsumeBatches(messages, batches, batch, trainer, &parts);
  if (!st.ok()) return ReportBadInput("bench learner", st);
  const double total_ms = MsSince(start), cpu_s = CpuSeconds() - cpu_start;
  const double samples_per_s = 1e3 * batches * batch / total_ms;
  const double samples_per_cpu_s = batches * batch / cpu_s;
  nlohmann::json result = {{"graph", graph->name},
                           {"hardware", hardware->name},
                           {"batch_size", batch},
                           {"minibatch", config.ppo.minibatch},
                           {"epochs_mean", static_cast<double>(parts.epochs) / batches},
                           {"threads", policy::TrainerThreads(config.ppo)},
                           {"samples_per_s", samples_per_s},
                           {"samples_per_cpu_s", samples_per_cpu_s},
                           {"decode_ms_per_batch", parts.decode_ms / batches},
                           {"update_ms_per_batch", parts.update_ms / batches},
                           {"weights_ms_per_batch", parts.weights_ms / batches}};
  std::printf("learner on %s (%d nodes), %s: batch %d, minibatch %d, %.1f epochs, %d threads\n",
              graph->name.c_str(), graph->num_nodes(), hardware->name.c_str(), batch,
              config.ppo.minibatch, static_cast<double>(parts.epochs) / batches,
              policy::TrainerThreads(config.ppo));
  std::printf(
      "  %.0f samples/s (%.0f per CPU second); per batch: decode %.2f ms, update %.1f ms, "
      "weights %.2f ms\n",
      samples_per_s, samples_per_cpu_s, parts.decode_ms / batches, parts.update_ms / batches,
      parts.weights_ms / batches);
  policy::PpoStats split;
  AddUpdateSplit(parts.split, batches, &split);
  PrintUpdateSplit(split, &result);
  if (parsed->json) std::cout << result.dump() << std::endl;
  return kExitOk;
}

}  // namespace mcmpart::cli
