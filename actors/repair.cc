// Repair and random valid sampling on the Gecode model of SPEC §2
// (the constraint-solver step of Xie et al., MLSys 2022, §3.3).
#include "actors/repair.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "actors/repair_model.h"
#include "actors/sequencer.h"
#include "hw/constraints.h"
#include "hw/feasibility.h"

namespace mcmpart::actors {
namespace {

using common::Graph;
using common::Status;
using internal::DeadlineStop;
using internal::ModelData;
using internal::PartitionSpace;

// Integer objective weights: scaled so the largest is 10^5 (Σ stays inside 32 bits).
std::vector<int> ScaleWeights(const std::vector<double>& w, int n) {
  std::vector<int> out(n, 1);
  if (w.empty()) return out;
  double max_w = 0;
  for (double x : w) max_w = std::max(max_w, x);
  const double scale = max_w > 0 ? std::min(1e5, 1e9 / n) / max_w : 0.0;
  for (int v = 0; v < n; ++v) out[v] = static_cast<int>(std::llround(std::max(0.0, w[v]) * scale));
  return out;
}

// Σ w_v·[p_v ≠ q_v] in the model's integer weights (the objective BAB minimises).
int64_t HammingCost(const common::Partition& q, const common::Partition& p,
                    const std::vector<int>& w) {
  int64_t cost = 0;
  for (size_t v = 0; v < q.size(); ++v) cost += p[v] != q[v] ? w[v] : 0;
  return cost;
}

// Fills the changed-node count and the weighted change of r->partition against `q`.
void CountChanges(const common::Partition& q, const std::vector<double>& weights, RepairResult* r) {
  r->changed_nodes = 0;
  r->weighted_change = 0.0;
  for (size_t v = 0; v < q.size(); ++v) {
    if (r->partition[v] == q[v]) continue;
    ++r->changed_nodes;
    r->weighted_change += weights.empty() ? 1.0 : weights[v];
  }
}

}  // namespace

const char* RepairStatusName(RepairStatus s) {
  const auto i = static_cast<size_t>(s);
  return i < std::size(kRepairStatusNames) ? kRepairStatusNames[i].data() : "?";
}

std::optional<RepairStatus> RepairStatusFromName(std::string_view name) {
  for (int i = 0; i < kNumRepairStatuses; ++i) {
    if (kRepairStatusNames[i] == name) return static_cast<RepairStatus>(i);
  }
  return std::nullopt;
}

// Random in-order splits SampleValid projects before it falls back to Gecode.
constexpr int kSplitAttempts = 4;

struct Repairer::Impl {
  Impl(const Graph& g, const hw::Hardware& h, RepairOptions o)
      : graph(g),
        hw(h),
        options(o),
        data(g, h),
        schedule(BuildUnitSchedule(g, h, o.order)),
        sequencer(schedule),
        allowed(h.num_chips),
        features(static_cast<size_t>(h.num_chips) * Sequencer::kStateFeatures) {}

  // Runs `engine` to exhaustion or the stop; returns the best valid partition it found
  // (kInfeasible when the search is exhausted without one, kNotFound when it was stopped).
  template <typename Engine>
  RepairResult Run(Engine& engine, DeadlineStop& stop, bool optimise);
  // Whether the repair's budget is spent: time since `stop` began (never with a fail limit,
  // whose phases each stop by themselves).
  bool OutOfTime(const DeadlineStop& stop) const {
    return options.fail_limit == 0 && stop.ElapsedMs() >= options.time_limit_ms;
  }
  // A phase's stop: `share` of RepairOptions::fail_limit's failures, or of the time limit less
  // what `since` (if any) has used.
  std::unique_ptr<DeadlineStop> PhaseStop(double share, const DeadlineStop* since) const {
    if (options.fail_limit > 0) {
      const auto fails = std::max<int64_t>(1, static_cast<int64_t>(share * options.fail_limit));
      return std::make_unique<DeadlineStop>(0.0, options.stall_fails, fails);
    }
    const double used = since ? since->ElapsedMs() : 0.0;
    return std::make_unique<DeadlineStop>(share * options.time_limit_ms - used,
                                          options.stall_fails);
  }
  // What a search that found nothing within the limit reports.
  std::string LimitText() const {
    return options.fail_limit > 0 ? std::to_string(options.fail_limit) + " search failures"
                                  : std::to_string(options.time_limit_ms) + " ms";
  }
  // Branch and bound towards `q` below `bound` (the incumbent's integer cost; none = no bound).
  RepairResult SearchBelow(const common::Partition& q, const std::vector<int>& w,
                           std::optional<int64_t> bound, DeadlineStop& stop);
  // The projection as incumbent and BAB below it; without a valid projection BAB from scratch,
  // then random restarts.
  RepairResult Search(const common::Partition& q, const std::vector<int>& w, DeadlineStop& stop);
  // Random restarts until the stop (SampleValid's search).
  RepairResult SearchRandom(uint32_t seed, DeadlineStop& stop);
  // A random in-order split: the decision order cut at K − 1 uniform points, run i on chip i.
  common::Partition RandomSplit(common::Rng& rng) const;
  // Large-neighbourhood rounds: re-solve a random subset of nodes with the others fixed to the
  // incumbent `best`, keeping every improvement; `best` and `cost` are updated in place.
  void ImproveAround(const common::Partition& q, const std::vector<int>& w, DeadlineStop& stop,
                     common::Partition* best, int64_t* cost);
  // The nearest chip to `target` with ok[c] (ties: above first when `up_first`), or −1.
  int NearestChip(int target, bool up_first, const std::vector<uint8_t>& ok) const;
  // One projection pass keeping each chip's unit weights within `budget` (0 = no budget).
  common::Partition ProjectWithin(const common::Partition& q, int64_t budget);
  // ProjectWithin at the SRAM size, then at 95, 90 and 85% of it while the result overflows.
  common::Partition Project(const common::Partition& q);

