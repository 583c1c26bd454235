// Test helper: writes a run file row by row (slowly if asked) so Python tests can read it live,
// kill it, and analyse it. Prints "appended N" after each rollout and "flushed N" after each
// explicit flush, flushing stdout each time.
//
// usage: mcmpart_run_log_writer PATH [--rows N] [--row-ms MS] [--flush-interval-s S]
//          [--explicit-flush] [--seed N] [--strategies a,b,c] [--learner-every N] [--append]
// --append reopens PATH with RunLog::OpenForAppend and continues its step numbering.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/record.h"
#include "common/bert.h"
#include "common/graph.h"
#include "learner/run_log.h"

namespace {

using mcmpart::common::Graph;
using mcmpart::common::Partition;

// A random partition that respects the acyclic rule: chips never decrease along the topological
// order, and every chip 0..k-1 is used when the graph is large enough.
Partition MonotonePartition(const Graph& g, int k, std::mt19937_64& rng) {
  const int n = g.num_nodes();
  std::vector<int> cuts;
  std::uniform_int_distribution<int> pos(1, std::max(1, n - 1));
  for (int c = 1; c < k; ++c) cuts.push_back(pos(rng));
  std::sort(cuts.begin(), cuts.end());
  Partition p(n, 0);
  for (int r = 0; r < n; ++r) {
    int chip = 0;
    while (chip < static_cast<int>(cuts.size()) && r >= cuts[chip]) ++chip;
    p[g.topo_order()[r]] = chip;
  }
  return p;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "mcmpart_run_log_writer: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Fail("usage: mcmpart_run_log_writer PATH [options]");
  const std::string path = argv[1];
  int rows = 200, row_ms = 0, learner_every = 10;
  uint64_t seed = 1;
  double flush_interval_s = 5.0;
  bool explicit_flush = false, append = false;
  using mcmpart::actors::StrategyId;
  std::vector<StrategyId> strategies = {StrategyId::kRl, StrategyId::kRandom, StrategyId::kAnneal};
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (flag == "--rows")
      rows = std::atoi(next());
    else if (flag == "--row-ms")
      row_ms = std::atoi(next());
    else if (flag == "--flush-interval-s")
      flush_interval_s = std::atof(next());
    else if (flag == "--explicit-flush")
      explicit_flush = true;
    else if (flag == "--append")
      append = true;
    else if (flag == "--seed")
      seed = std::strtoull(next(), nullptr, 10);
    else if (flag == "--learner-every")
      learner_every = std::atoi(next());
    else if (flag == "--strategies") {
      strategies.clear();
      std::stringstream ss(next());
      for (std::string s; std::getline(ss, s, ',');) {
        const auto id = mcmpart::actors::StrategyFromName(s);
        if (!id) return Fail("unknown strategy " + s);
        strategies.push_back(*id);
      }
    } else {
      return Fail("unknown flag " + flag);
    }
  }

  auto bert = mcmpart::common::MakeBuiltinGraph("bert:layers=1,hidden=64,heads=2,seq=16");
  if (!bert.ok()) return Fail(bert.status().message());
  Graph chain;
  chain.name = "chain/8";  // a '/' in the name exercises the group-name mapping
  for (int i = 0; i < 8; ++i) {
    mcmpart::common::Node n;
    n.name = "op" + std::to_string(i);
    n.op = i % 2 ? "Relu" : "MatMul";
    n.output_bytes = 1024;
    n.weight_bytes = i % 2 ? 0 : 4096;
    n.macs = i % 2 ? 0 : 65536;
    n.vector_ops = i % 2 ? 1024 : 0;
    chain.AddNode(n);
    if (i > 0) chain.AddEdge(i - 1, i);
  }
  if (!chain.Finalize().ok()) return Fail("chain graph");
  const std::vector<const Graph*> graphs = {&bert.value(), &chain};

