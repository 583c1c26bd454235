// `mcmpart bench scale`: how each per-sample cost (policy inference, repair, cycle simulation,
// maxload) and DP's total time grow with the graph's size and the chip count K.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/features.h"
#include "actors/repair.h"
#include "actors/search/dp.h"
#include "cli/bench_util.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/power_law.h"
#include "cli/run_setup.h"
#include "common/bert.h"
#include "common/rng.h"
#include "hw/constraints.h"
#include "hw/simulator.h"
#include "policy/policy.h"

namespace mcmpart::cli {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The measured columns, in table order.
const char* const kColumns[] = {"policy_ms", "repair_policy_ms", "repair_random_ms",
                                "cycle_ms",  "maxload_ms",       "dp_ms"};
constexpr int kNumColumns = static_cast<int>(std::size(kColumns));

struct Cell {
  int nodes = 0;
  int chips = 0;
  double cost[kNumColumns] = {};  // NaN where not measured
  double repair_policy_valid = 0, repair_random_valid = 0;
};

// A narrow BERT encoder (hidden 64, 2 heads, 16 tokens) with about `nodes` operators: layers
// are added until the count is reached, so the shape per layer stays the same at every size
// and only the depth grows; its weights fit every preset's chips.
common::Graph ScaleGraph(int nodes) {
  auto make = [](int layers) {
    return common::MakeBert(common::BertConfig{layers, 64, 2, 16},
                            "bert:layers=" + std::to_string(layers) + ",hidden=64,heads=2,seq=16");
  };
  const int one = make(1).num_nodes();
  const int per_layer = make(2).num_nodes() - one;
  const int layers =
      std::max(1, static_cast<int>(std::lround(static_cast<double>(nodes - one) / per_layer)) + 1);
  return make(layers);
}

// Repairs each proposal once; returns the p50 time (ms) and the fraction repaired to valid.
std::pair<double, double> TimeRepairs(actors::Repairer& repairer, const common::Graph& g,
                                      const hw::Hardware& hw,
                                      const std::vector<common::Partition>& proposals) {
  std::vector<double> ms;
  int valid = 0;
  for (const common::Partition& q : proposals) {
    const auto t = Clock::now();
    actors::RepairResult r = repairer.Repair(q);
    ms.push_back(MsSince(t));
    valid += actors::HasPartition(r.status) && hw::IsValid(g, hw, r.partition);
  }
  return {Percentile(ms, 0.5),
          proposals.empty() ? 0.0 : static_cast<double>(valid) / proposals.size()};
}

struct ScaleOptions {
  int policy_batch = 16;
  int repair_samples = 5;
  double sim_seconds = 0.5;
  bool dp = true;
};

// Measures every column on one (graph, K).
class CellBench {
 public:
  CellBench(const common::Config& config, const ScaleOptions& options)
      : config_(config), options_(options) {}

  common::StatusOr<Cell> Run(const common::Graph& g, const hw::Hardware& base, int k) {
    hw::Hardware hw = base;
    hw.num_chips = k;
    MCMPART_RETURN_IF_ERROR(hw::ValidateHardware(hw).WithContext("--chips " + std::to_string(k)));
    Cell cell;
    cell.nodes = g.num_nodes();
    cell.chips = k;
    std::fill(std::begin(cell.cost), std::end(cell.cost), std::nan(""));
    const std::vector<common::Partition> proposals = PolicyProposals(g, hw, &cell);
    Repairs(g, hw, proposals, &cell);
    Evaluators(g, hw, &cell);
    if (options_.dp) Dp(g, hw, &cell);
    return cell;
  }

 private:
  // Policy inference per sample at `policy_batch` samples per forward; returns the samples.
  std::vector<common::Partition> PolicyProposals(const common::Graph& g, const hw::Hardware& hw,
                                                 Cell* cell) {
    common::PolicyConfig pc = config_.policy;
    pc.max_chips = std::max(pc.max_chips, hw.num_chips);
    policy::Policy policy(pc, static_cast<uint64_t>(config_.run.seed));
    policy.AddGraph(actors::BuildFeatures(g, hw));
    common::Rng rng(common::DeriveSeed(static_cast<uint64_t>(config_.run.seed), hw.num_chips));
    policy.Sample(0, 1, rng);  // warm-up
    const auto t = Clock::now();
    policy::PolicySample s = policy.Sample(0, options_.policy_batch, rng);
    cell->cost[0] = MsSince(t) / options_.policy_batch;
    return std::move(s.proposals);
  }

