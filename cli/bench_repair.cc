// `mcmpart bench repair`: repair latency on random and near-valid proposals, or on the policy
// proposals of a run file (SPEC §5).
#include <algorithm>
#include <chrono>
#include <deque>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/repair.h"
#include "cli/bench_util.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "common/graph_io.h"
#include "common/toml_parse.h"
#include "hw/constraints.h"
#include "learner/run_reader.h"

namespace mcmpart::cli {
namespace {

struct Series {
  std::string kind;
  int chips = 0;
  std::vector<double> ms;
  int valid = 0;
  int feasible = 0;  // instances with a valid partition (a valid sample exists for near-valid)
  int64_t changed = 0;
  int statuses[actors::kNumRepairStatuses] = {};
};

// Times one repair of `proposal` and counts its outcome in `s`.
void TimeRepair(actors::Repairer& repairer, const common::Graph& graph, const hw::Hardware& hw,
                const common::Partition& proposal, bool sampled, Series* s) {
  const auto start = std::chrono::steady_clock::now();
  actors::RepairResult r = repairer.Repair(proposal);
  s->ms.push_back(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  s->statuses[static_cast<int>(r.status)]++;
  s->feasible += sampled;
  if (actors::HasPartition(r.status) && hw::IsValid(graph, hw, r.partition)) {
    s->valid++;
    s->changed += r.changed_nodes;
  }
}

// Repairs `samples` random and near-valid proposals on `k` chips; appends one Series per kind.
common::Status BenchChips(const common::Graph& graph, const hw::Hardware& base_hw, int k,
                          int samples, uint64_t seed, const actors::RepairOptions& repair_options,
                          std::vector<Series>* all) {
  hw::Hardware hw = base_hw;
  hw.num_chips = k;
  MCMPART_RETURN_IF_ERROR(hw::ValidateHardware(hw));
  actors::Repairer repairer(graph, hw, repair_options);
  if (common::Status st = repairer.CheckFeasible(); !st.ok()) {
    return st.WithContext("'" + graph.name + "' on " + hw.name + " with " + std::to_string(k) +
                          " chips is infeasible");
  }
  common::Rng rng(common::DeriveSeed(seed, k));
  Series random, near;
  random.kind = "random";
  near.kind = "near-valid";
  random.chips = near.chips = k;
  const int n = graph.num_nodes();
  for (int i = 0; i < samples; ++i) {
    common::Partition q(n);
    for (int& c : q) c = static_cast<int>(rng() % k);
    actors::RepairResult sample = repairer.SampleValid(rng);
    common::Partition near_q = sample.partition;
    const bool sampled = actors::HasPartition(sample.status);
    if (sampled) {
      for (int j = 0; j < std::max(1, n / 20); ++j) near_q[rng() % n] = static_cast<int>(rng() % k);
    }
    TimeRepair(repairer, graph, hw, q, sampled, &random);
    if (sampled) TimeRepair(repairer, graph, hw, near_q, sampled, &near);
  }
  all->push_back(random);
  all->push_back(near);
  return common::Status::Ok();
}

// The run file's problem and the last `samples` policy proposals it logged for that graph.
struct RunProposals {
  common::Graph graph;
  hw::Hardware hw;
  std::vector<common::Partition> proposals;
  int feasible = 0;  // proposals the run itself repaired into a valid partition
};

// The graph index of `graph` in the run's graph list.
common::StatusOr<int> RunGraphIndex(const learner::RunSummary& sum, const common::Graph& graph,
                                    const std::string& path) {
  const auto& names = sum.meta.graph_names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == graph.name && i < sum.graphs.size() &&
        static_cast<int>(sum.graphs[i].node_names.size()) == graph.num_nodes()) {
      return static_cast<int>(i);
    }
  }
  return common::Status::Error(path + ": the run's config names graph '" + graph.name + "' (" +
                               std::to_string(graph.num_nodes()) +
                               " nodes), which its /graphs do not hold");
}

// run.graph and run.weight_bytes of a run's recorded config.
struct RunGraph {
  std::string spec;
  int weight_bytes = 0;
};

// The graph of a run's recorded config (defaults when absent). Only run.graph and
// run.weight_bytes are read, so files whose config has keys this build does not know still
// serve.
common::StatusOr<RunGraph> RunGraphSpec(const std::string& config_text, const std::string& source) {
  MCMPART_ASSIGN_OR_RETURN(const toml::table doc, common::ParseTomlText(config_text, source));
  RunGraph out;
  out.spec = common::Config().run.graph;
  if (const toml::node* graph = doc.at_path("run.graph").node()) {
    const auto spec = graph->value<std::string>();
    if (!spec) return common::Status::Error(source + ": run.graph is not a string");
    out.spec = *spec;
  }
  if (const toml::node* bytes = doc.at_path("run.weight_bytes").node()) {
    const auto value = bytes->value<int64_t>();
    if (!value || (*value != 0 && !common::IsWeightElementSize(*value))) {
      return common::Status::Error(source + ": run.weight_bytes must be 0, 1, 2, 4 or 8");
    }
    out.weight_bytes = static_cast<int>(*value);
  }
  return out;
}

common::StatusOr<RunProposals> ReadRunProposals(const std::string& path, int samples) {
  MCMPART_ASSIGN_OR_RETURN(auto reader, learner::RunReader::Open(path));
  const learner::RunSummary& sum = reader->summary();
  MCMPART_ASSIGN_OR_RETURN(const RunGraph run_graph,
                           RunGraphSpec(sum.meta.config_text, path + ":/meta/config"));
  RunProposals out;
  MCMPART_ASSIGN_OR_RETURN(out.graph, common::LoadGraph(run_graph.spec, run_graph.weight_bytes));
  MCMPART_ASSIGN_OR_RETURN(const int graph_index, RunGraphIndex(sum, out.graph, path));
  MCMPART_ASSIGN_OR_RETURN(out.hw,
                           hw::ParseHardwareToml(sum.meta.hardware_text, path + ":/meta/hardware"));
  std::deque<actors::EpisodeRecord> last;
  constexpr int64_t kBlock = 4096;
  for (int64_t begin = 0; begin < sum.num_rollouts; begin += kBlock) {
    MCMPART_ASSIGN_OR_RETURN(auto rows,
                             reader->ReadRollouts(begin, begin + kBlock, /*with_partitions=*/true));
    for (actors::EpisodeRecord& r : rows) {
      if (r.strategy != actors::StrategyId::kRl || r.graph != graph_index) continue;
      if (static_cast<int>(r.proposal.size()) != out.graph.num_nodes()) continue;
      last.push_back(std::move(r));
      if (static_cast<int>(last.size()) > samples) last.pop_front();
    }
  }
  if (last.empty()) {
    return common::Status::Error(path + ": no policy (rl) proposals for graph '" + out.graph.name +
                                 "' in /rollouts");
  }
  for (actors::EpisodeRecord& r : last) {
    out.feasible += r.valid;
    out.proposals.push_back(std::move(r.proposal));
  }
  return out;
}

// Repairs the run's proposals on its own hardware; appends one "policy" Series.
common::Status BenchRun(const RunProposals& run, const actors::RepairOptions& repair_options,
                        std::vector<Series>* all) {
  actors::Repairer repairer(run.graph, run.hw, repair_options);
  if (common::Status st = repairer.CheckFeasible(); !st.ok()) {
    return st.WithContext("'" + run.graph.name + "' on " + run.hw.name + " is infeasible");
  }
  Series policy;
  policy.kind = "policy";
  policy.chips = run.hw.num_chips;
  for (const common::Partition& q : run.proposals) {
    TimeRepair(repairer, run.graph, run.hw, q, /*sampled=*/false, &policy);
  }
  policy.feasible = run.feasible;
  all->push_back(policy);
  return common::Status::Ok();
}

void PrintJson(const common::Graph& graph, const hw::Hardware& hw, double time_limit_ms,
               const std::vector<Series>& all) {
  nlohmann::json out = {{"graph", graph.name},
                        {"hw", hw.name},
                        {"time_limit_ms", time_limit_ms},
                        {"series", nlohmann::json::array()}};
  for (const Series& s : all) {
    nlohmann::json row = {{"kind", s.kind},
                          {"chips", s.chips},
                          {"samples", s.ms.size()},
                          {"p50_ms", Percentile(s.ms, 0.5)},
                          {"p99_ms", Percentile(s.ms, 0.99)},
                          {"max_ms", Percentile(s.ms, 1.0)},
                          {"valid", s.valid},
                          {"feasible", s.feasible},
                          {"mean_changed", s.valid ? double(s.changed) / s.valid : 0.0}};
    for (int i = 0; i < actors::kNumRepairStatuses; ++i) {
      row[actors::RepairStatusName(static_cast<actors::RepairStatus>(i))] = s.statuses[i];
    }
    out["series"].push_back(row);
  }
  std::cout << out.dump() << "\n";
}

void PrintTable(const common::Graph& graph, const hw::Hardware& hw, double time_limit_ms,
                const std::vector<Series>& all) {
  std::cout << "repair on '" << graph.name << "' (" << graph.num_nodes() << " nodes), " << hw.name
            << " constraints, time limit " << time_limit_ms << " ms, one thread\n";
  std::cout << std::left << std::setw(4) << "K" << std::setw(12) << "proposals" << std::right
            << std::setw(6) << "n" << std::setw(10) << "p50 ms" << std::setw(10) << "p99 ms"
            << std::setw(10) << "max ms" << std::setw(9) << "valid" << std::setw(9) << "optimal"
            << std::setw(8) << "best" << std::setw(11) << "not found" << std::setw(9)
            << "changed\n";
  for (const Series& s : all) {
    std::cout << std::left << std::setw(4) << s.chips << std::setw(12) << s.kind << std::right
              << std::setw(6) << s.ms.size() << std::fixed << std::setprecision(2) << std::setw(10)
              << Percentile(s.ms, 0.5) << std::setw(10) << Percentile(s.ms, 0.99) << std::setw(10)
              << Percentile(s.ms, 1.0) << std::setw(8) << std::setprecision(1)
              << 100.0 * s.valid / std::max<size_t>(1, s.ms.size()) << "%" << std::setw(9)
              << s.statuses[1] << std::setw(8) << s.statuses[2] << std::setw(11)
              << s.statuses[static_cast<int>(actors::RepairStatus::kNotFound)] << std::setw(9)
              << (s.valid ? double(s.changed) / s.valid : 0.0) << "\n";
  }
}

void Print(bool json, const common::Graph& graph, const hw::Hardware& hw, double time_limit_ms,
           const std::vector<Series>& all) {
  if (json) {
    PrintJson(graph, hw, time_limit_ms, all);
  } else {
    PrintTable(graph, hw, time_limit_ms, all);
  }
}

}  // namespace

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  return v[i];
}

