// `mcmpart` and `mcmpart train` on bad input: one clear message, exit code 2, nothing written.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/run_cli.h"

namespace mcmpart {
namespace {

using testing::RunCli;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void ExpectBadInput(const testing::CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

TEST(TrainCli, UnknownSubcommand) {
  ExpectBadInput(RunCli("frobnicate"), "unknown command 'frobnicate'");
}

TEST(TrainCli, UnknownFlag) { ExpectBadInput(RunCli("train --bogus 3"), "bogus"); }

TEST(TrainCli, BadFlagValue) {
  ExpectBadInput(RunCli("train --budget many"), "budget");
  ExpectBadInput(RunCli("train --budget 0"), "config: run.budget must be >= 1");
  ExpectBadInput(RunCli("train --evaluator fast"),
                 "--evaluator: run.evaluator must be maxload or cycle, got 'fast'");
  ExpectBadInput(RunCli("train --repair-mode fix"),
                 "--repair-mode: actor.repair_mode must be repair or penalty, got 'fix'");
}

TEST(TrainCli, LastRankDelayIsNoFlag) {
  ExpectBadInput(RunCli("train --last-rank-delay-ms 150"), "last-rank-delay-ms");
}

TEST(TrainCli, MissingConfigFile) {
  ExpectBadInput(RunCli("train --config /nonexistent/run.toml"), "/nonexistent/run.toml");
}

TEST(TrainCli, BadConfigKeyNamesFileAndKey) {
  const std::string path = ::testing::TempDir() + "/bad_key.toml";
  std::ofstream(path) << "[run]\nbudgte = 3\n";
  ExpectBadInput(RunCli("train --config " + path), "run.budgte");
}

TEST(TrainCli, UnknownGraphAndHardware) {
  ExpectBadInput(RunCli("train --graph no-such-model"), "no-such-model");
  ExpectBadInput(RunCli("train --hw no-such-preset"), "no-such-preset");
}

TEST(TrainCli, BertBaseDoesNotFitOnTwoChiplets) {
  const std::string path = ::testing::TempDir() + "/two_chips.toml";
  std::ofstream(path) << "base = \"mcm8-ring\"\nnum_chips = 2\n";
  const std::string out = ::testing::TempDir() + "/never.h5";
  std::remove(out.c_str());
  auto r = RunCli("train --hw " + path + " --out " + out);
  ExpectBadInput(r, "cannot be partitioned");
  EXPECT_FALSE(Exists(out));
}

// A corpus entry GRAPH@HW with a bad graph, bad hardware, too many chips for the policy or no
// room for the graph: one message naming the entry, exit 2, no run file.
TEST(TrainCli, BadCorpusEntryIsNamed) {
  const std::string out = ::testing::TempDir() + "/bad_entry.h5";
  std::remove(out.c_str());
  const std::string flags = " --budget 8 --out " + out;
  auto bad_hw = RunCli("train --graph bert-tiny+bert-mini@nope" + flags);
  ExpectBadInput(bad_hw, "--graph entry 'bert-mini@nope'");
  EXPECT_NE(bad_hw.err.find("nope"), std::string::npos) << bad_hw.err;
  ExpectBadInput(RunCli("train --graph x@mcm8-ring" + flags), "--graph entry 'x@mcm8-ring'");
  ExpectBadInput(RunCli("train --graph bert-mini@" + flags), "--graph entry 'bert-mini@'");
  ExpectBadInput(RunCli("train --graph @mcm8-ring" + flags), "expected GRAPH@HW");
  auto too_many = RunCli("train --graph bert-mini@mcm8x16-mesh" + flags);
  ExpectBadInput(too_many, "--graph entry 'bert-mini@mcm8x16-mesh'");
  EXPECT_NE(too_many.err.find("--max-chips 16"), std::string::npos) << too_many.err;
  const std::string two_chips = ::testing::TempDir() + "/entry_two_chips.toml";
  std::ofstream(two_chips) << "base = \"mcm8-ring\"\nnum_chips = 2\n";
  auto no_room = RunCli("train --graph bert-tiny+bert-base@" + two_chips + flags);
  ExpectBadInput(no_room, "--graph entry 'bert-base@" + two_chips + "'");
  EXPECT_NE(no_room.err.find("cannot be partitioned"), std::string::npos) << no_room.err;
  ExpectBadInput(RunCli("train --graph bert-tiny --heldout bert-mini@nope" + flags),
                 "--heldout entry 'bert-mini@nope'");
  // An entry on --hw is named too when it is one of several.
  ExpectBadInput(RunCli("train --graph bert-tiny+bert-base --hw " + two_chips + flags),
                 "--graph entry 'bert-base': graph 'bert-base' cannot be partitioned");
  EXPECT_FALSE(Exists(out));
}

TEST(TrainCli, RefusesToOverwriteARunFile) {
  const std::string out = ::testing::TempDir() + "/existing.h5";
  std::ofstream(out) << "precious";
  auto r = RunCli("train --out " + out);
  ExpectBadInput(r, "already exists");
  EXPECT_EQ(testing::Slurp(out), "precious");
}

TEST(TrainCli, SingleRankExplainsHowToLaunch) {
  ExpectBadInput(RunCli("train --budget 4"), "mpirun");
}

TEST(TrainCli, HelpExitsZero) {
  auto r = RunCli("train --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--budget"), std::string::npos);
}

// `text` with every run of whitespace (help lines wrap) as one space.
std::string Flatten(const std::string& text) {
  std::string flat;
  for (char ch : text) {
    const bool space = std::isspace(static_cast<unsigned char>(ch));
    if (!space) {
      flat += ch;
    } else if (!flat.empty() && flat.back() != ' ') {
      flat += ' ';
    }
  }
  return flat;
}

TEST(TrainCli, HelpShowsDefaultsAndAllowedValues) {
  auto r = RunCli("train --help");
  EXPECT_EQ(r.exit_code, 0);
  r.out = Flatten(r.out);
  for (const char* needle :
       {"evaluations before stopping (default 1024, >= 1)",
        "hidden width of the policy network (default 64, in 1..4096)",
        "Adam learning rate (default 0.003, in (0, 10))", "(default cycle, maxload | cycle)",
        "(default repair, repair | penalty)", "the proposal) (default true)"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("last-rank-delay"), std::string::npos) << r.out;
}

constexpr const char* kMpi =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -q -n 2 --oversubscribe";

// --imitate-from: a DP partition of bert-tiny written by `mcmpart partition`, cloned before PPO.
class ImitateCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One folder per process: ctest runs each test of the suite in a process of its own.
    dir_ = new std::string(::testing::TempDir() + "/imitate_cli_" + std::to_string(getpid()));
    std::system(("rm -rf " + *dir_ + " && mkdir -p " + *dir_).c_str());
    const testing::CliResult r = RunCli(
        "partition bert-tiny --hw mcm8-ring --evaluator maxload "
        "--time-limit-s 1 --json --out-dir " +
        *dir_ + "/dp");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    partition_ = new std::string(*dir_ + "/dp/partition.json");
    const auto j = nlohmann::json::parse(r.out);
    target_throughput_ = j["best_throughput"].get<double>();
  }
  static void TearDownTestSuite() {
    std::system(("rm -rf " + *dir_).c_str());
    delete dir_;
    delete partition_;
  }
  static std::string Write(const std::string& name, const std::string& text) {
    const std::string path = *dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // `train` on bert-tiny with these extra arguments (no run file unless given).
  static std::string Train(const std::string& args) {
    return "train --graph bert-tiny --hw mcm8-ring --evaluator maxload " + args;
  }
  static std::string* dir_;
  static std::string* partition_;
  static double target_throughput_;
};
std::string* ImitateCli::dir_ = nullptr;
std::string* ImitateCli::partition_ = nullptr;
double ImitateCli::target_throughput_ = 0;

// Bad targets are found before MPI starts: exit 2, one line naming the file and the entry, and
// no run file.
TEST_F(ImitateCli, BadTargetsExitTwoNamingThem) {
  const std::string out = *dir_ + "/never.h5";
  const std::string o = " --out " + out;
  ExpectBadInput(RunCli(Train("--imitate-from " + *dir_ + "/missing.json" + o)), "missing.json");
  ExpectBadInput(RunCli(Train("--imitate-from " + Write("junk.json", "[1, 2") + o)),
                 "junk.json': expected a JSON object");
  const std::string mini = Write(
      "mini.json", R"({"targets": [{"graph": "bert-mini", "partition": "dp/partition.json"}]})");
  ExpectBadInput(RunCli(Train("--imitate-from " + mini + o)),
                 "targets[0]: graph 'bert-mini' is not an entry of --graph");
  // bert-tiny's partition for bert-mini: the sizes differ.
  ExpectBadInput(RunCli("train --graph bert-mini --hw mcm8-ring --imitate-from " + mini + o),
                 "entries but graph");
  ExpectBadInput(
      RunCli("train --graph bert-tiny+bert-mini --hw mcm8-ring --imitate-from " + *partition_ + o),
      "serves a run of one graph");
  const std::string twice = Write("twice.json", R"({"targets": [
      {"graph": "bert-tiny", "partition": "dp/partition.json"},
      {"graph": "bert-tiny", "partition": "dp/partition.json"}]})");
  ExpectBadInput(RunCli(Train("--imitate-from " + twice + o)), "targets[1]: graph 'bert-tiny'");
  ExpectBadInput(RunCli(Train("--imitate-from " + *partition_ + " --imitate-lr 0" + o)),
                 "ppo.imitate_lr");
  EXPECT_FALSE(Exists(out));
}

