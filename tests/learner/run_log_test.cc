// Run file tests: every field round-trips through RunLog and RunReader, h5py reads the same
// values, the periodic flush commits rows while the writer is open, bad input fails cleanly,
// schema-1 files still read.
#include "learner/run_log.h"

#include <gtest/gtest.h>
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
#include <type_traits>
#include <vector>

#include "actors/record.h"
#include "actors/repair.h"
#include "common/bert.h"
#include "common/graph.h"
#include "learner/run_reader.h"
#include "tests/actors/record_fields.h"

namespace mcmpart::learner {
namespace {

namespace fs = std::filesystem;
namespace ft = actors::field_testing;
using actors::EpisodeRecord;
using actors::kEpisodeRecordFields;
using actors::StrategyId;
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
    meta.graph_hardware_texts = {"num_chips = 4\n", "num_chips = 8\ntopology = \"mesh\"\n"};
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

EpisodeRecord RandomRollout(int64_t step, const std::vector<const Graph*>& graphs,
                            std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  EpisodeRecord r;
  r.step = step;
  r.wall_time_s = 0.25 * step + u(rng);
  r.rank = static_cast<int>(rng() % 8);
  r.graph = static_cast<int>(rng() % graphs.size());
  r.policy_version = static_cast<int64_t>(rng() % 1000) + (int64_t{1} << 40);
  r.policy_lag = static_cast<int>(rng() % 4);
  r.strategy = static_cast<StrategyId>(rng() % actors::kNumStrategies);
  r.reward = u(rng);
  r.throughput = 1e4 * (1 + u(rng));
  r.latency_s = 1e-3 * (1 + u(rng));
  r.valid = rng() % 2;
  r.proposal_valid = rng() % 2;
  r.repair_status = static_cast<int>(rng() % actors::kNumRepairStatuses);
  r.changed_nodes = static_cast<int>(rng() % 100);
  r.repair_ms = 10 * (1 + u(rng));
  r.eval_ms = 1 + u(rng);
  r.inference_ms = 2 + u(rng);
  r.message_ms = 3 + u(rng);
  r.wait_ms = 4 + u(rng);
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
  l.reward_mean = u(rng);
  l.best_throughput = u(rng);
  l.update_ms = u(rng);
  l.broadcast_ms = u(rng);
  l.idle_ms = u(rng);
  l.heldout_reward = u(rng);
  l.sil_loss = u(rng);
  l.dropped_stale = static_cast<int64_t>(rng() % 1000);
  l.epochs_run = static_cast<int>(rng() % 10);
  return l;
}

// Every field the file stores equal; the others (and without `partitions`, the partitions)
// at their defaults.
void ExpectSameRollout(const EpisodeRecord& a, const EpisodeRecord& b, bool partitions) {
  ft::ExpectFields(a, b, kEpisodeRecordFields,
                   partitions ? ft::Compared::kStored : ft::Compared::kStoredButPartitions);
  if (!partitions) {
    EXPECT_TRUE(b.proposal.empty());
    EXPECT_TRUE(b.partition.empty());
  }
}

void ExpectSameLearner(const LearnerRow& a, const LearnerRow& b) {
  ft::ExpectFields(a, b, kLearnerRowFields, ft::Compared::kAll);
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

// One value as the Python snippet of StoredRowsText prints it.
template <typename T>
std::string ValueText(const T& v) {
  if constexpr (std::is_same_v<T, StrategyId>) {
    return std::string(actors::StrategyName(v));
  } else if constexpr (std::is_same_v<T, Partition>) {
    std::string out;
    for (int c : v) out += (out.empty() ? "" : " ") + std::to_string(c);
    return out;
  } else if constexpr (std::is_floating_point_v<T>) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(v));
    return buf;
  } else {
    return std::to_string(static_cast<int64_t>(v));
  }
}

// "group field row value" for every stored field of `fields` and every row.
template <typename Row, typename Fields>
std::string StoredRowsText(const std::string& group, const std::vector<Row>& rows,
                           const Fields& fields) {
  std::string out;
  actors::ForEachField(fields, [&](const auto& field) {
    if constexpr (std::decay_t<decltype(field)>::kInFile) {
      for (size_t i = 0; i < rows.size(); ++i) {
        out += group + " " + field.name + " " + std::to_string(i) + " " +
               ValueText(rows[i].*field.member) + "\n";
      }
    }
  });
  return out;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// The same text as StoredRowsText of a RunReader's rows, straight from the datasets with h5py.
std::string H5pyRowsText(const std::string& path) {
  return RunPython(R"(
import sys, h5py
f = h5py.File(sys.argv[1], "r")
def text(v):
    if v.ndim == 1:
        return " ".join(str(int(c)) for c in v if c >= 0)
    if isinstance(v, bytes):
        return v.decode()
    if v.dtype.kind == "f":
        return "%.17g" % float(v)
    return str(int(v))
for group, counter, names in (("rollouts", "rollout_rows", ")" +
                       Join(actors::StoredFieldNames(kEpisodeRecordFields)) + R"("),
                      ("learner", "learner_rows", ")" +
                       Join(actors::StoredFieldNames(kLearnerRowFields)) + R"(")):
    n = int(f["status"][counter][()])
    for name in names.split(","):
        for i in range(n):
            print(group, name, i, text(f[group][name][i]))
)",
                   path);
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
  std::vector<EpisodeRecord> rollouts;
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
  EXPECT_EQ(s.meta.graph_hardware_texts, f.meta.graph_hardware_texts);
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
  std::vector<EpisodeRecord> rows;
  int64_t step_sum = 0;
  double reward_sum = 0;
  std::map<std::string, int> per_strategy;
  for (int i = 0; i < 57; ++i) {
    rows.push_back(RandomRollout(i * 3, f.graphs, rng));
    step_sum += rows.back().step;
    reward_sum += rows.back().reward;
    ++per_strategy[std::string(actors::StrategyName(rows.back().strategy))];
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
)",
                                    path);
  auto kv = ParseLines(out);
  EXPECT_EQ(kv["schema"], std::to_string(kRunSchemaVersion)) << out;
  EXPECT_EQ(kv["rows"], "57 57 57");
  EXPECT_EQ(kv["step_sum"], std::to_string(step_sum));
  EXPECT_NEAR(std::stod(kv["reward_sum"]), reward_sum, 1e-9);
  std::string expected_strategies;
  for (const auto& [name, count] : per_strategy) {
    expected_strategies +=
        (expected_strategies.empty() ? "" : " ") + name + "=" + std::to_string(count);
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
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE((*log)->AppendRollout(RandomRollout(i, f.graphs, rng)).ok());
  ASSERT_TRUE((*log)->AppendLearner(RandomLearner(0, rng)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const std::string out = RunPython(R"(
import sys, h5py
f = h5py.File(sys.argv[1], "r", swmr=True)
print("rows", int(f["status/rollout_rows"][()]), len(f["rollouts/step"]), int(f["status/learner_rows"][()]))
print("closed", int(f["status/closed"][()]))
)",
                                    path);
  auto kv = ParseLines(out);
  EXPECT_EQ(kv["rows"], "5 5 1") << out;
  EXPECT_EQ(kv["closed"], "0");
  ASSERT_TRUE((*log)->Close().ok());
}

TEST(RunLog, ReopenAppendsAfterTheLastRow) {
  Fixture f;
  const std::string path = TempPath("append.h5");
  std::mt19937_64 rng(11);
  std::vector<EpisodeRecord> rows;
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

TEST(RunLog, GraphsWithoutTheirOwnHardwareRecordTheRunsHardware) {
  Fixture f;
  f.meta.graph_hardware_texts.clear();
  const std::string path = TempPath("one_hardware.h5");
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_TRUE((*log)->Close().ok());
  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->summary().meta.graph_hardware_texts,
            std::vector<std::string>(2, f.meta.hardware_text));
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
  RunMeta wrong_hardware = f.meta;
  wrong_hardware.graph_hardware_texts = {"num_chips = 4\n"};
  auto hw_count = RunLog::Create(TempPath("hw_count.h5"), wrong_hardware, f.graphs);
  ASSERT_FALSE(hw_count.ok());
  EXPECT_NE(hw_count.status().message().find("1 graph hardware configs for 2 graphs"),
            std::string::npos)
      << hw_count.status().message();
  EXPECT_FALSE(fs::exists(TempPath("hw_count.h5")));
  RunLogOptions bad_level;
  bad_level.compression = 12;
  EXPECT_FALSE(RunLog::Create(TempPath("level.h5"), f.meta, f.graphs, bad_level).ok());

  const std::string path = TempPath("bad_rows.h5");
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  std::mt19937_64 rng(5);
  EpisodeRecord bad_graph = RandomRollout(0, f.graphs, rng);
  bad_graph.graph = 2;
  auto st = (*log)->AppendRollout(bad_graph);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("graph index 2"), std::string::npos) << st.message();
  EpisodeRecord short_partition = RandomRollout(1, f.graphs, rng);
  short_partition.partition.pop_back();
  EXPECT_FALSE((*log)->AppendRollout(short_partition).ok());
  EpisodeRecord unknown_strategy = RandomRollout(2, f.graphs, rng);
  unknown_strategy.strategy = static_cast<StrategyId>(actors::kNumStrategies);
  EXPECT_FALSE((*log)->AppendRollout(unknown_strategy).ok());
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

// One rollout and one learner row per pair with every field of their lists set to a distinct
// value, through the real writer and reader: a field that does not come back fails here.
TEST(RunLog, EveryListedFieldRoundTrips) {
  Fixture f;
  const std::string path = TempPath("every_field.h5");
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  std::vector<EpisodeRecord> rollouts(2);
  std::vector<LearnerRow> learner(2);
  for (int r = 0; r < 2; ++r) {
    const int graph = 1 - r;
    ft::SetDistinct(&rollouts[r], kEpisodeRecordFields, r, f.graphs[graph]->num_nodes());
    rollouts[r].graph = graph;
    ft::SetDistinct(&learner[r], kLearnerRowFields, r, 0);
    ASSERT_TRUE((*log)->AppendRollout(rollouts[r]).ok());
    ASSERT_TRUE((*log)->AppendLearner(learner[r]).ok());
  }
  ft::ExpectNoneDefault(rollouts, kEpisodeRecordFields);
  ft::ExpectNoneDefault(learner, kLearnerRowFields);
  ASSERT_TRUE((*log)->Close().ok());

  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto back = (*reader)->ReadRollouts(0, 2, true);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), 2u);
  for (int r = 0; r < 2; ++r) ExpectSameRollout(rollouts[r], (*back)[r], true);
  auto lback = (*reader)->ReadLearner(0, 2);
  ASSERT_TRUE(lback.ok()) << lback.status().message();
  ASSERT_EQ(lback->size(), 2u);
  for (int r = 0; r < 2; ++r) ExpectSameLearner(learner[r], (*lback)[r]);
  EXPECT_EQ(H5pyRowsText(path), StoredRowsText("rollouts", rollouts, kEpisodeRecordFields) +
                                    StoredRowsText("learner", learner, kLearnerRowFields));
}

