// Run file tests: every field round-trips through RunLog and RunReader, h5py reads the same
// values, the periodic flush commits rows while the writer is open, bad input fails cleanly.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/bert.h"
#include "common/graph.h"
#include "learner/run_log.h"
#include "learner/run_reader.h"

namespace mcmpart::learner {
namespace {

namespace fs = std::filesystem;
using common::Graph;
using common::Partition;

std::string TempPath(const std::string& name) {
  fs::path dir = fs::path(testing::TempDir()) / ("mcmpart_run_log_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

Graph ChainGraph(const std::string& name, int n) {
  Graph g;
  g.name = name;
  for (int i = 0; i < n; ++i) {
    common::Node node;
    node.name = "node" + std::to_string(i);
    node.op = i % 3 == 0 ? "MatMul" : "Add";
    node.output_bytes = 100 + i;
    g.AddNode(node);
    if (i > 0) g.AddEdge(i - 1, i);
    if (i > 1) g.AddEdge(i - 2, i);
  }
  EXPECT_TRUE(g.Finalize().ok());
  return g;
}

struct Fixture {
  Graph bert;
  Graph chain = ChainGraph("tiny/chain", 5);
  std::vector<const Graph*> graphs;
  RunMeta meta;

  Fixture() {
    auto b = common::MakeBuiltinGraph("bert:layers=1,hidden=64,heads=2,seq=16");
    EXPECT_TRUE(b.ok());
    bert = std::move(b).value();
    graphs = {&bert, &chain};
    meta.config_text = "[run]\nseed = 7\n";
    meta.hardware_text = "num_chips = 4\n";
    meta.graph_names = {"bert-small-test", "tiny/chain"};
    meta.seed = 0xFEDCBA9876543210ull;  // above INT64_MAX: the seed must stay unsigned
    meta.ranks = 5;
    meta.git_revision = "abc123";
    meta.start_time = "2024-05-06T07:08:09+0000";
    meta.command_line = "mcmpart train --seed 7";
    meta.evaluator = "cycle";
  }
};

Partition RandomPartition(int n, int k, std::mt19937_64& rng) {
  Partition p(n);
  for (int& c : p) c = static_cast<int>(rng() % k);
  return p;
}

RolloutRow RandomRollout(int64_t step, const std::vector<const Graph*>& graphs,
                         std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  RolloutRow r;
  r.step = step;
  r.wall_time_s = 0.25 * step + u(rng);
  r.rank = static_cast<int>(rng() % 8);
  r.graph = static_cast<int>(rng() % graphs.size());
  r.policy_version = static_cast<int64_t>(rng() % 1000) + (int64_t{1} << 40);
  r.policy_lag = static_cast<int>(rng() % 4);
  const char* kStrategies[] = {"rl", "random", "anneal", "sixteen_chars_xx"};
  r.strategy = kStrategies[rng() % 4];
  r.reward = u(rng);
  r.throughput = 1e4 * (1 + u(rng));
  r.latency_s = 1e-3 * (1 + u(rng));
  r.valid = rng() % 2;
  r.proposal_valid = rng() % 2;
  r.repair_status = static_cast<int>(rng() % 4);
  r.changed_nodes = static_cast<int>(rng() % 100);
  r.repair_ms = 10 * (1 + u(rng));
  r.eval_ms = 1 + u(rng);
  r.inference_ms = 2 + u(rng);
  const int n = graphs[r.graph]->num_nodes();
  if (rng() % 4 != 0) r.proposal = RandomPartition(n, 4, rng);
  r.partition = RandomPartition(n, 4, rng);
  return r;
}

LearnerRow RandomLearner(int64_t update, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  LearnerRow l;
  l.update = update;
  l.samples_seen = 64 * (update + 1);
  l.wall_time_s = update + u(rng);
  l.policy_version = update + 1;
  l.policy_loss = u(rng);
  l.value_loss = u(rng);
  l.entropy = u(rng);
  l.approx_kl = u(rng);
  l.clip_fraction = u(rng);
  l.grad_norm = u(rng);
  l.learning_rate = u(rng);
  l.lag_mean = u(rng);
  l.lag_max = u(rng);
  l.queue_depth = u(rng);
  l.reward_mean = u(rng);
  l.best_throughput = u(rng);
  l.update_ms = u(rng);
  l.broadcast_ms = u(rng);
  l.log_ms = u(rng);
  l.idle_ms = u(rng);
  l.epochs_run = static_cast<int>(rng() % 10);
  return l;
}

void ExpectSameRollout(const RolloutRow& a, const RolloutRow& b, bool partitions) {
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.wall_time_s, b.wall_time_s);
  EXPECT_EQ(a.rank, b.rank);
  EXPECT_EQ(a.graph, b.graph);
  EXPECT_EQ(a.policy_version, b.policy_version);
  EXPECT_EQ(a.policy_lag, b.policy_lag);
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.reward, b.reward);
  EXPECT_EQ(a.throughput, b.throughput);
  EXPECT_EQ(a.latency_s, b.latency_s);
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_EQ(a.proposal_valid, b.proposal_valid);
  EXPECT_EQ(a.repair_status, b.repair_status);
  EXPECT_EQ(a.changed_nodes, b.changed_nodes);
  EXPECT_EQ(a.repair_ms, b.repair_ms);
  EXPECT_EQ(a.eval_ms, b.eval_ms);
  EXPECT_EQ(a.inference_ms, b.inference_ms);
  if (partitions) {
    EXPECT_EQ(a.proposal, b.proposal);
    EXPECT_EQ(a.partition, b.partition);
  } else {
    EXPECT_TRUE(b.proposal.empty());
    EXPECT_TRUE(b.partition.empty());
  }
}

void ExpectSameLearner(const LearnerRow& a, const LearnerRow& b) {
  EXPECT_EQ(a.update, b.update);
  EXPECT_EQ(a.samples_seen, b.samples_seen);
  EXPECT_EQ(a.wall_time_s, b.wall_time_s);
  EXPECT_EQ(a.policy_version, b.policy_version);
  EXPECT_EQ(a.policy_loss, b.policy_loss);
  EXPECT_EQ(a.value_loss, b.value_loss);
  EXPECT_EQ(a.entropy, b.entropy);
  EXPECT_EQ(a.approx_kl, b.approx_kl);
  EXPECT_EQ(a.clip_fraction, b.clip_fraction);
  EXPECT_EQ(a.grad_norm, b.grad_norm);
  EXPECT_EQ(a.learning_rate, b.learning_rate);
  EXPECT_EQ(a.lag_mean, b.lag_mean);
  EXPECT_EQ(a.lag_max, b.lag_max);
  EXPECT_EQ(a.queue_depth, b.queue_depth);
  EXPECT_EQ(a.reward_mean, b.reward_mean);
  EXPECT_EQ(a.best_throughput, b.best_throughput);
  EXPECT_EQ(a.update_ms, b.update_ms);
  EXPECT_EQ(a.broadcast_ms, b.broadcast_ms);
  EXPECT_EQ(a.log_ms, b.log_ms);
  EXPECT_EQ(a.idle_ms, b.idle_ms);
  EXPECT_EQ(a.epochs_run, b.epochs_run);
}

// Runs a Python snippet (argv[1] = the run file) and returns its stdout; fails the test on a
// non-zero exit.
std::string RunPython(const std::string& script, const std::string& path) {
  const std::string script_path = path + ".py";
  std::ofstream(script_path) << script;
  const std::string cmd = "/usr/bin/python3 " + script_path + " " + path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (pipe && fgets(buf, sizeof(buf), pipe)) out += buf;
  const int rc = pipe ? pclose(pipe) : -1;
  EXPECT_EQ(rc, 0) << out;
  return out;
}

// Parses "key value" lines.
std::map<std::string, std::string> ParseLines(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t sp = line.find(' ');
    if (sp != std::string::npos) kv[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return kv;
}

TEST(RunLog, EveryFieldRoundTripsThroughTheReader) {
  Fixture f;
  const std::string path = TempPath("roundtrip.h5");
  RunLogOptions options;
  options.chunk_rows = 16;  // many chunks, and rows handed to HDF5 between flushes
  options.flush_interval_s = 1000;
  auto log = RunLog::Create(path, f.meta, f.graphs, options);
  ASSERT_TRUE(log.ok()) << log.status().message();
  std::mt19937_64 rng(42);
  std::vector<RolloutRow> rollouts;
  std::vector<LearnerRow> learner;
  for (int i = 0; i < 300; ++i) {
    rollouts.push_back(RandomRollout(i, f.graphs, rng));
    ASSERT_TRUE((*log)->AppendRollout(rollouts.back()).ok());
    if (i % 7 == 0) {
      learner.push_back(RandomLearner(i / 7, rng));
      ASSERT_TRUE((*log)->AppendLearner(learner.back()).ok());
    }
    if (i == 123) {
      ASSERT_TRUE((*log)->Flush().ok());
    }
  }
  EXPECT_EQ((*log)->num_rollouts(), 300);
  EXPECT_EQ((*log)->num_learner_rows(), static_cast<int64_t>(learner.size()));
  const Partition first_best = RandomPartition(f.bert.num_nodes(), 4, rng);
  const Partition best = RandomPartition(f.bert.num_nodes(), 4, rng);
  ASSERT_TRUE((*log)->UpdateBest(0, first_best, 10.0, 3, 0.5).ok());
  ASSERT_TRUE((*log)->UpdateBest(0, best, 12.5, 17, 4.25).ok());
  ASSERT_TRUE((*log)->Close().ok());

  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const RunSummary& s = (*reader)->summary();
  EXPECT_EQ(s.schema_version, kRunSchemaVersion);
  EXPECT_TRUE(s.closed);
  EXPECT_GT(s.last_flush_unix, 0);
  EXPECT_EQ(s.num_rollouts, 300);
  EXPECT_EQ(s.num_learner_rows, static_cast<int64_t>(learner.size()));
  EXPECT_EQ(s.meta.config_text, f.meta.config_text);
  EXPECT_EQ(s.meta.hardware_text, f.meta.hardware_text);
  EXPECT_EQ(s.meta.graph_names, f.meta.graph_names);
  EXPECT_EQ(s.meta.seed, f.meta.seed);
  EXPECT_EQ(s.meta.ranks, f.meta.ranks);
  EXPECT_EQ(s.meta.git_revision, f.meta.git_revision);
  EXPECT_EQ(s.meta.start_time, f.meta.start_time);
  EXPECT_EQ(s.meta.command_line, f.meta.command_line);
  EXPECT_EQ(s.meta.evaluator, f.meta.evaluator);
  ASSERT_EQ(s.graphs.size(), 2u);
  for (size_t gi = 0; gi < 2; ++gi) {
    const Graph& g = *f.graphs[gi];
    EXPECT_EQ(s.graphs[gi].name, f.meta.graph_names[gi]);
    ASSERT_EQ(s.graphs[gi].node_names.size(), g.nodes.size());
    for (int v = 0; v < g.num_nodes(); ++v) {
      EXPECT_EQ(s.graphs[gi].node_names[v], g.nodes[v].name);
      EXPECT_EQ(s.graphs[gi].op_types[v], g.nodes[v].op);
    }
    ASSERT_EQ(s.graphs[gi].edges.size(), g.edges.size());
    for (int e = 0; e < g.num_edges(); ++e) {
      EXPECT_EQ(s.graphs[gi].edges[e], std::make_pair(g.edges[e].src, g.edges[e].dst));
    }
  }
  EXPECT_EQ(s.graphs[1].group.find('/'), std::string::npos);
  ASSERT_EQ(s.best.size(), 2u);
  EXPECT_TRUE(s.best[0].found);
  EXPECT_EQ(s.best[0].partition, best);
  EXPECT_EQ(s.best[0].throughput, 12.5);
  EXPECT_EQ(s.best[0].step, 17);
  EXPECT_EQ(s.best[0].wall_time_s, 4.25);
  EXPECT_FALSE(s.best[1].found);
  EXPECT_TRUE(s.best[1].partition.empty());

  auto all = (*reader)->ReadRollouts(0, 1000, true);
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), rollouts.size());
  for (size_t i = 0; i < rollouts.size(); ++i) ExpectSameRollout(rollouts[i], (*all)[i], true);
  auto slice = (*reader)->ReadRollouts(100, 150, false);
  ASSERT_TRUE(slice.ok());
  ASSERT_EQ(slice->size(), 50u);
  for (size_t i = 0; i < 50; ++i) ExpectSameRollout(rollouts[100 + i], (*slice)[i], false);
  auto lrows = (*reader)->ReadLearner(0, 1 << 20);
  ASSERT_TRUE(lrows.ok());
  ASSERT_EQ(lrows->size(), learner.size());
  for (size_t i = 0; i < learner.size(); ++i) ExpectSameLearner(learner[i], (*lrows)[i]);
}

TEST(RunLog, H5pyReadsTheSameValues) {
  Fixture f;
  const std::string path = TempPath("h5py.h5");
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  std::mt19937_64 rng(7);
  std::vector<RolloutRow> rows;
  int64_t step_sum = 0;
  double reward_sum = 0;
  std::map<std::string, int> per_strategy;
  for (int i = 0; i < 57; ++i) {
    rows.push_back(RandomRollout(i * 3, f.graphs, rng));
    step_sum += rows.back().step;
    reward_sum += rows.back().reward;
    ++per_strategy[rows.back().strategy];
    ASSERT_TRUE((*log)->AppendRollout(rows.back()).ok());
  }
  ASSERT_TRUE((*log)->AppendLearner(RandomLearner(0, rng)).ok());
  const Partition best = RandomPartition(f.chain.num_nodes(), 4, rng);
  ASSERT_TRUE((*log)->UpdateBest(1, best, 99.5, 12, 1.5).ok());
  ASSERT_TRUE((*log)->Close().ok());

  const std::string out = RunPython(R"(
import sys, collections, h5py, numpy as np
f = h5py.File(sys.argv[1], "r", swmr=True)
r = f["rollouts"]
n = int(f["status/rollout_rows"][()])
print("schema", f.attrs["schema_version"])
print("rows", n, len(r["step"]), r["partition"].shape[0])
print("step_sum", int(r["step"][:n].sum()))
print("reward_sum", repr(float(r["reward"][:n].sum())))
c = collections.Counter(s.decode() for s in r["strategy"][:n])
print("strategies", " ".join(f"{k}={c[k]}" for k in sorted(c)))
g = int(r["graph"][5]); nodes = len(f["graphs"][f["meta/graph_groups"][g].decode()]["node_names"])
print("partition5", " ".join(str(x) for x in r["partition"][5][:nodes]))
print("pad5", int((r["partition"][5][nodes:] != -1).sum()))
grp = f["meta/graph_groups"][1].decode()
print("best", repr(float(f["best"][grp]["throughput"][()])), int(f["best"][grp]["step"][()]),
      " ".join(str(x) for x in f["best"][grp]["partition"][:]))
print("seed", f["meta"].attrs["seed"])
print("names", " ".join(x.decode() for x in f["graphs"][grp]["node_names"][:]))
print("config", repr(f["meta/config"][()].decode()))
print("learner", len(f["learner/update"]))
print("compressed", r["partition"].compression, r["reward"].chunks is not None, r["reward"].maxshape)
)", path);
  auto kv = ParseLines(out);
  EXPECT_EQ(kv["schema"], std::to_string(kRunSchemaVersion)) << out;
  EXPECT_EQ(kv["rows"], "57 57 57");
  EXPECT_EQ(kv["step_sum"], std::to_string(step_sum));
  EXPECT_NEAR(std::stod(kv["reward_sum"]), reward_sum, 1e-9);
  std::string expected_strategies;
  for (const auto& [name, count] : per_strategy) {
    expected_strategies += (expected_strategies.empty() ? "" : " ") + name + "=" + std::to_string(count);
  }
  EXPECT_EQ(kv["strategies"], expected_strategies);
  std::string p5;
  for (int c : rows[5].partition) p5 += (p5.empty() ? "" : " ") + std::to_string(c);
  EXPECT_EQ(kv["partition5"], p5);
  EXPECT_EQ(kv["pad5"], "0");
  std::string best_text = "99.5 12";
  for (int c : best) best_text += " " + std::to_string(c);
  EXPECT_EQ(kv["best"], best_text);
  EXPECT_EQ(kv["seed"], std::to_string(f.meta.seed));
  EXPECT_EQ(kv["names"], "node0 node1 node2 node3 node4");
  EXPECT_EQ(kv["config"], "'[run]\\nseed = 7\\n'");
  EXPECT_EQ(kv["learner"], "1");
  EXPECT_EQ(kv["compressed"], "gzip True (None,)");
}

TEST(RunLog, PeriodicFlushCommitsRowsWhileTheWriterIsOpen) {
  Fixture f;
  const std::string path = TempPath("timer.h5");
  RunLogOptions options;
  options.flush_interval_s = 0.1;
  auto log = RunLog::Create(path, f.meta, f.graphs, options);
  ASSERT_TRUE(log.ok()) << log.status().message();
  std::mt19937_64 rng(3);
  // Appended back to back: well within one interval, so only the timer can commit the last ones.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->AppendRollout(RandomRollout(i, f.graphs, rng)).ok());
  ASSERT_TRUE((*log)->AppendLearner(RandomLearner(0, rng)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const std::string out = RunPython(R"(
import sys, h5py
f = h5py.File(sys.argv[1], "r", swmr=True)
print("rows", int(f["status/rollout_rows"][()]), len(f["rollouts/step"]), int(f["status/learner_rows"][()]))
print("closed", int(f["status/closed"][()]))
)", path);
  auto kv = ParseLines(out);
  EXPECT_EQ(kv["rows"], "5 5 1") << out;
  EXPECT_EQ(kv["closed"], "0");
  ASSERT_TRUE((*log)->Close().ok());
}

TEST(RunLog, ReopenAppendsAfterTheLastRow) {
  Fixture f;
  const std::string path = TempPath("append.h5");
  std::mt19937_64 rng(11);
  std::vector<RolloutRow> rows;
  {
    auto log = RunLog::Create(path, f.meta, f.graphs);
    ASSERT_TRUE(log.ok()) << log.status().message();
    for (int i = 0; i < 10; ++i) {
      rows.push_back(RandomRollout(i, f.graphs, rng));
      ASSERT_TRUE((*log)->AppendRollout(rows.back()).ok());
    }
    ASSERT_TRUE((*log)->Close().ok());
  }
  {
    auto log = RunLog::OpenForAppend(path);
    ASSERT_TRUE(log.ok()) << log.status().message();
    EXPECT_EQ((*log)->num_rollouts(), 10);
    for (int i = 10; i < 15; ++i) {
      rows.push_back(RandomRollout(i, f.graphs, rng));
      ASSERT_TRUE((*log)->AppendRollout(rows.back()).ok());
    }
    // Destruction without Close still flushes and closes.
  }
  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_TRUE((*reader)->summary().closed);
  auto all = (*reader)->ReadRollouts(0, 100, true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 15u);
  for (size_t i = 0; i < 15; ++i) ExpectSameRollout(rows[i], (*all)[i], true);
}

TEST(RunLog, CreateReplacesAnExistingFileAndLeavesNoTempFile) {
  Fixture f;
  const std::string path = TempPath("replace.h5");
  std::ofstream(path) << "old contents";
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_TRUE((*log)->Close().ok());
  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->summary().num_rollouts, 0);
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path())) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST(RunLog, BadInputFailsWithAMessageAndLeavesNothing) {
  Fixture f;
  auto missing_dir = RunLog::Create("/nonexistent-dir/run.h5", f.meta, f.graphs);
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.status().message().find("/nonexistent-dir/run.h5"), std::string::npos);

