// The balanced-chain expert (min-max contiguous split of the decision order) for DAgger.
#include "actors/chain_expert.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace mcmpart::actors {

ChainExpert::ChainExpert(const UnitSchedule& schedule)
    : schedule_(&schedule), n_(schedule.num_units) {
  prefix_.assign(n_ + 1, 0.0);
  for (int i = 0; i < n_; ++i) prefix_[i + 1] = prefix_[i] + schedule.cost[schedule.order[i]];
  cut_ = schedule.cut_seconds;
  if (static_cast<int>(cut_.size()) != n_ + 1) cut_.assign(n_ + 1, 0.0);
  const int k = std::max(1, schedule.num_chips);
  rest_.assign(k + 1, std::vector<double>(n_ + 1, 0.0));
  for (int j = 0; j < n_; ++j) {
    rest_[0][j] = std::numeric_limits<double>::infinity();
    rest_[1][j] = prefix_[n_] - prefix_[j] + cut_[j];
  }
  for (int m = 2; m <= k; ++m) {
    for (int j = 0; j < n_; ++j) {
      rest_[m][j] = std::min(rest_[m - 1][j], Stay(cut_[j], j, m - 1, &rest_[m - 1]));
    }
  }
}

double ChainExpert::Stay(double busy, int step, int chips_left) const {
  return Stay(busy, step, chips_left, &rest_[chips_left]);
}

// min over run ends l > step of max(run busy, best of the rest on `next`); the run's busy
// time without the cut it sends, busy + compute, only grows with l, so the scan stops once
// that alone reaches the best so far.
double ChainExpert::Stay(double busy, int step, int chips_left,
                         const std::vector<double>* next) const {
  if (chips_left == 0) return busy + prefix_[n_] - prefix_[step];
  double best = std::numeric_limits<double>::infinity();
  for (int l = step + 1; l <= n_; ++l) {
    const double run = busy + prefix_[l] - prefix_[step];
    if (run >= best) break;
    best = std::min(best, std::max(run + cut_[l], (*next)[l]));
  }
  return best;
}

int ChainExpert::Label(int step, int highest, double busy) const {
  if (highest < 0) return 0;
  const int left = schedule_->num_chips - 1 - highest;
  const double stay = Stay(busy, step, left);
  const double open = left > 0 ? std::max(busy + cut_[step], rest_[left][step])
                               : std::numeric_limits<double>::infinity();
  return open <= stay ? highest + 1 : highest;
}

common::Partition ChainExpert::Decode() const {
  const UnitSchedule& s = *schedule_;
  std::vector<int> unit_chip(s.num_units, 0);
  int highest = -1;
  double busy = 0;
  for (int i = 0; i < n_; ++i) {
    const int u = s.order[i], chip = Label(i, highest, busy);
    unit_chip[u] = chip;
    busy = chip > highest ? cut_[i] + s.cost[u] : busy + s.cost[u];
    highest = std::max(highest, chip);
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
  double busy = 0;  // `highest`'s busy time so far: what it received and its compute
  for (int i = 0; i < n_; ++i) {
    const int u = s.order[i];
    labels[i] = Label(i, highest, busy);
    const int chip = std::clamp(p.at(s.rep_node[u]), 0, k - 1);
    if (chip > highest) {
      highest = chip;
      busy = cut_[i] + s.cost[u];
    } else if (chip == highest) {
      busy += s.cost[u];
    }
  }
  return labels;
}

}  // namespace mcmpart::actors