  const Graph& graph;
  const hw::Hardware& hw;
  RepairOptions options;
  ModelData data;
  UnitSchedule schedule;
  Sequencer sequencer;
  std::vector<uint8_t> allowed;
  std::vector<float> features;
  Status feasible;
  std::unique_ptr<PartitionSpace> root;  // constraints posted and propagated; null if failed
};

template <typename Engine>
RepairResult Repairer::Impl::Run(Engine& engine, DeadlineStop& stop, bool optimise) {
  RepairResult r;
  bool found = false;
  while (PartitionSpace* s = engine.next()) {
    common::Partition p = s->Assignment();
    delete s;
    stop.Mark(static_cast<int64_t>(engine.statistics().fail));
    // The model mirrors the checker; a disagreement is a bug, never returned.
    const bool valid = hw::IsValid(graph, hw, p);
    assert(valid && "Gecode model admitted a partition the checker rejects");
    if (!valid) continue;
    r.partition = std::move(p);
    found = true;
    if (!optimise) break;
  }
  r.solve_ms = stop.ElapsedMs();
  const bool complete = !engine.stopped();
  if (!found) {
    r.status = complete ? RepairStatus::kInfeasible : RepairStatus::kNotFound;
    r.message = complete ? "no valid partition exists (the constraint search is exhausted)"
                         : "no valid partition found within " + LimitText();
    return r;
  }
  r.status = complete && optimise ? RepairStatus::kOptimal : RepairStatus::kBestWithinLimit;
  return r;
}

RepairResult Repairer::Impl::SearchBelow(const common::Partition& q, const std::vector<int>& w,
                                         std::optional<int64_t> bound, DeadlineStop& stop) {
  std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(root->clone()));
  space->PostHamming(&q, w);
  if (bound) space->BoundCost(*bound);
  space->BranchTowardsTarget();
  // With an incumbent the stall rule counts from the start: it is a solution already found.
  if (bound) stop.Mark(0);
  Gecode::Search::Options o;
  o.threads = 1;
  o.stop = &stop;
  Gecode::BAB<PartitionSpace> engine(space.get(), o);
  return Run(engine, stop, /*optimise=*/true);
}

RepairResult Repairer::Impl::SearchRandom(uint32_t seed, DeadlineStop& stop) {
  std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(root->clone()));
  space->BranchRandom(Gecode::Rnd(seed));
  Gecode::Search::Options o;
  o.threads = 1;
  o.stop = &stop;
  o.cutoff = Gecode::Search::Cutoff::luby(64);
  Gecode::RBS<PartitionSpace, Gecode::DFS> engine(space.get(), o);
  return Run(engine, stop, /*optimise=*/false);
}

common::Partition Repairer::Impl::RandomSplit(common::Rng& rng) const {
  const int m = schedule.num_units, k = schedule.num_chips;
  std::vector<int> cuts(std::max(0, k - 1));
  std::uniform_int_distribution<int> at(0, std::max(0, m - 1));
  for (int& c : cuts) c = at(rng);
  std::sort(cuts.begin(), cuts.end());
  std::vector<int> unit_chip(m, 0);
  size_t chip = 0;
  for (int step = 0; step < m; ++step) {
    while (chip < cuts.size() && cuts[chip] < step) ++chip;
    unit_chip[schedule.order[step]] = static_cast<int>(chip);
  }
  common::Partition p(schedule.unit.size());
  for (size_t v = 0; v < p.size(); ++v) p[v] = unit_chip[schedule.unit[v]];
  return p;
}

