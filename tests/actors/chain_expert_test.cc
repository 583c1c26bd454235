// ChainExpert against brute force over every chain completion of small random chains.
#include "actors/chain_expert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

namespace mcmpart::actors {
namespace {

// A chain of n units in decision order 0..n−1 with the given compute, on k chips.
UnitSchedule Chain(const std::vector<double>& cost, int k) {
  UnitSchedule s;
  s.num_units = static_cast<int>(cost.size());
  s.num_chips = k;
  for (int u = 0; u < s.num_units; ++u) {
    s.unit.push_back(u);
    s.order.push_back(u);
    s.rep_node.push_back(u);
  }
  s.cost = cost;
  return s;
}

double Bottleneck(const std::vector<double>& cost, const std::vector<int>& chips, int k) {
  std::vector<double> load(k, 0.0);
  for (size_t i = 0; i < cost.size(); ++i) load[chips[i]] += cost[i];
  return *std::max_element(load.begin(), load.end());
}

// Smallest bottleneck over every in-order completion of `chips` (steps ≥ its size): each next
// step stays on the highest chip or opens the one after it.
double BestCompletion(const std::vector<double>& cost, std::vector<int> chips, int k) {
  if (chips.size() == cost.size()) return Bottleneck(cost, chips, k);
  const int h = chips.empty() ? -1 : chips.back();
  double best = std::numeric_limits<double>::infinity();
  for (int c : {h, h + 1}) {
    if (c < 0 || c >= k) continue;
    chips.push_back(c);
    best = std::min(best, BestCompletion(cost, chips, k));
    chips.pop_back();
  }
  return best;
}

TEST(ChainExpert, LabelsAreOptimalAtEveryStateOfRandomChains) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> size(2, 9), chips(1, 4), zero(0, 4);
  std::uniform_real_distribution<double> unit(0.1, 5.0);
  int checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> cost(size(rng));
    for (double& c : cost) c = zero(rng) == 0 ? 0.0 : unit(rng);
    const int k = chips(rng);
    const UnitSchedule s = Chain(cost, k);
    const ChainExpert expert(s);
    EXPECT_NEAR(expert.Rest(k, 0), BestCompletion(cost, {}, k), 1e-9);
    // A random in-order walk: the expert labels each of its states.
    std::vector<int> walk{0};
    std::bernoulli_distribution open(0.4);
    while (walk.size() < cost.size())
      walk.push_back(std::min(k - 1, walk.back() + (open(rng) ? 1 : 0)));
    const std::vector<int> labels = expert.Labels(walk);
    ASSERT_EQ(labels.size(), cost.size());
    EXPECT_EQ(labels[0], 0);
    for (size_t i = 1; i < cost.size(); ++i) {
      std::vector<int> prefix(walk.begin(), walk.begin() + static_cast<long>(i));
      const double best = BestCompletion(cost, prefix, k);
      prefix.push_back(labels[i]);
      ASSERT_LT(labels[i], k);
      EXPECT_NEAR(BestCompletion(cost, prefix, k), best, 1e-9)
          << "trial " << trial << " step " << i << " label " << labels[i];
      ++checked;
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(ChainExpert, FollowsAnOptimalSplitFromTheStart) {
  // Equal units, 8 over 4 chips: two per chip, and the expert opens at every second step.
  const std::vector<double> cost(8, 1.0);
  const UnitSchedule s = Chain(cost, 4);
  const std::vector<int> split{0, 0, 1, 1, 2, 2, 3, 3};
  EXPECT_EQ(ChainExpert(s).Labels(split), split);
  // Off that split (chip 0 took three), the expert opens at once and the rest rebalances.
  const std::vector<int> late{0, 0, 0, 1, 1, 2, 2, 3};
  EXPECT_EQ(ChainExpert(s).Labels(late)[3], 1);
}

}  // namespace
}  // namespace mcmpart::actors
