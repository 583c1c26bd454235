// Sequential decoding rules: random decodes against the checker, soundness of the masks on
// every valid partition of tiny instances, replay equal to the decode.
#include "actors/sequencer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "hw/constraints.h"
#include "hw/op_cost.h"
#include "random_dag.h"

namespace mcmpart::actors {
namespace {

using common::Partition;
using testing::ForEachPartition;
using testing::RandomInstance;
constexpr int kF = Sequencer::kStateFeatures;

// One decode with a uniformly random allowed chip per step; the masks and features seen.
struct Decode {
  Partition partition;
  std::vector<uint8_t> allowed;
  std::vector<float> features;
  std::vector<int> actions;
};

Decode RandomDecode(const UnitSchedule& s, common::Rng& rng) {
  const int k = s.num_chips;
  Decode d;
  Sequencer seq(s);
  std::vector<uint8_t> allowed(k);
  std::vector<float> features(static_cast<size_t>(k) * kF);
  while (!seq.done()) {
    const int count = seq.Options(allowed.data(), features.data());
    EXPECT_GE(count, 1);
    int pick = std::uniform_int_distribution<int>(0, count - 1)(rng), chip = 0;
    for (; chip < k; ++chip) {
      if (allowed[chip] && pick-- == 0) break;
    }
    d.allowed.insert(d.allowed.end(), allowed.begin(), allowed.end());
    d.features.insert(d.features.end(), features.begin(), features.end());
    d.actions.push_back(chip);
    seq.Assign(chip);
  }
  d.partition = seq.ToPartition();
  return d;
}

// Five random decodes of `s`, each valid on `inst`.
void ExpectDecodesValid(const testing::Instance& inst, const UnitSchedule& s, common::Rng& rng,
                        uint64_t seed) {
  for (int i = 0; i < 5; ++i) {
    const Decode d = RandomDecode(s, rng);
    EXPECT_TRUE(hw::IsValid(inst.graph, inst.hw, d.partition))
        << "seed " << seed << ": "
        << hw::DescribeViolations(hw::CheckPartition(inst.graph, inst.hw, d.partition));
  }
}

TEST(Sequencer, DecodesAreValidWithoutSramMaxHopAndPins) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = RandomInstance(7000 + seed, 2 + seed % 12, 5);
    inst.hw.constraints.sram = false;
    inst.hw.constraints.max_hop = false;
    inst.hw.constraints.pin = false;
    const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    common::Rng rng(seed);
    ExpectDecodesValid(inst, s, rng, seed);
  }
}

TEST(Sequencer, WithMaxHopOnlyMaxHopCanBreak) {
  int valid = 0, total = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = RandomInstance(8000 + seed, 2 + seed % 12, 5);
    inst.hw.constraints.sram = false;
    inst.hw.constraints.pin = false;
    inst.hw.constraints.max_hop = true;
    const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    common::Rng rng(seed);
    const Decode d = RandomDecode(s, rng);
    for (const hw::Violation& v : hw::CheckPartition(inst.graph, inst.hw, d.partition, 0)) {
      EXPECT_EQ(v.constraint, "max_hop") << "seed " << seed << ": " << v.message;
    }
    valid += hw::IsValid(inst.graph, inst.hw, d.partition);
    ++total;
  }
  EXPECT_GT(valid, total * 3 / 4);  // the carried-back ceilings avoid most dead ends
}

