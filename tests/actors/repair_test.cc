// Repair tests: the Gecode model against hw::CheckPartition and brute force on random tiny
// instances, validity on BERT-base, infeasibility causes and the random valid sampler.
#include "actors/repair.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include "common/bert.h"
#include "common/graph_io.h"
#include "hw/constraints.h"
#include "tests/actors/random_dag.h"

namespace mcmpart::actors {
namespace {

using common::Partition;
using testing::ForEachPartition;
using testing::RandomInstance;

// These tests check what a repair finds, not how fast: BERT-size repairs get a deadline that
// slow builds (sanitizers) and busy machines do not hit; the stall limit still ends the search.
RepairOptions NoDeadline() {
  RepairOptions o;
  o.time_limit_ms = 60000;
  return o;
}

TEST(RepairModel, AdmitsExactlyTheCheckersValidPartitions) {
  int feasible = 0, infeasible = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = RandomInstance(seed, 2 + seed % 6, 3);
    const common::Graph& g = inst.graph;
    std::set<Partition> brute;
    ForEachPartition(g.num_nodes(), inst.hw.num_chips, [&](const Partition& p) {
      if (hw::IsValid(g, inst.hw, p)) brute.insert(p);
    });
    Repairer repairer(g, inst.hw);
    std::vector<Partition> model = repairer.EnumerateValid(1 << 20);
    std::set<Partition> model_set(model.begin(), model.end());
    ASSERT_EQ(model_set.size(), model.size()) << "seed " << seed << ": duplicate solutions";
    ASSERT_EQ(model_set, brute) << "seed " << seed;
    // The diagnosis only ever claims infeasibility when nothing is valid.
    if (!repairer.CheckFeasible().ok()) {
      EXPECT_TRUE(brute.empty()) << "seed " << seed << ": " << repairer.CheckFeasible().message();
    }
    (brute.empty() ? infeasible : feasible)++;
  }
  // The generator covers both kinds of instances.
  EXPECT_GT(feasible, 50);
  EXPECT_GT(infeasible, 10);
}

TEST(Repair, OptimalWeightedChangeMatchesBruteForce) {
  int optimal = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    testing::Instance inst = RandomInstance(1000 + seed, 2 + seed % 7, 3);
    const common::Graph& g = inst.graph;
    const int n = g.num_nodes(), k = inst.hw.num_chips;
    common::Rng rng(seed);
    Partition q(n);
    std::vector<double> w(n);
    for (int v = 0; v < n; ++v) {
      q[v] = static_cast<int>(rng() % k);
      w[v] = static_cast<double>(1 + rng() % 4);  // exact after integer scaling
    }
    double best = std::numeric_limits<double>::infinity();
    ForEachPartition(n, k, [&](const Partition& p) {
      if (!hw::IsValid(g, inst.hw, p)) return;
      double change = 0;
      for (int v = 0; v < n; ++v) change += p[v] != q[v] ? w[v] : 0.0;
      best = std::min(best, change);
    });
    RepairOptions options;
    options.time_limit_ms = 10000;
    options.stall_fails = 0;
    Repairer repairer(g, inst.hw, options);
    RepairResult r = repairer.Repair(q, w);
    if (std::isinf(best)) {
      EXPECT_EQ(r.status, RepairStatus::kInfeasible) << "seed " << seed;
      EXPECT_FALSE(r.message.empty());
      continue;
    }
    ASSERT_TRUE(HasPartition(r.status)) << "seed " << seed << ": " << r.message;
    ASSERT_TRUE(hw::IsValid(g, inst.hw, r.partition)) << "seed " << seed;
    if (best == 0) {
      EXPECT_EQ(r.status, RepairStatus::kUnchanged);
      EXPECT_EQ(r.partition, q);
    } else {
      EXPECT_EQ(r.status, RepairStatus::kOptimal) << "seed " << seed;
      ++optimal;
    }
    EXPECT_DOUBLE_EQ(r.weighted_change, best) << "seed " << seed;
    int changed = 0;
    for (int v = 0; v < n; ++v) changed += r.partition[v] != q[v];
    EXPECT_EQ(r.changed_nodes, changed);
  }
  EXPECT_GT(optimal, 50);
}

