// The balanced-chain expert (min-max contiguous split of the decision order) for DAgger.
#include "actors/chain_expert.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace mcmpart::actors {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

ChainExpert::ChainExpert(const UnitSchedule& schedule)
    : schedule_(&schedule), n_(schedule.num_units) {
  prefix_.assign(n_ + 1, 0.0);
  for (int i = 0; i < n_; ++i) prefix_[i + 1] = prefix_[i] + schedule.cost[schedule.order[i]];
  const int k = std::max(1, schedule.num_chips);
  rest_.assign(k + 1, std::vector<double>(n_ + 1, 0.0));
  for (int a = 0; a < n_; ++a) rest_[0][a] = kInf;
  for (int a = n_ - 1; a >= 0; --a) {
    const std::vector<double> load = RunLoads(a);
    // A run's load is at least its compute, which only grows with b: the scan stops once that
    // alone reaches the best so far.
    for (int m = 1; m <= k; ++m) {
      double best = rest_[m - 1][a];
      for (int b = a + 1; b <= n_ && prefix_[b] - prefix_[a] < best; ++b)
        best = std::min(best, std::max(load[b], rest_[m - 1][b]));
      rest_[m][a] = best;
    }
  }
}

// Difference array over the run's end b: a tensor made in the run is sent while a reader lies
// at b or later; one made before it is received once the run reaches its first reader ≥ a.
std::vector<double> ChainExpert::RunLoads(int a) const {
  std::vector<double> diff(n_ + 2, 0.0);
  for (const UnitSchedule::Tensor& t : schedule_->tensors) {
    assert(t.reader_steps.front() > t.step);
    if (t.step >= a) {
      diff[t.step + 1] += t.seconds;
      diff[t.reader_steps.back() + 1] -= t.seconds;
    } else {
      auto first = std::lower_bound(t.reader_steps.begin(), t.reader_steps.end(), a);
      if (first != t.reader_steps.end()) diff[*first + 1] += t.seconds;
    }
  }
  std::vector<double> load(n_ + 1, 0.0);
  double transfers = 0;
  for (int b = a + 1; b <= n_; ++b) {
    transfers += diff[b];
    load[b] = prefix_[b] - prefix_[a] + transfers;
  }
  return load;
}

ChainExpert::Run ChainExpert::MakeRun(int start, int chips_left) const {
  Run run;
  run.ended = RunLoads(start);
  run.extended.assign(n_ + 1, kInf);
  const std::vector<double>& rest = rest_[chips_left];
  for (int i = n_ - 1; i >= start; --i)
    run.extended[i] = std::min(run.extended[i + 1], std::max(run.ended[i + 1], rest[i + 1]));
  return run;
}

int ChainExpert::Label(int step, int highest, const Run& run) const {
  if (highest < 0) return 0;
  const int left = schedule_->num_chips - 1 - highest;
  const double open = left > 0 ? std::max(run.ended[step], rest_[left][step]) : kInf;
  return open <= run.extended[step] ? highest + 1 : highest;
}

common::Partition ChainExpert::Decode() const {
  const UnitSchedule& s = *schedule_;
  std::vector<int> unit_chip(s.num_units, 0);
  int highest = -1;
  Run run;
  for (int i = 0; i < n_; ++i) {
    const int chip = Label(i, highest, run);
    unit_chip[s.order[i]] = chip;
    if (chip > highest) run = MakeRun(i, s.num_chips - 1 - (highest = chip));
  }
  common::Partition p(s.unit.size());
  for (size_t v = 0; v < p.size(); ++v) p[v] = unit_chip[s.unit[v]];
  return p;
}

std::vector<int> ChainExpert::Labels(const common::Partition& p) const {
  const UnitSchedule& s = *schedule_;
  const int k = s.num_chips;
  std::vector<int> labels(n_, 0);
  int highest = -1;
  Run run;  // of `highest`, from the step that opened it
  for (int i = 0; i < n_; ++i) {
    labels[i] = Label(i, highest, run);
    const int chip = std::clamp(p.at(s.rep_node[s.order[i]]), 0, k - 1);
    if (chip > highest) run = MakeRun(i, k - 1 - (highest = chip));
  }
  return labels;
}

}  // namespace mcmpart::actors
