// Evaluator registry.
#include "hw/evaluator.h"

namespace mcmpart::hw {

std::vector<std::string> EvaluatorNames() { return {"maxload", "cycle"}; }

common::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(const std::string& name,
                                                           const common::Graph& graph,
                                                           const Hardware& hw) {
  if (name == "maxload") return MakeMaxLoadEvaluator(graph, hw);
  return common::Status::Error("unknown evaluator '" + name + "' (expected maxload or cycle)");
}

}  // namespace mcmpart::hw