class BertRepair : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto g = common::MakeBuiltinGraph("bert-base");
    ASSERT_TRUE(g.ok()) << g.status().message();
    graph_ = std::move(g).value();
    auto h = hw::MakePreset(GetParam());
    ASSERT_TRUE(h.ok()) << h.status().message();
    hw_ = *h;
  }
  common::Graph graph_;
  hw::Hardware hw_;
};

TEST_P(BertRepair, RandomProposalsAlwaysComeBackValid) {
  Repairer repairer(graph_, hw_, NoDeadline());
  ASSERT_TRUE(repairer.CheckFeasible().ok()) << repairer.CheckFeasible().message();
  const int n = graph_.num_nodes(), k = hw_.num_chips;
  for (uint64_t seed = 1; seed <= 15; ++seed) {
    common::Rng rng(seed);
    Partition q(n);
    for (int& c : q) c = static_cast<int>(rng() % k);
    RepairResult r = repairer.Repair(q);
    ASSERT_TRUE(HasPartition(r.status)) << "seed " << seed << ": " << r.message;
    EXPECT_TRUE(hw::IsValid(graph_, hw_, r.partition))
        << hw::DescribeViolations(hw::CheckPartition(graph_, hw_, r.partition));
    EXPECT_GT(r.changed_nodes, 0);
  }
}

TEST_P(BertRepair, ValidProposalComesBackUnchangedAndNearValidStaysNear) {
  Repairer repairer(graph_, hw_, NoDeadline());
  common::Rng rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    RepairResult sample = repairer.SampleValid(rng);
    ASSERT_TRUE(HasPartition(sample.status)) << sample.message;
    ASSERT_TRUE(hw::IsValid(graph_, hw_, sample.partition));
    RepairResult same = repairer.Repair(sample.partition);
    EXPECT_EQ(same.status, RepairStatus::kUnchanged);
    EXPECT_EQ(same.partition, sample.partition);
    EXPECT_EQ(same.changed_nodes, 0);
    // Perturb 5% of the nodes: the repair is valid and changes at most the perturbed nodes
    // (the sample itself is a candidate at that distance).
    Partition q = sample.partition;
    const int perturbed = std::max(1, graph_.num_nodes() / 20);
    for (int i = 0; i < perturbed; ++i)
      q[rng() % q.size()] = static_cast<int>(rng() % hw_.num_chips);
    int dist = 0;
    for (size_t v = 0; v < q.size(); ++v) dist += q[v] != sample.partition[v];
    RepairResult r = repairer.Repair(q);
    ASSERT_TRUE(HasPartition(r.status)) << r.message;
    EXPECT_TRUE(hw::IsValid(graph_, hw_, r.partition));
    EXPECT_LE(r.changed_nodes, dist);
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, BertRepair, ::testing::Values("mcm8-ring", "mcm16-ring"));

TEST(SampleValid, ProducesDistinctValidPartitions) {
  auto g = common::MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(g.ok());
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  Repairer repairer(*g, hw, NoDeadline());
  common::Rng rng(3);
  std::set<Partition> seen;
  for (int i = 0; i < 10; ++i) {
    RepairResult r = repairer.SampleValid(rng);
    ASSERT_TRUE(HasPartition(r.status)) << r.message;
    ASSERT_TRUE(hw::IsValid(*g, hw, r.partition));
    seen.insert(r.partition);
  }
  EXPECT_GE(seen.size(), 5u);
}

