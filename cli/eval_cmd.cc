// `mcmpart eval --checkpoint CKPT --graph G`: zero-shot quality of a trained policy.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "common/graph_io.h"
#include "common/partition.h"
#include "hw/hardware.h"
#include "learner/evaluate.h"

namespace mcmpart::cli {

int RunEval(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart eval",
                           "Zero-shot evaluation of a trained policy: greedy and best-of-N sampled "
                           "decoding, repaired and evaluated.");
  options.add_options()("samples", "sampled decodings", cxxopts::value<int>()->default_value("64"))(
      "partition-out", "write the best repaired partition (JSON)", cxxopts::value<std::string>());
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("eval", parsed.status());
  if (parsed->help) return kExitOk;
  const std::string ckpt = config.run.checkpoint;
  if (ckpt.empty())
    return ReportBadInput("eval", common::Status::Error("--checkpoint CKPT is required"));
  const int samples = parsed->result["samples"].as<int>();
  if (samples < 0 || samples > 1000000)
    return ReportBadInput("eval", common::Status::Error("--samples must be in 0..1000000"));
  auto graph = common::LoadGraph(config.run.graph, config.run.weight_bytes.bytes);
  if (!graph.ok()) return ReportBadInput("eval", graph.status().WithContext("--graph"));
  auto hardware = LoadRunHardware(*parsed, *graph, &config);
  if (!hardware.ok()) return ReportBadInput("eval", hardware.status().WithContext("--hw"));
  if (hardware->num_chips > config.policy.max_chips) {
    return ReportBadInput(
        "eval", common::Status::Error("hardware '" + hardware->name + "' has " +
                                      std::to_string(hardware->num_chips) +
                                      " chips but the policy addresses at most --max-chips " +
                                      std::to_string(config.policy.max_chips)));
  }
  auto result = learner::EvaluatePolicy(config, ckpt, *graph, *hardware, samples);
  if (!result.ok()) return ReportBadInput("eval", result.status().WithContext("--checkpoint"));
  const learner::DecodeResult& best = result->sampled.valid && result->sampled.metrics.throughput >
                                                                   result->greedy.metrics.throughput
                                          ? result->sampled
                                          : result->greedy;
  if (parsed->result.count("partition-out") && best.valid) {
    common::Status st =
        common::WritePartitionJson(*graph, hardware->num_chips, best.partition,
                                   parsed->result["partition-out"].as<std::string>());
    if (!st.ok()) return ReportBadInput("eval", st);
  }
  auto js = [](const learner::DecodeResult& d) {
    return nlohmann::json{{"valid", d.valid},
                          {"throughput", d.metrics.throughput},
                          {"reward", d.reward},
                          {"changed_nodes", d.changed_nodes},
                          {"bottleneck", d.metrics.bottleneck},
                          {"partition", d.partition}};
  };
  if (parsed->json) {
    std::cout << nlohmann::json{{"command", "eval"},
                                {"graph", graph->name},
                                {"hardware", hardware->name},
                                {"evaluator", common::EnumName(config.run.evaluator)},
                                {"checkpoint", ckpt},
                                {"greedy", js(result->greedy)},
                                {"sampled", js(result->sampled)},
                                {"samples", samples},
                                {"valid_fraction", result->valid_fraction},
                                {"best_throughput", best.metrics.throughput},
                                {"ms", result->ms}}
                     .dump()
              << std::endl;
    return kExitOk;
  }
  std::printf("mcmpart eval: %s on %s, evaluator %s, checkpoint %s\n", graph->name.c_str(),
              hardware->name.c_str(), common::EnumName(config.run.evaluator).c_str(), ckpt.c_str());
  std::printf(
      "  greedy:          %.1f samples/s (reward %.3f, %d nodes changed by repair, bottleneck "
      "%s)\n",
      result->greedy.metrics.throughput, result->greedy.reward, result->greedy.changed_nodes,
      result->greedy.metrics.bottleneck.c_str());
  std::printf("  best of %d sampled: %.1f samples/s (reward %.3f), %.0f%% valid after repair\n",
              samples, result->sampled.metrics.throughput, result->sampled.reward,
              100 * result->valid_fraction);
  return kExitOk;
}

}  // namespace mcmpart::cli
