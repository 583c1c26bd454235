// Tests of the op cost model: GEMM tiling against a cycle-stepped systolic array, op classes,
// op and send seconds.
#include "hw/op_cost.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/bert.h"

namespace mcmpart::hw {
namespace {

using common::GemmShape;
using common::Node;
using common::OpClass;

// Cycle-stepped R×C weight-stationary array computing one (m×k)·(k×n) tile, k ≤ R, n ≤ C.
// Activation row i enters array row r at cycle i + r and moves right one PE per cycle;
// partial sums move down one PE per cycle. Writes the product to `out` and returns the
// cycles from the first activation entering to the last sum leaving the bottom edge.
int64_t SteppedTile(const std::vector<std::vector<int>>& a, const std::vector<std::vector<int>>& w,
                    int rows, int cols, std::vector<std::vector<long>>* out) {
  const int m = static_cast<int>(a.size()), k = static_cast<int>(w.size()),
            n = static_cast<int>(w[0].size());
  struct Reg {
    long value = 0;
    int row = -1;  // output row this value belongs to, -1 = bubble
  };
  std::vector<std::vector<Reg>> act(rows, std::vector<Reg>(cols)),
      sum(rows, std::vector<Reg>(cols));
  out->assign(m, std::vector<long>(n, 0));
  int emitted = 0;
  for (int64_t t = 0;; ++t) {
    std::vector<std::vector<Reg>> next_act(rows, std::vector<Reg>(cols)),
        next_sum(rows, std::vector<Reg>(cols));
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        Reg in_a;
        if (c == 0) {
          const int i = static_cast<int>(t) - r;
          if (i >= 0 && i < m) in_a = {r < k ? a[i][r] : 0, i};
        } else {
          in_a = act[r][c - 1];
        }
        Reg in_s = r == 0 ? Reg{0, in_a.row} : sum[r - 1][c];
        const long weight = (r < k && c < n) ? w[r][c] : 0;
        next_act[r][c] = in_a;
        next_sum[r][c] = {in_s.value + (in_a.row >= 0 ? in_a.value * weight : 0), in_s.row};
      }
    }
    act.swap(next_act);
    sum.swap(next_sum);
    for (int c = 0; c < cols; ++c) {
      const Reg& o = sum[rows - 1][c];
      if (o.row >= 0) {
        if (c < n) (*out)[o.row][c] = o.value;
        ++emitted;
      }
    }
    if (emitted == m * cols) return t + 1;
  }
}

TEST(GemmCyclesTest, MatchesHandComputedTiling) {
  // BERT-base projection 128×768×768 on 128×128: 6·6 tiles of (128 + 128 + 128 + 128 − 2).
  EXPECT_EQ(GemmCycles({1, 128, 768, 768}, 128, 128), 36 * 510);
  // Attention scores: 12 heads of 128×64×128, one tile each.
  EXPECT_EQ(GemmCycles({12, 128, 64, 128}, 128, 128), 12 * 510);
  // A partial tile costs a full one: k = 129 needs two row tiles.
  EXPECT_EQ(GemmCycles({1, 10, 129, 5}, 128, 128), 2 * (128 + 10 + 128 + 128 - 2));
  // 1×1×1 on 4×8: load 4, stream 1, fill/drain 4 + 8 − 2.
  EXPECT_EQ(GemmCycles({1, 1, 1, 1}, 4, 8), 4 + 1 + 4 + 8 - 2);
  EXPECT_EQ(GemmCycles({0, 1, 1, 1}, 4, 4), 0);
  EXPECT_EQ(GemmCycles({1, 1, 0, 1}, 4, 4), 0);
}

