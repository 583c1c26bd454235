// Evaluator registry.
#include "hw/evaluator.h"

#include "hw/simulator.h"

namespace mcmpart::hw {

std::vector<std::string> EvaluatorNames() { return {"maxload", "cycle"}; }

common::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(const std::string& name,
                                                           const common::Graph& graph,
                                                           const Hardware& hw) {
  if (name == "maxload") return MakeMaxLoadEvaluator(graph, hw);
  if (name == "cycle") {
    MCMPART_ASSIGN_OR_RETURN(std::unique_ptr<CycleSimulator> sim, MakeCycleEvaluator(graph, hw));
    return std::unique_ptr<Evaluator>(std::move(sim));
  }
  return common::Status::Error("unknown evaluator '" + name + "' (expected maxload or cycle)");
}

}  // namespace mcmpart::hw
