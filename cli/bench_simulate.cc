// `mcmpart bench simulate`: evaluations per second of the `cycle` and `maxload` evaluators,
// measured side by side on the same valid partitions, on one core.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/bench_util.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "common/graph_io.h"
#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "hw/simulator.h"

namespace mcmpart::cli {

using common::Partition;
using common::Status;

// Valid partitions to cycle through: random nondecreasing chip steps along the topological
// order (a pipeline cut), kept when valid. Falls back to all-on-chip-0 if that is valid.
std::vector<Partition> BenchPartitions(const common::Graph& g, const hw::Hardware& hw,
                                       uint64_t seed, int wanted) {
  std::mt19937_64 rng(seed);
  std::vector<Partition> out;
  const int n = g.num_nodes();
  for (int attempt = 0; attempt < 2000 && static_cast<int>(out.size()) < wanted; ++attempt) {
    // Cut the topological order into `used` chunks of near-equal length with jittered bounds.
    const int used = std::min<int>(hw.num_chips, std::max(1, n / 2));
    Partition p(n, 0);
    std::vector<int> cuts;
    std::uniform_real_distribution<double> jitter(-0.4, 0.4);
    for (int c = 1; c < used; ++c) cuts.push_back(static_cast<int>((c + jitter(rng)) * n / used));
    int chip = 0;
    for (int i = 0; i < n; ++i) {
      while (chip + 1 < used && i >= cuts[chip]) ++chip;
      p[g.topo_order()[i]] = chip;
    }
    // Pull each node down to just above its inputs (shortens edges, often restores validity).
    for (int v : g.topo_order()) {
      int lo = 0;
      for (int u : g.preds()[v]) lo = std::max(lo, p[u]);
      if (p[v] > lo + 1) p[v] = lo + 1;
    }
    if (hw::IsValid(g, hw, p)) out.push_back(std::move(p));
  }
  Partition one(n, 0);
  if (out.empty() && hw::IsValid(g, hw, one)) out.push_back(one);
  return out;
}

Rate Measure(hw::Evaluator* eval, const std::vector<Partition>& parts, double seconds) {
  using Clock = std::chrono::steady_clock;
  Rate r;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 64; ++i)
      r.checksum += eval->Evaluate(parts[r.evals++ % parts.size()]).throughput;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  r.evals_per_s = static_cast<double>(r.evals) / elapsed;
  return r;
}

int RunBenchSimulate(int argc, char** argv) {
  common::Config config;
  cxxopts::Options options("mcmpart bench simulate",
                           "Evaluations per second of the cycle simulator and of maxload on the "
                           "same valid partitions (one core).");
  const hw::SimOptions defaults;
  options.add_options()("seconds", "measuring time per evaluator",
                        cxxopts::value<double>()->default_value("2"))(
      "samples", "samples simulated per cycle evaluation",
      cxxopts::value<int>()->default_value(std::to_string(defaults.samples)))(
      "warmup", "warm-up samples per cycle evaluation",
      cxxopts::value<int>()->default_value(std::to_string(defaults.warmup)));
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput("bench simulate", parsed.status());
  if (parsed->help) return kExitOk;
  hw::SimOptions sim;
  double seconds = 0;
  try {
    sim.samples = parsed->result["samples"].as<int>();
    sim.warmup = parsed->result["warmup"].as<int>();
    seconds = parsed->result["seconds"].as<double>();
  } catch (const cxxopts::exceptions::exception& e) {
    return ReportBadInput("bench simulate", Status::Error(std::string(e.what()) + " (see --help)"));
  }
  if (!(seconds > 0 && seconds <= 3600)) {
    return ReportBadInput("bench simulate", Status::Error("--seconds must be in (0, 3600]"));
  }
  Status st = hw::ValidateSimOptions(sim);
  if (!st.ok()) return ReportBadInput("bench simulate", st.WithContext("--samples/--warmup"));

  auto graph = common::LoadGraph(config.run.graph, config.run.weight_bytes.bytes);
  if (!graph.ok()) return ReportBadInput("bench simulate", graph.status());
  auto hardware = LoadRunHardware(*parsed, *graph, &config);
  if (!hardware.ok()) return ReportBadInput("bench simulate", hardware.status());
  const std::vector<Partition> parts =
      BenchPartitions(*graph, *hardware, static_cast<uint64_t>(config.run.seed), 16);
  if (parts.empty()) {
    return ReportBadInput("bench simulate",
                          Status::Error("found no valid partition of graph '" + graph->name +
                                        "' on '" + hardware->name + "' to measure"));
  }
  auto cycle = hw::MakeCycleEvaluator(*graph, *hardware, sim);
  if (!cycle.ok()) return ReportBadInput("bench simulate", cycle.status());
  auto maxload = hw::MakeMaxLoadEvaluator(*graph, *hardware);
  const Rate c = Measure(cycle->get(), parts, seconds);
  const Rate m = Measure(maxload.get(), parts, seconds);
  const double sim_ops = c.evals_per_s * sim.samples * graph->num_nodes();

  if (parsed->json) {
    nlohmann::json out = {{"graph", graph->name},
                          {"nodes", graph->num_nodes()},
                          {"hw", hardware->name},
                          {"partitions", parts.size()},
                          {"samples", sim.samples},
                          {"warmup", sim.warmup},
                          {"cycle_evals_per_s", c.evals_per_s},
                          {"cycle_us_per_eval", 1e6 / c.evals_per_s},
                          {"cycle_simulated_ops_per_s", sim_ops},
                          {"maxload_evals_per_s", m.evals_per_s},
                          {"maxload_us_per_eval", 1e6 / m.evals_per_s}};
    std::cout << out.dump() << std::endl;
    return kExitOk;
  }
  std::cout << "graph " << graph->name << " (" << graph->num_nodes() << " nodes) on "
            << hardware->Summary() << "\n"
            << parts.size() << " valid partitions, " << seconds << " s per evaluator, one core\n\n"
            << std::fixed << std::setprecision(1) << "evaluator        evals/s   us/eval\n"
            << "cycle      " << std::setw(13) << c.evals_per_s << std::setw(10)
            << 1e6 / c.evals_per_s << "   (" << sim.samples << " samples, " << sim.warmup
            << " warm-up; " << std::setprecision(0) << sim_ops / 1e6 << std::setprecision(1)
            << "M simulated ops/s)\n"
            << "maxload    " << std::setw(13) << m.evals_per_s << std::setw(10)
            << 1e6 / m.evals_per_s << "\n";
  return kExitOk;
}

}  // namespace mcmpart::cli
