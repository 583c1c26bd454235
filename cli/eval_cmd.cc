// `mcmpart eval --checkpoint CKPT --graph G`: zero-shot quality of a trained policy.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/pretrained.h"
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
      "partition-out", "write the best repaired partition (JSON)", cxxopts::value<std::string>())(
      "no-dp", "skip DP's partition, the reference the policy's quality is a fraction of");
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("eval", parsed.status());
  if (parsed->help) return kExitOk;
  std::string ckpt = config.run.checkpoint;
  if (ckpt.empty()) {
    return ReportBadInput("eval",
                          common::Status::Error("--checkpoint CKPT (or 'pretrained') is required"));
  }
  common::Status resolved = ResolveCheckpointFlag("--checkpoint", &ckpt, &config);
  if (!resolved.ok()) return ReportBadInput("eval", resolved);
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
  const bool with_dp = parsed->result.count("no-dp") == 0;
  auto result = learner::EvaluatePolicy(config, ckpt, *graph, *hardware, samples, with_dp);
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
  // Each decoding's throughput as a fraction of DP's partition's (null without a reference).
  auto of_dp = [&](const learner::DecodeResult& d) -> nlohmann::json {
    if (!result->dp.valid || !d.valid || result->dp.metrics.throughput <= 0) return nullptr;
    return d.metrics.throughput / result->dp.metrics.throughput;
  };
  if (parsed->json) {
    nlohmann::json dp = nullptr;
    if (with_dp) {
      dp = {{"valid", result->dp.valid},
            {"throughput", result->dp.metrics.throughput},
            {"ms", result->dp_ms},
            {"note", result->dp_note}};
    }
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
                                {"dp", dp},
                                {"greedy_of_dp", of_dp(result->greedy)},
                                {"best_of_dp", of_dp(best)},
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
  if (result->dp.valid) {
    auto percent = [&](const learner::DecodeResult& d) {
      const nlohmann::json f = of_dp(d);
      char text[32] = "n/a";
      if (!f.is_null()) std::snprintf(text, sizeof(text), "%.1f%%", 100 * f.get<double>());
      return std::string(text);
    };
    std::printf("  DP's partition:  %.1f samples/s; greedy %s, best %s of DP\n",
                result->dp.metrics.throughput, percent(result->greedy).c_str(),
                percent(best).c_str());
  } else if (with_dp) {
    std::printf("  DP's partition:  none (%s)\n", result->dp_note.c_str());
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
