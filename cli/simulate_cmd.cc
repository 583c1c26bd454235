// `mcmpart simulate`: scores one partition with an evaluator, optionally writing a trace.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "common/dnn_partitioning.h"
#include "common/graph_io.h"
#include "common/partition.h"
#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "hw/simulator.h"

namespace mcmpart::cli {
namespace {

using common::Status;

using common::EvaluatorKind;
using common::EvaluatorSpec;

void PrintText(const common::Graph& graph, const hw::Hardware& hw, const EvaluatorSpec& evaluator,
               const hw::SimOptions& sim, const hw::Metrics& m, std::ostream& os) {
  const double period = m.time_per_sample_s;
  auto util = [&](double busy) { return period > 0 ? 100.0 * busy / period : 0.0; };
  os << "graph       " << graph.name << " (" << graph.num_nodes() << " nodes)\n"
     << "hardware    " << hw.Summary() << "\n"
     << "evaluator   " << common::EnumName(evaluator);
  if (evaluator == EvaluatorKind::kCycle)
    os << " (" << sim.samples << " samples, " << sim.warmup << " warm-up)";
  os << std::fixed << std::setprecision(3) << "\n"
     << "throughput  " << m.throughput << " samples/s\n"
     << "per sample  " << m.time_per_sample_s * 1e6 << " us\n"
     << "latency     " << m.latency_s * 1e6 << " us\n"
     << "bottleneck  " << m.bottleneck << "\n\n"
     << "chip   busy_us   util%   sram_MiB\n";
  for (size_t c = 0; c < m.chip_busy_s.size(); ++c) {
    os << std::setw(4) << c << std::setw(10) << m.chip_busy_s[c] * 1e6 << std::setw(8)
       << std::setprecision(1) << util(m.chip_busy_s[c]) << std::setw(11) << std::setprecision(2)
       << static_cast<double>(m.chip_sram_bytes[c]) / (1 << 20) << std::setprecision(3) << "\n";
  }
  bool header = false;
  for (size_t l = 0; l < m.link_bytes.size(); ++l) {
    if (m.link_bytes[l] <= 0) continue;
    if (!header) os << "\nlink      bytes    busy_us   util%\n";
    header = true;
    const double busy = l < m.link_busy_s.size() ? m.link_busy_s[l] : 0.0;
    os << std::setw(6) << m.link_names[l] << std::setw(11) << std::setprecision(0) << m.link_bytes[l]
       << std::setw(11) << std::setprecision(3) << busy * 1e6 << std::setw(8) << std::setprecision(1)
       << util(busy) << std::setprecision(3) << "\n";
  }
}

nlohmann::json ToJson(const common::Graph& graph, const hw::Hardware& hw, const EvaluatorSpec& evaluator,
                      const hw::SimOptions& sim, const hw::Metrics& m,
                      const std::string& trace_path) {
  nlohmann::json out = nlohmann::json::parse(hw::MetricsToJsonString(m));
  out.update({{"graph", graph.name},
              {"nodes", graph.num_nodes()},
              {"hw", hw.name},
              {"evaluator", common::EnumName(evaluator)}});
  if (evaluator == EvaluatorKind::kCycle) {
    out["samples"] = sim.samples;
    out["warmup"] = sim.warmup;
  }
  if (!trace_path.empty()) out["trace"] = trace_path;
  return out;
}

// The own partition JSON, or a dnn-partitioning split (an object with "fpgas").
common::StatusOr<common::Partition> ReadAnyPartition(const std::string& path,
                                                     const common::Graph& graph) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, common::ReadFile(path));
  if (text.find("\"fpgas\"") != std::string::npos) return common::ParseDnnSplit(text, graph, path);
  return common::ParsePartitionJson(text, graph, path);
}

}  // namespace

