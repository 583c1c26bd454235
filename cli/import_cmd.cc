// `mcmpart import`: converts an ONNX / dnn-partitioning / own-JSON graph (or a built-in name)
// to the own graph JSON and reports its size.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/graph_io.h"
#include "common/onnx_import.h"

namespace mcmpart::cli {

int RunImport(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart import",
                           "Import a graph (.onnx, dnn-partitioning .json, own .json or a built-in "
                           "name) and write it as graph JSON.\nusage: mcmpart import INPUT [-o OUT]");
  options.add_options()
      ("o,output", "write the graph JSON here (written atomically)", cxxopts::value<std::string>())
      ("strict", "ONNX: an unknown op type is an error instead of a warning and the fallback cost");
  auto parsed = ParseCommand(options, argc, argv, &config, "input");
  if (!parsed.ok()) return ReportBadInput("import", parsed.status());
  if (parsed->help) return kExitOk;
  // cxxopts splits positional values at commas ("synth:chain:seed=3,nodes=120"): count the
  // positional words on the command line and join the pieces back.
  int words = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') {
      ++words;
    } else if (arg.find('=') == std::string::npos && arg != "--json" && arg != "--strict" &&
               arg != "-h" && arg != "--help") {
      ++i;  // the flag's value
    }
  }
  if (words != 1 || parsed->positional.empty()) {
    return ReportBadInput("import", common::Status::Error(
        "expected exactly one input graph (a .onnx or .json file or a built-in name), got " +
        std::to_string(words)));
  }
  std::string input;
  for (const std::string& piece : parsed->positional) input += (input.empty() ? "" : ",") + piece;
  const bool is_onnx = input.size() > 5 && input.compare(input.size() - 5, 5, ".onnx") == 0;

  const auto start = std::chrono::steady_clock::now();
  common::OnnxImportReport report;
  common::OnnxImportOptions onnx_options;
  onnx_options.strict = parsed->result.count("strict") > 0;
  common::StatusOr<common::Graph> graph =
      is_onnx ? common::ImportOnnx(input, onnx_options, &report) : common::LoadGraph(input);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!graph.ok()) return ReportBadInput("import", graph.status());
  for (const std::string& w : report.warnings) std::cerr << "mcmpart import: warning: " << w << "\n";

  if (parsed->result.count("output")) {
    common::Status st = common::WriteGraphJson(*graph, parsed->result["output"].as<std::string>());
    if (!st.ok()) return ReportBadInput("import", st);
  }
  const common::Graph& g = *graph;
  int64_t vector_ops = 0;
  for (const common::Node& n : g.nodes) vector_ops += n.vector_ops;
  if (parsed->json) {
    nlohmann::json out = {{"graph", g.name},
                          {"input", input},
                          {"nodes", g.num_nodes()},
                          {"edges", g.num_edges()},
                          {"total_macs", g.TotalMacs()},
                          {"total_vector_ops", vector_ops},
                          {"weight_bytes", g.TotalWeightBytes()},
                          {"colocation_groups", g.colocation_groups.size()},
                          {"import_seconds", seconds}};
    if (is_onnx) {
      out["onnx_nodes"] = report.onnx_nodes;
      out["folded_nodes"] = report.folded_nodes;
      out["unknown_nodes"] = report.unknown_nodes;
    }
    if (g.hint_num_chips > 0) out["hint_num_chips"] = g.hint_num_chips;
    if (g.hint_sram_bytes > 0) out["hint_sram_bytes"] = g.hint_sram_bytes;
    if (parsed->result.count("output")) out["output"] = parsed->result["output"].as<std::string>();
    std::cout << out.dump() << std::endl;
  } else {
    std::cout << "graph " << g.name << ": " << g.num_nodes() << " nodes, " << g.num_edges()
              << " edges, " << g.TotalMacs() << " MACs, " << vector_ops << " vector ops, "
              << g.TotalWeightBytes() << " weight bytes";
    if (is_onnx) {
      std::cout << " (" << report.onnx_nodes << " ONNX nodes, " << report.folded_nodes
                << " folded, " << report.unknown_nodes << " unknown)";
    }
    std::cout << ", imported in " << seconds << " s\n";
    if (parsed->result.count("output")) {
      std::cout << "wrote " << parsed->result["output"].as<std::string>() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
