// The Gecode model of the SPEC §2 constraints (MLSys 2022, Xie et al., §3.3 "constraint
// solver"), mirroring hw::CheckPartition / hw::ComputeSramUse term by term.
#include "actors/repair_model.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <numeric>

#include "hw/constraints.h"
#include "hw/cut_tensors.h"

namespace mcmpart::actors::internal {
namespace {

using namespace Gecode;  // NOLINT: Gecode's modelling DSL

// Largest sum posted in one linear constraint; keeps Gecode's 32-bit arithmetic exact.
constexpr int64_t kIntBudget = 1000000000;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

ModelData::ModelData(const common::Graph& g, const hw::Hardware& h)
    : graph(g), hw(h), n(g.num_nodes()), k(h.num_chips), topo(g.topo_order()) {
  assert(g.finalized());
  succ.resize(n);
  for (int v = 0; v < n; ++v) {
    succ[v] = hw::TensorConsumers(g, v);
    std::sort(succ[v].begin(), succ[v].end());
  }
  std::vector<int64_t> w(n), s(n), ws(n);
  int64_t total = h.chip.sram_bytes;
  int64_t g_all = h.chip.sram_bytes;
  int64_t max_ws = 0;
  for (int v = 0; v < n; ++v) {
    w[v] = g.nodes[v].weight_bytes;
    s[v] = g.SendBytes(v);
    ws[v] = hw::OpWorkingSetBytes(g, v);
    total += w[v] + 2 * s[v] * std::max(1, k - 1);
    max_ws = std::max(max_ws, ws[v]);
    for (int64_t q : {w[v], s[v], ws[v]}) g_all = std::gcd(g_all, q);
  }
  total += max_ws;
  if (total > kIntBudget) {
    sram_unit = std::max<int64_t>(1, g_all);
    if (total / sram_unit > kIntBudget) {
      sram_unit = CeilDiv(total, kIntBudget);
      sram_exact = false;
    }
  }
  weight.resize(n);
  send.resize(n);
  working.resize(n);
  for (int v = 0; v < n; ++v) {
    weight[v] = static_cast<int>(CeilDiv(w[v], sram_unit));
    send[v] = static_cast<int>(CeilDiv(s[v], sram_unit));
    working[v] = static_cast<int>(CeilDiv(ws[v], sram_unit));
  }
  capacity = static_cast<int>(h.chip.sram_bytes / sram_unit);
  sram.base = weight;
  sram.transfer.assign(n, 0);
  if (h.constraints.sram_buffers) {
    sram.transfer = send;
    sram.working = working;
  }
  sram.global_capacity = capacity;
  sram.no_skip = h.constraints.no_skip;
  no_skip_only.base.assign(n, 0);
  no_skip_only.transfer.assign(n, 0);
  no_skip_only.no_skip = true;
}

namespace {

// Bounds-and-pruning propagator for ChipLoadSpec: a lower bound of every chip's load from the
// assigned nodes and the tensors that certainly cross (a successor placed on a chip outside its
// source's domain, or vice versa) must stay ≤ bound.max(); chips whose load would then exceed
// the bound are removed from unassigned nodes. With every node assigned the bound is exact.
class ChipLoadPropagator : public Propagator {
 public:
  ChipLoadPropagator(Home home, ViewArray<Int::IntView>& x, Int::IntView bound,
                     const ChipLoadSpec* spec, const std::vector<std::vector<int>>* succ)
      : Propagator(home), x_(x), bound_(bound), spec_(spec), succ_(succ) {
    x_.subscribe(home, *this, Int::PC_INT_DOM);
    bound_.subscribe(home, *this, Int::PC_INT_BND);
  }
  ChipLoadPropagator(Space& home, ChipLoadPropagator& p)
      : Propagator(home, p), spec_(p.spec_), succ_(p.succ_) {
    x_.update(home, p.x_);
    bound_.update(home, p.bound_);
  }
  Propagator* copy(Space& home) override { return new (home) ChipLoadPropagator(home, *this); }
  PropCost cost(const Space&, const ModEventDelta&) const override {
    return PropCost::linear(PropCost::HI, x_.size());
  }
  void reschedule(Space& home) override {
    x_.reschedule(home, *this, Int::PC_INT_DOM);
    bound_.reschedule(home, *this, Int::PC_INT_BND);
  }
  size_t dispose(Space& home) override {
    x_.cancel(home, *this, Int::PC_INT_DOM);
    bound_.cancel(home, *this, Int::PC_INT_BND);
    (void)Propagator::dispose(home);
    return sizeof(*this);
  }

