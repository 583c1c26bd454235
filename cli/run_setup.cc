// Shared set-up of `train` and `search`, stop signals and the summary printout.
#include "cli/run_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/pretrained.h"
#include "common/graph_io.h"
#include "hw/external_evaluator.h"
#include "hw/hardware.h"
#include "learner/imitation_targets.h"

namespace mcmpart::cli {
namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void OnStopSignal(int) { g_stop_requested.store(true); }

// Splits a '+'-separated list of graphs (a pre-training corpus).
std::vector<std::string> SplitGraphs(const std::string& spec) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t plus = spec.find('+', start);
    out.push_back(spec.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return out;
}

common::Status CheckOutPath(const std::string& path, bool force) {
  if (path.empty()) return common::Status::Ok();
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return common::Status::Error("--out '" + path + "' is a directory");
    if (!force) {
      return common::Status::Error(
          "--out '" + path +
          "' already exists (choose another path, pass --force, or --resume it)");
    }
  }
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (access(dir.c_str(), W_OK) != 0) {
    return common::Status::Error("--out '" + path + "': folder '" + dir +
                                 "' does not exist or is not writable");
  }
  return common::Status::Ok();
}

}  // namespace

void AddRunOptions(cxxopts::Options& options) {
  options.add_options()("force", "overwrite an existing --out file")(
      "resume", "continue the run in this HDF5 file from its checkpoint (<file>.ckpt)",
      cxxopts::value<std::string>());
}

const std::atomic<bool>* InstallStopHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGUSR1, SIGINT}) sigaction(sig, &sa, nullptr);
  return &g_stop_requested;
}

bool IsLauncherRankZero() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::string(v) == "0";
  }
  return true;
}

common::StatusOr<hw::Hardware> LoadRunHardware(const ParsedCommand& parsed,
                                               const common::Graph& graph, common::Config* config) {
  if (!parsed.hw_given && graph.hint_num_chips > 0) {
    config->run.hw = "from-graph";
    if (IsLauncherRankZero()) {
      std::cerr << "mcmpart: graph '" << graph.name << "' names its hardware ("
                << graph.hint_num_chips << " chips); using --hw from-graph (give --hw to choose)"
                << std::endl;
    }
  }
  return hw::LoadHardware(config->run.hw, &graph);
}