common::StatusOr<std::vector<int>> ParseIntList(const std::string& list, const std::string& flag,
                                                int lo, int hi, const std::string& what) {
  std::vector<int> values;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const int v = std::stoi(item, &used);
      if (used != item.size() || v < lo || v > hi) throw std::invalid_argument(item);
      values.push_back(v);
    } catch (const std::exception&) {
      return common::Status::Error(flag + ": '" + item + "' is not " + what + " in " +
                                   std::to_string(lo) + ".." + std::to_string(hi));
    }
  }
  return values;
}

common::StatusOr<std::vector<int>> ParseChipCounts(const std::string& list,
                                                   const std::string& flag) {
  return ParseIntList(list, flag, 1, 256, "a chip count");
}

int RunBenchRepair(int argc, char** argv) {
  const std::string cmd = "bench repair";
  common::Config config;
  cxxopts::Options options("mcmpart bench repair",
                           "Repair time (p50/p99, one thread) for random proposals and for "
                           "near-valid ones (a valid partition with 5% of nodes perturbed).");
  options.add_options("Common")("chips",
                                "chip counts K to run, comma-separated (overrides the "
                                "hardware's num_chips)",
                                cxxopts::value<std::string>()->default_value("8,16"))(
      "samples", "proposals per kind and K (with --from-run: the last ones the run logged)",
      cxxopts::value<int>()->default_value("200"))(
      "from-run",
      "repair the policy proposals of this run file (RUN.h5) on its own graph and hardware "
      "instead of random and near-valid ones",
      cxxopts::value<std::string>())(
      "lns-rounds",
      "large-neighbourhood rounds after branch and bound stops at the limit (0 = off)",
      cxxopts::value<int>()->default_value("0"))(
      "stall-fails",
      "stop improving after this many search failures without a better partition (0 = off)",
      cxxopts::value<int64_t>()->default_value(
          std::to_string(actors::RepairOptions().stall_fails)));
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return ReportBadInput(cmd, parsed.status());
  if (parsed->help) return kExitOk;
  const int samples = parsed->result["samples"].as<int>();
  if (samples < 1) return ReportBadInput(cmd, common::Status::Error("--samples must be >= 1"));
  actors::RepairOptions repair_options = actors::RepairOptionsFromConfig(config);
  repair_options.lns_rounds = parsed->result["lns-rounds"].as<int>();
  repair_options.stall_fails = parsed->result["stall-fails"].as<int64_t>();
  if (repair_options.lns_rounds < 0 || repair_options.stall_fails < 0) {
    return ReportBadInput(cmd,
                          common::Status::Error("--lns-rounds and --stall-fails must be >= 0"));
  }
  std::vector<Series> all;
  if (parsed->result.count("from-run")) {
    if (parsed->result.count("chips")) {
      return ReportBadInput(
          cmd, common::Status::Error("--chips does not apply with --from-run (the run's "
                                     "hardware sets K)"));
    }
    auto run = ReadRunProposals(parsed->result["from-run"].as<std::string>(), samples);
    if (!run.ok()) return ReportBadInput(cmd, run.status().WithContext("--from-run"));
    common::Status st = BenchRun(*run, repair_options, &all);
    if (!st.ok()) return ReportBadInput(cmd, st);
    Print(parsed->json, run->graph, run->hw, repair_options.time_limit_ms, all);
    return kExitOk;
  }
  auto chip_counts = ParseChipCounts(parsed->result["chips"].as<std::string>());
  if (!chip_counts.ok()) return ReportBadInput(cmd, chip_counts.status());
  auto graph = common::LoadGraph(config.run.graph, config.run.weight_bytes.bytes);
  if (!graph.ok()) return ReportBadInput(cmd, graph.status());
  auto base_hw = LoadRunHardware(*parsed, *graph, &config);
  if (!base_hw.ok()) return ReportBadInput(cmd, base_hw.status());
  for (int k : *chip_counts) {
    common::Status st = BenchChips(*graph, *base_hw, k, samples,
                                   static_cast<uint64_t>(config.run.seed), repair_options, &all);
    if (!st.ok()) return ReportBadInput(cmd, st);
  }
  Print(parsed->json, *graph, *base_hw, repair_options.time_limit_ms, all);
  return kExitOk;
}

}  // namespace mcmpart::cli