int RunSimulate(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart simulate",
                           "Score one partition of a graph on an MCM and print the metrics "
                           "(throughput, latency, per-chip and per-link load, bottleneck).\n"
                           "usage: mcmpart simulate --graph G --hw H --partition P.json "
                           "[--trace T.json] [--json]");
  const hw::SimOptions defaults;
  options.add_options()
      ("partition", "partition JSON to score, or a dnn-partitioning split (required)",
       cxxopts::value<std::string>())
      ("trace", "write a Chrome trace-event JSON of the simulation (opens in Perfetto); "
                "cycle evaluator only", cxxopts::value<std::string>())
      ("samples", "samples streamed through the pipeline (cycle evaluator)",
       cxxopts::value<int>()->default_value(std::to_string(defaults.samples)))
      ("warmup", "samples before the throughput is measured (cycle evaluator)",
       cxxopts::value<int>()->default_value(std::to_string(defaults.warmup)));
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("simulate", parsed.status());
  if (parsed->help) return kExitOk;
  const cxxopts::ParseResult& args = parsed->result;
  if (!args.count("partition")) {
    return ReportBadInput("simulate", Status::Error("--partition FILE is required"));
  }
  hw::SimOptions sim;
  try {
    sim.samples = args["samples"].as<int>();
    sim.warmup = args["warmup"].as<int>();
  } catch (const cxxopts::exceptions::exception& e) {
    return ReportBadInput("simulate", Status::Error(std::string(e.what()) + " (see --help)"));
  }
  Status st = hw::ValidateSimOptions(sim);
  if (!st.ok()) return ReportBadInput("simulate", st.WithContext("--samples/--warmup"));
  const std::string trace_path = args.count("trace") ? args["trace"].as<std::string>() : "";
  const EvaluatorSpec& evaluator = config.run.evaluator;
  if (!trace_path.empty() && evaluator != EvaluatorKind::kCycle) {
    return ReportBadInput("simulate",
                          Status::Error("--trace needs --evaluator cycle, got '" +
                                        common::EnumName(evaluator) + "'"));
  }

  auto graph = common::LoadGraph(config.run.graph, config.run.weight_bytes.bytes);
  if (!graph.ok()) return ReportBadInput("simulate", graph.status());
  auto hardware = LoadRunHardware(*parsed, *graph, &config);
  if (!hardware.ok()) return ReportBadInput("simulate", hardware.status());
  const std::string partition_path = args["partition"].as<std::string>();
  auto partition = ReadAnyPartition(partition_path, *graph);
  if (!partition.ok()) return ReportBadInput("simulate", partition.status());
  const auto violations = hw::CheckPartition(*graph, *hardware, *partition);
  if (!violations.empty()) {
    return ReportBadInput("simulate", Status::Error(partition_path + ": " + hw::DescribeViolations(violations)));
  }

  hw::Metrics metrics;
  if (evaluator == EvaluatorKind::kCycle) {
    auto simulator = hw::MakeCycleEvaluator(*graph, *hardware, sim);
    if (!simulator.ok()) return ReportBadInput("simulate", simulator.status());
    hw::SimTrace trace;
    metrics = (*simulator)->Simulate(*partition, trace_path.empty() ? nullptr : &trace);
    if (!trace_path.empty()) {
      st = common::WriteFileAtomic(trace_path, hw::TraceToChromeJson(*graph, *hardware, trace));
      if (!st.ok()) return ReportBadInput("simulate", st.WithContext("--trace"));
    }
  } else {
    auto eval = hw::MakeEvaluator(config.run, *graph, *hardware);
    if (!eval.ok()) return ReportBadInput("simulate", eval.status());
    metrics = (*eval)->Evaluate(*partition);
    if (!(*eval)->status().ok()) return ReportBadInput("simulate", (*eval)->status());
  }
  if (parsed->json) {
    std::cout << ToJson(*graph, *hardware, evaluator, sim, metrics, trace_path).dump() << std::endl;
  } else {
    PrintText(*graph, *hardware, evaluator, sim, metrics, std::cout);
    if (!trace_path.empty()) std::cout << "\ntrace written to " << trace_path << "\n";
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