  void Repairs(const common::Graph& g, const hw::Hardware& hw,
               std::vector<common::Partition> proposals, Cell* cell) {
    actors::Repairer repairer(g, hw, actors::RepairOptionsFromConfig(config_));
    if (!repairer.CheckFeasible().ok()) return;
    proposals.resize(std::min<size_t>(proposals.size(), options_.repair_samples));
    std::tie(cell->cost[1], cell->repair_policy_valid) = TimeRepairs(repairer, g, hw, proposals);
    common::Rng rng(common::DeriveSeed(static_cast<uint64_t>(config_.run.seed), 7));
    std::vector<common::Partition> random(options_.repair_samples,
                                          common::Partition(g.num_nodes()));
    for (auto& q : random) {
      for (int& c : q) c = static_cast<int>(rng() % hw.num_chips);
    }
    std::tie(cell->cost[2], cell->repair_random_valid) = TimeRepairs(repairer, g, hw, random);
  }

  void Evaluators(const common::Graph& g, const hw::Hardware& hw, Cell* cell) {
    const std::vector<common::Partition> parts =
        BenchPartitions(g, hw, static_cast<uint64_t>(config_.run.seed), 8);
    if (parts.empty()) return;
    auto cycle = hw::MakeCycleEvaluator(g, hw, hw::SimOptions{});
    if (cycle.ok())
      cell->cost[3] = 1e3 / Measure(cycle->get(), parts, options_.sim_seconds).evals_per_s;
    auto maxload = hw::MakeMaxLoadEvaluator(g, hw);
    cell->cost[4] = 1e3 / Measure(maxload.get(), parts, options_.sim_seconds).evals_per_s;
  }

  void Dp(const common::Graph& g, const hw::Hardware& hw, Cell* cell) {
    const auto t = Clock::now();
    auto r = actors::search::DpMaxLoad(g, hw);
    if (r.ok()) cell->cost[5] = MsSince(t);
  }

  const common::Config& config_;
  ScaleOptions options_;
};

// The fitted exponents of `column` over the cells that measured it.
std::pair<double, double> FitExponents(const std::vector<Cell>& cells, int column) {
  std::vector<PowerLawPoint> points;
  for (const Cell& c : cells) {
    points.push_back({static_cast<double>(c.nodes), static_cast<double>(c.chips), c.cost[column]});
  }
  return FitPowerLaw(points);
}

void PrintTable(const std::vector<Cell>& cells) {
  std::printf("%7s %4s %10s %12s %12s %10s %10s %10s\n", "nodes", "K", "policy", "repair-pol",
              "repair-rand", "cycle", "maxload", "dp");
  for (const Cell& c : cells) {
    std::printf("%7d %4d %10.3f %6.2f(%3.0f%%) %6.2f(%3.0f%%) %10.4f %10.4f %10.1f\n", c.nodes,
                c.chips, c.cost[0], c.cost[1], 100 * c.repair_policy_valid, c.cost[2],
                100 * c.repair_random_valid, c.cost[3], c.cost[4], c.cost[5]);
  }
  for (int which : {0, 1}) {
    std::printf("%12s", which == 0 ? "exp(nodes)" : "exp(K)");
    for (int col = 0; col < kNumColumns; ++col) {
      const auto [a, b] = FitExponents(cells, col);
      std::printf(col == 1 || col == 2 ? " %12.2f" : " %10.2f", which == 0 ? a : b);
    }
    std::printf("\n");
  }
  std::printf(
      "ms per sample (policy: per sampled partition; repair: p50, valid fraction; cycle, maxload: "
      "per evaluation); dp: ms per run. exp: fitted exponent of cost ~ nodes^a K^b.\n");
}

nlohmann::json ToJson(const std::vector<Cell>& cells) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json out = {{"cells", nlohmann::json::array()},
                        {"exponents", nlohmann::json::object()}};
  for (const Cell& c : cells) {
    nlohmann::json j = {{"nodes", c.nodes},
                        {"chips", c.chips},
                        {"repair_policy_valid", c.repair_policy_valid},
                        {"repair_random_valid", c.repair_random_valid}};
    for (int col = 0; col < kNumColumns; ++col) j[kColumns[col]] = num(c.cost[col]);
    out["cells"].push_back(j);
  }
  for (int col = 0; col < kNumColumns; ++col) {
    const auto [a, b] = FitExponents(cells, col);
    out["exponents"][kColumns[col]] = {{"nodes", num(a)}, {"chips", num(b)}};
  }
  return out;
}

}  // namespace

