// `mcmpart report RUN.h5`: text (or --json) summary of a run file, also of a running or crashed
// run.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cxxopts.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actors/record.h"
#include "actors/repair.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "hw/hardware.h"
#include "learner/run_reader.h"

namespace mcmpart::cli {
namespace {

// The name of graph g's hardware (a corpus entry's own, else the run's), as the run file holds it.
std::string HardwareName(const learner::RunSummary& sum, size_t g) {
  const std::vector<std::string>& texts = sum.meta.graph_hardware_texts;
  if (g >= texts.size()) return "?";
  auto hw = hw::ParseHardwareToml(texts[g], "/meta/graph_hardware");
  return hw.ok() ? hw->name : "?";
}

constexpr int64_t kBlockRows = 1 << 16;

struct StrategyStats {
  int64_t rows = 0, valid = 0, proposal_valid = 0;
  double reward_sum = 0, best_throughput = 0;
};

struct RolloutStats {
  std::map<std::string, StrategyStats> strategies;
  std::vector<int64_t> repair_status;  ///< rows per actors::RepairStatus
  int64_t rows = 0, valid = 0, changed_sum = 0, lag_max = 0;
  double lag_sum = 0, repair_ms = 0, eval_ms = 0, inference_ms = 0, last_wall_s = 0;
};

common::StatusOr<RolloutStats> CollectRollouts(learner::RunReader& reader) {
  RolloutStats s;
  s.repair_status.assign(actors::kNumRepairStatuses, 0);
  const int64_t n = reader.summary().num_rollouts;
  for (int64_t begin = 0; begin < n; begin += kBlockRows) {
    auto rows = reader.ReadRollouts(begin, begin + kBlockRows, /*with_partitions=*/false);
    if (!rows.ok()) return rows.status();
    for (const actors::EpisodeRecord& r : *rows) {
      StrategyStats& st = s.strategies[std::string(actors::StrategyName(r.strategy))];
      ++st.rows;
      st.valid += r.valid;
      st.proposal_valid += r.proposal_valid;
      st.reward_sum += r.reward;
      if (r.valid) st.best_throughput = std::max(st.best_throughput, r.throughput);
      ++s.rows;
      s.valid += r.valid;
      s.changed_sum += r.changed_nodes;
      s.lag_sum += r.policy_lag;
      s.lag_max = std::max<int64_t>(s.lag_max, r.policy_lag);
      s.repair_ms += r.repair_ms;
      s.eval_ms += r.eval_ms;
      s.inference_ms += r.inference_ms;
      s.last_wall_s = std::max(s.last_wall_s, r.wall_time_s);
      if (r.repair_status >= 0 && r.repair_status < static_cast<int>(s.repair_status.size())) {
        ++s.repair_status[r.repair_status];
      }
    }
  }
  return s;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string UnixToIso(double t) {
  std::time_t secs = static_cast<std::time_t>(t);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", std::localtime(&secs));
  return buf;
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

// Behaviour cloning before PPO (/imitation), null when the run cloned nothing.
nlohmann::json ImitationJson(const learner::RunSummary& sum) {
  return ImitationLogJson(
      sum.imitation, [&](int g) { return sum.graphs[g].name; },
      [&](int g) { return HardwareName(sum, g); });
}

// One line on behaviour cloning, if the run cloned.
void PrintImitation(const learner::RunSummary& sum) {
  const learner::ImitationLog& im = sum.imitation;
  if (im.targets.empty()) return;
  double agreement = 0;
  for (const learner::ImitationSummary& t : im.targets) agreement += t.agreement;
  std::cout << "\ncloning     " << im.targets.size() << " targets, " << im.steps << " steps, loss "
            << Fixed(im.loss, 4) << " per decision, mean greedy agreement "
            << Fixed(100 * agreement / im.targets.size(), 1) << "%";
  if (im.dagger_decisions > 0) {
    std::cout << ", DAgger " << im.dagger_decisions << " decisions labelled (last round "
              << Fixed(100 * im.dagger_agreement, 1) << "% agreed; its expert "
              << im.ExpertSummary() << ")";
  }
  std::cout << "\n";
}

nlohmann::json ToJson(const std::string& path, const learner::RunSummary& sum,
                      const RolloutStats& r, const std::vector<learner::LearnerRow>& last_learner) {
  nlohmann::json j;
  j["file"] = path;
  j["schema_version"] = sum.schema_version;
  j["closed"] = sum.closed;
  j["last_flush"] = sum.last_flush_unix > 0 ? UnixToIso(sum.last_flush_unix) : "";
  j["meta"] = {{"start_time", sum.meta.start_time},
               {"git_revision", sum.meta.git_revision},
               {"command_line", sum.meta.command_line},
               {"evaluator", sum.meta.evaluator},
               {"seed", sum.meta.seed},
               {"ranks", sum.meta.ranks}};
  j["rollouts"] = {{"rows", r.rows},
                   {"valid_fraction", Ratio(r.valid, r.rows)},
                   {"wall_time_s", r.last_wall_s},
                   {"mean_policy_lag", Ratio(r.lag_sum, r.rows)},
                   {"max_policy_lag", r.lag_max},
                   {"mean_changed_nodes", Ratio(r.changed_sum, r.rows)},
                   {"mean_repair_ms", Ratio(r.repair_ms, r.rows)},
                   {"mean_eval_ms", Ratio(r.eval_ms, r.rows)},
                   {"mean_inference_ms", Ratio(r.inference_ms, r.rows)}};
  nlohmann::json repair = nlohmann::json::object();
  for (size_t i = 0; i < r.repair_status.size(); ++i) {
    repair[actors::RepairStatusName(static_cast<actors::RepairStatus>(i))] = r.repair_status[i];
  }
  j["rollouts"]["repair_status"] = repair;
  nlohmann::json strategies = nlohmann::json::object();
  for (const auto& [name, st] : r.strategies) {
    strategies[name] = {{"rows", st.rows},
                        {"valid_fraction", Ratio(st.valid, st.rows)},
                        {"proposal_valid_fraction", Ratio(st.proposal_valid, st.rows)},
                        {"mean_reward", Ratio(st.reward_sum, st.rows)},
                        {"best_throughput", st.best_throughput}};
  }
  j["strategies"] = strategies;
  j["learner"] = {{"updates", sum.num_learner_rows}};
  if (!last_learner.empty()) {
    const learner::LearnerRow& l = last_learner.back();
    j["learner"]["last"] = {{"update", l.update},
                            {"samples_seen", l.samples_seen},
                            {"policy_loss", l.policy_loss},
                            {"value_loss", l.value_loss},
                            {"entropy", l.entropy},
                            {"approx_kl", l.approx_kl},
                            {"learning_rate", l.learning_rate}};
  }
  nlohmann::json graphs = nlohmann::json::array();
  for (size_t g = 0; g < sum.graphs.size(); ++g) {
    const learner::RunBest& b = sum.best[g];
    nlohmann::json entry = {{"name", sum.graphs[g].name},
                            {"hardware", HardwareName(sum, g)},
                            {"nodes", sum.graphs[g].node_names.size()},
                            {"edges", sum.graphs[g].edges.size()},
                            {"best_found", b.found}};
    if (b.found) {
      entry["best_throughput"] = b.throughput;
      entry["best_step"] = b.step;
      entry["best_wall_time_s"] = b.wall_time_s;
      entry["best_chips_used"] = *std::max_element(b.partition.begin(), b.partition.end()) + 1;
    }
    graphs.push_back(entry);
  }
  j["graphs"] = graphs;
  j["imitation"] = ImitationJson(sum);
  return j;
}

void PrintText(const std::string& path, const learner::RunSummary& sum, const RolloutStats& r,
               const std::vector<learner::LearnerRow>& last_learner) {
  std::cout << "run file    " << path << " (schema " << sum.schema_version << ")\n";
  std::cout << "status      "
            << (sum.closed ? "closed cleanly"
                           : "not closed (still running, or the writer was killed): rows up to "
                             "the last flush")
            << (sum.last_flush_unix > 0 ? ", last flush " + UnixToIso(sum.last_flush_unix) : "")
            << "\n";
  const learner::RunMeta& m = sum.meta;
  std::cout << "started     " << m.start_time << "  git " << m.git_revision << "  evaluator "
            << m.evaluator << "  seed " << m.seed << "  ranks " << m.ranks << "\n";
  std::cout << "command     " << m.command_line << "\n";
  std::cout << "graphs      ";
  for (size_t g = 0; g < sum.graphs.size(); ++g) {
    std::cout << (g ? ", " : "") << sum.graphs[g].name << " (" << sum.graphs[g].node_names.size()
              << " nodes, " << sum.graphs[g].edges.size() << " edges)";
  }
  std::cout << "\n\nrollouts    " << r.rows << " rows, " << Fixed(100 * Ratio(r.valid, r.rows), 1)
            << "% valid, " << Fixed(r.last_wall_s, 1) << " s, "
            << Fixed(Ratio(r.rows, r.last_wall_s), 1) << " samples/s\n";
  std::cout << "policy lag  mean " << Fixed(Ratio(r.lag_sum, r.rows), 2) << ", max " << r.lag_max
            << "\n";
  std::cout << "repair      ";
  for (size_t i = 0; i < r.repair_status.size(); ++i) {
    std::cout << (i ? ", " : "") << actors::RepairStatusName(static_cast<actors::RepairStatus>(i))
              << " " << r.repair_status[i];
  }
  std::cout << "; mean changed nodes " << Fixed(Ratio(r.changed_sum, r.rows), 2) << "\n";
  std::cout << "time/row    repair " << Fixed(Ratio(r.repair_ms, r.rows), 3) << " ms, eval "
            << Fixed(Ratio(r.eval_ms, r.rows), 3) << " ms, inference "
            << Fixed(Ratio(r.inference_ms, r.rows), 3) << " ms\n\n";
  std::printf("%-16s %10s %8s %14s %12s %16s\n", "strategy", "rows", "valid%", "proposal ok%",
              "mean reward", "best samples/s");
  for (const auto& [name, st] : r.strategies) {
    std::printf("%-16s %10lld %8.1f %14.1f %12.4f %16.2f\n", name.c_str(),
                static_cast<long long>(st.rows), 100 * Ratio(st.valid, st.rows),
                100 * Ratio(st.proposal_valid, st.rows), Ratio(st.reward_sum, st.rows),
                st.best_throughput);
  }
  std::fflush(stdout);
  std::cout << "\nlearner     " << sum.num_learner_rows << " updates";
  if (!last_learner.empty()) {
    const learner::LearnerRow& l = last_learner.back();
    std::cout << "; last: samples " << l.samples_seen << ", policy loss " << Fixed(l.policy_loss, 4)
              << ", value loss " << Fixed(l.value_loss, 4) << ", entropy " << Fixed(l.entropy, 4)
              << ", approx KL " << Fixed(l.approx_kl, 5) << ", lr " << l.learning_rate;
  }
  std::cout << "\n";
  PrintImitation(sum);
  std::cout << "\nbest partitions\n";
  for (size_t g = 0; g < sum.graphs.size(); ++g) {
    const learner::RunBest& b = sum.best[g];
    std::cout << "  " << sum.graphs[g].name << " on " << HardwareName(sum, g) << ": ";
    if (!b.found) {
      std::cout << "none yet\n";
      continue;
    }
    std::cout << Fixed(b.throughput, 2) << " samples/s at step " << b.step << " ("
              << Fixed(b.wall_time_s, 1) << " s), "
              << *std::max_element(b.partition.begin(), b.partition.end()) + 1 << " chips used\n";
  }
}

}  // namespace

int RunReport(int argc, char** argv) {
  cxxopts::Options options(
      "mcmpart report",
      "Summarise a run file (also one a job is still writing, or one a crashed job left): "
      "rows, strategies, repair, learner, behaviour cloning, best partitions.\n"
      "usage: mcmpart report RUN.h5 [--json]");
  options.add_options()("json", "print the summary as one JSON object on stdout")(
      "h,help", "show this help")("run", "run file", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"run"});
  options.positional_help("RUN.h5");
  cxxopts::ParseResult result;
  try {
    result = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return ReportBadInput("report", common::Status::Error(std::string(e.what()) + " (see --help)"));
  }
  if (result.count("help")) {
    std::cout << options.help() << std::endl;
    return kExitOk;
  }
  const std::vector<std::string> runs = result.count("run")
                                            ? result["run"].as<std::vector<std::string>>()
                                            : std::vector<std::string>{};
  if (runs.size() != 1) {
    return ReportBadInput("report", common::Status::Error("expected one run file (RUN.h5), got " +
                                                          std::to_string(runs.size())));
  }
  auto reader = learner::RunReader::Open(runs[0]);
  if (!reader.ok()) return ReportBadInput("report", reader.status());
  auto stats = CollectRollouts(**reader);
  if (!stats.ok()) return ReportBadInput("report", stats.status());
  const int64_t updates = (*reader)->summary().num_learner_rows;
  auto last = (*reader)->ReadLearner(updates - 1, updates);
  if (!last.ok()) return ReportBadInput("report", last.status());
  if (result.count("json")) {
    std::cout << ToJson(runs[0], (*reader)->summary(), *stats, *last).dump() << std::endl;
  } else {
    PrintText(runs[0], (*reader)->summary(), *stats, *last);
  }
  return kExitOk;
}

}  // namespace mcmpart::cli
