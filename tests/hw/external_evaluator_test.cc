// The exec: evaluator against tests/hw/tiny_evaluator.py: replies, every kind of failure, no
// orphans.
#include "hw/external_evaluator.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/graph.h"

namespace mcmpart::hw {
namespace {

using common::Graph;

std::string Tiny(const std::string& mode) {
  return "/usr/bin/python3 " MCMPART_SOURCE_DIR "/tests/hw/tiny_evaluator.py " + mode;
}

Graph Chain() {
  Graph g;
  for (const char* name : {"a", "b", "c"}) {
    common::Node n;
    n.name = name;
    n.op = "Given";
    n.op_class = common::OpClass::kGiven;
    n.latency_s = 1e-3;
    n.output_bytes = 100;
    g.AddNode(n);
  }
  g.AddEdge(0, 1);
  g.AddEdge(1, 2);
  EXPECT_TRUE(g.Finalize().ok());
  return g;
}

Hardware TwoChips() {
  Hardware hw;
  hw.name = "test";
  hw.num_chips = 2;
  hw.topology = Topology::kChain;
  return hw;
}

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

class ExternalEvaluatorTest : public ::testing::Test {
 protected:
  std::unique_ptr<ExternalEvaluator> Start(const std::string& mode, double timeout_s = 10) {
    auto eval = ExternalEvaluator::Start(Tiny(mode), graph_, hw_, timeout_s);
    EXPECT_TRUE(eval.ok()) << eval.status().message();
    return eval.ok() ? std::move(eval).value() : nullptr;
  }
  // Evaluates once with `mode`, expects a failure whose message holds `what`, and that the
  // program is gone once the evaluator is.
  void ExpectFailure(const std::string& mode, const std::string& what, double timeout_s = 10) {
    auto eval = Start(mode, timeout_s);
    ASSERT_NE(eval, nullptr);
    const pid_t pid = eval->pid();
    const Metrics m = eval->Evaluate({0, 0, 1});
    EXPECT_EQ(m.throughput, 0.0);
    const std::string message = eval->status().message();
    EXPECT_FALSE(eval->status().ok()) << mode;
    EXPECT_NE(message.find("evaluator 'exec:" + Tiny(mode) + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(eval->Evaluate({0, 1, 1}).throughput, 0.0);  // failed for good
    EXPECT_EQ(eval->status().message(), message);
    eval.reset();
    EXPECT_TRUE(ProcessGone(pid)) << mode;
  }

  Graph graph_ = Chain();
  Hardware hw_ = TwoChips();
};

TEST_F(ExternalEvaluatorTest, RepliesBecomeMetrics) {
  auto eval = Start("good");
  ASSERT_NE(eval, nullptr);
  const pid_t pid = eval->pid();
  Metrics m = eval->Evaluate({0, 0, 1});
  ASSERT_TRUE(eval->status().ok()) << eval->status().message();
  EXPECT_DOUBLE_EQ(m.throughput, 2.0);
  EXPECT_DOUBLE_EQ(m.time_per_sample_s, 0.5);
  EXPECT_DOUBLE_EQ(m.latency_s, 5.0);  // 3 nodes + 2 chips, read from the init line
  EXPECT_EQ(m.chip_busy_s, (std::vector<double>{2.0, 1.0}));
  EXPECT_EQ(m.chip_sram_bytes.size(), 2u);
  EXPECT_EQ(m.bottleneck, "chip 0");
  m = eval->Evaluate({0, 1, 1});
  EXPECT_DOUBLE_EQ(m.throughput, 3.0);
  EXPECT_EQ(m.bottleneck, "chip 1");
  EXPECT_TRUE(eval->status().ok());
  eval.reset();
  EXPECT_TRUE(ProcessGone(pid));
}

TEST_F(ExternalEvaluatorTest, MakeEvaluatorStartsAnExecSpec) {
  common::RunConfig run;
  auto spec = common::ParseEvaluatorSpec("exec:" + Tiny("good"), "run.evaluator");
  ASSERT_TRUE(spec.ok());
  run.evaluator = *spec;
  auto eval = MakeEvaluator(run, graph_, hw_);
  ASSERT_TRUE(eval.ok()) << eval.status().message();
  EXPECT_STREQ((*eval)->name(), "exec");
  EXPECT_DOUBLE_EQ((*eval)->Evaluate({1, 1, 1}).throughput, 4.0);
  EXPECT_EQ(common::EnumName(run.evaluator), "exec:" + Tiny("good"));
}

TEST_F(ExternalEvaluatorTest, GarbageIsQuoted) {
  ExpectFailure("garbage", "reply to request 0 is not a JSON object: 'garbage out'");
}

TEST_F(ExternalEvaluatorTest, SilenceTimesOut) {
  const auto start = std::chrono::steady_clock::now();
  ExpectFailure("silence",
                "request 0: no reply within 0.3 s (--evaluator-timeout-s); it sent nothing", 0.3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ExternalEvaluatorTest, ExitIsReported) {
  ExpectFailure("exit",
                "request 0: the program exited with status 3 before replying; it sent nothing");
  ExpectFailure("early-exit", "exited with status 4");
}

TEST_F(ExternalEvaluatorTest, BadRepliesAreNamed) {
  ExpectFailure("wrong-id", "reply to request 0 names another id: '{\"id\": 7,");
  ExpectFailure("no-throughput", "reply to request 0 lacks \"throughput\" as a finite number >= 0");
  ExpectFailure("short-busy", "has \"chip_busy_s\" that is not 2 numbers");
}

TEST(ExternalCommandArgv, SplitsQuotesAndFindsThePrograms) {
  auto argv = ExternalCommandArgv("sh -c 'echo \"a b\"' x\\ y");
  ASSERT_TRUE(argv.ok()) << argv.status().message();
  EXPECT_EQ(argv->size(), 4u);
  EXPECT_EQ((*argv)[0].back(), 'h');
  EXPECT_NE((*argv)[0].find('/'), std::string::npos);  // resolved on PATH
  EXPECT_EQ((*argv)[2], "echo \"a b\"");
  EXPECT_EQ((*argv)[3], "x y");
  argv = ExternalCommandArgv("cat | cat");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, (std::vector<std::string>{"/bin/sh", "-c", "cat | cat"}));
  EXPECT_EQ(ExternalCommandArgv("no-such-evaluator-program --x").status().message(),
            "evaluator 'exec:no-such-evaluator-program --x': program 'no-such-evaluator-program' "
            "is not on PATH");
  EXPECT_EQ(ExternalCommandArgv("./missing.py").status().message(),
            "evaluator 'exec:./missing.py': program './missing.py' does not exist or is not "
            "executable");
  EXPECT_EQ(ExternalCommandArgv("python3 'x").status().message(),
            "evaluator 'exec:python3 'x': unterminated ' quote");
  EXPECT_FALSE(common::ParseEvaluatorSpec("exec: ", "run.evaluator").ok());
  EXPECT_EQ(common::ParseEvaluatorSpec("fast", "run.evaluator").status().message(),
            "run.evaluator must be maxload or cycle, got 'fast'");
}

}  // namespace
}  // namespace mcmpart::hw
