// `mcmpart bench import`: graph import time (median of several runs) and the imported size.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/graph_io.h"
#include "common/onnx_import.h"

namespace mcmpart::cli {

int RunBenchImport(int argc, char** argv) {
  const std::string cmd = "bench import";
  common::Config config;
  cxxopts::Options options("mcmpart bench import",
                           "Import time of --graph (an .onnx file, graph JSON or a built-in name), "
                           "one thread: the median and minimum of --repeats runs, each reading "
                           "the file again, and the imported graph's size.");
  options.add_options()("repeats", "timed runs (after one untimed warm-up run)",
                        cxxopts::value<int>()->default_value("5"))(
      "inference",
      "ONNX shape inference: 'pass' (one topological pass, the importer's) or 'rounds' (the "
      "older whole-graph rounds, for comparison)",
      cxxopts::value<std::string>()->default_value("pass"));
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput(cmd, parsed.status());
  if (parsed->help) return kExitOk;
  const int repeats = parsed->result["repeats"].as<int>();
  if (repeats < 1 || repeats > 1000) {
    return ReportBadInput(cmd, common::Status::Error("--repeats must be in 1..1000"));
  }
  const std::string inference = parsed->result["inference"].as<std::string>();
  if (inference != "pass" && inference != "rounds") {
    return ReportBadInput(
        cmd,
        common::Status::Error("--inference must be 'pass' or 'rounds', not '" + inference + "'"));
  }
  const std::string& spec = config.run.graph;
  const bool is_onnx = spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".onnx") == 0;

  using Clock = std::chrono::steady_clock;
  std::vector<double> seconds;
  common::StatusOr<common::Graph> graph = common::Status::Error("not imported");
  common::OnnxImportReport report;
  common::OnnxImportOptions onnx_options;
  onnx_options.weight_bytes = config.run.weight_bytes.bytes;
  onnx_options.whole_graph_inference = inference == "rounds";
  for (int run = 0; run <= repeats; ++run) {  // run 0 warms the caches and libonnx's registry
    report = common::OnnxImportReport();
    const auto start = Clock::now();
    graph = is_onnx ? common::ImportOnnx(spec, onnx_options, &report)
                    : common::LoadGraph(spec, onnx_options.weight_bytes);
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!graph.ok()) return ReportBadInput(cmd, graph.status().WithContext("--graph"));
    if (run > 0) seconds.push_back(s);
  }
  std::sort(seconds.begin(), seconds.end());
  const size_t mid = seconds.size() / 2;
  const double median = seconds.size() % 2 ? seconds[mid] : 0.5 * (seconds[mid - 1] + seconds[mid]);
  const common::Graph& g = *graph;

  if (parsed->json) {
    nlohmann::json out = {{"graph", g.name},
                          {"input", spec},
                          {"nodes", g.num_nodes()},
                          {"edges", g.num_edges()},
                          {"total_macs", g.TotalMacs()},
                          {"weight_bytes", g.TotalWeightBytes()},
                          {"repeats", repeats},
                          {"median_s", median},
                          {"min_s", seconds.front()},
                          {"max_s", seconds.back()}};
    if (is_onnx) {
      out["onnx_nodes"] = report.onnx_nodes;
      out["folded_nodes"] = report.folded_nodes;
      out["unknown_nodes"] = report.unknown_nodes;
      out["inference"] = inference;
    }
    std::printf("%s\n", out.dump().c_str());
    return kExitOk;
  }
  std::printf("import of %s: %d nodes, %d edges", spec.c_str(), g.num_nodes(), g.num_edges());
  if (is_onnx) {
    std::printf(" (%d ONNX nodes, %d folded; shape inference: %s)", report.onnx_nodes,
                report.folded_nodes, inference.c_str());
  }
  std::printf("\nmedian %.1f ms, min %.1f ms, max %.1f ms over %d runs, one thread\n", 1e3 * median,
              1e3 * seconds.front(), 1e3 * seconds.back(), repeats);
  return kExitOk;
}

}  // namespace mcmpart::cli
