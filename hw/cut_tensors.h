// The transfer rule of SPEC §2/§3: which output tensors cross chips under a placement, and
// where they are sent and received. One definition for the checker, evaluators and solvers.
#pragma once

#include <cassert>
#include <vector>

#include "common/graph.h"
#include "common/partition.h"

namespace mcmpart::hw {

/// Nodes that consume u's output tensor, each once (Graph::Finalize rejects repeated edges),
/// in the order of u's out-edges.
inline const std::vector<int>& TensorConsumers(const common::Graph& graph, int u) {
  return graph.succs()[u];
}

/// The transfer rule under a placement `p` (node → chip in 0..num_chips−1): producer u's
/// output tensor (Graph::SendBytes(u) bytes) is received once by every chip other than p[u]
/// that holds a consumer of u, however many of u's consumers sit there, and sent once from
/// p[u] when there is at least one such chip. `graph` and `p` must outlive the object.
class CutTensors {
 public:
  CutTensors(const common::Graph& graph, const common::Partition& p, int num_chips)
      : graph_(graph), p_(p), visit_of_chip_(num_chips, -1) {}

  /// Calls fn(chip) once for every chip that receives u's tensor, in the order of u's
  /// consumers; returns whether there was one (then p[u] sends the tensor, once).
  template <typename Fn>
  bool ForEachReceiver(int u, Fn&& fn) {
    const int* chip = p_.data();
    const int from = chip[u];
    const int visit = ++visit_;
    int* visit_of_chip = visit_of_chip_.data();
    bool sent = false;
    for (int v : TensorConsumers(graph_, u)) {
      const int to = chip[v];
      assert(to >= 0 && to < static_cast<int>(visit_of_chip_.size()));
      if (to == from || visit_of_chip[to] == visit) continue;
      visit_of_chip[to] = visit;
      sent = true;
      fn(to);
    }
    return sent;
  }

 private:
  const common::Graph& graph_;
  const common::Partition& p_;
  std::vector<int> visit_of_chip_;  // the ForEachReceiver call that last reached each chip
  int visit_ = -1;
};

}  // namespace mcmpart::hw
