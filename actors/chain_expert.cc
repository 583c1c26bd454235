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
  const int k = std::max(1, schedule.num_chips);
  rest_.assign(k + 1, std::vector<double>(n_ + 1, 0.0));
  for (int j = 0; j < n_; ++j) {
    rest_[0][j] = std::numeric_limits<double>::infinity();
    rest_[1][j] = prefix_[n_] - prefix_[j];
  }
  for (int m = 2; m <= k; ++m) {
    for (int j = 0; j < n_; ++j) {
      double best = rest_[m - 1][j];  // fewer chips
      for (int l = j + 1; l <= n_; ++l) {
        const double run = prefix_[l] - prefix_[j];
        if (run >= best) break;  // runs only grow with l
        best = std::min(best, std::max(run, rest_[m - 1][l]));
      }
      rest_[m][j] = best;
    }
  }
}

double ChainExpert::Stay(double load, int step, int chips_left) const {
  if (chips_left == 0) return load + prefix_[n_] - prefix_[step];
  double best = std::numeric_limits<double>::infinity();
  for (int l = step + 1; l <= n_; ++l) {
    const double run = load + prefix_[l] - prefix_[step];
    if (run >= best) break;
    best = std::min(best, std::max(run, rest_[chips_left][l]));
  }
  return best;
}

std::vector<int> ChainExpert::Labels(const common::Partition& p) const {
  const UnitSchedule& s = *schedule_;
  const int k = s.num_chips;
  std::vector<int> labels(n_, 0);
  int highest = -1;
  double load = 0;  // compute on `highest` so far
  for (int i = 0; i < n_; ++i) {
    const int u = s.order[i];
    if (highest >= 0) {
      const int left = k - 1 - highest;
      const double stay = Stay(load, i, left);
      const double open = left > 0 ? std::max(load, rest_[left][i])
                                   : std::numeric_limits<double>::infinity();
      labels[i] = open <= stay ? highest + 1 : highest;
    }
    const int chip = std::clamp(p.at(s.rep_node[u]), 0, k - 1);
    if (chip > highest) {
      highest = chip;
      load = s.cost[u];
    } else if (chip == highest) {
      load += s.cost[u];
    }
  }
  return labels;
}

}  // namespace mcmpart::actors