  // The target is a folder: the rename fails and the temporary file is removed.
  const std::string dir_target = TempPath("a_folder.h5");
  fs::create_directories(dir_target);
  auto onto_dir = RunLog::Create(dir_target, f.meta, f.graphs);
  ASSERT_FALSE(onto_dir.ok());
  for (const auto& entry : fs::directory_iterator(fs::path(dir_target).parent_path())) {
    EXPECT_EQ(entry.path().string().find("a_folder.h5.tmp-"), std::string::npos) << entry.path();
  }

  RunMeta wrong_names = f.meta;
  wrong_names.graph_names = {"only-one"};
  EXPECT_FALSE(RunLog::Create(TempPath("names.h5"), wrong_names, f.graphs).ok());
  EXPECT_FALSE(fs::exists(TempPath("names.h5")));
  RunLogOptions bad_level;
  bad_level.compression = 12;
  EXPECT_FALSE(RunLog::Create(TempPath("level.h5"), f.meta, f.graphs, bad_level).ok());

  const std::string path = TempPath("bad_rows.h5");
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  std::mt19937_64 rng(5);
  RolloutRow bad_graph = RandomRollout(0, f.graphs, rng);
  bad_graph.graph = 2;
  auto st = (*log)->AppendRollout(bad_graph);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("graph index 2"), std::string::npos) << st.message();
  RolloutRow short_partition = RandomRollout(1, f.graphs, rng);
  short_partition.partition.pop_back();
  EXPECT_FALSE((*log)->AppendRollout(short_partition).ok());
  RolloutRow long_strategy = RandomRollout(2, f.graphs, rng);
  long_strategy.strategy = "seventeen_chars_x";
  EXPECT_FALSE((*log)->AppendRollout(long_strategy).ok());
  EXPECT_FALSE((*log)->UpdateBest(0, Partition(3, 0), 1.0, 0, 0.0).ok());
  EXPECT_FALSE((*log)->UpdateBest(5, Partition(), 1.0, 0, 0.0).ok());
  EXPECT_EQ((*log)->num_rollouts(), 0);
  ASSERT_TRUE((*log)->AppendRollout(RandomRollout(3, f.graphs, rng)).ok());
  ASSERT_TRUE((*log)->Close().ok());
  EXPECT_FALSE((*log)->Close().ok());
  EXPECT_FALSE((*log)->AppendRollout(RandomRollout(4, f.graphs, rng)).ok());
  EXPECT_FALSE((*log)->Flush().ok());
  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->summary().num_rollouts, 1);
}

TEST(RunReader, RejectsMissingAndForeignFiles) {
  auto missing = RunReader::Open(TempPath("does_not_exist.h5"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does_not_exist.h5"), std::string::npos);
  const std::string text = TempPath("text.h5");
  std::ofstream(text) << "not hdf5";
  auto not_hdf5 = RunReader::Open(text);
  ASSERT_FALSE(not_hdf5.ok());
  EXPECT_NE(not_hdf5.status().message().find("text.h5"), std::string::npos);
  EXPECT_FALSE(RunLog::OpenForAppend(text).ok());
  const std::string foreign = TempPath("foreign.h5");
  RunPython("import sys, h5py\nh5py.File(sys.argv[1], 'w').create_dataset('x', data=[1, 2])\n",
            foreign);
  auto not_run = RunReader::Open(foreign);
  ASSERT_FALSE(not_run.ok());
  EXPECT_NE(not_run.status().message().find("not an mcmpart run file"), std::string::npos);
  EXPECT_FALSE(RunLog::OpenForAppend(foreign).ok());
}

}  // namespace
}  // namespace mcmpart::learner
