// `mcmpart train`: validate every input, then run the MPI actor-learner training.
#include <memory>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "learner/mpi_transport.h"
#include "learner/train.h"

namespace mcmpart::cli {

int RunTrain(int argc, char** argv) {
  // First, so that a stop request during start-up is not lost (the run stops at its first check).
  const std::atomic<bool>* stop_requested = InstallStopHandlers();
  const bool report = IsLauncherRankZero();
  auto fail = [&](const common::Status& st) {
    return report ? ReportBadInput("train", st) : kExitBadInput;
  };
  common::Config config;
  cxxopts::Options options("mcmpart train",
                           "Train the partitioning policy: rank 0 learns (PPO), ranks 1..N-1 act "
                           "(sample, repair, evaluate). Run with mpirun -np N (N >= 2). SIGTERM, "
                           "SIGUSR1 or SIGINT stop cleanly with a checkpoint; --resume continues.");
  AddRunOptions(options);
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return fail(parsed.status());
  if (parsed->help) return kExitOk;
  auto setup = PrepareRun(*parsed, config, argc, argv, /*check_out_path=*/report,
                          /*uses_policy=*/true);
  if (!setup.ok()) return fail(setup.status());
  learner::TrainInputs& in = (*setup)->inputs;

  std::unique_ptr<actors::Transport> transport = learner::InitMpiTransport(&argc, &argv);
  in.stop_requested = stop_requested;
  auto summary = learner::RunTraining(in, *transport);
  const int rank = transport->rank();
  transport.reset();  // MPI_Finalize on every rank
  if (!summary.ok()) return ReportRunFailure("train", rank, summary.status());
  if (rank == 0) PrintRunSummary(*summary, in, parsed->json);
  return kExitOk;
}

}  // namespace mcmpart::cli