TEST(GemmCyclesTest, EqualsCycleSteppedSystolicArray) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int rows = 1 + rng() % 5, cols = 1 + rng() % 5;
    const int m = 1 + rng() % 7, k = 1 + rng() % 11, n = 1 + rng() % 11;
    std::vector<std::vector<int>> a(m, std::vector<int>(k)), w(k, std::vector<int>(n));
    for (auto& row : a)
      for (int& x : row) x = static_cast<int>(rng() % 7) - 3;
    for (auto& row : w)
      for (int& x : row) x = static_cast<int>(rng() % 7) - 3;
    // Tile the GEMM by hand: each weight tile is loaded (one array row per cycle), then streamed.
    int64_t cycles = 0;
    std::vector<std::vector<long>> c(m, std::vector<long>(n, 0));
    for (int k0 = 0; k0 < k; k0 += rows) {
      for (int n0 = 0; n0 < n; n0 += cols) {
        const int kt = std::min(rows, k - k0), nt = std::min(cols, n - n0);
        std::vector<std::vector<int>> at(m, std::vector<int>(kt)), wt(kt, std::vector<int>(nt));
        for (int i = 0; i < m; ++i)
          for (int r = 0; r < kt; ++r) at[i][r] = a[i][k0 + r];
        for (int r = 0; r < kt; ++r)
          for (int j = 0; j < nt; ++j) wt[r][j] = w[k0 + r][n0 + j];
        std::vector<std::vector<long>> part;
        cycles += rows + SteppedTile(at, wt, rows, cols, &part);
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < nt; ++j) c[i][n0 + j] += part[i][j];
      }
    }
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        long want = 0;
        for (int r = 0; r < k; ++r) want += static_cast<long>(a[i][r]) * w[r][j];
        ASSERT_EQ(c[i][j], want) << "stepped array computes the wrong product";
      }
    }
    EXPECT_EQ(GemmCycles({1, m, k, n}, rows, cols), cycles)
        << rows << "x" << cols << " array, m=" << m << " k=" << k << " n=" << n;
    EXPECT_EQ(GemmCycles({3, m, k, n}, rows, cols), 3 * cycles);
  }
}

TEST(GemmCyclesTest, NeverBeatsPeakMacRateAndGrowsWithEveryDimension) {
  for (int m = 1; m <= 9; m += 2) {
    for (int k = 1; k <= 9; k += 2) {
      for (int n = 1; n <= 9; n += 2) {
        const int64_t c = GemmCycles({1, m, k, n}, 4, 3);
        EXPECT_GE(c * 4 * 3, static_cast<int64_t>(m) * k * n);
        EXPECT_GE(GemmCycles({1, m + 1, k, n}, 4, 3), c);
        EXPECT_GE(GemmCycles({1, m, k + 1, n}, 4, 3), c);
        EXPECT_GE(GemmCycles({1, m, k, n + 1}, 4, 3), c);
      }
    }
  }
}

Hardware TestHardware() {
  Hardware hw;
  hw.chip.array_rows = 8;
  hw.chip.array_cols = 4;
  hw.chip.vector_lanes = 16;
  hw.chip.sram_bytes_per_cycle = 64;
  hw.chip.freq_ghz = 2.0;
  hw.link.bytes_per_cycle = 32;
  hw.link.latency_cycles = 5;
  return hw;
}

TEST(OpCyclesTest, EachOpClassUsesItsUnit) {
  const Hardware hw = TestHardware();
  Node input;
  input.op_class = OpClass::kInput;
  input.output_bytes = 1000;
  EXPECT_EQ(OpCycles(input, hw), 0);

  Node vec;
  vec.op_class = OpClass::kVector;
  vec.vector_ops = 33;  // ⌈33 / 16⌉
  EXPECT_EQ(OpCycles(vec, hw), 3);

  Node move;
  move.op_class = OpClass::kDataMovement;
  move.moved_bytes = 640;  // 640 / 64
  EXPECT_EQ(OpCycles(move, hw), 10);

  Node given;
  given.op_class = OpClass::kGiven;
  given.latency_s = 5e-9;  // 5 ns at 2 GHz
  EXPECT_EQ(OpCycles(given, hw), 10);

  Node mm;
  mm.op_class = OpClass::kMatMul;
  mm.gemm = {1, 2, 8, 4};  // one tile: 8 + 2 + 8 + 4 − 2
  EXPECT_EQ(OpCycles(mm, hw), 20);
  mm.vector_ops = 16 * 50;  // a bias add longer than the GEMM bounds the op
  EXPECT_EQ(OpCycles(mm, hw), 50);

  Node conv = mm;
  conv.op_class = OpClass::kConv;
  conv.vector_ops = 0;
  EXPECT_EQ(OpCycles(conv, hw), 20);
}

