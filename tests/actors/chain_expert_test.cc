// ChainExpert against brute force over every in-order completion: of small random chains, with
// and without transfer costs at the cuts, and of random graphs scored by the maxload evaluator.
#include "actors/chain_expert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>

#include "hw/evaluator.h"
#include "tests/actors/random_dag.h"

namespace mcmpart::actors {
namespace {

// A chain of n units in decision order 0..n−1 with the given compute and cut seconds (n + 1
// boundaries, or none: each step i > 0 reads a tensor of cut[i] seconds from step i − 1), on k
// chips.
UnitSchedule Chain(const std::vector<double>& cost, int k, std::vector<double> cut = {}) {
  UnitSchedule s;
  for (size_t i = 1; i + 1 < cut.size(); ++i) {
    if (cut[i] > 0) s.tensors.push_back({static_cast<int>(i) - 1, cut[i], {static_cast<int>(i)}});
  }
  s.cut_seconds = std::move(cut);
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

// Largest chip busy time of an in-order split: its compute, plus cut[a] received and cut[b]
// sent by a run from step a to b.
double Bottleneck(const std::vector<double>& cost, const std::vector<double>& cut,
                  const std::vector<int>& chips, int k) {
  std::vector<double> busy(k, 0.0);
  const size_t n = cost.size();
  for (size_t i = 0; i < n; ++i) {
    busy[chips[i]] += cost[i];
    if (i == 0 || chips[i] != chips[i - 1]) busy[chips[i]] += cut[i];
    if (i + 1 == n || chips[i + 1] != chips[i]) busy[chips[i]] += cut[i + 1];
  }
  return *std::max_element(busy.begin(), busy.end());
}

// Smallest bottleneck over every in-order completion of `chips` (steps ≥ its size): each next
// step stays on the highest chip or opens the one after it.
double BestCompletion(const std::vector<double>& cost, const std::vector<double>& cut,
                      std::vector<int> chips, int k) {
  if (chips.size() == cost.size()) return Bottleneck(cost, cut, chips, k);
  const int h = chips.empty() ? -1 : chips.back();
  double best = std::numeric_limits<double>::infinity();
  for (int c : {h, h + 1}) {
    if (c < 0 || c >= k) continue;
    chips.push_back(c);
    best = std::min(best, BestCompletion(cost, cut, chips, k));
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
    // Transfers in half the trials: a cut between steps costs both chips beside it.
    std::vector<double> cut(cost.size() + 1, 0.0);
    if (trial % 2 == 1) {
      for (size_t i = 1; i < cost.size(); ++i) cut[i] = 0.5 * unit(rng);
    }
    const int k = chips(rng);
    const UnitSchedule s = Chain(cost, k, cut);
    const ChainExpert expert(s);
    EXPECT_NEAR(expert.Rest(k, 0), BestCompletion(cost, cut, {}, k), 1e-9);
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
      const double best = BestCompletion(cost, cut, prefix, k);
      prefix.push_back(labels[i]);
      ASSERT_LT(labels[i], k);
      EXPECT_NEAR(BestCompletion(cost, cut, prefix, k), best, 1e-9)
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

// Smallest maxload bottleneck over every in-order completion of `walk` (chips of the first
// steps of `s`): each next step stays on the highest chip or opens the one after it.
double BestMaxLoad(const UnitSchedule& s, hw::Evaluator& maxload, std::vector<int> walk) {
  if (static_cast<int>(walk.size()) == s.num_units) {
    common::Partition p(s.unit.size());
    std::vector<int> chip_of_unit(s.num_units);
    for (int i = 0; i < s.num_units; ++i) chip_of_unit[s.order[i]] = walk[i];
    for (size_t v = 0; v < p.size(); ++v) p[v] = chip_of_unit[s.unit[v]];
    return maxload.Evaluate(p).time_per_sample_s;
  }
  const int h = walk.empty() ? -1 : walk.back();
  double best = std::numeric_limits<double>::infinity();
  for (int c : {h, h + 1}) {
    if (c < 0 || c >= s.num_chips) continue;
    walk.push_back(c);
    best = std::min(best, BestMaxLoad(s, maxload, walk));
    walk.pop_back();
  }
  return best;
}

TEST(ChainExpert, MatchesTheMaxLoadEvaluatorOnRandomGraphs) {
  std::mt19937 rng(11);
  int checked = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    const testing::Instance inst = testing::RandomInstance(seed, 3 + static_cast<int>(seed % 7), 4);
    const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    auto maxload = hw::MakeMaxLoadEvaluator(inst.graph, inst.hw);
    const ChainExpert expert(s);
    const int k = s.num_chips;
    EXPECT_NEAR(expert.Rest(k, 0), BestMaxLoad(s, *maxload, {}), 1e-12) << "seed " << seed;
    EXPECT_NEAR(maxload->Evaluate(expert.Decode()).time_per_sample_s, expert.Rest(k, 0), 1e-12)
        << "seed " << seed;
    std::vector<int> walk{0};
    std::bernoulli_distribution open(0.4);
    while (static_cast<int>(walk.size()) < s.num_units)
      walk.push_back(std::min(k - 1, walk.back() + (open(rng) ? 1 : 0)));
    common::Partition p(s.unit.size());
    for (size_t v = 0; v < p.size(); ++v) {
      const int step =
          static_cast<int>(std::find(s.order.begin(), s.order.end(), s.unit[v]) - s.order.begin());
      p[v] = walk[step];
    }
    const std::vector<int> labels = expert.Labels(p);
    for (int i = 1; i < s.num_units; ++i) {
      std::vector<int> prefix(walk.begin(), walk.begin() + i);
      const double best = BestMaxLoad(s, *maxload, prefix);
      prefix.push_back(labels[i]);
      EXPECT_NEAR(BestMaxLoad(s, *maxload, prefix), best, 1e-12)
          << "seed " << seed << " step " << i << " label " << labels[i];
      ++checked;
    }
  }
  EXPECT_GT(checked, 300);
}

}  // namespace
}  // namespace mcmpart::actors