void Repairer::Impl::ImproveAround(const common::Partition& q, const std::vector<int>& w,
                                   DeadlineStop& stop, common::Partition* best, int64_t* cost) {
  common::Rng rng(static_cast<uint64_t>(*cost) + 1);
  const int n = graph.num_nodes();
  std::vector<bool> free(n);
  for (int round = 0; round < options.lns_rounds; ++round) {
    if (*cost == 0 || OutOfTime(stop)) return;
    // Free the nodes of a random window of the topological order plus a few scattered ones.
    const int width = std::max(2, n / 10);
    const int first = static_cast<int>(rng() % std::max(1, n - width + 1));
    for (int i = 0; i < n; ++i) {
      free[data.topo[i]] = (i >= first && i < first + width) || rng() % 50 == 0;
    }
    std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(root->clone()));
    space->PostHamming(&q, w);
    space->BoundCost(*cost);
    space->FixExcept(*best, free);
    space->BranchTowardsTarget();
    // A round may take the time left, or its share of the failures.
    std::unique_ptr<DeadlineStop> round_stop =
        PhaseStop(options.fail_limit > 0 ? 1.0 / options.lns_rounds : 1.0, &stop);
    round_stop->Mark(0);
    Gecode::Search::Options o;
    o.threads = 1;
    o.stop = round_stop.get();
    Gecode::BAB<PartitionSpace> engine(space.get(), o);
    while (PartitionSpace* s = engine.next()) {
      *best = s->Assignment();
      *cost = s->CostValue();
      delete s;
      round_stop->Mark(static_cast<int64_t>(engine.statistics().fail));
    }
  }
}

RepairResult Repairer::Impl::Search(const common::Partition& q, const std::vector<int>& w,
                                    DeadlineStop& stop) {
  common::Partition projection = Project(q);
  if (hw::IsValid(graph, hw, projection)) {
    RepairResult r = SearchBelow(q, w, HammingCost(q, projection, w), stop);
    if (HasPartition(r.status)) return r;
    // Nothing below the projection's cost: it is the answer, proved minimal when exhausted.
    r.status = r.status == RepairStatus::kInfeasible ? RepairStatus::kOptimal
                                                     : RepairStatus::kBestWithinLimit;
    r.partition = std::move(projection);
    r.message.clear();
    return r;
  }
  // Half the budget for branch and bound from scratch, the rest for random restarts.
  std::unique_ptr<DeadlineStop> first = PhaseStop(0.5, nullptr);
  RepairResult r = SearchBelow(q, w, std::nullopt, *first);
  if (r.status != RepairStatus::kNotFound) return r;
  return SearchRandom(static_cast<uint32_t>(q.size()), stop);
}

int Repairer::Impl::NearestChip(int target, bool up_first, const std::vector<uint8_t>& ok) const {
  const int k = hw.num_chips;
  for (int d = 0; d < k; ++d) {
    const int first = up_first ? target + d : target - d;
    const int second = up_first ? target - d : target + d;
    if (first >= 0 && first < k && ok[first]) return first;
    if (second >= 0 && second < k && ok[second]) return second;
  }
  return -1;
}

common::Partition Repairer::Impl::ProjectWithin(const common::Partition& q, int64_t budget) {
  const int k = hw.num_chips;
  const UnitSchedule& s = schedule;
  std::vector<double> sum(s.num_units, 0.0);
  for (int v = 0; v < graph.num_nodes(); ++v) sum[s.unit[v]] += std::clamp(q[v], 0, k - 1);
  int64_t remaining = 0;
  for (int64_t w : s.weight) remaining += w;
  std::vector<int64_t> used(k, 0);
  std::vector<uint8_t> fits(k), ahead(k);
  sequencer.Reset();
  while (!sequencer.done()) {
    const int u = sequencer.unit();
    sequencer.Options(allowed.data(), features.data());
    remaining -= s.weight[u];
    // Chips the unit's weights fit on, and among them those above which the weights still to
    // place fit too (the pipeline may not run ahead of its memory).
    int64_t free_above = 0;
    for (int c = k - 1; c >= 0; --c) {
      const int64_t after = used[c] + s.weight[u];
      fits[c] = allowed[c] && (budget == 0 || after <= budget);
      ahead[c] = fits[c] && (budget == 0 || remaining <= free_above + budget - after);
      free_above += budget == 0 ? 0 : std::max<int64_t>(0, budget - used[c]);
    }
    const int target = std::clamp(q[s.rep_node[u]], 0, k - 1);
    const bool up_first = sum[u] / s.unit_nodes[u] > target;
    int chip = NearestChip(target, up_first, ahead);
    if (chip < 0) chip = NearestChip(target, up_first, fits);
    if (chip < 0) chip = NearestChip(target, up_first, allowed);
    assert(chip >= 0 && "the sequencer allows at least one chip");
    used[chip] += s.weight[u];
    sequencer.Assign(chip);
  }
  return sequencer.ToPartition();
}

