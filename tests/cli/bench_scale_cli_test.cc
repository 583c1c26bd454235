// `mcmpart bench scale`: the power-law fit on exact data, the table's cells on small graphs,
// and the errors for bad sizes and chip counts.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/power_law.h"
#include "tests/cli/run_cli.h"

namespace mcmpart {
namespace {

using testing::RunCli;

TEST(PowerLawFit, RecoversTheExponentsOfExactData) {
  std::vector<cli::PowerLawPoint> points;
  for (double n : {200.0, 1000.0, 5000.0}) {
    for (double k : {8.0, 32.0})
      points.push_back({n, k, 3.0 * std::pow(n, 1.5) * std::pow(k, -0.5)});
  }
  points.push_back({100.0, 4.0, 0.0});  // not measured: left out
  auto [a, b] = cli::FitPowerLaw(points);
  EXPECT_NEAR(a, 1.5, 1e-9);
  EXPECT_NEAR(b, -0.5, 1e-9);
  // One chip count: its exponent cannot be fitted.
  points.resize(0);
  for (double n : {100.0, 400.0}) points.push_back({n, 8.0, n * n});
  std::tie(a, b) = cli::FitPowerLaw(points);
  EXPECT_NEAR(a, 2.0, 1e-9);
  EXPECT_TRUE(std::isnan(b));
}

TEST(BenchScaleCli, MeasuresEveryColumnOnEachSizeAndChipCount) {
  testing::CliResult r = RunCli(
      "bench scale --sizes 100,400 --chips 4,8 --policy-batch 2 --repair-samples 2 "
      "--sim-seconds 0.05 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["cells"].size(), 4u);
  int previous_nodes = 0;
  for (size_t i = 0; i < 4; ++i) {
    const nlohmann::json& c = j["cells"][i];
    EXPECT_EQ(c["chips"], i % 2 ? 8 : 4);
    const int nodes = c["nodes"];
    const int wanted = i < 2 ? 100 : 400;
    EXPECT_LT(std::abs(nodes - wanted), 20) << nodes;  // a whole number of layers
    if (i % 2 == 0) {
      EXPECT_GT(nodes, previous_nodes);
    }
    previous_nodes = nodes;
    for (const char* col :
         {"policy_ms", "repair_policy_ms", "repair_random_ms", "cycle_ms", "maxload_ms", "dp_ms"}) {
      ASSERT_TRUE(c[col].is_number()) << col;
      EXPECT_GT(c[col].get<double>(), 0) << col;
    }
    EXPECT_EQ(c["repair_policy_valid"], 1.0);
    EXPECT_EQ(c["repair_random_valid"], 1.0);
  }
  for (const char* col : {"policy_ms", "dp_ms"}) {
    EXPECT_TRUE(j["exponents"][col]["nodes"].is_number()) << col;
    EXPECT_TRUE(j["exponents"][col]["chips"].is_number()) << col;
  }
}

TEST(BenchScaleCli, RejectsBadSizesAndChipCounts) {
  testing::CliResult r = RunCli("bench scale --sizes 5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--sizes: '5'"), std::string::npos) << r.err;
  r = RunCli("bench scale --sizes 100 --chips 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--chips: '0'"), std::string::npos) << r.err;
  r = RunCli("bench scale --sizes 100 --chips 6 --hw mcm4x4-mesh");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mesh_cols"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mcmpart
