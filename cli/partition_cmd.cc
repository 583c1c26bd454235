// `mcmpart partition MODEL`: the one command for a user with a model: search within a time
// limit, then write the partition, per-chip ONNX models, drawings, trace and report.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/pretrained.h"
#include "cli/run_setup.h"
#include "common/graph_io.h"
#include "common/onnx_import.h"
#include "learner/partition_files.h"
#include "learner/partition_run.h"
#include "learner/train.h"

namespace mcmpart::cli {
namespace {

using common::Status;

constexpr double kDefaultTimeLimitS = 60;
const char* const kCommand = "partition";

// The progress line on stderr: a bar redrawn in place on a terminal, otherwise a plain line
// when a strategy starts and at every tenth of the time limit (or of annealing's budget).
class ProgressLine {
 public:
  ProgressLine() : tty_(::isatty(STDERR_FILENO) == 1) {}

  void Update(const learner::PartitionProgress& p) {
    const double frac = Fraction(p);
    const auto now = std::chrono::steady_clock::now();
    const bool new_strategy = p.strategy != strategy_;
    strategy_ = p.strategy;
    if (tty_) {
      if (!new_strategy && now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      const int filled = static_cast<int>(frac * kWidth);
      std::fprintf(stderr, "\r[%s%s] %5.1f%s s  %-6s %7lld evals  best %.3f samples/s ",
                   std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
                   p.elapsed_s, LimitSuffix(p).c_str(), p.strategy.c_str(),
                   static_cast<long long>(p.evaluations), p.best_throughput);
      drawn_ = true;
    } else {
      const int tenth = static_cast<int>(frac * 10);
      if (!new_strategy && tenth <= tenth_) return;
      tenth_ = tenth;
      std::fprintf(stderr,
                   "mcmpart partition: %.1f%s s, %s, %lld evaluations, best %.3f samples/s\n",
                   p.elapsed_s, LimitSuffix(p).c_str(), p.strategy.c_str(),
                   static_cast<long long>(p.evaluations), p.best_throughput);
    }
    std::fflush(stderr);
  }

  void Finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  // How far the search is: by the clock, else by annealing's budget.
  static double Fraction(const learner::PartitionProgress& p) {
    if (p.limit_s > 0) return std::min(1.0, p.elapsed_s / p.limit_s);
    if (p.anneal_budget > 0 && p.strategy == "anneal") {
      return std::min(1.0, static_cast<double>(p.strategy_evaluations) / p.anneal_budget);
    }
    return 0.0;
  }
  // "/60" after the elapsed seconds when there is a time limit.
  static std::string LimitSuffix(const learner::PartitionProgress& p) {
    if (p.limit_s <= 0) return "";
    char text[32];
    std::snprintf(text, sizeof text, "/%.0f", p.limit_s);
    return text;
  }

  static constexpr int kWidth = 30;
  const bool tty_;
  bool drawn_ = false;
  int tenth_ = -1;
  std::string strategy_;
  std::chrono::steady_clock::time_point last_{};
};

bool IsOnnx(const std::string& model) {
  return model.size() > 5 && model.compare(model.size() - 5, 5, ".onnx") == 0;
}

void PrintSummary(const learner::PartitionFilesInput& in, const learner::PartitionFiles& files,
                  const std::string& out_dir, bool json) {
  const learner::PartitionSearchResult& r = *in.result;
  const learner::StrategyOutcome& best = r.strategies.at(r.best);
  if (json) {
    nlohmann::json strategies = nlohmann::json::array();
    for (const learner::StrategyOutcome& s : r.strategies) {
      strategies.push_back({{"name", s.name},
                            {"throughput", s.throughput},
                            {"evaluations", s.evaluations},
                            {"seconds", s.seconds},
                            {"valid", s.valid},
                            {"note", s.note}});
    }
    nlohmann::json out = {{"graph", in.graph->name},
                          {"nodes", in.graph->num_nodes()},
                          {"hw", in.hw->name},
                          {"evaluator", common::EnumName(in.config->run.evaluator)},
                          {"time_limit_s", in.time_limit_s},
                          {"anneal_budget", in.anneal_budget},
                          {"best_throughput", best.throughput},
                          {"best_strategy", best.name},
                          {"best_partition", best.partition},
                          {"latency_s", files.metrics.latency_s},
                          {"bottleneck", files.metrics.bottleneck},
                          {"strategies", strategies},
                          {"policy", r.policy_note},
                          {"out_dir", out_dir},
                          {"files", files.files},
                          {"notes", files.notes}};
    std::cout << out.dump() << std::endl;
    return;
  }
  std::cout << "partition of " << in.graph->name << " (" << in.graph->num_nodes() << " nodes) on "
            << in.hw->name << ": " << best.throughput << " samples/s by " << best.name
            << ", bottleneck " << files.metrics.bottleneck << "\n";
  for (const learner::StrategyOutcome& s : r.strategies) {
    std::cout << "  " << s.name << ": " << s.throughput << " samples/s, " << s.evaluations
              << " evaluations, " << s.seconds << " s" << (s.valid ? "" : ", no valid partition")
              << "\n";
  }
  std::cout << "wrote " << out_dir << ":";
  for (const std::string& f : files.files) std::cout << " " << f;
  std::cout << "\n";
  for (const std::string& n : files.notes) std::cout << "note: " << n << "\n";
}

// The model as a graph; for ONNX also the import's tensor → node map.
common::StatusOr<common::Graph> LoadModel(const std::string& model, int weight_bytes,
                                          common::OnnxImportReport* report) {
  if (!IsOnnx(model)) return common::LoadGraph(model, weight_bytes);
  common::OnnxImportOptions options;
  options.weight_bytes = weight_bytes;
  MCMPART_ASSIGN_OR_RETURN(common::Graph g, common::ImportOnnx(model, options, report));
  for (const std::string& w : report->warnings)
    std::cerr << "mcmpart partition: warning: " << w << "\n";
  return g;
}

// The policy that joins the search: --checkpoint C (a path or 'pretrained'; an unreadable one
// is bad input), 'none' for no policy, and by default the shipped pre-trained policy where it
// is found. Its network shape comes from the checkpoint.
Status ChoosePolicy(const common::Config& config, int num_chips,
                    learner::PartitionSearchOptions* search) {
  const std::string& given = config.run.checkpoint;
  if (given == "none") {
    search->policy_note = "none asked for (--checkpoint none)";
    return Status::Ok();
  }
  auto path = ResolveCheckpoint(given.empty() ? kPretrainedName : given, "--checkpoint");
  if (!path.ok()) {
    if (!given.empty()) return path.status();
    search->policy_note = "no pre-trained policy available (" + path.status().message() + ")";
    return Status::Ok();
  }
  common::Config shape;
  MCMPART_RETURN_IF_ERROR(AdoptCheckpointPolicy(*path, &shape).WithContext("--checkpoint"));
  if (num_chips > shape.policy.max_chips) {
    search->policy_note = "'" + *path + "' addresses at most " +
                          std::to_string(shape.policy.max_chips) + " chips, the hardware has " +
                          std::to_string(num_chips);
    return Status::Ok();
  }
  search->policy_checkpoint = *path;
  search->policy = shape.policy;
  return Status::Ok();
}

}  // namespace

int RunPartition(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options(
      "mcmpart partition",
      "Partition a model for an MCM: DP, the pre-trained policy (--checkpoint C|pretrained|none; "
      "default pretrained where found), then annealing seeded from the best, within "
      "--time-limit-s (default 60) or for --budget N evaluations (then no time limit unless "
      "given; with --repair-fail-limit the search repeats exactly), the best kept under "
      "--evaluator; writes partition.json, "
      "partition_split.json, chip_<c>.onnx (ONNX models), partition.svg, chips.svg, trace.json "
      "and report.md into --out-dir.\nusage: mcmpart partition MODEL --hw H [--time-limit-s T | "
      "--budget N] [--evaluator E] --out-dir D [--json]");
  options.add_options()("out-dir", "folder for the outputs (created if missing; required)",
                        cxxopts::value<std::string>());
  AddTemperatureOption(options);
  auto parsed = ParseCommand(options, argc, argv, &config, "model");
  if (!parsed.ok()) return ReportBadInput(kCommand, parsed.status());
  if (parsed->help) return kExitOk;
  if (CountPositionalWords(argc, argv, {"--json", "-h", "--help"}) != 1 ||
      parsed->positional.empty()) {
    return ReportBadInput(kCommand, Status::Error("expected exactly one MODEL (.onnx, .json or a "
                                                  "built-in name)"));
  }
  if (!parsed->result.count("out-dir")) {
    return ReportBadInput(kCommand, Status::Error("--out-dir D is required"));
  }
  const std::string model = JoinPositional(parsed->positional);
  const std::string out_dir = parsed->result["out-dir"].as<std::string>();
  common::OnnxImportReport report;
  auto graph = LoadModel(model, config.run.weight_bytes.bytes, &report);
  if (!graph.ok()) return ReportBadInput(kCommand, graph.status());
  auto hardware = LoadRunHardware(*parsed, *graph, &config);
  if (!hardware.ok()) return ReportBadInput(kCommand, hardware.status());
  Status feasible = learner::CheckPartitionable(*graph, *hardware);
  if (!feasible.ok()) return ReportBadInput(kCommand, feasible);
  learner::PartitionSearchOptions search;
  auto temperatures = ParseTemperatures(parsed->result);
  if (!temperatures.ok()) return ReportBadInput(kCommand, temperatures.status());
  search.policy_temperatures = *temperatures;
  Status policy = ChoosePolicy(config, hardware->num_chips, &search);
  if (!policy.ok()) return ReportBadInput(kCommand, policy);
  auto out = learner::OutputDir::Create(out_dir);
  if (!out.ok()) return ReportBadInput(kCommand, out.status());

  // --budget N: annealing's evaluations instead of the time limit's (none unless given).
  if (parsed->result.count("budget")) search.anneal_budget = config.run.budget;
  search.time_limit_s = config.run.time_limit_s > 0 ? config.run.time_limit_s
                        : search.anneal_budget > 0  ? 0
                                                    : kDefaultTimeLimitS;
  search.seed = static_cast<uint64_t>(config.run.seed);
  ProgressLine progress;
  search.progress = [&](const learner::PartitionProgress& p) { progress.Update(p); };
  search.stop_requested = InstallStopHandlers();

  auto result = learner::RunPartitionSearch(*graph, *hardware, config, search);
  progress.Finish();
  if (!result.ok()) return ReportBadInput(kCommand, result.status());
  std::string names;
  for (const learner::StrategyOutcome& s : result->strategies)
    names += (names.empty() ? "" : ", ") + s.name;
  if (result->interrupted)
    std::cerr << "mcmpart partition: stopped early; writing the best so far\n";
  std::cerr << "mcmpart partition: strategies: " << names << "; policy: " << result->policy_note
            << "\n";

  learner::PartitionFilesInput in;
  in.graph = &*graph;
  in.hw = &*hardware;
  in.config = &config;
  in.result = &*result;
  in.model = model;
  in.onnx_report = IsOnnx(model) ? &report : nullptr;
  in.time_limit_s = search.time_limit_s;
  in.anneal_budget = search.anneal_budget;
  auto files = learner::WritePartitionFiles(in, *out);
  if (!files.ok()) return ReportBadInput(kCommand, files.status());
  Status committed = out->Commit();
  if (!committed.ok()) return ReportBadInput(kCommand, committed);
  PrintSummary(in, *files, out_dir, parsed->json);
  return kExitOk;
}

}  // namespace mcmpart::cli