  ExecStatus propagate(Space& home, const ModEventDelta&) override {
    const ChipLoadSpec& s = *spec_;
    const int n = x_.size();
    int k = 0;
    for (int v = 0; v < n; ++v) k = std::max(k, x_[v].max() + 1);
    std::vector<int64_t> load(k, 0), max_ws(k, 0);
    std::vector<int> stamp(k, -1);
    bool all_assigned = true;
    int highest = -1;
    for (int v = 0; v < n; ++v) {
      if (!x_[v].assigned()) {
        all_assigned = false;
        continue;
      }
      const int c = x_[v].val();
      highest = std::max(highest, c);
      load[c] += s.base[v];
      if (!s.working.empty()) max_ws[c] = std::max<int64_t>(max_ws[c], s.working[v]);
    }
    for (int u = 0; u < n; ++u) {
      const int t = s.transfer[u];
      if (t == 0) continue;
      bool sent = false;
      for (int v : (*succ_)[u]) {
        if (x_[u].assigned() && !x_[v].in(x_[u].val())) sent = true;
        if (!x_[v].assigned()) continue;
        const int c = x_[v].val();
        if (stamp[c] == u || x_[u].in(c)) continue;
        stamp[c] = u;
        load[c] += t;
      }
      if (sent) load[x_[u].val()] += t;
    }
    int64_t worst = 0;
    for (int c = 0; c < k; ++c) {
      load[c] += max_ws[c];
      worst = std::max(worst, load[c]);
    }
    if (worst > bound_.max()) return ES_FAILED;
    GECODE_ME_CHECK(bound_.gq(home, static_cast<int>(worst)));
    const int64_t limit = bound_.max();
    if (s.global_capacity > 0 && !GlobalCapacityHolds(k)) return ES_FAILED;
    if (s.no_skip) {
      // Every chip below the highest used one needs a node that can still go there.
      std::vector<bool> possible(k, false);
      for (int v = 0; v < n; ++v) {
        for (Int::ViewValues<Int::IntView> it(x_[v]); it(); ++it) possible[it.val()] = true;
      }
      for (int c = 0; c < highest; ++c) {
        if (!possible[c]) return ES_FAILED;
      }
    }
    if (all_assigned) return home.ES_SUBSUMED(*this);
    std::vector<int> drop;
    bool pruned = false;
    for (int v = 0; v < n; ++v) {
      if (x_[v].assigned()) continue;
      drop.clear();
      for (Int::ViewValues<Int::IntView> it(x_[v]); it(); ++it) {
        const int c = it.val();
        const int64_t ws = s.working.empty() ? 0 : s.working[v];
        if (load[c] + s.base[v] + std::max<int64_t>(0, ws - max_ws[c]) > limit) drop.push_back(c);
      }
      for (int c : drop) GECODE_ME_CHECK(x_[v].nq(home, c));
      pruned = pruned || !drop.empty();
    }
    // Pruning can assign nodes and so raise the loads: run again unless nothing changed.
    return pruned ? ES_NOFIX : ES_FIX;
  }

  static ExecStatus Post(Home home, ViewArray<Int::IntView>& x, Int::IntView bound,
                         const ChipLoadSpec* spec, const std::vector<std::vector<int>>* succ) {
    (void)new (home) ChipLoadPropagator(home, x, bound, spec, succ);
    return ES_OK;
  }

 private:
  // Σ base of nodes that must sit on chips ≥ c fits (K − c)·capacity; below c fits c·capacity.
  bool GlobalCapacityHolds(int k) const {
    const ChipLoadSpec& s = *spec_;
    std::vector<int64_t> by_min(k + 1, 0), by_max(k + 1, 0);
    for (int v = 0; v < x_.size(); ++v) {
      by_min[x_[v].min()] += s.base[v];
      by_max[x_[v].max()] += s.base[v];
    }
    int64_t at_least = 0;
    for (int c = k - 1; c >= 1; --c) {
      at_least += by_min[c];
      if (at_least > static_cast<int64_t>(k - c) * s.global_capacity) return false;
    }
    int64_t below = 0;
    for (int c = 1; c < k; ++c) {
      below += by_max[c - 1];
      if (below > static_cast<int64_t>(c) * s.global_capacity) return false;
    }
    return true;
  }

