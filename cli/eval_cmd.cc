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

namespace {

// What `eval` reports: the evaluation, the best of its decodings, and the context.
struct EvalReport {
  const learner::PolicyEvaluation& result;
  const learner::DecodeResult& best;
  const common::Graph& graph;
  const hw::Hardware& hardware;
  const common::Config& config;
  const std::string& checkpoint;
  learner::EvalOptions options;

  // A decoding's throughput as a fraction of DP's partition's (null without a reference).
  nlohmann::json OfDp(const learner::DecodeResult& d) const {
    if (!result.dp.valid || !d.valid || result.dp.metrics.throughput <= 0) return nullptr;
    return d.metrics.throughput / result.dp.metrics.throughput;
  }
  void PrintJson() const;
  void PrintText() const;
};

nlohmann::json DecodeJson(const learner::DecodeResult& d) {
  return {{"valid", d.valid},
          {"throughput", d.metrics.throughput},
          {"reward", d.reward},
          {"changed_nodes", d.changed_nodes},
          {"bottleneck", d.metrics.bottleneck},
          {"partition", d.partition}};
}

void EvalReport::PrintJson() const {
  nlohmann::json dp = nullptr;
  if (options.with_dp) {
    dp = {{"valid", result.dp.valid},
          {"throughput", result.dp.metrics.throughput},
          {"ms", result.dp_ms},
          {"note", result.dp_note}};
  }
  std::cout << nlohmann::json{{"command", "eval"},
                              {"graph", graph.name},
                              {"hardware", hardware.name},
                              {"evaluator", common::EnumName(config.run.evaluator)},
                              {"checkpoint", checkpoint},
                              {"greedy", DecodeJson(result.greedy)},
                              {"sampled", DecodeJson(result.sampled)},
                              {"samples", options.samples},
                              {"temperatures", options.temperatures},
                              {"sampled_temperature", result.sampled_temperature},
                              {"valid_fraction", result.valid_fraction},
                              {"best_throughput", best.metrics.throughput},
                              {"dp", dp},
                              {"greedy_of_dp", OfDp(result.greedy)},
                              {"best_of_dp", OfDp(best)},
                              {"ms", result.ms}}
                   .dump()
            << std::endl;
}

void EvalReport::PrintText() const {
  std::printf("mcmpart eval: %s on %s, evaluator %s, checkpoint %s\n", graph.name.c_str(),
              hardware.name.c_str(), common::EnumName(config.run.evaluator).c_str(),
              checkpoint.c_str());
  std::printf(
      "  greedy:          %.1f samples/s (reward %.3f, %d nodes changed by repair, bottleneck "
      "%s)\n",
      result.greedy.metrics.throughput, result.greedy.reward, result.greedy.changed_nodes,
      result.greedy.metrics.bottleneck.c_str());
  const std::string temperatures = learner::TemperaturesText(options.temperatures);
  std::printf(
      "  best of %d sampled (temperature %s; best at %g): %.1f samples/s (reward %.3f), "
      "%.0f%% valid after repair\n",
      options.samples, temperatures.c_str(), result.sampled_temperature,
      result.sampled.metrics.throughput, result.sampled.reward, 100 * result.valid_fraction);
  if (!result.dp.valid) {
    if (options.with_dp) std::printf("  DP's partition:  none (%s)\n", result.dp_note.c_str());
    return;
  }
  auto percent = [&](const learner::DecodeResult& d) {
    const nlohmann::json f = OfDp(d);
    char text[32] = "n/a";
    if (!f.is_null()) std::snprintf(text, sizeof(text), "%.1f%%", 100 * f.get<double>());
    return std::string(text);
  };
  std::printf("  DP's partition:  %.1f samples/s; greedy %s, best %s of DP\n",
              result.dp.metrics.throughput, percent(result.greedy).c_str(), percent(best).c_str());
}

// The checkpoint (resolving `pretrained`, whose network shape it then takes), --samples,
// --temperature and --no-dp.
common::Status CheckEvalInputs(const ParsedCommand& parsed, common::Config* config,
                               std::string* ckpt, learner::EvalOptions* options) {
  *ckpt = config->run.checkpoint;
  if (ckpt->empty())
    return common::Status::Error("--checkpoint CKPT (or 'pretrained') is required");
  MCMPART_RETURN_IF_ERROR(ResolveCheckpointFlag("--checkpoint", ckpt, config));
  options->samples = parsed.result["samples"].as<int>();
  if (options->samples < 0 || options->samples > 1000000)
    return common::Status::Error("--samples must be in 0..1000000");
  MCMPART_ASSIGN_OR_RETURN(options->temperatures, ParseTemperatures(parsed.result));
  options->with_dp = parsed.result.count("no-dp") == 0;
  return common::Status::Ok();
}

}  // namespace

int RunEval(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart eval",
                           "Zero-shot evaluation of a trained policy: greedy and best-of-N sampled "
                           "decoding, repaired and evaluated.");
  options.add_options()("samples", "sampled decodings", cxxopts::value<int>()->default_value("64"))(
      "partition-out", "write the best repaired partition (JSON)", cxxopts::value<std::string>())(
      "no-dp", "skip DP's partition, the reference the policy's quality is a fraction of");
  AddTemperatureOption(options);
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("eval", parsed.status());
  if (parsed->help) return kExitOk;
  std::string ckpt;
  learner::EvalOptions decoding;
  common::Status inputs = CheckEvalInputs(*parsed, &config, &ckpt, &decoding);
  if (!inputs.ok()) return ReportBadInput("eval", inputs);
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
  auto result = learner::EvaluatePolicy(config, ckpt, *graph, *hardware, decoding);
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
  const EvalReport report{*result, best, *graph, *hardware, config, ckpt, decoding};
  if (parsed->json) {
    report.PrintJson();
  } else {
    report.PrintText();
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
