// Unit-by-unit decoding rules: the unit schedule, the running masks and the state features.
#include "actors/sequencer.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <queue>

#include "actors/placement.h"
#include "hw/constraints.h"
#include "hw/cut_tensors.h"
#include "hw/op_cost.h"

namespace mcmpart::actors {
namespace {

// Kahn's algorithm on the unit graph, taking the ready unit that comes first in PipelineOrder;
// units left on a cycle (possible only with acyclic off) follow in that order.
std::vector<int> UnitOrder(const UnitSchedule& s, const std::vector<int>& first_pos) {
  const int m = s.num_units;
  std::vector<int> indeg(m, 0), order;
  for (int u = 0; u < m; ++u) {
    for (int v : s.succs[u]) ++indeg[v];
  }
  using Item = std::pair<int, int>;  // (position, unit)
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> ready;
  for (int u = 0; u < m; ++u) {
    if (indeg[u] == 0) ready.push({first_pos[u], u});
  }
  std::vector<bool> placed(m, false);
  while (!ready.empty()) {
    const int u = ready.top().second;
    ready.pop();
    placed[u] = true;
    order.push_back(u);
    for (int v : s.succs[u]) {
      if (--indeg[v] == 0) ready.push({first_pos[v], v});
    }
  }
  if (static_cast<int>(order.size()) < m) {
    std::vector<int> rest;
    for (int u = 0; u < m; ++u) {
      if (!placed[u]) rest.push_back(u);
    }
    std::sort(rest.begin(), rest.end(), [&](int a, int b) { return first_pos[a] < first_pos[b]; });
    order.insert(order.end(), rest.begin(), rest.end());
  }
  return order;
}

// Minimum pin over each unit and its descendants, in reverse decision order.
std::vector<int> PinCeilings(const UnitSchedule& s) {
  std::vector<int> ceiling(s.num_units, s.num_chips - 1);
  for (auto it = s.order.rbegin(); it != s.order.rend(); ++it) {
    const int u = *it;
    if (s.pin[u] >= 0) ceiling[u] = std::min(ceiling[u], s.pin[u]);
    if (!s.acyclic) continue;
    for (int v : s.succs[u]) ceiling[u] = std::min(ceiling[u], ceiling[v]);
  }
  return ceiling;
}

// Weight of each unit and its descendants: bitset reachability for up to
// kExactDescendantUnits units, else the heaviest path below each unit (a lower bound).
std::vector<int64_t> DescendantWeights(const UnitSchedule& s) {
  const int m = s.num_units;
  std::vector<int64_t> out(m, 0);
  if (m > UnitSchedule::kExactDescendantUnits) {
    for (auto it = s.order.rbegin(); it != s.order.rend(); ++it) {
      int64_t below = 0;
      for (int v : s.succs[*it]) below = std::max(below, out[v]);
      out[*it] = s.weight[*it] + below;
    }
    return out;
  }
  const size_t words = (static_cast<size_t>(m) + 63) / 64;
  std::vector<uint64_t> reach(static_cast<size_t>(m) * words, 0);
  for (auto it = s.order.rbegin(); it != s.order.rend(); ++it) {
    uint64_t* r = &reach[static_cast<size_t>(*it) * words];
    r[*it / 64] |= uint64_t{1} << (*it % 64);
    for (int v : s.succs[*it]) {
      const uint64_t* rv = &reach[static_cast<size_t>(v) * words];
      for (size_t w = 0; w < words; ++w) r[w] |= rv[w];
    }
    for (size_t w = 0; w < words; ++w) {
      for (uint64_t bits = r[w]; bits != 0; bits &= bits - 1) {
        out[*it] += s.weight[w * 64 + static_cast<size_t>(__builtin_ctzll(bits))];
      }
    }
  }
  return out;
}

// Per unit: its largest op working set plus twice its largest sent tensor (0 when buffers
// are not counted).
std::vector<int64_t> UnitHeadroom(const common::Graph& graph, const hw::Hardware& hw,
                                  const UnitSchedule& s) {
  std::vector<int64_t> working(s.num_units, 0), sent(s.num_units, 0), out(s.num_units, 0);
  if (!hw.constraints.sram_buffers) return out;
  for (int v = 0; v < graph.num_nodes(); ++v) {
    const int u = s.unit[v];
    working[u] = std::max(working[u], hw::OpWorkingSetBytes(graph, v));
    sent[u] = std::max(sent[u], graph.SendBytes(v));
  }
  for (int u = 0; u < s.num_units; ++u) out[u] = working[u] + 2 * sent[u];
  return out;
}

// The prefix sums, the headroom sparse table and next-fit's chip counts of UnitSchedule.
void BuildLookahead(const std::vector<int64_t>& unit_headroom, UnitSchedule* s) {
  const int m = s->num_units;
  s->order_weight_prefix.assign(m + 1, 0);
  std::vector<int64_t> level(m);
  for (int i = 0; i < m; ++i) {
    s->order_weight_prefix[i + 1] = s->order_weight_prefix[i] + s->weight[s->order[i]];
    level[i] = unit_headroom[s->order[i]];
  }
  s->headroom_max.assign(1, level);
  for (int len = 1; 2 * len <= m; len *= 2) {
    const std::vector<int64_t>& prev = s->headroom_max.back();
    std::vector<int64_t> next(m - 2 * len + 1);
    for (size_t i = 0; i < next.size(); ++i) next[i] = std::max(prev[i], prev[i + len]);
    s->headroom_max.push_back(std::move(next));
  }
  s->fresh_chips.assign(m + 1, 0);
  for (int i = m - 1; i >= 0; --i) {
    const int j = s->RunEnd(i, 0, 0);
    s->fresh_chips[i] = j == i ? UnitSchedule::kUnpackable
                               : std::min(UnitSchedule::kUnpackable, 1 + s->fresh_chips[j]);
  }
}

}  // namespace

int UnitSchedule::RunEnd(int from, int64_t used, int64_t head) const {
  // Max headroom over steps [a, b), b > a, from the sparse table.
  auto range_max = [this](int a, int b) {
    const int l = 31 - __builtin_clz(static_cast<unsigned>(b - a));
    return std::max(headroom_max[l][a], headroom_max[l][b - (1 << l)]);
  };
  auto fits = [&](int j) {
    const int64_t weights = used + order_weight_prefix[j] - order_weight_prefix[from];
    return weights + (j > from ? std::max(head, range_max(from, j)) : head) <= sram_bytes;
  };
  if (!fits(from)) return from;
  int lo = from, hi = num_units;  // fits(lo); the answer lies in [lo, hi]
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

namespace {
// UnitSchedule::tensors: each node whose output some other unit reads.
std::vector<UnitSchedule::Tensor> StepTensors(const common::Graph& graph, const hw::Hardware& hw,
                                              const UnitSchedule& s) {
  std::vector<int> step_of(s.num_units, 0);
  for (int i = 0; i < s.num_units; ++i) step_of[s.order[i]] = i;
  std::vector<UnitSchedule::Tensor> tensors;
  for (int v = 0; v < graph.num_nodes(); ++v) {
    UnitSchedule::Tensor t;
    t.step = step_of[s.unit[v]];
    for (int c : hw::TensorConsumers(graph, v)) {
      if (s.unit[c] != s.unit[v]) t.reader_steps.push_back(step_of[s.unit[c]]);
    }
    if (t.reader_steps.empty()) continue;
    std::sort(t.reader_steps.begin(), t.reader_steps.end());
    t.reader_steps.erase(std::unique(t.reader_steps.begin(), t.reader_steps.end()),
                         t.reader_steps.end());
    t.seconds = hw::SendSeconds(graph, v, hw);
    tensors.push_back(std::move(t));
  }
  return tensors;
}

// UnitSchedule::cut_seconds: each tensor adds its send time to the boundaries between its
// producer's step and its last reader's (a difference array over the steps).
std::vector<double> CutSeconds(const UnitSchedule& s) {
  const int m = s.num_units;
  std::vector<double> diff(m + 2, 0.0);
  for (const UnitSchedule::Tensor& t : s.tensors) {
    diff[t.step + 1] += t.seconds;
    diff[t.reader_steps.back() + 1] -= t.seconds;
  }
  std::vector<double> cut(m + 1, 0.0);
  double running = 0;
  for (int i = 1; i < m; ++i) cut[i] = std::max(0.0, running += diff[i]);
  return cut;
}
}  // namespace

UnitSchedule BuildUnitSchedule(const common::Graph& graph, const hw::Hardware& hw,
                               common::DecisionOrder order) {
  UnitSchedule s;
  const int n = graph.num_nodes();
  s.num_chips = hw.num_chips;
  s.unit = PlacementUnits(graph, hw);
  s.num_units = n == 0 ? 0 : 1 + *std::max_element(s.unit.begin(), s.unit.end());
  const int m = s.num_units;
  s.rep_node.assign(m, -1);
  s.unit_nodes.assign(m, 0);
  s.preds.resize(m);
  s.succs.resize(m);
  s.cost.assign(m, 0.0);
  s.weight.assign(m, 0);
  s.pin.assign(m, -1);
  std::vector<int> first_pos(m, n);
  const std::vector<int> pipeline = PipelineOrder(graph, hw, order);
  for (int i = 0; i < n; ++i) {
    const int v = pipeline[i], u = s.unit[v];
    if (s.rep_node[u] < 0) {
      s.rep_node[u] = v;
      first_pos[u] = i;
    }
  }
  for (int v = 0; v < n; ++v) {
    const int u = s.unit[v];
    ++s.unit_nodes[u];
    s.cost[u] += hw::OpSeconds(graph.nodes[v], hw);
    s.weight[u] += graph.nodes[v].weight_bytes;
    if (hw.constraints.pin && graph.nodes[v].pin >= 0 && s.pin[u] < 0)
      s.pin[u] = graph.nodes[v].pin;
    for (int c : hw::TensorConsumers(graph, v)) {
      const int w = s.unit[c];
      if (w != u) s.succs[u].push_back(w);
    }
  }
  for (int u = 0; u < m; ++u) {
    std::sort(s.succs[u].begin(), s.succs[u].end());
    s.succs[u].erase(std::unique(s.succs[u].begin(), s.succs[u].end()), s.succs[u].end());
    for (int w : s.succs[u]) s.preds[w].push_back(u);
    s.total_cost += s.cost[u];
  }
  s.sram_bytes = hw.constraints.sram ? hw.chip.sram_bytes : 0;
  s.acyclic = hw.constraints.acyclic;
  s.max_hop = hw.constraints.max_hop ? hw.constraints.max_hop_distance : 0;
  s.order = UnitOrder(s, first_pos);
  s.tensors = StepTensors(graph, hw, s);
  s.cut_seconds = CutSeconds(s);
  s.pin_ceiling = PinCeilings(s);
  if (s.acyclic && s.sram_bytes > 0) {
    s.descendant_weight = DescendantWeights(s);
  } else {
    s.descendant_weight = s.weight;
  }
  const bool pinned = std::any_of(s.pin.begin(), s.pin.end(), [](int c) { return c >= 0; });
  s.lookahead = s.acyclic && s.sram_bytes > 0 && !pinned;
  if (s.lookahead) BuildLookahead(UnitHeadroom(graph, hw, s), &s);
  return s;
}

Sequencer::Sequencer(const UnitSchedule& schedule) : schedule_(&schedule) { Reset(); }

void Sequencer::Reset() {
  step_ = 0;
  highest_ = -1;
  decided_cost_ = 0;
  chip_.assign(schedule_->num_units, -1);
  ceiling_ = schedule_->pin_ceiling;
  load_.assign(schedule_->num_chips, 0.0);
  received_.assign(schedule_->num_chips, 0.0);
  weights_.assign(schedule_->num_chips, 0);
  headroom_.assign(schedule_->num_chips, 0);
}

int Sequencer::Options(uint8_t* allowed, float* features) const {
  const UnitSchedule& s = *schedule_;
  const int k = s.num_chips, u = unit();
  int lo = 0;
  if (s.acyclic) {
    for (int p : s.preds[u]) lo = std::max(lo, chip_[p]);
  }
  int hi = std::min({k - 1, highest_ + 1, ceiling_[u]});
  if (s.pin[u] >= 0) lo = hi = std::min(s.pin[u], k - 1);
  lo = std::min(lo, k - 1);
  hi = std::max(hi, lo);
  std::fill(allowed, allowed + k, 0);
  int count = 0, ahead = 0;
  int64_t room = 0;  // free SRAM on chips c..K−1
  for (int c = k - 1; c >= lo; --c) {
    room += std::max<int64_t>(0, s.sram_bytes - weights_[c]);
    if (c > hi) continue;
    const bool fits = s.sram_bytes == 0 ||
                      (weights_[c] + s.weight[u] <= s.sram_bytes && s.descendant_weight[u] <= room);
    allowed[c] = fits ? 1 : 0;
    count += allowed[c];
    if (fits && s.lookahead && c >= highest_ && !LaterUnitsFit(c)) {
      allowed[c] = 2;  // fits, but only the look-ahead excludes it
    } else {
      ahead += allowed[c];
    }
  }
  for (int c = lo; c <= hi; ++c) {
    if (allowed[c] == 2) allowed[c] = ahead > 0 ? 0 : 1;
  }
  if (ahead > 0) count = ahead;
  if (count == 0) {
    for (int c = lo; c <= hi; ++c) allowed[c] = 1;
    count = hi - lo + 1;
  }
  std::fill(features, features + static_cast<size_t>(k) * kStateFeatures, 0.f);
  const double share = s.total_cost > 0 ? s.total_cost / k : 0.0;
  for (int c = 0; c < k; ++c) {
    float* f = features + static_cast<size_t>(c) * kStateFeatures;
    f[0] = c == highest_ ? 1.f : 0.f;
    f[1] = c == highest_ + 1 ? 1.f : 0.f;
    f[2] = c < highest_ ? 1.f : 0.f;
    if (share > 0) {
      f[3] = static_cast<float>(load_[c] / share);
      f[4] = static_cast<float>(std::max(0.0, (load_[c] + s.cost[u]) / share - 1.0));
      f[6] = static_cast<float>(
          std::clamp(k * (decided_cost_ + s.cost[u]) / s.total_cost - (c + 1), -2.0, 2.0));
    }
    if (s.sram_bytes > 0) {
      f[5] = static_cast<float>(static_cast<double>(weights_[c] + s.weight[u]) /
                                static_cast<double>(s.sram_bytes));
    }
    if (c == highest_ + 1 && highest_ >= 0) f[kOpenLogOddsFeature] = OpenLogOdds();
    if (share > 0) BusyFeatures(c, share, f);
  }
  return count;
}

void Sequencer::BusyFeatures(int chip, double share, float* f) const {
  const UnitSchedule& s = *schedule_;
  const std::vector<double>& cut = s.cut_seconds;
  const double cost = s.cost[unit()], after = cut[step_ + 1];
  constexpr double kMax = 10.0;
  auto ratio = [&](double seconds) { return static_cast<float>(std::min(kMax, seconds / share)); };
  if (chip > highest_) {
    f[8] = ratio(cut[step_] + cost + after);
    if (highest_ >= 0) f[9] = ratio(load_[highest_] + received_[highest_] + cut[step_]);
  } else {
    f[8] = ratio(load_[chip] + received_[chip] + cost + (chip == highest_ ? after : 0.0));
  }
}

float Sequencer::OpenLogOdds() const {
  const int cuts = schedule_->num_chips - 1 - highest_;  // chips not opened yet
  const int gaps = schedule_->num_units - step_;         // boundaries before the units left
  if (gaps <= cuts) return kOpenLogOddsMax;
  return static_cast<float>(std::clamp(std::log(static_cast<double>(cuts) / (gaps - cuts)),
                                       -static_cast<double>(kOpenLogOddsMax),
                                       static_cast<double>(kOpenLogOddsMax)));
}

bool Sequencer::LaterUnitsFit(int chip) const {
  const UnitSchedule& s = *schedule_;
  // The current unit is step_ of the order: the chip's run extends by it, then by the later ones.
  const int64_t head = std::max(headroom_[chip], s.headroom_max[0][step_]);
  const int64_t used = weights_[chip] + s.weight[unit()];
  if (used + head > s.sram_bytes) return false;
  const int j = s.RunEnd(step_ + 1, used, head);
  return chip + s.fresh_chips[j] <= s.num_chips - 1;
}

void Sequencer::LowerCeiling(int unit, int ceiling) {
  const UnitSchedule& s = *schedule_;
  if (chip_[unit] >= 0 || ceiling >= ceiling_[unit]) return;
  ceiling_[unit] = ceiling;
  if (!s.acyclic) return;
  // Acyclic: every undecided ancestor sits at or below this unit.
  stack_.assign(1, unit);
  while (!stack_.empty()) {
    const int x = stack_.back();
    stack_.pop_back();
    for (int p : s.preds[x]) {
      if (chip_[p] >= 0 || ceiling_[p] <= ceiling) continue;
      ceiling_[p] = ceiling;
      stack_.push_back(p);
    }
  }
}

void Sequencer::Assign(int chip) {
  const UnitSchedule& s = *schedule_;
  assert(!done() && chip >= 0 && chip < s.num_chips);
  const int u = unit();
  chip_[u] = chip;
  if (chip > highest_) received_[chip] = s.cut_seconds[step_];
  highest_ = std::max(highest_, chip);
  load_[chip] += s.cost[u];
  weights_[chip] += s.weight[u];
  if (s.lookahead) headroom_[chip] = std::max(headroom_[chip], s.headroom_max[0][step_]);
  decided_cost_ += s.cost[u];
  if (s.max_hop > 0) {
    for (int v : s.succs[u]) LowerCeiling(v, chip + s.max_hop);
  }
  ++step_;
}

common::Partition Sequencer::ToPartition() const {
  common::Partition p(schedule_->unit.size());
  for (size_t v = 0; v < p.size(); ++v) p[v] = chip_[schedule_->unit[v]];
  return p;
}

UnitReplay ReplayPartition(const UnitSchedule& schedule, const common::Partition& p) {
  const int m = schedule.num_units, k = schedule.num_chips;
  constexpr int kF = Sequencer::kStateFeatures;
  UnitReplay r;
  r.actions.resize(m);
  r.allowed.resize(static_cast<size_t>(m) * k);
  r.features.resize(static_cast<size_t>(m) * k * kF);
  r.forced.resize(m);
  Sequencer seq(schedule);
  for (int step = 0; step < m; ++step) {
    const int u = seq.unit();
    const int chip = std::clamp(p[schedule.rep_node[u]], 0, k - 1);
    uint8_t* allowed = &r.allowed[static_cast<size_t>(step) * k];
    float* features = &r.features[static_cast<size_t>(step) * k * kF];
    seq.Options(allowed, features);
    r.forced[step] = allowed[chip] ? 0 : 1;
    allowed[chip] = 1;
    r.actions[step] = chip;
    seq.Assign(chip);
  }
  return r;
}

int UnitReplay::ForcedSteps() const {
  return static_cast<int>(std::count(forced.begin(), forced.end(), uint8_t{1}));
}

}  // namespace mcmpart::actors