common::Partition Repairer::Impl::Project(const common::Partition& q) {
  // SRAM also holds transfer buffers and working sets, which the unit weights leave out:
  // retry with a smaller weight budget when the first projection overflows.
  const int64_t sram = schedule.sram_bytes;
  common::Partition p = ProjectWithin(q, sram);
  for (int tenth = 1; sram > 0 && tenth <= 3 && !hw::IsValid(graph, hw, p); ++tenth) {
    p = ProjectWithin(q, sram - sram * tenth / 20);
  }
  return p;
}

Repairer::Repairer(const Graph& graph, const hw::Hardware& hw, RepairOptions options)
    : impl_(new Impl(graph, hw, options)) {
  auto root = std::make_unique<PartitionSpace>(impl_->data, nullptr);
  const bool failed = root->status() == Gecode::SS_FAILED;
  if (!failed) impl_->root = std::move(root);
  impl_->feasible = hw::DiagnoseInfeasible(graph, hw);
  if (impl_->feasible.ok() && failed) {
    impl_->feasible = Status::Error(
        "the enabled constraints contradict each other (propagation fails before any choice)");
  }
}

Repairer::~Repairer() = default;

Status Repairer::CheckFeasible() const { return impl_->feasible; }

common::Partition Repairer::Project(const common::Partition& proposal) {
  assert(static_cast<int>(proposal.size()) == impl_->graph.num_nodes());
  return impl_->Project(proposal);
}

RepairResult Repairer::Repair(const common::Partition& proposal,
                              const std::vector<double>& weights) {
  const int n = impl_->graph.num_nodes();
  assert(static_cast<int>(proposal.size()) == n);
  assert(weights.empty() || static_cast<int>(weights.size()) == n);
  const RepairOptions& opt = impl_->options;
  std::unique_ptr<DeadlineStop> whole = impl_->PhaseStop(1.0, nullptr);
  DeadlineStop& stop = *whole;
  RepairResult r;
  if (!impl_->feasible.ok()) {
    r.status = RepairStatus::kInfeasible;
    r.message = impl_->feasible.message();
  } else if (hw::IsValid(impl_->graph, impl_->hw, proposal)) {
    r.status = RepairStatus::kUnchanged;
    r.partition = proposal;
  } else {
    const std::vector<int> w = ScaleWeights(weights, n);
    r = impl_->Search(proposal, w, stop);
    if (r.status == RepairStatus::kBestWithinLimit && opt.lns_rounds > 0) {
      int64_t cost = HammingCost(proposal, r.partition, w);
      impl_->ImproveAround(proposal, w, stop, &r.partition, &cost);
    }
  }
  r.solve_ms = stop.ElapsedMs();
  if (HasPartition(r.status)) CountChanges(proposal, weights, &r);
  return r;
}

RepairOptions RepairOptionsFromConfig(const common::Config& config) {
  RepairOptions o;
  o.time_limit_ms = config.actor.repair_time_limit_ms;
  o.fail_limit = config.actor.repair_fail_limit;
  o.order = config.actor.decision_order;
  return o;
}

RepairResult Repairer::SampleValid(common::Rng& rng) {
  std::unique_ptr<DeadlineStop> whole = impl_->PhaseStop(1.0, nullptr);
  DeadlineStop& stop = *whole;
  if (!impl_->feasible.ok()) {
    RepairResult r;
    r.status = RepairStatus::kInfeasible;
    r.message = impl_->feasible.message();
    return r;
  }
  // A random in-order split projected through the sequencer's rules is valid on most
  // instances and costs one pass; Gecode's randomised restarts cover the rest.
  for (int attempt = 0; attempt < kSplitAttempts; ++attempt) {
    common::Partition p = impl_->Project(impl_->RandomSplit(rng));
    if (hw::IsValid(impl_->graph, impl_->hw, p)) {
      RepairResult r;
      r.status = RepairStatus::kBestWithinLimit;
      r.partition = std::move(p);
      r.solve_ms = stop.ElapsedMs();
      return r;
    }
  }
  return impl_->SearchRandom(static_cast<uint32_t>(rng()), stop);
}

std::vector<common::Partition> Repairer::EnumerateValid(int64_t limit) {
  std::vector<common::Partition> out;
  if (!impl_->root) return out;
  std::unique_ptr<PartitionSpace> space(static_cast<PartitionSpace*>(impl_->root->clone()));
  space->BranchMin();
  Gecode::DFS<PartitionSpace> engine(space.get());
  while (static_cast<int64_t>(out.size()) < limit) {
    std::unique_ptr<PartitionSpace> s(engine.next());
    if (!s) break;
    out.push_back(s->Assignment());
  }
  return out;
}

}  // namespace mcmpart::actors