// Swin-T on 16 chips: the Gecode sampler alone finds nothing within the default limit (a
// stage-wide residual under max_hop 1 with SRAM), the projected random splits do.
TEST(SampleValid, FindsValidPartitionsOfSwinTOnSixteenChips) {
  auto g = common::LoadGraph(std::string(MCMPART_TEST_DATA_DIR) + "/onnx/swin_t.onnx");
  ASSERT_TRUE(g.ok()) << g.status().message();
  hw::Hardware hw = *hw::MakePreset("mcm16-ring");
  Repairer repairer(*g, hw);
  common::Rng rng(5);
  std::set<Partition> seen;
  for (int i = 0; i < 20; ++i) {
    RepairResult r = repairer.SampleValid(rng);
    ASSERT_TRUE(HasPartition(r.status)) << r.message;
    ASSERT_TRUE(hw::IsValid(*g, hw, r.partition))
        << hw::DescribeViolations(hw::CheckPartition(*g, hw, r.partition));
    seen.insert(r.partition);
  }
  EXPECT_GE(seen.size(), 15u);
}

TEST(SampleValid, TinyInstancesAgreeWithBruteForceFeasibility) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    testing::Instance inst = RandomInstance(5000 + seed, 2 + seed % 6, 3);
    bool any = false;
    ForEachPartition(inst.graph.num_nodes(), inst.hw.num_chips,
                     [&](const Partition& p) { any = any || hw::IsValid(inst.graph, inst.hw, p); });
    Repairer repairer(inst.graph, inst.hw);
    common::Rng rng(seed);
    RepairResult r = repairer.SampleValid(rng);
    EXPECT_EQ(r.status, any ? RepairStatus::kBestWithinLimit : RepairStatus::kInfeasible)
        << "seed " << seed << ": " << r.message;
    if (any) {
      EXPECT_TRUE(hw::IsValid(inst.graph, inst.hw, r.partition));
    }
  }
}

TEST(RepairStatus, NamesRoundTripAndRunFileCodesStay) {
  std::set<std::string_view> names;
  for (int i = 0; i < kNumRepairStatuses; ++i) {
    const auto s = static_cast<RepairStatus>(i);
    const std::optional<RepairStatus> back = RepairStatusFromName(RepairStatusName(s));
    ASSERT_TRUE(back.has_value()) << RepairStatusName(s);
    EXPECT_EQ(*back, s);
    names.insert(RepairStatusName(s));
  }
  EXPECT_EQ(static_cast<int>(names.size()), kNumRepairStatuses);
  EXPECT_FALSE(RepairStatusFromName("no_such_status").has_value());
  // Codes of run files written before kNotFound existed read as they did.
  EXPECT_STREQ(RepairStatusName(static_cast<RepairStatus>(0)), "unchanged");
  EXPECT_STREQ(RepairStatusName(static_cast<RepairStatus>(1)), "optimal");
  EXPECT_STREQ(RepairStatusName(static_cast<RepairStatus>(2)), "best_within_limit");
  EXPECT_STREQ(RepairStatusName(static_cast<RepairStatus>(3)), "infeasible");
  EXPECT_STREQ(RepairStatusName(RepairStatus::kNotFound), "not_found");
  EXPECT_FALSE(HasPartition(RepairStatus::kInfeasible));
  EXPECT_FALSE(HasPartition(RepairStatus::kNotFound));
  EXPECT_TRUE(HasPartition(RepairStatus::kBestWithinLimit));
}