int RunBenchScale(int argc, char** argv) {
  const std::string cmd = "bench scale";
  common::Config config;
  cxxopts::Options options("mcmpart bench scale",
                           "Per-sample cost of policy inference, repair (policy and random "
                           "proposals), cycle simulation and maxload, and DP's total time, "
                           "against graph size and chip count (one thread), with the fitted "
                           "growth exponent of each.");
  options.add_options()("sizes", "graph sizes in nodes (a narrow BERT made deeper)",
                        cxxopts::value<std::string>()->default_value("200,1000,5000,20000"))(
      "chips", "chip counts K (the hardware's num_chips is overridden)",
      cxxopts::value<std::string>()->default_value("8,32,128"))(
      "policy-batch", "samples per policy forward", cxxopts::value<int>()->default_value("16"))(
      "repair-samples", "proposals of each kind repaired per cell",
      cxxopts::value<int>()->default_value("5"))(
      "sim-seconds", "measuring time per evaluator and cell",
      cxxopts::value<double>()->default_value("0.5"))("no-dp", "leave DP out");
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput(cmd, parsed.status());
  if (parsed->help) return kExitOk;
  ScaleOptions so;
  so.policy_batch = parsed->result["policy-batch"].as<int>();
  so.repair_samples = parsed->result["repair-samples"].as<int>();
  so.sim_seconds = parsed->result["sim-seconds"].as<double>();
  so.dp = parsed->result.count("no-dp") == 0;
  if (so.policy_batch < 1 || so.policy_batch > 1024) {
    return ReportBadInput(cmd, common::Status::Error("--policy-batch must be in 1..1024"));
  }
  if (so.repair_samples < 1 || so.repair_samples > 10000) {
    return ReportBadInput(cmd, common::Status::Error("--repair-samples must be in 1..10000"));
  }
  if (!(so.sim_seconds > 0 && so.sim_seconds <= 600)) {
    return ReportBadInput(cmd, common::Status::Error("--sim-seconds must be in (0, 600]"));
  }
  auto sizes = ParseIntList(parsed->result["sizes"].as<std::string>(), "--sizes", 20, 200000,
                            "a node count");
  if (!sizes.ok()) return ReportBadInput(cmd, sizes.status());
  auto chips = ParseChipCounts(parsed->result["chips"].as<std::string>());
  if (!chips.ok()) return ReportBadInput(cmd, chips.status());
  std::vector<std::pair<int, common::Graph>> graphs;
  for (int n : *sizes) graphs.emplace_back(n, ScaleGraph(n));
  auto base = LoadRunHardware(*parsed, graphs.front().second, &config);
  if (!base.ok()) return ReportBadInput(cmd, base.status().WithContext("--hw"));
  for (int k : *chips) {
    hw::Hardware hw = *base;
    hw.num_chips = k;
    if (common::Status st = hw::ValidateHardware(hw); !st.ok()) {
      return ReportBadInput(cmd, st.WithContext("--chips " + std::to_string(k)));
    }
  }
  std::fprintf(stderr, "bench scale on %s, K from --chips, one thread\n", base->name.c_str());
  CellBench bench(config, so);
  std::vector<Cell> cells;
  for (const auto& [n, g] : graphs) {
    for (int k : *chips) {
      auto cell = bench.Run(g, *base, k);
      if (!cell.ok()) return ReportBadInput(cmd, cell.status());
      cells.push_back(*cell);
      std::fprintf(stderr, "  %d nodes, K = %d done\n", cell->nodes, k);
    }
  }
  if (parsed->json) {
    std::cout << ToJson(cells).dump() << std::endl;
  } else {
    PrintTable(cells);
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
