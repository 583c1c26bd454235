// `mcmpart eval`: zero-shot decoding of a checkpoint, DP's partition as the reference, and the
// `pretrained` name (cli/pretrained.h) with the network shape taken from the checkpoint.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/cli/run_cli.h"

namespace mcmpart {
namespace {

using testing::CliResult;
using testing::RunCli;

constexpr const char* kMpi =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -q -n 2 --oversubscribe";
// A policy narrower than the defaults, so that reading it needs its own shape.
constexpr const char* kShape = " --hidden 16 --attention-heads 2";
constexpr const char* kRun = " --graph bert-mini --evaluator maxload";

class EvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir_template[] = "/tmp/mcmpart_eval_XXXXXX";
    dir_ = mkdtemp(dir_template);
    const CliResult made = RunCli(std::string("train --budget 16 --batch-size 8 --minibatch 8") +
                                      kShape + kRun + " --out " + dir_ + "/run.h5",
                                  kMpi);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ckpt_ = dir_ + "/run.h5.ckpt";
  }
  static void TearDownTestSuite() { std::system(("rm -rf " + dir_).c_str()); }

  static nlohmann::json Json(const CliResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  static std::string dir_, ckpt_;
};
std::string EvalCli::dir_, EvalCli::ckpt_;

TEST_F(EvalCli, ReportsQualityAsAFractionOfDpsPartition) {
  const nlohmann::json e =
      Json(RunCli("eval --checkpoint " + ckpt_ + kShape + kRun + " --samples 8 --json"));
  ASSERT_TRUE(e["dp"]["valid"].get<bool>()) << e.dump();
  // DP's partition scored here equals what `search --strategy dp` reports for it.
  const nlohmann::json dp = Json(RunCli(std::string("search --strategy dp --json") + kRun));
  EXPECT_DOUBLE_EQ(e["dp"]["throughput"].get<double>(), dp["best_throughput"].get<double>());
  ASSERT_TRUE(e["greedy"]["valid"].get<bool>()) << e.dump();
  EXPECT_DOUBLE_EQ(e["greedy_of_dp"].get<double>(),
                   e["greedy"]["throughput"].get<double>() / dp["best_throughput"].get<double>());
  EXPECT_DOUBLE_EQ(e["best_of_dp"].get<double>(),
                   e["best_throughput"].get<double>() / dp["best_throughput"].get<double>());
  EXPECT_GE(e["best_throughput"].get<double>(), e["greedy"]["throughput"].get<double>());
  const nlohmann::json no_dp =
      Json(RunCli("eval --checkpoint " + ckpt_ + kShape + kRun + " --samples 8 --no-dp --json"));
  EXPECT_TRUE(no_dp["dp"].is_null());
  EXPECT_TRUE(no_dp["best_of_dp"].is_null());
  EXPECT_EQ(no_dp["best_throughput"], e["best_throughput"]);  // the same decodings
}

TEST_F(EvalCli, TemperaturesSoftenTheSamplesAndLeaveGreedyAlone) {
  const std::string eval = "eval --checkpoint " + ckpt_ + kShape + kRun + " --no-dp --json";
  const nlohmann::json plain = Json(RunCli(eval + " --samples 8"));
  EXPECT_EQ(plain["temperatures"], nlohmann::json::array({1.0}));
  // Temperature 1 is the default: the same draws.
  const nlohmann::json one = Json(RunCli(eval + " --samples 8 --temperature 1"));
  EXPECT_EQ(one["sampled"]["partition"], plain["sampled"]["partition"]);
  // Near zero every sample is the argmax: the greedy decoding.
  const nlohmann::json cold = Json(RunCli(eval + " --samples 8 --temperature 0.01"));
  EXPECT_EQ(cold["greedy"]["partition"], plain["greedy"]["partition"]);
  EXPECT_EQ(cold["sampled"]["partition"], cold["greedy"]["partition"]);
  EXPECT_EQ(cold["valid_fraction"], 1.0);
  // A list splits the samples; the best names the temperature it was drawn at.
  const nlohmann::json ladder = Json(RunCli(eval + " --samples 9 --temperature 0.01,50"));
  EXPECT_EQ(ladder["greedy"]["partition"], plain["greedy"]["partition"]);
  EXPECT_EQ(ladder["temperatures"], nlohmann::json::array({0.01, 50.0}));
  const double at = ladder["sampled_temperature"].get<double>();
  EXPECT_TRUE(at == 0.01 || at == 50.0) << ladder.dump();
  if (at == 0.01) {
    EXPECT_EQ(ladder["sampled"]["partition"], plain["greedy"]["partition"]);
  }
  // Bad input: named, exit 2.
  for (const auto& [bad, named] : std::vector<std::pair<std::string, std::string>>{
           {"0", "--temperature 0 must be in [0.01, 100]"},
           {"200", "--temperature 200 must be in [0.01, 100]"},
           {"1,abc", "abc"}}) {
    const CliResult r = RunCli(eval + " --temperature " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
  }
}

TEST_F(EvalCli, PretrainedNamesTheShippedPolicyWithItsOwnShape) {
  const std::string env = "MCMPART_PRETRAINED=" + ckpt_;
  const nlohmann::json given =
      Json(RunCli("eval --checkpoint " + ckpt_ + kShape + kRun + " --samples 4 --no-dp --json"));
  // No shape flags: the network's shape comes from the checkpoint.
  const nlohmann::json named = Json(RunCli(
      std::string("eval --checkpoint pretrained") + kRun + " --samples 4 --no-dp --json", env));
  EXPECT_EQ(named["checkpoint"], ckpt_);
  EXPECT_EQ(named["greedy"]["partition"], given["greedy"]["partition"]);
  EXPECT_EQ(named["best_throughput"], given["best_throughput"]);
  // The same path given directly, with the default shape, is another network: refused.
  CliResult wrong = RunCli("eval --checkpoint " + ckpt_ + kRun + " --no-dp");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  // Fine-tuning from it, again without shape flags.
  const CliResult tuned = RunCli(std::string("train --budget 8 --batch-size 8 --minibatch 8") +
                                     kRun + " --init-from pretrained --out " + dir_ + "/ft.h5",
                                 env + " " + kMpi);
  EXPECT_EQ(tuned.exit_code, 0) << tuned.err;
}

TEST_F(EvalCli, PretrainedThatCannotBeFoundIsBadInput) {
  const std::string missing = dir_ + "/nowhere.ckpt";
  CliResult r =
      RunCli(std::string("eval --checkpoint pretrained") + kRun, "MCMPART_PRETRAINED=" + missing);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--checkpoint pretrained: MCMPART_PRETRAINED names '" + missing),
            std::string::npos)
      << r.err;
  r = RunCli(std::string("train --budget 8") + kRun + " --init-from pretrained --out " + dir_ +
                 "/never.h5",
             "MCMPART_PRETRAINED=" + missing);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--init-from pretrained"), std::string::npos) << r.err;
  EXPECT_NE(access((dir_ + "/never.h5").c_str(), F_OK), 0);
  r = RunCli("eval" + std::string(kRun));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--checkpoint CKPT (or 'pretrained') is required"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace mcmpart