TEST(RunLog, ColumnsAttributesNameTheStoredFields) {
  Fixture f;
  const std::string path = TempPath("columns.h5");
  auto log = RunLog::Create(path, f.meta, f.graphs);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_TRUE((*log)->Close().ok());
  const std::string out = RunPython(R"(
import sys, h5py
f = h5py.File(sys.argv[1], "r")
for group in ("rollouts", "learner"):
    names = [n.decode() if isinstance(n, bytes) else n for n in f[group].attrs["columns"]]
    assert all(isinstance(f[group][n], h5py.Dataset) for n in names), names
    print(group, ",".join(names))
)",
                                    path);
  auto kv = ParseLines(out);
  EXPECT_EQ(kv["rollouts"], Join(actors::StoredFieldNames(kEpisodeRecordFields))) << out;
  EXPECT_EQ(kv["learner"], Join(actors::StoredFieldNames(kLearnerRowFields))) << out;
  EXPECT_EQ(kv["learner"].find("queue_depth"), std::string::npos);
}

// tests/data/runs/schema_v1.h5: 24 rollout and 4 learner rows written by the schema-1 writer
// (mcmpart_run_log_writer --rows 24 --learner-every 6 --seed 5, every field set).
const std::string kSchemaV1File = std::string(MCMPART_TEST_DATA_DIR) + "/runs/schema_v1.h5";