// Every valid partition whose chips open in decision order (and, with the monotone
// look-ahead on, never go down along it; buffers are then not counted, since the look-ahead
// keeps a headroom for them) passes every mask on the way.
void ExpectMasksNeverExcludeAValidPartition(bool lookahead) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    testing::Instance inst = RandomInstance(9000 + seed, 2 + seed % 6, 3);
    inst.hw.constraints.acyclic = true;
    inst.hw.constraints.sram_buffers = inst.hw.constraints.sram_buffers && !lookahead;
    UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    s.lookahead = s.lookahead && lookahead;
    const int k = s.num_chips;
    ForEachPartition(inst.graph.num_nodes(), k, [&](const Partition& p) {
      if (!hw::IsValid(inst.graph, inst.hw, p)) return;
      int highest = -1;
      for (int u : s.order) {
        if (p[s.rep_node[u]] > highest + 1) return;             // opens a chip out of order
        if (s.lookahead && p[s.rep_node[u]] < highest) return;  // goes down
        highest = std::max(highest, p[s.rep_node[u]]);
      }
      Sequencer seq(s);
      std::vector<uint8_t> allowed(k);
      std::vector<float> features(static_cast<size_t>(k) * kF);
      while (!seq.done()) {
        seq.Options(allowed.data(), features.data());
        const int chip = p[s.rep_node[seq.unit()]];
        ASSERT_TRUE(allowed[chip]) << "seed " << seed << " step " << seq.step();
        seq.Assign(chip);
      }
      EXPECT_EQ(seq.ToPartition(), p);
      ++checked;
    });
  }
  EXPECT_GT(checked, 100);
}

TEST(Sequencer, MasksNeverExcludeAValidPartition) { ExpectMasksNeverExcludeAValidPartition(false); }

TEST(Sequencer, WithLookaheadMasksNeverExcludeAValidMonotonePartition) {
  ExpectMasksNeverExcludeAValidPartition(true);
}

// With acyclic and SRAM weights the only constraints, the look-ahead makes every decode valid
// whenever the units can be packed in decision order; without it some decodes overflow.
TEST(Sequencer, WithLookaheadEveryDecodeFitsInSram) {
  int packable = 0, overflow_without = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = RandomInstance(11000 + seed, 4 + seed % 16, 6);
    hw::ConstraintConfig& c = inst.hw.constraints;
    c.acyclic = c.sram = true;
    c.max_hop = c.pin = c.sram_buffers = false;
    UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    ASSERT_TRUE(s.lookahead) << "seed " << seed;
    if (s.fresh_chips[0] > s.num_chips) continue;  // no in-order packing exists
    ++packable;
    common::Rng rng(seed);
    ExpectDecodesValid(inst, s, rng, seed);
    s.lookahead = false;
    for (int i = 0; i < 5; ++i) {
      overflow_without += !hw::IsValid(inst.graph, inst.hw, RandomDecode(s, rng).partition);
    }
  }
  EXPECT_GT(packable, 100);
  EXPECT_GT(overflow_without, 0);  // the look-ahead is what keeps them valid
}

TEST(Sequencer, ReplayEqualsTheDecode) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    testing::Instance inst = RandomInstance(10000 + seed, 2 + seed % 20, 8);
    const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    common::Rng rng(seed);
    const Decode d = RandomDecode(s, rng);
    const UnitReplay r = ReplayPartition(s, d.partition);
    EXPECT_EQ(r.actions, d.actions) << "seed " << seed;
    EXPECT_EQ(r.allowed, d.allowed) << "seed " << seed;
    EXPECT_EQ(r.features, d.features) << "seed " << seed;
    EXPECT_EQ(r.ForcedSteps(), 0) << "seed " << seed;  // the decoder's own partitions
  }
}

// A 3-chip chain with acyclic and no_skip, without max_hop and SRAM.
void OnThreeChipChain(testing::Instance* inst) {
  inst->hw.num_chips = 3;
  inst->hw.topology = hw::Topology::kChain;
  inst->hw.constraints = hw::ConstraintConfig{};
  inst->hw.constraints.acyclic = true;
  inst->hw.constraints.no_skip = true;
  inst->hw.constraints.sram = false;
  inst->hw.constraints.max_hop = false;
}

// Two independent chains a0→a1 and b0→b1 of given-latency nodes on a 3-chip chain (acyclic,
// no_skip; no max_hop, no SRAM).
testing::Instance TwoChains() {
  testing::Instance inst;
  for (const char* name : {"a0", "a1", "b0", "b1"}) {
    common::Node node;
    node.name = name;
    node.op = "Op";
    node.op_class = common::OpClass::kGiven;
    node.latency_s = 1e-6;
    inst.graph.AddNode(node);
  }
  inst.graph.AddEdge(0, 1);
  inst.graph.AddEdge(2, 3);
  EXPECT_TRUE(inst.graph.Finalize().ok());
  OnThreeChipChain(&inst);
  return inst;
}