  ViewArray<Int::IntView> x_;
  Int::IntView bound_;
  const ChipLoadSpec* spec_;
  const std::vector<std::vector<int>>* succ_;
};

void PostChipLoad(Space& home, const IntVarArray& x, IntVar bound, const ChipLoadSpec* spec,
                  const std::vector<std::vector<int>>* succ) {
  if (home.failed()) return;
  IntVarArgs xs(x.size());
  for (int i = 0; i < x.size(); ++i) xs[i] = x[i];
  ViewArray<Int::IntView> views(home, xs);
  if (ChipLoadPropagator::Post(home, views, bound, spec, succ) != ES_OK) home.fail();
}

}  // namespace

PartitionSpace::PartitionSpace(const ModelData& d, const LoadTerms* load) : data_(&d) {
  const int n = d.n, k = d.k;
  const hw::ConstraintConfig& c = d.hw.constraints;
  x_ = IntVarArray(*this, n, 0, k - 1);
  for (int u = 0; u < n; ++u) {
    for (int v : d.succ[u]) {
      if (c.acyclic) rel(*this, x_[u], IRT_LQ, x_[v]);
      if (c.max_hop && c.max_hop_distance < k - 1) rel(*this, x_[v] - x_[u] <= c.max_hop_distance);
    }
  }
  if (c.colocate) {
    std::vector<int> first(d.graph.colocation_groups.size(), -1);
    for (int v = 0; v < n; ++v) {
      const int g = d.graph.nodes[v].colocation_group;
      if (g < 0) continue;
      if (first[g] < 0) {
        first[g] = v;
      } else {
        rel(*this, x_[first[g]], IRT_EQ, x_[v]);
      }
    }
  }
  if (c.pin) {
    for (int v = 0; v < n; ++v) {
      const int pin = d.graph.nodes[v].pin;
      if (pin >= k) fail();
      if (pin >= 0) rel(*this, x_[v], IRT_EQ, pin);
    }
  }
  if (c.sram) {
    PostChipLoad(*this, x_, IntVar(*this, d.capacity, d.capacity), &d.sram, &d.succ);
  } else if (c.no_skip) {
    PostChipLoad(*this, x_, IntVar(*this, 0, 0), &d.no_skip_only, &d.succ);
  }
  if (load != nullptr) {
    cost_ = IntVar(*this, static_cast<int>(load->lower_bound), static_cast<int>(load->upper_bound));
    PostChipLoad(*this, x_, cost_, &load->spec, &d.succ);
  } else {
    cost_ = IntVar(*this, 0, 0);
  }
}

PartitionSpace::PartitionSpace(PartitionSpace& other)
    : IntMinimizeSpace(other), data_(other.data_), target_(other.target_) {
  x_.update(*this, other.x_);
  cost_.update(*this, other.cost_);
}

Space* PartitionSpace::copy() { return new PartitionSpace(*this); }

void PartitionSpace::PostHamming(const std::vector<int>* target, const std::vector<int>& w) {
  target_ = target;
  int64_t total = 0;
  IntArgs a;
  BoolVarArgs eq;
  for (int v = 0; v < data_->n; ++v) {
    total += w[v];
    const int q = (*target)[v];
    if (q >= 0 && q < data_->k && w[v] > 0) {
      BoolVar same(*this, 0, 1);
      rel(*this, x_[v], IRT_EQ, q, same);
      a << w[v];
      eq << same;
    }
  }
  assert(total <= kIntBudget);
  cost_ = IntVar(*this, 0, static_cast<int>(total));
  rel(*this, cost_ + sum(a, eq) == static_cast<int>(total));
}

void PartitionSpace::BoundCost(int64_t bound) {
  if (bound <= 0) {
    fail();
    return;
  }
  rel(*this, cost_, IRT_LE, static_cast<int>(std::min<int64_t>(bound, kIntBudget)));
}

void PartitionSpace::FixExcept(const std::vector<int>& p, const std::vector<bool>& free) {
  for (int v = 0; v < data_->n; ++v) {
    if (!free[v]) rel(*this, x_[v], IRT_EQ, p[v]);
  }
}

int PartitionSpace::TargetValue(const Space& home, IntVar x, int i) {
  const auto& s = static_cast<const PartitionSpace&>(home);
  const int q = (*s.target_)[s.data_->topo[i]];
  if (q <= x.min()) return x.min();
  if (q >= x.max()) return x.max();
  for (int d = 0;; ++d) {
    if (x.in(q - d)) return q - d;
    if (x.in(q + d)) return q + d;
  }
}

IntVarArgs PartitionSpace::TopoVars() const {
  IntVarArgs xs(data_->n);
  for (int i = 0; i < data_->n; ++i) xs[i] = x_[data_->topo[i]];
  return xs;
}

void PartitionSpace::BranchTowardsTarget() {
  assert(target_ != nullptr);
  branch(*this, TopoVars(), INT_VAR_NONE(), INT_VAL(&PartitionSpace::TargetValue));
}

void PartitionSpace::BranchRandom(Rnd rnd) {
  branch(*this, TopoVars(), INT_VAR_NONE(), INT_VAL_RND(rnd));
}

void PartitionSpace::BranchMin() {
  branch(*this, TopoVars(), INT_VAR_NONE(), INT_VAL_MIN());
  branch(*this, cost_, INT_VAL_MIN());
}

std::vector<int> PartitionSpace::Assignment() const {
  std::vector<int> p(data_->n);
  for (int v = 0; v < data_->n; ++v) p[v] = x_[v].val();
  return p;
}

DeadlineStop::DeadlineStop(double limit_ms, int64_t stall_fails, int64_t fail_limit)
    : start_(std::chrono::steady_clock::now()),
      limit_ms_(limit_ms),
      stall_fails_(stall_fails),
      fail_limit_(fail_limit) {}

double DeadlineStop::ElapsedMs() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
      .count();
}

bool DeadlineStop::stop(const Search::Statistics& s, const Search::Options&) {
  if (stall_fails_ > 0 && marked_ && static_cast<int64_t>(s.fail) - fails_at_mark_ > stall_fails_) {
    stalled_ = true;
    return true;
  }
  if (fail_limit_ > 0 ? static_cast<int64_t>(s.fail) >= fail_limit_ : ElapsedMs() >= limit_ms_) {
    timed_out_ = true;
    return true;
  }
  return false;
}

}  // namespace mcmpart::actors::internal
