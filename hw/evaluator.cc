// Evaluator registry.
#include "hw/evaluator.h"

#include <cassert>
#include <nlohmann/json.hpp>

#include "hw/external_evaluator.h"
#include "hw/simulator.h"

namespace mcmpart::hw {

std::string MetricsToJsonString(const Metrics& m) {
  return nlohmann::json{{"throughput", m.throughput},   {"time_per_sample_s", m.time_per_sample_s},
                        {"latency_s", m.latency_s},     {"bottleneck", m.bottleneck},
                        {"chip_busy_s", m.chip_busy_s}, {"chip_sram_bytes", m.chip_sram_bytes},
                        {"link_names", m.link_names},   {"link_bytes", m.link_bytes},
                        {"link_busy_s", m.link_busy_s}}
      .dump();
}

std::vector<std::string> EvaluatorNames() {
  const auto& names = common::EnumNames<common::EvaluatorKind>::kNames;
  return {names.begin(), names.end()};
}

common::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(common::EvaluatorKind kind,
                                                           const common::Graph& graph,
                                                           const Hardware& hw) {
  switch (kind) {
    case common::EvaluatorKind::kMaxload:
      return MakeMaxLoadEvaluator(graph, hw);
    case common::EvaluatorKind::kCycle: {
      MCMPART_ASSIGN_OR_RETURN(std::unique_ptr<CycleSimulator> sim, MakeCycleEvaluator(graph, hw));
      return std::unique_ptr<Evaluator>(std::move(sim));
    }
  }
  assert(false && "EvaluatorKind out of range");
  return common::Status::Error("evaluator kind out of range");
}

common::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(const common::RunConfig& run,
                                                           const common::Graph& graph,
                                                           const Hardware& hw) {
  if (!run.evaluator.external()) return MakeEvaluator(run.evaluator.kind, graph, hw);
  MCMPART_ASSIGN_OR_RETURN(auto eval, ExternalEvaluator::Start(run.evaluator.command, graph, hw,
                                                               run.evaluator_timeout_s));
  return std::unique_ptr<Evaluator>(std::move(eval));
}

}  // namespace mcmpart::hw