// A run that clones the DP partition: its JSON summary reports the target (scored as
// `partition` scored it, no forced step) and a greedy decode that reproduces it; the first
// batch, sampled from the cloned policy, already finds a partition as good as the target; the
// checkpoint written after cloning lets --resume go on without cloning again.
TEST_F(ImitateCli, TrainClonesThenResumesWithoutCloning) {
  const std::string run = *dir_ + "/run.h5";
  std::remove(run.c_str());
  std::remove((run + ".ckpt").c_str());
  const std::string manifest =
      Write("manifest.json",
            R"({"targets": [{"graph": "bert-tiny", "partition": "dp/partition.json"}]})");
  const testing::CliResult r =
      RunCli(Train("--imitate-from " + manifest +
                   " --imitate-steps 100 --budget 32 --batch-size 32 --json --out " + run),
             kMpi);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[imitate] step 0/100"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[imitate] step 100/100"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& im = j["imitation"];
  ASSERT_TRUE(im.is_object()) << r.out;
  EXPECT_EQ(im["steps"], 100);
  ASSERT_EQ(im["targets"].size(), 1u);
  const auto& t = im["targets"][0];
  EXPECT_EQ(t["forced_steps"], 0);
  EXPECT_GE(t["agreement"].get<double>(), 0.95);
  EXPECT_NEAR(t["throughput"].get<double>(), target_throughput_, 1e-6 * target_throughput_);
  // The DAgger expert's own split as `search --strategy chain` scores it.
  const testing::CliResult chain = RunCli(
      "search --strategy chain --graph bert-tiny --hw mcm8-ring --evaluator maxload "
      "--budget 1 --json");
  ASSERT_EQ(chain.exit_code, 0) << chain.err;
  const double expert = nlohmann::json::parse(chain.out)["best_throughput"].get<double>();
  EXPECT_GT(expert, 0.0);
  EXPECT_NEAR(t["expert_throughput"].get<double>(), expert, 1e-9 * expert);
  EXPECT_GE(j["first_batch_best_throughput"].get<double>(), 0.999 * target_throughput_);
  const testing::CliResult resumed = RunCli("train --resume " + run + " --budget 64 --json", kMpi);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.err.find("[imitate]"), std::string::npos) << resumed.err;
  EXPECT_TRUE(nlohmann::json::parse(resumed.out)["imitation"].is_null());
}

}  // namespace
}  // namespace mcmpart