// Random proposals on random tiny instances: infeasible exactly when brute force finds nothing,
// a partition otherwise (never kNotFound with a generous limit), and a valid one at that.
TEST(Repair, InfeasibleExactlyWhenBruteForceFindsNothing) {
  int infeasible = 0, projected = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    testing::Instance inst = RandomInstance(9000 + seed, 2 + seed % 7, 4);
    const common::Graph& g = inst.graph;
    const int n = g.num_nodes(), k = inst.hw.num_chips;
    bool any = false;
    ForEachPartition(n, k, [&](const Partition& p) { any = any || hw::IsValid(g, inst.hw, p); });
    common::Rng rng(seed);
    Partition q(n);
    for (int& c : q) c = static_cast<int>(rng() % k);
    RepairOptions options;
    options.time_limit_ms = 10000;
    options.stall_fails = 0;
    Repairer repairer(g, inst.hw, options);
    RepairResult r = repairer.Repair(q);
    if (!any) {
      EXPECT_EQ(r.status, RepairStatus::kInfeasible) << "seed " << seed;
      EXPECT_FALSE(r.message.empty());
      ++infeasible;
      continue;
    }
    ASSERT_TRUE(HasPartition(r.status)) << "seed " << seed << ": " << r.message;
    EXPECT_TRUE(hw::IsValid(g, inst.hw, r.partition)) << "seed " << seed;
    EXPECT_NE(r.status, RepairStatus::kBestWithinLimit) << "seed " << seed;
    // A valid projection is an upper bound on the repair's change.
    const Partition projection = repairer.Project(q);
    if (hw::IsValid(g, inst.hw, projection)) {
      int projection_change = 0;
      for (int v = 0; v < n; ++v) projection_change += projection[v] != q[v];
      EXPECT_LE(r.changed_nodes, projection_change) << "seed " << seed;
      ++projected;
    }
    // A valid partition comes back as it is.
    RepairResult same = repairer.Repair(r.partition);
    EXPECT_EQ(same.status, RepairStatus::kUnchanged) << "seed " << seed;
    EXPECT_EQ(same.partition, r.partition) << "seed " << seed;
  }
  EXPECT_GT(infeasible, 10);
  EXPECT_GT(projected, 50);
}

// Projections of random proposals on BERT-base: valid, and with a limit too short for any
// search the repair still returns a valid partition instead of giving up.
TEST_P(BertRepair, ProjectionIsValidAndSurvivesATinyTimeLimit) {
  RepairOptions tiny;
  tiny.time_limit_ms = 1e-3;
  Repairer repairer(graph_, hw_, tiny);
  const int n = graph_.num_nodes(), k = hw_.num_chips;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    common::Rng rng(seed);
    Partition q(n);
    for (int& c : q) c = static_cast<int>(rng() % k);
    const Partition projection = repairer.Project(q);
    ASSERT_TRUE(hw::IsValid(graph_, hw_, projection))
        << "seed " << seed << ": "
        << hw::DescribeViolations(hw::CheckPartition(graph_, hw_, projection));
    RepairResult r = repairer.Repair(q);
    ASSERT_TRUE(HasPartition(r.status)) << "seed " << seed << ": " << r.message;
    EXPECT_TRUE(hw::IsValid(graph_, hw_, r.partition));
    int projection_change = 0;
    for (int v = 0; v < n; ++v) projection_change += projection[v] != q[v];
    EXPECT_LE(r.changed_nodes, projection_change);
  }
}

// With a fail limit the clock plays no part: a limit too short for any search gives the same
// repairs as a minute, while without it the short limit changes some of them.
TEST_P(BertRepair, FailLimitReplacesTheClock) {
  RepairOptions fails_fast, fails_slow, clock_fast;
  fails_fast.fail_limit = fails_slow.fail_limit = 400;
  fails_fast.time_limit_ms = clock_fast.time_limit_ms = 1e-3;
  fails_slow.time_limit_ms = 60000;
  fails_fast.lns_rounds = fails_slow.lns_rounds = clock_fast.lns_rounds = 2;
  Repairer a(graph_, hw_, fails_fast), b(graph_, hw_, fails_slow), c(graph_, hw_, clock_fast);
  const int n = graph_.num_nodes(), k = hw_.num_chips;
  int clock_differs = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    common::Rng rng(seed);
    Partition q(n);
    for (int& chip : q) chip = static_cast<int>(rng() % k);
    const RepairResult ra = a.Repair(q), rb = b.Repair(q), rc = c.Repair(q);
    ASSERT_TRUE(HasPartition(ra.status)) << "seed " << seed << ": " << ra.message;
    EXPECT_EQ(ra.status, rb.status) << "seed " << seed;
    EXPECT_EQ(ra.partition, rb.partition) << "seed " << seed;
    EXPECT_TRUE(hw::IsValid(graph_, hw_, ra.partition));
    clock_differs += rc.partition != rb.partition;
  }
  EXPECT_GT(clock_differs, 0);
}

