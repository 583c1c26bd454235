// `mcmpart bench repair --from-run`: the policy proposals of a run file, repaired on its own
// graph and hardware, and the errors for files it cannot use.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "actors/record.h"
#include "common/bert.h"
#include "common/config.h"
#include "common/rng.h"
#include "hw/hardware.h"
#include "learner/run_log.h"
#include "tests/cli/run_cli.h"

namespace mcmpart {
namespace {

using testing::RunCli;

// A run file for bert-base on mcm8-ring: `rl_rows` policy rows with uniform random proposals,
// interleaved with as many random-strategy rows (which the bench skips).
std::string WriteRun(const std::string& name, int rl_rows) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::remove(path.c_str());
  auto graph = common::MakeBuiltinGraph("bert-base");
  EXPECT_TRUE(graph.ok());
  common::Config config;
  config.run.graph = "bert-base";
  config.run.hw = "mcm8-ring";
  learner::RunMeta meta;
  meta.config_text = common::ConfigToToml(config);
  meta.hardware_text = hw::HardwareToToml(*hw::MakePreset("mcm8-ring"));
  meta.graph_names = {graph->name};
  auto log = learner::RunLog::Create(path, meta, {&graph.value()});
  EXPECT_TRUE(log.ok()) << log.status().message();
  common::Rng rng(11);
  for (int i = 0; i < 2 * rl_rows; ++i) {
    actors::EpisodeRecord row;
    row.step = i;
    row.strategy = i % 2 ? actors::StrategyId::kRandom : actors::StrategyId::kRl;
    row.proposal.resize(graph->num_nodes());
    for (int& c : row.proposal) c = static_cast<int>(rng() % 8);
    row.partition = row.proposal;
    EXPECT_TRUE((*log)->AppendRollout(row).ok());
  }
  EXPECT_TRUE((*log)->Close().ok());
  return path;
}

TEST(BenchRepairCli, RepairsTheLastPolicyProposalsOfARun) {
  const std::string path = WriteRun("bench_repair_run.h5", 30);
  testing::CliResult r = RunCli("bench repair --from-run " + path + " --samples 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["graph"], "bert-base");
  EXPECT_EQ(j["hw"], "mcm8-ring");
  ASSERT_EQ(j["series"].size(), 1u);
  const nlohmann::json& s = j["series"][0];
  EXPECT_EQ(s["kind"], "policy");
  EXPECT_EQ(s["chips"], 8);
  EXPECT_EQ(s["samples"], 20);
  EXPECT_EQ(s["valid"], 20);
  int statuses = 0;
  for (const char* name :
       {"unchanged", "optimal", "best_within_limit", "infeasible", "not_found"}) {
    ASSERT_TRUE(s.contains(name)) << name;
    statuses += s[name].get<int>();
  }
  EXPECT_EQ(statuses, 20);
  EXPECT_EQ(s["infeasible"], 0);
  EXPECT_EQ(s["not_found"], 0);
  EXPECT_GT(s["mean_changed"].get<double>(), 0.0);
  EXPECT_LE(s["p50_ms"].get<double>(), s["p99_ms"].get<double>());
}

TEST(BenchRepairCli, FromRunErrorsNameTheProblem) {
  testing::CliResult r = RunCli("bench repair --from-run /nonexistent/run.h5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/run.h5"), std::string::npos) << r.err;
  // The schema-1 fixture's config names the default graph, which the file does not hold.
  const std::string v1 = std::string(MCMPART_TEST_DATA_DIR) + "/runs/schema_v1.h5";
  r = RunCli("bench repair --from-run " + v1);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("names graph 'bert-base'"), std::string::npos) << r.err;
  const std::string path = WriteRun("bench_repair_chips.h5", 2);
  r = RunCli("bench repair --from-run " + path + " --chips 8");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--chips does not apply with --from-run"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mcmpart