// A valid partition can open chip 2 before chip 1 in the decision order: the replay forces
// (and counts) exactly that step, and none of an in-order partition's.
TEST(Sequencer, ReplayCountsTheStepsTheMasksForce) {
  const testing::Instance inst = TwoChains();
  const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
  ASSERT_EQ(s.num_units, 4);
  // The node each step decides (a0 first; a1 or b0 next): chips are given per step, and
  // both orders keep these partitions valid.
  std::vector<int> node_of_step(4);
  for (int i = 0; i < 4; ++i) node_of_step[i] = s.rep_node[s.order[i]];
  Partition out_of_order(4), in_order(4);
  // Step 1 takes chip 2 while only chip 0 is open; in_order opens 0, 1, 2 one after another.
  const int chips_out[4] = {0, 2, 1, 2}, chips_in[4] = {0, 1, 2, 2};
  for (int i = 0; i < 4; ++i) {
    out_of_order[node_of_step[i]] = chips_out[i];
    in_order[node_of_step[i]] = chips_in[i];
  }
  for (const Partition* p : {&out_of_order, &in_order}) {
    ASSERT_TRUE(hw::IsValid(inst.graph, inst.hw, *p))
        << hw::DescribeViolations(hw::CheckPartition(inst.graph, inst.hw, *p));
  }
  const UnitReplay forced = ReplayPartition(s, out_of_order);
  EXPECT_EQ(forced.ForcedSteps(), 1);
  EXPECT_EQ(forced.forced, (std::vector<uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(forced.allowed[1 * 3 + 2], 1);  // the forced chip joins the step's support
  EXPECT_EQ(ReplayPartition(s, in_order).ForcedSteps(), 0);
}

TEST(Sequencer, OrderIsTopologicalOverUnits) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    testing::Instance inst = RandomInstance(11000 + seed, 2 + seed % 20, 8);
    inst.hw.constraints.acyclic = true;
    const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    std::vector<int> pos(s.num_units, -1);
    for (int i = 0; i < s.num_units; ++i) pos[s.order[i]] = i;
    for (int u = 0; u < s.num_units; ++u) {
      ASSERT_GE(pos[u], 0);
      for (int v : s.succs[u]) EXPECT_LT(pos[u], pos[v]) << "seed " << seed;
    }
  }
}

// With weight 1 on the open log-odds (feature 7) and nothing else, every in-order split of a
// chain of U units over K chips (all K used) has probability 1 / C(U − 1, K − 1): the start is
// uniform over splits (up to the e^-10 left to staying where a chip must open). Checked by
// enumerating every decode path.
TEST(Sequencer, OpenLogOddsMakeEveryInOrderSplitEquallyLikely) {
  for (const auto& [units, chips] : std::vector<std::pair<int, int>>{{7, 3}, {9, 4}, {5, 5}}) {
    testing::Instance inst;
    for (int v = 0; v < units; ++v) {
      common::Node node;
      node.name = "n" + std::to_string(v);
      node.op = "Op";
      node.op_class = common::OpClass::kGiven;
      node.latency_s = 1e-6;
      inst.graph.AddNode(node);
      if (v > 0) inst.graph.AddEdge(v - 1, v);
    }
    ASSERT_TRUE(inst.graph.Finalize().ok());
    inst.hw.num_chips = chips;
    inst.hw.topology = hw::Topology::kChain;
    inst.hw.constraints = hw::ConstraintConfig{};
    inst.hw.constraints.acyclic = true;
    inst.hw.constraints.no_skip = true;
    inst.hw.constraints.sram = false;
    inst.hw.constraints.max_hop = false;
    const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
    ASSERT_EQ(s.num_units, units);
    std::vector<double> path_probs;
    std::function<void(Sequencer, double)> walk = [&](Sequencer seq, double prob) {
      if (seq.done()) {
        path_probs.push_back(prob);
        return;
      }
      std::vector<uint8_t> allowed(chips);
      std::vector<float> f(static_cast<size_t>(chips) * kF);
      seq.Options(allowed.data(), f.data());
      double z = 0;
      for (int c = 0; c < chips; ++c) z += allowed[c] ? std::exp(f[c * kF + Sequencer::kOpenLogOddsFeature]) : 0.0;
      for (int c = 0; c < chips; ++c) {
        if (!allowed[c]) continue;
        Sequencer next = seq;
        next.Assign(c);
        walk(next, prob * std::exp(f[c * kF + Sequencer::kOpenLogOddsFeature]) / z);
      }
    };
    walk(Sequencer(s), 1.0);
    double binom = 1;
    for (int i = 0; i < chips - 1; ++i) binom = binom * (units - 1 - i) / (i + 1);
    int likely = 0;
    double total = 0;
    for (double p : path_probs) {
      total += p;
      if (p > 1e-4) {
        ++likely;
        EXPECT_NEAR(p, 1 / binom, 1e-3 / binom) << units << " units, " << chips << " chips";
      }
    }
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_EQ(likely, static_cast<int>(std::lround(binom))) << units << " units, " << chips;
  }
}

}  // namespace
}  // namespace mcmpart::actors