  mcmpart::learner::RunMeta meta;
  meta.config_text = "[run]\nseed = " + std::to_string(seed) + "\n";
  meta.hardware_text = "preset = \"test-4chip\"\n";
  meta.seed = seed;
  meta.ranks = 3;
  meta.git_revision = "test";
  meta.start_time = "2024-01-01T00:00:00+0000";
  meta.command_line = "mcmpart_run_log_writer " + path;
  meta.evaluator = "maxload";
  mcmpart::learner::RunLogOptions options;
  options.flush_interval_s = flush_interval_s;
  options.chunk_rows = 32;
  auto log = append ? mcmpart::learner::RunLog::OpenForAppend(path, options)
                    : mcmpart::learner::RunLog::Create(path, meta, graphs, options);
  if (!log.ok()) return Fail(log.status().message());
  const int first = static_cast<int>((*log)->num_rollouts());

  const int kChips = 4;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> best(graphs.size(), 0.0);
  const auto start = std::chrono::steady_clock::now();
  for (int step = first; step < first + rows; ++step) {
    mcmpart::actors::EpisodeRecord row;
    row.step = step;
    row.wall_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    row.rank = 1 + step % 2;
    row.graph = step % 2;
    row.policy_version = step / 16;
    row.policy_lag = static_cast<int>(rng() % 3);
    row.strategy = strategies[step % strategies.size()];
    const Graph& g = *graphs[row.graph];
    row.partition = MonotonePartition(g, kChips, rng);
    row.proposal =
        row.strategy == StrategyId::kRl ? MonotonePartition(g, kChips, rng) : Partition();
    row.valid = unit(rng) < 0.9;
    row.proposal_valid = row.valid && unit(rng) < 0.5;
    row.repair_status = row.valid ? (row.proposal_valid ? 0 : 1 + static_cast<int>(rng() % 2)) : 3;
    row.changed_nodes = row.proposal_valid ? 0 : static_cast<int>(rng() % 5);
    // Rewards improve with the step so learning curves have a trend.
    row.throughput = row.valid ? 1000.0 * (1.0 + 0.002 * step) * (0.8 + 0.2 * unit(rng)) : 0.0;
    row.reward = row.valid ? row.throughput / 1000.0 - 1.0 : -1.0;
    row.latency_s = row.valid ? 4.0 / std::max(row.throughput, 1.0) : 0.0;
    row.repair_ms = row.proposal_valid ? 0.0 : 5.0 * unit(rng);
    row.eval_ms = unit(rng);
    row.inference_ms = row.strategy == StrategyId::kRl ? 2.0 * unit(rng) : 0.0;
    auto st = (*log)->AppendRollout(row);
    if (!st.ok()) return Fail(st.message());
    if (row.valid && row.throughput > best[row.graph]) {
      best[row.graph] = row.throughput;
      st = (*log)->UpdateBest(row.graph, row.partition, row.throughput, row.step, row.wall_time_s);
      if (!st.ok()) return Fail(st.message());
    }
    if (learner_every > 0 && (step + 1) % learner_every == 0) {
      mcmpart::learner::LearnerRow l;
      l.update = (step + 1) / learner_every - 1;
      l.samples_seen = step + 1;
      l.wall_time_s = row.wall_time_s;
      l.policy_version = l.update + 1;
      l.policy_loss = -0.01 * unit(rng);
      l.value_loss = 1.0 / (1.0 + l.update);
      l.entropy = 1.3 - 0.001 * l.update;
      l.approx_kl = 0.01 * unit(rng);
      l.clip_fraction = 0.1 * unit(rng);
      l.grad_norm = unit(rng);
      l.learning_rate = 3e-4;
      l.lag_mean = 1.0;
      l.lag_max = 2.0;
      l.reward_mean = row.reward;
      l.best_throughput = std::max(best[0], best[1]);
      l.update_ms = 10 * unit(rng);
      l.epochs_run = 4;
      st = (*log)->AppendLearner(l);
      if (!st.ok()) return Fail(st.message());
    }
    std::printf("appended %d\n", step + 1);
    if (explicit_flush) {
      st = (*log)->Flush();
      if (!st.ok()) return Fail(st.message());
      std::printf("flushed %d\n", step + 1);
    }
    std::fflush(stdout);
    if (row_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(row_ms));
  }
  auto st = (*log)->Close();
  if (!st.ok()) return Fail(st.message());
  std::printf("closed %d\n", first + rows);
  return 0;
}
