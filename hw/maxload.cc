// The analytical max-load evaluator (SPEC §3), equal to the dnn-partitioning cost model.
#include <algorithm>
#include <cassert>

#include "hw/constraints.h"
#include "hw/cut_tensors.h"
#include "hw/evaluator.h"
#include "hw/op_cost.h"

namespace mcmpart::hw {
namespace {

using common::Graph;
using common::Partition;

class MaxLoadEvaluator final : public Evaluator {
 public:
  MaxLoadEvaluator(const Graph& graph, const Hardware& hw) : graph_(graph), hw_(hw) {
    const int n = graph.num_nodes();
    compute_s_.resize(n);
    send_s_.resize(n);
    send_bytes_.resize(n);
    for (int v = 0; v < n; ++v) {
      compute_s_[v] = OpSeconds(graph.nodes[v], hw);
      send_bytes_[v] = graph.SendBytes(v);
      send_s_[v] = SendSeconds(graph, v, hw);
    }
    links_ = hw.Links();
    routes_.resize(hw.num_chips * hw.num_chips);
    for (int a = 0; a < hw.num_chips; ++a) {
      for (int b = 0; b < hw.num_chips; ++b) routes_[a * hw.num_chips + b] = hw.Route(a, b);
    }
    for (const auto& [a, b] : links_)
      link_names_.push_back(std::to_string(a) + "->" + std::to_string(b));
  }

  const char* name() const override { return "maxload"; }

  Metrics Evaluate(const Partition& p) override {
    assert(static_cast<int>(p.size()) == graph_.num_nodes());
    const int k = hw_.num_chips;
    Metrics m;
    m.chip_busy_s.assign(k, 0.0);
    m.link_bytes.assign(links_.size(), 0.0);
    m.link_names = link_names_;
    CutTensors cut(graph_, p, k);
    for (int u = 0; u < graph_.num_nodes(); ++u) {
      const int cu = p[u];
      m.chip_busy_s[cu] += compute_s_[u];
      const bool sent = cut.ForEachReceiver(u, [&](int cv) {
        m.chip_busy_s[cv] += send_s_[u];
        for (int link : routes_[cu * k + cv])
          m.link_bytes[link] += static_cast<double>(send_bytes_[u]);
      });
      if (sent) m.chip_busy_s[cu] += send_s_[u];
    }
    int worst = static_cast<int>(std::max_element(m.chip_busy_s.begin(), m.chip_busy_s.end()) -
                                 m.chip_busy_s.begin());
    m.time_per_sample_s = m.chip_busy_s[worst];
    m.throughput = m.time_per_sample_s > 0 ? 1.0 / m.time_per_sample_s : 0.0;
    double total = 0;
    for (double t : m.chip_busy_s) total += t;
    m.latency_s = total;  // analytical: a sample visits every stage once, no overlap
    m.bottleneck = "chip " + std::to_string(worst);
    SramUse use = ComputeSramUse(graph_, k, p);
    m.chip_sram_bytes.resize(k);
    for (int c = 0; c < k; ++c) m.chip_sram_bytes[c] = use.total(c);
    return m;
  }

 private:
  const Graph& graph_;
  const Hardware& hw_;
  std::vector<double> compute_s_, send_s_;
  std::vector<int64_t> send_bytes_;
  std::vector<std::pair<int, int>> links_;
  std::vector<std::vector<int>> routes_;  // link ids from chip a to chip b at [a * K + b]
  std::vector<std::string> link_names_;
};

}  // namespace

std::unique_ptr<Evaluator> MakeMaxLoadEvaluator(const Graph& graph, const Hardware& hw) {
  return std::make_unique<MaxLoadEvaluator>(graph, hw);
}

}  // namespace mcmpart::hw