TEST_P(BertRepair, NeighbourhoodSearchKeepsValidityAndNeverWorsens) {
  RepairOptions base;
  base.time_limit_ms = 60000;
  base.stall_fails = 50;
  RepairOptions lns = base;
  lns.lns_rounds = 20;
  Repairer plain(graph_, hw_, base), improved(graph_, hw_, lns);
  const int n = graph_.num_nodes(), k = hw_.num_chips;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    common::Rng rng(seed);
    Partition q(n);
    for (int& c : q) c = static_cast<int>(rng() % k);
    RepairResult a = plain.Repair(q), b = improved.Repair(q);
    ASSERT_TRUE(HasPartition(a.status) && HasPartition(b.status));
    EXPECT_TRUE(hw::IsValid(graph_, hw_, b.partition));
    EXPECT_LE(b.changed_nodes, a.changed_nodes) << "seed " << seed;
  }
}

// Infeasibility causes: each instance is built to break one condition, and the message names it.
common::Graph Chain(int n, int64_t weight) {
  common::Graph g;
  g.name = "chain";
  for (int v = 0; v < n; ++v) {
    common::Node node;
    node.name = "c" + std::to_string(v);
    node.weight_bytes = weight;
    node.output_bytes = 10;
    g.AddNode(node);
    if (v > 0) g.AddEdge(v - 1, v);
  }
  EXPECT_TRUE(g.Finalize().ok());
  return g;
}

std::string Cause(const common::Graph& g, const hw::Hardware& hw) {
  Repairer repairer(g, hw);
  common::Status st = repairer.CheckFeasible();
  if (st.ok()) return "";
  RepairResult r = repairer.Repair(Partition(g.num_nodes(), 0));
  EXPECT_EQ(r.status, RepairStatus::kInfeasible);
  EXPECT_EQ(r.message, st.message());
  return st.message();
}

TEST(CheckFeasible, NamesTheCause) {
  hw::Hardware hw;
  hw.num_chips = 2;
  hw.chip.sram_bytes = 1000;
  EXPECT_EQ(Cause(Chain(4, 100), hw), "");
  EXPECT_NE(Cause(Chain(4, 2000), hw).find("'c0' alone needs"), std::string::npos);
  EXPECT_NE(Cause(Chain(6, 400), hw).find("total weights 2400 bytes exceed"), std::string::npos);

  common::Graph g = Chain(4, 100);
  g.nodes[3].pin = 5;
  EXPECT_NE(Cause(g, hw).find("pinned to chip 5 but the hardware has 2"), std::string::npos);
  g.nodes[3].pin = 0;
  g.nodes[1].pin = 1;
  EXPECT_NE(Cause(g, hw).find("pins conflict with acyclic"), std::string::npos);

  common::Graph grouped = Chain(4, 300);
  const int grp = grouped.ColocationGroup("big");
  for (int v = 0; v < 4; ++v) grouped.nodes[v].colocation_group = grp;
  EXPECT_NE(Cause(grouped, hw).find("colocation group 'big' needs"), std::string::npos);
  grouped.nodes[0].pin = 0;
  grouped.nodes[2].pin = 1;
  EXPECT_NE(Cause(grouped, hw).find("colocation group 'big' has"), std::string::npos);

  // A hub feeding every node: max_hop 1 keeps everything on two chips.
  common::Graph hub = Chain(8, 400);
  for (int v = 2; v < 8; ++v) hub.AddEdge(0, v);
  ASSERT_TRUE(hub.Finalize().ok());
  hw.num_chips = 4;
  EXPECT_NE(Cause(hub, hw).find("max_hop 1 cannot split the graph"), std::string::npos);
  hw.constraints.max_hop_distance = 3;
  EXPECT_EQ(Cause(hub, hw), "");
}

TEST(CheckFeasible, BertBaseFitsEightChipsButNotTwo) {
  auto g = common::MakeBuiltinGraph("bert-base");
  ASSERT_TRUE(g.ok());
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  EXPECT_TRUE(Repairer(*g, hw).CheckFeasible().ok());
  hw.num_chips = 2;
  common::Status st = Repairer(*g, hw).CheckFeasible();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("total weights"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace mcmpart::actors