TEST(OpCyclesTest, EveryBertOpHasAPositiveCost) {
  const common::Graph g = common::MakeBert(common::BertConfig{});
  const Hardware hw;
  for (const Node& node : g.nodes) {
    if (node.op_class == OpClass::kInput) continue;
    EXPECT_GT(OpCycles(node, hw), 0) << node.name;
  }
}

TEST(HopSecondsTest, BytesOverBandwidthPlusLatency) {
  const Hardware hw = TestHardware();
  // ⌈100 / 32⌉ + 5 = 9 cycles at 2 GHz.
  EXPECT_DOUBLE_EQ(HopSeconds(100, hw), 9 * 0.5e-9);
  EXPECT_DOUBLE_EQ(HopSeconds(0, hw), 5 * 0.5e-9);
}

TEST(OpSecondsTest, GivenLatencyAsIsOtherwiseCyclesAtTheClock) {
  const Hardware hw = TestHardware();
  Node given;
  given.op_class = OpClass::kGiven;
  given.latency_s = 3.7e-6;
  given.vector_ops = 1600;  // ignored for a given latency
  EXPECT_EQ(OpSeconds(given, hw), 3.7e-6);
  given.latency_s = 0;
  EXPECT_EQ(OpSeconds(given, hw), 0.0);

  Node vec;
  vec.op_class = OpClass::kVector;
  vec.vector_ops = 33;  // 3 cycles at 2 GHz
  EXPECT_DOUBLE_EQ(OpSeconds(vec, hw), 3 * 0.5e-9);
}

TEST(OpSecondsTest, FinalizeRejectsNegativeOrNonFiniteGivenLatencies) {
  for (double latency : {-1.0, -1e-9, std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity()}) {
    common::Graph g;
    Node a;
    a.name = "a";
    a.op_class = OpClass::kVector;  // latency_s < 0 only matters for class given
    g.AddNode(a);
    Node b;
    b.name = "slow";
    b.op_class = OpClass::kGiven;
    b.latency_s = latency;
    g.AddNode(b);
    g.AddEdge(0, 1);
    const common::Status st = g.Finalize();
    ASSERT_FALSE(st.ok()) << latency;
    EXPECT_NE(st.message().find("'slow'"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("latency_s"), std::string::npos) << st.message();
  }
}

TEST(SendSecondsTest, GivenEdgeCostElseOneHopOfTheLargestOutput) {
  const Hardware hw = TestHardware();
  common::Graph g;
  for (const char* name : {"a", "b", "c"}) {
    Node n;
    n.name = name;
    n.op_class = OpClass::kVector;
    n.output_bytes = 100;
    g.AddNode(n);
  }
  g.AddEdge(0, 1);
  g.AddEdge(0, 2);
  g.edges[1].bytes = 200;  // the largest out-edge is what a cut sends
  g.AddEdge(1, 2);
  g.edges[2].cost_s = 4e-6;
  ASSERT_TRUE(g.Finalize().ok());
  EXPECT_DOUBLE_EQ(SendSeconds(g, 0, hw), HopSeconds(200, hw));
  EXPECT_DOUBLE_EQ(SendSeconds(g, 1, hw), 4e-6);
  EXPECT_DOUBLE_EQ(SendSeconds(g, 2, hw), HopSeconds(0, hw));  // no out-edges: 0 bytes
}

}  // namespace
}  // namespace mcmpart::hw
