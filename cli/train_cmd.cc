// `mcmpart train`: validate every input, then run the MPI actor-learner training.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/repair.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/graph_io.h"
#include "hw/hardware.h"
#include "learner/mpi_transport.h"
#include "learner/train.h"

namespace mcmpart::cli {
namespace {

// Rank as the launcher announces it, known before MPI_Init: only rank 0 reports input errors.
bool IsLauncherRankZero() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::string(v) == "0";
  }
  return true;
}

common::Status CheckOutPath(const std::string& path, bool force) {
  if (path.empty()) return common::Status::Ok();
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return common::Status::Error("--out '" + path + "' is a directory");
    if (!force) {
      return common::Status::Error("--out '" + path + "' already exists (choose another path or pass --force)");
    }
  }
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (access(dir.c_str(), W_OK) != 0) {
    return common::Status::Error("--out '" + path + "': folder '" + dir + "' does not exist or is not writable");
  }
  return common::Status::Ok();
}

void PrintSummary(const learner::TrainSummary& s, const learner::TrainInputs& in, bool json) {
  const common::Config& c = in.config;
  const double gain = s.first_batch_best_throughput > 0
                          ? 100.0 * (s.best_throughput / s.first_batch_best_throughput - 1.0)
                          : 0.0;
  if (json) {
    nlohmann::json j = {
        {"command", "train"}, {"graph", in.graphs[0]->name}, {"hardware", in.hw.name},
        {"num_chips", in.hw.num_chips}, {"evaluator", c.run.evaluator}, {"ranks", s.ranks},
        {"seed", c.run.seed}, {"evaluations", s.evaluations}, {"updates", s.updates},
        {"policy_version", s.policy_version}, {"dropped_stale", s.dropped_stale},
        {"wall_s", s.wall_s}, {"samples_per_s", s.samples_per_s},
        {"first_batch_best_throughput", s.first_batch_best_throughput},
        {"best_throughput", s.best_throughput}, {"gain_over_first_batch_pct", gain},
        {"best_reward", s.best_reward}, {"best_step", s.best_step},
        {"best_partition", s.best_partition}, {"valid_fraction", s.valid_fraction},
        {"proposal_valid_fraction", s.proposal_valid_fraction},
        {"mean_inference_ms", s.mean_inference_ms}, {"mean_repair_ms", s.mean_repair_ms},
        {"mean_eval_ms", s.mean_eval_ms}, {"out", c.run.out}, {"git_revision", in.git_revision}};
    std::cout << j.dump() << std::endl;
    return;
  }
  std::printf("mcmpart train: %s on %s, evaluator %s, %d ranks, seed %lld\n",
              in.graphs[0]->name.c_str(), in.hw.Summary().c_str(), c.run.evaluator.c_str(), s.ranks,
              static_cast<long long>(c.run.seed));
  std::printf("  %lld evaluations in %.1f s (%.1f samples/s), %lld PPO updates, %lld stale records dropped\n",
              static_cast<long long>(s.evaluations), s.wall_s, s.samples_per_s,
              static_cast<long long>(s.updates), static_cast<long long>(s.dropped_stale));
  std::printf("  time per sample: inference %.2f ms, repair %.2f ms, evaluation %.2f ms\n",
              s.mean_inference_ms, s.mean_repair_ms, s.mean_eval_ms);
  std::printf("  valid after repair %.1f%%, proposals already valid %.1f%%\n", 100 * s.valid_fraction,
              100 * s.proposal_valid_fraction);
  std::printf("  first batch (initial policy) best throughput: %.1f samples/s\n", s.first_batch_best_throughput);
  std::printf("  run best throughput:                         %.1f samples/s (%+.1f%%, step %lld, reward %.3f)\n",
              s.best_throughput, gain, static_cast<long long>(s.best_step), s.best_reward);
  if (!c.run.out.empty()) std::printf("  run file: %s\n", c.run.out.c_str());
}

}  // namespace

int RunTrain(int argc, char** argv) {
  const bool report = IsLauncherRankZero();
  auto fail = [&](const common::Status& st) { return report ? ReportBadInput("train", st) : kExitBadInput; };
  common::Config config;
  cxxopts::Options options("mcmpart train",
                           "Train the partitioning policy: rank 0 learns (PPO), ranks 1..N-1 act "
                           "(sample, repair, evaluate). Run with mpirun -np N (N >= 2).");
  options.add_options()("force", "overwrite an existing --out file");
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return fail(parsed.status());
  if (parsed->help) return kExitOk;

  auto graph = common::LoadGraph(config.run.graph);
  if (!graph.ok()) return fail(graph.status().WithContext("--graph"));
  auto hardware = hw::LoadHardware(config.run.hw, &*graph);
  if (!hardware.ok()) return fail(hardware.status().WithContext("--hw"));
  if (hardware->num_chips > config.policy.max_chips) {
    return fail(common::Status::Error("hardware '" + hardware->name + "' has " +
                                      std::to_string(hardware->num_chips) +
                                      " chips but the policy addresses at most --max-chips " +
                                      std::to_string(config.policy.max_chips)));
  }
  {
    actors::Repairer repairer(*graph, *hardware);
    common::Status feasible = repairer.CheckFeasible();
    if (!feasible.ok()) {
      return fail(common::Status::Error("graph '" + graph->name + "' cannot be partitioned on '" +
                                        hardware->name + "': " + feasible.message()));
    }
  }
  if (report) {
    common::Status out_ok = CheckOutPath(config.run.out, parsed->result.count("force") > 0);
    if (!out_ok.ok()) return fail(out_ok);
  }

  learner::TrainInputs in;
  in.config = config;
  in.graphs = {&*graph};
  in.hw = *hardware;
  in.command_line = JoinArgs(argc, argv);
  in.git_revision = GitRevision();
  in.start_time = NowIso8601();
  in.progress_to_stderr = parsed->json;

  std::unique_ptr<actors::Transport> transport = learner::InitMpiTransport(&argc, &argv);
  auto summary = learner::RunTraining(in, *transport);
  const int rank = transport->rank();
  transport.reset();  // MPI_Finalize on every rank
  if (!summary.ok()) return rank == 0 ? ReportBadInput("train", summary.status()) : kExitBadInput;
  if (rank == 0) PrintSummary(*summary, in, parsed->json);
  return kExitOk;
}

}  // namespace mcmpart::cli
