// `mcmpart import`: converts an ONNX / dnn-partitioning / own-JSON graph (or a built-in name)
// to the own graph JSON and reports its size.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/graph_io.h"
#include "common/onnx_import.h"

namespace mcmpart::cli {
namespace {

// What one import produced, for the summary.
struct ImportSummary {
  std::string input;
  bool is_onnx = false;
  common::OnnxImportReport report;
  double seconds = 0;
  std::optional<std::string> output;  // -o
};

int64_t TotalVectorOps(const common::Graph& g) {
  int64_t vector_ops = 0;
  for (const common::Node& n : g.nodes) vector_ops += n.vector_ops;
  return vector_ops;
}

void PrintJson(const common::Graph& g, const ImportSummary& s) {
  nlohmann::json out = {{"graph", g.name},
                        {"input", s.input},
                        {"nodes", g.num_nodes()},
                        {"edges", g.num_edges()},
                        {"total_macs", g.TotalMacs()},
                        {"total_vector_ops", TotalVectorOps(g)},
                        {"weight_bytes", g.TotalWeightBytes()},
                        {"weight_bytes_per_element", g.weight_bytes_per_element},
                        {"colocation_groups", g.colocation_groups.size()},
                        {"import_seconds", s.seconds}};
  if (s.is_onnx) {
    out["onnx_nodes"] = s.report.onnx_nodes;
    out["folded_nodes"] = s.report.folded_nodes;
    out["unknown_nodes"] = s.report.unknown_nodes;
  }
  if (g.hint_num_chips > 0) out["hint_num_chips"] = g.hint_num_chips;
  if (g.hint_sram_bytes > 0) out["hint_sram_bytes"] = g.hint_sram_bytes;
  if (s.output) out["output"] = *s.output;
  std::cout << out.dump() << std::endl;
}

void PrintText(const common::Graph& g, const ImportSummary& s) {
  std::cout << "graph " << g.name << ": " << g.num_nodes() << " nodes, " << g.num_edges()
            << " edges, " << g.TotalMacs() << " MACs, " << TotalVectorOps(g) << " vector ops, "
            << g.TotalWeightBytes() << " weight bytes";
  if (s.is_onnx) {
    std::cout << " (" << s.report.onnx_nodes << " ONNX nodes, " << s.report.folded_nodes
              << " folded, " << s.report.unknown_nodes << " unknown)";
  }
  std::cout << ", imported in " << s.seconds << " s\n";
  if (s.output) std::cout << "wrote " << *s.output << "\n";
}

}  // namespace

int RunImport(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options(
      "mcmpart import",
      "Import a graph (.onnx, dnn-partitioning .json, own .json or a built-in "
      "name) and write it as graph JSON.\nusage: mcmpart import INPUT [-o OUT]");
  options.add_options()("o,output", "write the graph JSON here (written atomically)",
                        cxxopts::value<std::string>())(
      "strict", "ONNX: an unknown op type is an error instead of a warning and the fallback cost");
  auto parsed = ParseCommand(options, argc, argv, &config, "input");
  if (!parsed.ok()) return ReportBadInput("import", parsed.status());
  if (parsed->help) return kExitOk;
  const int words = CountPositionalWords(argc, argv, {"--json", "--strict", "-h", "--help"});
  if (words != 1 || parsed->positional.empty()) {
    return ReportBadInput(
        "import",
        common::Status::Error(
            "expected exactly one input graph (a .onnx or .json file or a built-in name), got " +
            std::to_string(words)));
  }
  ImportSummary s;
  s.input = JoinPositional(parsed->positional);
  s.is_onnx = s.input.size() > 5 && s.input.compare(s.input.size() - 5, 5, ".onnx") == 0;
  if (parsed->result.count("output")) s.output = parsed->result["output"].as<std::string>();

  const auto start = std::chrono::steady_clock::now();
  common::OnnxImportOptions onnx_options;
  onnx_options.strict = parsed->result.count("strict") > 0;
  onnx_options.weight_bytes = config.run.weight_bytes.bytes;
  common::StatusOr<common::Graph> graph =
      s.is_onnx ? common::ImportOnnx(s.input, onnx_options, &s.report)
                : common::LoadGraph(s.input, onnx_options.weight_bytes);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!graph.ok()) return ReportBadInput("import", graph.status());
  for (const std::string& w : s.report.warnings)
    std::cerr << "mcmpart import: warning: " << w << "\n";

  if (s.output) {
    common::Status st = common::WriteGraphJson(*graph, *s.output);
    if (!st.ok()) return ReportBadInput("import", st);
  }
  if (parsed->json) {
    PrintJson(*graph, s);
  } else {
    PrintText(*graph, s);
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
