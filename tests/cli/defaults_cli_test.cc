// Defaults that do not surprise: a dnn-partitioning graph without --hw runs on its own hardware.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/cli/run_cli.h"

namespace mcmpart::testing {
namespace {

const std::string kGraph =
    std::string(MCMPART_BENCHMARK_DIR) + "/throughput-inputs/LayerGraphs/bert24_inference.json";

TEST(DefaultsCli, DnnPartitioningGraphWithoutHwUsesFromGraph) {
  const CliResult r =
      RunCli("search --strategy greedy --evaluator maxload --budget 2 --json --graph " + kGraph);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find("names its hardware"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("using --hw from-graph"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"hardware\":\"from-graph\""), std::string::npos) << r.out;
}

TEST(DefaultsCli, BenchesTakeTheGraphsHardwareToo) {
  for (const std::string bench :
       {"bench simulate --seconds 0.05", "bench policy --repeats 1", "bench learner --batches 1"}) {
    const CliResult r = RunCli(bench + " --json --graph " + kGraph);
    ASSERT_EQ(r.exit_code, 0) << bench << ": " << r.err;
    EXPECT_NE(r.err.find("using --hw from-graph"), std::string::npos) << bench << ": " << r.err;
  }
  const CliResult r = RunCli("bench simulate --seconds 0.05 --json --graph " + kGraph);
  EXPECT_NE(r.out.find("\"hw\":\"from-graph\""), std::string::npos) << r.out;
}

TEST(DefaultsCli, GivenHwIsKeptAndNotAnnounced) {
  const std::string hw = "/tmp/mcmpart_defaults_cli_big.toml";
  std::ofstream(hw) << "base = \"mcm8-ring\"\nname = \"big-sram\"\n[chiplet]\nsram_mib = 1024\n";
  const CliResult r =
      RunCli("search --strategy greedy --evaluator maxload --budget 2 --json --hw " + hw +
             " --graph " + kGraph);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err_lines(), 0) << r.err;
  EXPECT_NE(r.out.find("\"hardware\":\"big-sram\""), std::string::npos) << r.out;
  const std::string config = "/tmp/mcmpart_defaults_cli_hw.toml";
  std::ofstream(config) << "[run]\nhw = \"" << hw << "\"\n";
  const CliResult c = RunCli(
      "search --strategy greedy --evaluator maxload --budget 2 --json "
      "--config " +
      config + " --graph " + kGraph);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.err_lines(), 0) << c.err;
  EXPECT_NE(c.out.find("\"hardware\":\"big-sram\""), std::string::npos) << c.out;
}

TEST(DefaultsCli, OtherGraphsKeepTheDefaultPreset) {
  const CliResult r =
      RunCli("search --strategy greedy --evaluator maxload --budget 2 --json --graph bert-tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err_lines(), 0) << r.err;
  EXPECT_NE(r.out.find("\"hardware\":\"mcm8-ring\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mcmpart::testing