std::string CopyOf(const std::string& from, const std::string& name) {
  const std::string to = TempPath(name);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, fs::perms::owner_write, fs::perm_options::add);
  return to;
}

TEST(RunReader, ReadsSchemaVersion1Files) {
  const std::string path = CopyOf(kSchemaV1File, "schema_v1.h5");
  auto reader = RunReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const RunSummary& s = (*reader)->summary();
  EXPECT_EQ(s.schema_version, 1);
  EXPECT_TRUE(s.closed);
  // Written before per-graph hardware: every graph ran on /meta/hardware.
  ASSERT_FALSE(s.meta.graph_names.empty());
  EXPECT_EQ(s.meta.graph_hardware_texts,
            std::vector<std::string>(s.meta.graph_names.size(), s.meta.hardware_text));
  ASSERT_EQ(s.num_rollouts, 24);
  ASSERT_EQ(s.num_learner_rows, 4);
  auto rows = (*reader)->ReadRollouts(0, 24, true);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  auto learner = (*reader)->ReadLearner(0, 4);
  ASSERT_TRUE(learner.ok()) << learner.status().message();
  for (const EpisodeRecord& r : *rows) EXPECT_GT(r.wait_ms, 0);
  for (const LearnerRow& l : *learner) EXPECT_GT(l.sil_loss, 0);
  EXPECT_EQ(H5pyRowsText(path), StoredRowsText("rollouts", *rows, kEpisodeRecordFields) +
                                    StoredRowsText("learner", *learner, kLearnerRowFields));
  auto append = RunLog::OpenForAppend(CopyOf(kSchemaV1File, "schema_v1_append.h5"));
  ASSERT_FALSE(append.ok());
  EXPECT_NE(append.status().message().find("schema_version 1"), std::string::npos)
      << append.status().message();

  // Schema-1 files written before message_ms, wait_ms, heldout_reward, sil_loss and
  // dropped_stale existed read them as 0.
  const std::string early = CopyOf(kSchemaV1File, "schema_v1_early.h5");
  RunPython(R"(
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for name in ("rollouts/message_ms", "rollouts/wait_ms", "learner/heldout_reward",
                 "learner/sil_loss", "learner/dropped_stale"):
        del f[name]
)",
            early);
  auto early_reader = RunReader::Open(early);
  ASSERT_TRUE(early_reader.ok()) << early_reader.status().message();
  EXPECT_EQ((*early_reader)->summary().num_rollouts, 24);
  auto early_rows = (*early_reader)->ReadRollouts(0, 24, true);
  ASSERT_TRUE(early_rows.ok()) << early_rows.status().message();
  ASSERT_EQ(early_rows->size(), 24u);
  for (size_t i = 0; i < 24; ++i) {
    EpisodeRecord want = (*rows)[i];
    want.message_ms = want.wait_ms = 0;
    ExpectSameRollout(want, (*early_rows)[i], true);
  }
  auto early_learner = (*early_reader)->ReadLearner(0, 4);
  ASSERT_TRUE(early_learner.ok()) << early_learner.status().message();
  ASSERT_EQ(early_learner->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    LearnerRow want = (*learner)[i];
    want.heldout_reward = want.sil_loss = 0;
    want.dropped_stale = 0;
    ExpectSameLearner(want, (*early_learner)[i]);
  }
}

TEST(RunReader, RejectsNewerSchemasAndUnknownStrategies) {
  const std::string newer = CopyOf(kSchemaV1File, "newer.h5");
  RunPython("import sys, h5py\nh5py.File(sys.argv[1], 'r+').attrs['schema_version'] = " +
                std::to_string(kRunSchemaVersion + 1) + "\n",
            newer);
  auto refused = RunReader::Open(newer);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(
      refused.status().message().find("schema_version " + std::to_string(kRunSchemaVersion + 1)),
      std::string::npos)
      << refused.status().message();

  // A name of the full 16 bytes, without a terminating null, is read whole.
  const std::string foreign = CopyOf(kSchemaV1File, "foreign_strategy.h5");
  RunPython(
      "import sys, h5py\nh5py.File(sys.argv[1], 'r+')['rollouts/strategy'][3] = "
      "b'sixteen_chars_xx'\n",
      foreign);
  auto reader = RunReader::Open(foreign);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto rows = (*reader)->ReadRollouts(0, 24, false);
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("row 3: unknown strategy 'sixteen_chars_xx'"),
            std::string::npos)
      << rows.status().message();
}

}  // namespace
}  // namespace mcmpart::learner
