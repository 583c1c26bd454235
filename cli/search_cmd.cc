// `mcmpart search --strategy NAME`: a baseline search with the same evaluation budget, scoring
// and run-file rows as `train`, in one process or over MPI actors (mpirun -np N).
#include <memory>
#include <string>

#include "actors/record.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "learner/mpi_transport.h"
#include "learner/train.h"

namespace mcmpart::cli {

int RunSearch(int argc, char** argv) {
  const bool report = IsLauncherRankZero();
  auto fail = [&](const common::Status& st) {
    return report ? ReportBadInput("search", st) : kExitBadInput;
  };
  common::Config config;
  cxxopts::Options options(
      "mcmpart search",
      "Baseline search at an equal evaluation budget: random (random valid sampler), anneal "
      "(simulated annealing on repaired moves), dp (dynamic program over contiguous splits, "
      "optimal under maxload; Tarnawski et al. 2020), greedy (balanced pipeline), exact (branch "
      "and bound, small graphs), chain (the DAgger expert's min-max split of the decision order "
      "under the maxload model, SRAM ignored). One process, or rank 0 logs and ranks 1..N-1 search "
      "under mpirun -np N.");
  options.add_options()("strategy", actors::SearchStrategyNames(" | "),
                        cxxopts::value<std::string>()->default_value("random"));
  AddRunOptions(options);
  auto parsed = ParseCommand(options, argc, argv, &config);
  if (!parsed.ok()) return fail(parsed.status());
  if (parsed->help) return kExitOk;
  const std::string strategy = parsed->result["strategy"].as<std::string>();
  common::Status known = learner::CheckSearchStrategy(strategy);
  if (!known.ok()) return fail(known);
  auto setup = PrepareRun(*parsed, config, argc, argv, /*check_out_path=*/report,
                          /*uses_policy=*/false);
  if (!setup.ok()) return fail(setup.status());
  learner::TrainInputs& in = (*setup)->inputs;

  std::unique_ptr<actors::Transport> transport = learner::InitMpiTransport(&argc, &argv);
  in.stop_requested = InstallStopHandlers();
  auto summary = learner::RunSearch(in, strategy, transport.get());
  const int rank = transport->rank();
  transport.reset();  // MPI_Finalize on every rank
  if (!summary.ok()) return ReportRunFailure("search", rank, summary.status());
  if (rank == 0) PrintRunSummary(*summary, in, parsed->json);
  return kExitOk;
}

}  // namespace mcmpart::cli