namespace {

// One '+'-separated entry of --graph or --heldout: GRAPH, or GRAPH@HW with its own hardware.
struct EntrySpec {
  std::string flag;   // "--graph" or "--heldout"
  std::string text;   // the entry as given
  std::string graph;  // what LoadGraph takes
  std::string hw;     // what --hw takes; empty: the run's --hw
  std::string where() const { return flag + " entry '" + text + "'"; }
};

// Splits `spec` into entries; the hardware follows the last '@' of an entry.
common::StatusOr<std::vector<EntrySpec>> ParseEntries(const std::string& spec,
                                                      const std::string& flag) {
  std::vector<EntrySpec> out;
  for (const std::string& text : SplitGraphs(spec)) {
    EntrySpec e{flag, text, text, ""};
    const size_t at = text.rfind('@');
    if (at != std::string::npos) {
      e.graph = text.substr(0, at);
      e.hw = text.substr(at + 1);
      if (e.graph.empty() || e.hw.empty()) {
        return common::Status::Error(e.where() +
                                     ": expected GRAPH@HW with a graph and a hardware (a preset, "
                                     "a .toml file or from-graph[:K])");
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Ok when `graph` runs on `hw` in this run: K within --max-chips (`uses_policy`), and feasible.
common::Status CheckEntry(const common::Graph& graph, const hw::Hardware& hw,
                          const common::Config& config, bool uses_policy) {
  if (uses_policy && hw.num_chips > config.policy.max_chips) {
    return common::Status::Error("hardware '" + hw.name + "' has " + std::to_string(hw.num_chips) +
                                 " chips but the policy addresses at most --max-chips " +
                                 std::to_string(config.policy.max_chips));
  }
  return learner::CheckPartitionable(graph, hw);
}

// Loads every entry of --graph and --heldout into `setup` (graphs, TrainInputs' graph lists and
// per-graph hardware): an entry's own hardware resolved against its graph, the others on --hw
// (resolved against the first of them), each pair checked. Errors name the entry.
common::Status LoadEntries(const ParsedCommand& parsed, bool resume, bool uses_policy,
                           RunSetup* setup, common::Config* config) {
  MCMPART_ASSIGN_OR_RETURN(std::vector<EntrySpec> entries,
                           ParseEntries(config->run.graph, "--graph"));
  const size_t num_train = entries.size();
  if (!config->run.heldout.empty()) {
    MCMPART_ASSIGN_OR_RETURN(auto heldout, ParseEntries(config->run.heldout, "--heldout"));
    entries.insert(entries.end(), heldout.begin(), heldout.end());
  }
  // A single plain entry is the whole flag; in a corpus, or with its own hardware, messages name
  // the entry.
  auto named = [&entries](const EntrySpec& e) { return entries.size() > 1 || !e.hw.empty(); };
  const common::Graph* plain = nullptr;  // the first graph on --hw
  for (const EntrySpec& e : entries) {
    auto graph = common::LoadGraph(e.graph, config->run.weight_bytes.bytes);
    if (!graph.ok()) return graph.status().WithContext(named(e) ? e.where() : e.flag);
    setup->graphs.push_back(std::make_unique<common::Graph>(std::move(graph).value()));
    if (e.hw.empty() && !plain) plain = setup->graphs.back().get();
  }
  std::optional<hw::Hardware> run_hw;
  if (plain) {
    auto hardware =
        resume ? hw::LoadHardware(config->run.hw, plain) : LoadRunHardware(parsed, *plain, config);
    if (!hardware.ok()) return hardware.status().WithContext("--hw");
    run_hw = std::move(hardware).value();
  }
  learner::TrainInputs& in = setup->inputs;
  for (size_t i = 0; i < entries.size(); ++i) {
    const EntrySpec& e = entries[i];
    const common::Graph& graph = *setup->graphs[i];
    hw::Hardware hardware;
    if (e.hw.empty()) {
      hardware = *run_hw;
    } else {
      auto own = hw::LoadHardware(e.hw, &graph);
      if (!own.ok()) return own.status().WithContext(e.where());
      hardware = std::move(own).value();
    }
    common::Status fits = CheckEntry(graph, hardware, *config, uses_policy);
    if (!fits.ok()) return named(e) ? fits.WithContext(e.where()) : fits;
    const bool train = i < num_train;
    (train ? in.graphs : in.heldout).push_back(&graph);
    (train ? in.graph_hw : in.heldout_hw).push_back(std::move(hardware));
  }
  in.hw = run_hw ? *run_hw : in.graph_hw.front();
  return common::Status::Ok();
}

}  // namespace

common::StatusOr<std::unique_ptr<RunSetup>> PrepareRun(const ParsedCommand& parsed,
                                                       const common::Config& flags_config, int argc,
                                                       char** argv, bool check_out_path,
                                                       bool uses_policy) {
  auto setup = std::make_unique<RunSetup>();
  common::Config config = flags_config;
  const bool resume = parsed.result.count("resume") > 0;
  if (resume) {
    const std::string run = parsed.result["resume"].as<std::string>();
    struct stat st;
    if (stat(run.c_str(), &st) != 0)
      return common::Status::Error("--resume '" + run + "': no such run file");
    common::Config probe;
    probe.run.out = run;
    if (parsed.result.count("checkpoint"))
      probe.run.checkpoint = parsed.result["checkpoint"].as<std::string>();
    const std::string ckpt = learner::CheckpointPath(probe);
    auto text = learner::ReadCheckpointConfig(ckpt);
    if (!text.ok()) return text.status().WithContext("--resume '" + run + "'");
    // The run's own config, then the flags given now (e.g. a larger --budget).
    config = common::Config{};
    MCMPART_RETURN_IF_ERROR(common::ApplyConfigToml(*text, ckpt, &config));
    MCMPART_RETURN_IF_ERROR(ApplyConfigFlags(parsed.result, &config));
    config.run.out = run;
    MCMPART_RETURN_IF_ERROR(common::ValidateConfig(config));
  }
  if (!resume) {
    MCMPART_RETURN_IF_ERROR(ResolveCheckpointFlag("--init-from", &config.run.init_from, &config));
  }
  MCMPART_RETURN_IF_ERROR(LoadEntries(parsed, resume, uses_policy, setup.get(), &config));
  if (config.run.evaluator.external()) {
    auto argv = hw::ExternalCommandArgv(config.run.evaluator.command);
    if (!argv.ok()) return argv.status().WithContext("--evaluator");
  }
  if (check_out_path && !resume)
    MCMPART_RETURN_IF_ERROR(CheckOutPath(config.run.out, parsed.result.count("force") > 0));
  if (!config.run.init_from.empty() && access(config.run.init_from.c_str(), R_OK) != 0) {
    return common::Status::Error("--init-from '" + config.run.init_from +
                                 "': cannot open checkpoint");
  }
  if (!resume && config.run.init_from.empty() && config.run.init_temperature != 1.0)
    return common::Status::Error(
        "--init-temperature softens the policy --init-from loads: "
        "give --init-from CKPT (or 'pretrained')");
  learner::TrainInputs& in = setup->inputs;
  in.config = config;
  if (!config.run.imitate_from.empty() && !resume) {  // a resumed run has cloned already
    std::vector<const hw::Hardware*> hws;
    for (size_t i = 0; i < in.graphs.size(); ++i) hws.push_back(&in.HwOf(i));
    MCMPART_ASSIGN_OR_RETURN(
        in.imitate, learner::LoadImitationTargets(config.run.imitate_from,
                                                  SplitGraphs(config.run.graph), in.graphs, hws));
  }
  in.command_line = JoinArgs(argc, argv);
  in.git_revision = GitRevision();
  in.start_time = NowIso8601();
  in.progress_to_stderr = parsed.json;
  in.resume = resume;
  return setup;
}

namespace {

// Gain of the run's best over the first batch's best, in percent.
double GainOverFirstBatch(const learner::TrainSummary& s) {
  return s.first_batch_best_throughput > 0
             ? 100.0 * (s.best_throughput / s.first_batch_best_throughput - 1.0)
             : 0.0;
}

// The training graphs as `a+b@hw+…`: an entry on other hardware than --hw names it.
std::string GraphNames(const learner::TrainInputs& in) {
  std::string graphs;
  for (size_t i = 0; i < in.graphs.size(); ++i) {
    const std::string& hw_name = in.HwOf(i).name;
    graphs += (graphs.empty() ? "" : "+") + in.graphs[i]->name +
              (hw_name == in.hw.name ? "" : "@" + hw_name);
  }
  return graphs;
}

// Behaviour cloning before PPO (--imitate-from), null when nothing was cloned.
nlohmann::json ImitationJson(const learner::TrainSummary& s, const learner::TrainInputs& in) {
  return ImitationLogJson(
      s.imitation, [&](int g) { return in.graphs[g]->name; },
      [&](int g) { return in.HwOf(g).name; });
}

nlohmann::json SummaryJson(const learner::TrainSummary& s, const learner::TrainInputs& in) {
  const common::Config& c = in.config;
  const double gain = GainOverFirstBatch(s);
  const std::string graphs = GraphNames(in);
  return {{"command", s.strategy == "rl" ? "train" : "search"},
          {"strategy", s.strategy},
          {"graph", graphs},
          {"hardware", in.hw.name},
          {"num_chips", in.hw.num_chips},
          {"evaluator", common::EnumName(c.run.evaluator)},
          {"ranks", s.ranks},
          {"seed", c.run.seed},
          {"evaluations", s.evaluations},
          {"start_evaluations", s.start_evaluations},
          {"updates", s.updates},
          {"policy_version", s.policy_version},
          {"dropped_stale", s.dropped_stale},
          {"lag_mean", s.lag_mean},
          {"lag_max", s.lag_max},
          {"wall_s", s.wall_s},
          {"samples_per_s", s.samples_per_s},
          {"first_batch_best_throughput", s.first_batch_best_throughput},
          {"best_throughput", s.best_throughput},
          {"gain_over_first_batch_pct", gain},
          {"best_reward", s.best_reward},
          {"best_step", s.best_step},
          {"best_graph", s.best_graph},
          {"best_partition", s.best_partition},
          {"valid_fraction", s.valid_fraction},
          {"proposal_valid_fraction", s.proposal_valid_fraction},
          {"actor_ms",
           {{"inference", s.actor.inference_ms},
            {"repair", s.actor.repair_ms},
            {"evaluation", s.actor.eval_ms},
            {"messaging", s.actor.message_ms},
            {"waiting", s.actor.wait_ms}}},
          {"learner_s",
           {{"update", s.learner_update_s},
            {"broadcast", s.learner_broadcast_s},
            {"logging", s.learner_log_s},
            {"idle", s.learner_idle_s}}},
          {"broadcast_ms_mean", s.broadcast_ms_mean},
          {"learner_max_rss_mb", s.learner_max_rss_mb},
          {"interrupted", s.interrupted},
          {"heldout_reward", s.heldout_reward},
          {"imitation", ImitationJson(s, in)},
          {"checkpoint", s.checkpoint},
          {"out", c.run.out},
          {"git_revision", in.git_revision}};
}

void PrintSummaryText(const learner::TrainSummary& s, const learner::TrainInputs& in) {
  const common::Config& c = in.config;
  const double gain = GainOverFirstBatch(s);
  const std::string graphs = GraphNames(in);
  const double total = s.actor.total();
  std::printf("mcmpart %s: %s on %s, evaluator %s, %d ranks, seed %lld%s\n",
              s.strategy == "rl" ? "train" : ("search " + s.strategy).c_str(), graphs.c_str(),
              in.hw.Summary().c_str(), common::EnumName(c.run.evaluator).c_str(), s.ranks,
              static_cast<long long>(c.run.seed), s.interrupted ? " (stopped by a signal)" : "");
  std::printf("  %lld evaluations in %.1f s (%.1f samples/s)",
              static_cast<long long>(s.evaluations - s.start_evaluations), s.wall_s,
              s.samples_per_s);
  if (s.start_evaluations > 0)
    std::printf(", %lld before the resume", static_cast<long long>(s.start_evaluations));
  if (s.strategy == "rl") {
    std::printf(", %lld PPO updates, %lld stale records dropped (lag mean %.2f, max %.0f)",
                static_cast<long long>(s.updates), static_cast<long long>(s.dropped_stale),
                s.lag_mean, s.lag_max);
  }
  std::printf("\n");
  auto pct = [&](double v) { return total > 0 ? 100.0 * v / total : 0.0; };
  std::printf(
      "  actor time per sample: inference %.2f ms (%.0f%%), repair %.2f ms (%.0f%%), evaluation "
      "%.2f ms "
      "(%.0f%%), messaging %.2f ms (%.0f%%), waiting %.2f ms (%.0f%%)\n",
      s.actor.inference_ms, pct(s.actor.inference_ms), s.actor.repair_ms, pct(s.actor.repair_ms),
      s.actor.eval_ms, pct(s.actor.eval_ms), s.actor.message_ms, pct(s.actor.message_ms),
      s.actor.wait_ms, pct(s.actor.wait_ms));
  if (s.ranks > 1) {
    std::printf(
        "  learner time: update %.1f s, broadcast %.2f s (%.2f ms each), logging %.1f s, idle %.1f "
        "s\n",
        s.learner_update_s, s.learner_broadcast_s, s.broadcast_ms_mean, s.learner_log_s,
        s.learner_idle_s);
  }
  std::printf("  valid %.1f%%, proposals already valid %.1f%%\n", 100 * s.valid_fraction,
              100 * s.proposal_valid_fraction);
  if (s.heldout_reward >= 0)
    std::printf("  held-out graphs, greedy: mean reward %.3f\n", s.heldout_reward);
  for (const learner::ImitationSummary& t : s.imitation.targets) {
    std::printf(
        "  imitation of '%s' (%d steps): greedy agreement %.1f%% of %d decisions (%d forced), "
        "target throughput %.1f samples/s\n",
        in.graphs[t.graph]->name.c_str(), s.imitation.steps, 100 * t.agreement, t.decisions,
        t.forced_steps, t.throughput);
  }
  std::printf("  first batch best throughput: %.1f samples/s\n", s.first_batch_best_throughput);
  std::printf("  run best throughput:         %.1f samples/s (%+.1f%%, step %lld, reward %.3f)\n",
              s.best_throughput, gain, static_cast<long long>(s.best_step), s.best_reward);
  if (!c.run.out.empty()) std::printf("  run file: %s\n", c.run.out.c_str());
  if (!s.checkpoint.empty()) std::printf("  checkpoint: %s\n", s.checkpoint.c_str());
}

}  // namespace

int ReportRunFailure(const std::string& command, int rank, const common::Status& status) {
  return ReportBadInput(command,
                        rank == 0 ? status : status.WithContext("rank " + std::to_string(rank)));
}

void PrintRunSummary(const learner::TrainSummary& s, const learner::TrainInputs& in, bool json) {
  if (json) {
    std::cout << SummaryJson(s, in).dump() << std::endl;
  } else {
    PrintSummaryText(s, in);
  }
}

nlohmann::json ImitationLogJson(const learner::ImitationLog& im,
                                const std::function<std::string(int)>& graph,
                                const std::function<std::string(int)>& hardware) {
  if (im.targets.empty()) return nullptr;
  nlohmann::json targets = nlohmann::json::array();
  for (const learner::ImitationSummary& t : im.targets) {
    targets.push_back({{"graph", graph(t.graph)},
                       {"hardware", hardware(t.graph)},
                       {"decisions", t.decisions},
                       {"forced_steps", t.forced_steps},
                       {"agreement", t.agreement},
                       {"throughput", t.throughput},
                       {"expert_throughput", t.expert_throughput}});
  }
  return {{"steps", im.steps},
          {"loss", im.loss},
          {"step_ms", im.step_ms},
          {"dagger_decisions", im.dagger_decisions},
          {"dagger_agreement", im.dagger_agreement},
          {"targets", targets}};
}

}  // namespace mcmpart::cli