namespace mcmpart::actors {
namespace {

// cut_seconds against hw::SendSeconds on a chain with a skip edge, and the busy-time features
// [8] and [9] that read it.
TEST(Sequencer, CutSecondsAndBusyFeaturesCountTheTensorsACutSends) {
  testing::Instance inst;
  for (int v = 0; v < 4; ++v) {
    common::Node node;
    node.name = "n" + std::to_string(v);
    node.op = "Op";
    node.op_class = common::OpClass::kGiven;
    node.latency_s = 1e-6 * (v + 1);
    node.output_bytes = 1000 * (v + 1);
    inst.graph.AddNode(node);
  }
  for (auto [a, b] : std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 3}, {0, 2}})
    inst.graph.AddEdge(a, b);
  ASSERT_TRUE(inst.graph.Finalize().ok());
  OnThreeChipChain(&inst);
  const UnitSchedule s = BuildUnitSchedule(inst.graph, inst.hw);
  ASSERT_EQ(s.num_units, 4);
  ASSERT_EQ(s.order, (std::vector<int>{0, 1, 2, 3}));
  auto send = [&](int v) { return hw::SendSeconds(inst.graph, v, inst.hw); };
  ASSERT_EQ(s.cut_seconds.size(), 5u);
  EXPECT_EQ(s.cut_seconds[0], 0.0);
  EXPECT_NEAR(s.cut_seconds[1], send(0), 1e-15);            // 0 → 1 and 0 → 2
  EXPECT_NEAR(s.cut_seconds[2], send(0) + send(1), 1e-15);  // 0 → 2 skips over, 1 → 2
  EXPECT_NEAR(s.cut_seconds[3], send(2), 1e-15);
  EXPECT_EQ(s.cut_seconds[4], 0.0);
  EXPECT_GT(send(0), 0.0);

  Sequencer seq(s);
  std::vector<uint8_t> allowed(3);
  std::vector<float> f(3 * kF);
  seq.Options(allowed.data(), f.data());
  seq.Assign(0);
  seq.Options(allowed.data(), f.data());  // step 1: stay on chip 0 or open chip 1
  const double share = s.total_cost / 3;
  const double* cut = s.cut_seconds.data();
  EXPECT_NEAR(f[0 * kF + 8], (s.cost[0] + s.cost[1] + cut[2]) / share, 1e-5);
  EXPECT_NEAR(f[1 * kF + 8], (cut[1] + s.cost[1] + cut[2]) / share, 1e-5);
  EXPECT_NEAR(f[1 * kF + 9], (s.cost[0] + cut[1]) / share, 1e-5);
  EXPECT_EQ(f[0 * kF + 9], 0.f);
  seq.Assign(1);
  seq.Options(allowed.data(), f.data());  // chip 1 received cut[1] when it opened
  EXPECT_NEAR(f[1 * kF + 8], (cut[1] + s.cost[1] + s.cost[2] + cut[3]) / share, 1e-5);
  EXPECT_NEAR(f[2 * kF + 9], (cut[1] + s.cost[1] + cut[2]) / share, 1e-5);
}

}  // namespace
}  // namespace mcmpart::actors
