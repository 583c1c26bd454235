// Baseline search strategies on the ask/tell interface: random, anneal, dp, greedy, exact,
// chain.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <deque>
#include <limits>
#include <set>

#include "actors/chain_expert.h"
#include "actors/placement.h"
#include "actors/search/dp.h"
#include "actors/search/exact.h"
#include "actors/search/strategy.h"

namespace mcmpart::actors::search {
namespace {

Candidate MakeCandidate(int graph, StrategyId strategy, common::Partition proposal) {
  Candidate c;
  c.record.graph = graph;
  c.record.strategy = strategy;
  c.record.proposal = std::move(proposal);
  return c;
}

// A valid partition from the repair model's random sampler, or a uniform random assignment
// (which the environment then reports as infeasible) when none is found.
common::Partition RandomValid(Environment& env, common::Rng& rng) {
  RepairResult r = env.repairer().SampleValid(rng);
  if (HasPartition(r.status)) return r.partition;
  common::Partition p(env.graph().num_nodes());
  std::uniform_int_distribution<int> chip(0, env.hardware().num_chips - 1);
  for (int& c : p) c = chip(rng);
  return p;
}

/// Random search: independent samples of the random valid sampler (Repairer::SampleValid),
/// round-robin over the environments.
class RandomStrategy final : public SearchStrategy {
 public:
  RandomStrategy(std::vector<Environment*> envs, uint64_t seed)
      : envs_(std::move(envs)), rng_(seed) {}
  const char* name() const override { return "random"; }
  std::vector<Candidate> Ask(int n) override {
    std::vector<Candidate> out;
    for (int i = 0; i < n; ++i) {
      const int g = static_cast<int>(next_++ % envs_.size());
      out.push_back(MakeCandidate(g, StrategyId::kRandom, RandomValid(*envs_[g], rng_)));
    }
    return out;
  }
  void Tell(std::vector<EpisodeRecord>&) override {}

 private:
  std::vector<Environment*> envs_;
  common::Rng rng_;
  uint64_t next_ = 0;
};

/// Simulated annealing (Kirkpatrick et al., Science 1983) on the environment's reward, K
/// independent chains per environment (K = its chips), the budget shared equally.
/// - Starts: chain i starts from the greedy balanced pipeline over K − i chips
///   (GreedyPipeline), or every chain from a given start partition (MakeAnnealStrategy); its
///   first evaluation is that start, repaired.
/// - Moves: with probability 0.2 a boundary shift (chip c hands its last r frontier nodes in
///   PipelineOrder to chip c + 1, or its first r to chip c − 1; r log-uniform in 1..N/K), which
///   moves a stage boundary past a whole block such as an attention head in one step; the rest
///   change one node's chip: with 0.4 a frontier move (a node whose successors all sit on later
///   chips steps one chip later, or one whose predecessors all sit on earlier chips steps one
///   chip earlier; both kinds keep every edge pointing forward, so a pipeline stays a pipeline),
///   with 0.2 across a cut edge onto its neighbour's chip, with 0.15 to a neighbouring chip,
///   with 0.05 to any chip. The environment repairs each proposal, with the moved nodes 10× as
///   costly to change as the others, so every state is valid.
/// - Metropolis acceptance exp(Δreward / T) with the geometric schedule T = T0·(T1/T0)^(t/L):
///   T0 = 0.05, T1 = 5e-4 (rewards are ≈ 1 at perfect balance), L = a chain's share of the
///   budget; after L evaluations T stays at T1.
/// An Ask of n returns n proposals, the chains of an environment taking turns; Tell takes the
/// records in the order they were asked for.
class AnnealStrategy final : public SearchStrategy {
 public:
  static constexpr double kT0 = 0.05;
  static constexpr double kT1 = 5e-4;
  // Repair keeps the nodes a move changed this many times more firmly than the others, so it
  // does not simply undo the move.
  static constexpr double kMovedRepairWeight = 10.0;
  // The move mix as cumulative probabilities: whole stage-boundary shifts first (the moves
  // that keep a pipeline a pipeline), then single-node frontier moves that keep every edge
  // pointing forward, moves joining the two ends of a cut edge, ±1 chip steps, and the rest a
  // uniform chip (so every partition stays reachable).
  static constexpr double kBoundaryShift = 0.2;
  static constexpr double kFrontierMove = 0.6;
  static constexpr double kJoinEdge = 0.8;
  static constexpr double kChipStep = 0.95;
  static constexpr int kFrontierTries = 16;  // random nodes tried for a frontier move
  static constexpr int kJoinTries = 8;       // random edges tried for a cut edge to join

  AnnealStrategy(std::vector<Environment*> envs, int64_t budget, uint64_t seed,
                 const std::vector<common::Partition>& starts = {})
      : envs_(std::move(envs)), chains_(envs_.size()), turn_(envs_.size(), 0), rng_(seed) {
    for (Environment* env : envs_)
      orders_.push_back(PipelineOrder(env->graph(), env->hardware(), env->decision_order()));
    const double per_env = std::max<double>(1.0, static_cast<double>(budget) / envs_.size());
    for (size_t g = 0; g < envs_.size(); ++g) {
      const int k = envs_[g]->hardware().num_chips;
      chains_[g].resize(k);
      for (int i = 0; i < k; ++i) {
        chains_[g][i].start_stages = k - i;
        chains_[g][i].length = std::max(1.0, per_env / k);
      }
      if (g < starts.size()) {
        for (Chain& ch : chains_[g]) ch.current = starts[g];
      }
    }
  }
  const char* name() const override { return "anneal"; }

  std::vector<Candidate> Ask(int n) override {
    std::vector<Candidate> out;
    for (int i = 0; i < n; ++i) {
      const int g = static_cast<int>(next_++ % envs_.size());
      const int j = static_cast<int>(turn_[g]++ % chains_[g].size());
      Chain& ch = chains_[g][j];
      asked_.push_back(j);
      const Environment& env = *envs_[g];
      if (!ch.start_asked) {
        // Moves asked before the start is scored are made from it, unrepaired.
        if (ch.current.empty()) {
          ch.current =
              GreedyPipeline(env.graph(), env.hardware(), ch.start_stages, env.decision_order());
        }
        ch.start_asked = true;
        out.push_back(MakeCandidate(g, StrategyId::kAnneal, ch.current));
        continue;
      }
      Candidate c = MakeCandidate(g, StrategyId::kAnneal, ch.current);
      c.repair_weights.assign(ch.current.size(), 1.0);
      for (int v : Move(g, &c.record.proposal)) c.repair_weights[v] = kMovedRepairWeight;
      out.push_back(std::move(c));
    }
    return out;
  }

  void Tell(std::vector<EpisodeRecord>& scored) override {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (const EpisodeRecord& r : scored) {
      assert(!asked_.empty());
      Chain& ch = chains_.at(r.graph).at(asked_.front());
      asked_.pop_front();
      const double t = std::min(1.0, static_cast<double>(ch.steps++) / ch.length);
      const double temp = kT0 * std::pow(kT1 / kT0, t);
      if (!r.valid) continue;
      if (r.reward >= ch.reward || u(rng_) < std::exp((r.reward - ch.reward) / temp)) {
        ch.current = r.partition;
        ch.reward = r.reward;
      }
    }
  }

 private:
  struct Chain {
    common::Partition current;
    double reward = -std::numeric_limits<double>::infinity();
    int64_t steps = 0;
    int start_stages = 1;
    bool start_asked = false;  // the start has been proposed
    double length = 1;         // evaluations over which the temperature falls
  };

  // Moves r frontier nodes of one chip to its neighbour, scanning PipelineOrder from the
  // boundary; returns them (none when the chip has no frontier node that way).
  std::vector<int> ShiftBoundary(int env, common::Partition* p) {
    const common::Graph& g = envs_[env]->graph();
    const int k = envs_[env]->hardware().num_chips;
    const std::vector<int>& order = orders_[env];
    const double most = std::max(1.0, static_cast<double>(g.num_nodes()) / k);
    const double log_r = std::uniform_real_distribution<double>(0.0, std::log(most))(rng_);
    const int r = static_cast<int>(std::exp(log_r));
    const bool later = rng_() & 1;
    const int c = std::uniform_int_distribution<int>(later ? 0 : 1, later ? k - 2 : k - 1)(rng_);
    std::vector<int> moved;
    const int n = static_cast<int>(order.size());
    for (int i = 0; i < n && static_cast<int>(moved.size()) < r; ++i) {
      const int v = order[later ? n - 1 - i : i];
      if ((*p)[v] != c) continue;
      bool ok = true;
      if (later) {
        for (int s : g.succs()[v]) ok = ok && (*p)[s] > c;
      } else {
        for (int u : g.preds()[v]) ok = ok && (*p)[u] < c;
      }
      if (!ok) continue;
      (*p)[v] = later ? c + 1 : c - 1;
      moved.push_back(v);
    }
    return moved;
  }

  // Changes the chip of one node of `p`, or of a block (ShiftBoundary); returns the nodes moved.
  std::vector<int> Move(int env, common::Partition* p) {
    const common::Graph& g = envs_[env]->graph();
    const int k = envs_[env]->hardware().num_chips;
    std::uniform_int_distribution<int> node(0, g.num_nodes() - 1);
    double kind = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    if (kind < kBoundaryShift && k > 1) {
      std::vector<int> moved = ShiftBoundary(env, p);
      if (!moved.empty()) return moved;
    }
    // Single-node moves: `kind` is redrawn over the rest of the mix.
    kind = kBoundaryShift +
           (1 - kBoundaryShift) * std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    if (kind < kFrontierMove && k > 1) {
      for (int tries = 0; tries < kFrontierTries; ++tries) {
        const int v = node(rng_);
        const int c = (*p)[v];
        const bool later = rng_() & 1;
        bool ok = later ? c + 1 < k : c > 0;
        if (later) {
          for (int s : g.succs()[v]) ok = ok && (*p)[s] > c;
        } else {
          for (int u : g.preds()[v]) ok = ok && (*p)[u] < c;
        }
        if (ok) {
          (*p)[v] = later ? c + 1 : c - 1;
          return {v};
        }
      }
    }
    if (kind < kJoinEdge && g.num_edges() > 0) {
      std::uniform_int_distribution<int> edge(0, g.num_edges() - 1);
      for (int tries = 0; tries < kJoinTries; ++tries) {
        const common::Edge& e = g.edges[edge(rng_)];
        if ((*p)[e.src] == (*p)[e.dst]) continue;
        if (rng_() & 1) {
          (*p)[e.src] = (*p)[e.dst];
          return {e.src};
        }
        (*p)[e.dst] = (*p)[e.src];
        return {e.dst};
      }
    }
    const int v = node(rng_);
    if (k == 1) return {v};
    if (kind < kChipStep) {
      int c = (*p)[v] + ((rng_() & 1) ? 1 : -1);
      if (c < 0) c = 1;
      if (c >= k) c = k - 2;
      (*p)[v] = c;
    } else {
      (*p)[v] = std::uniform_int_distribution<int>(0, k - 1)(rng_);
    }
    return {v};
  }

  std::vector<Environment*> envs_;
  std::vector<std::vector<int>> orders_;    // per environment: PipelineOrder
  std::vector<std::vector<Chain>> chains_;  // per environment, K chains
  std::vector<uint64_t> turn_;              // per environment: the next chain to ask
  std::deque<int> asked_;                   // chain of each proposal not yet told
  common::Rng rng_;
  uint64_t next_ = 0;
};

/// Emits a fixed list of partitions per environment once, then reports finished (dp, greedy,
/// exact). The lists are computed when the strategy is made so errors surface early.
class FixedStrategy final : public SearchStrategy {
 public:
  FixedStrategy(const char* name, std::vector<Candidate> queue)
      : name_(name), queue_(std::move(queue)) {}
  const char* name() const override { return name_; }
  std::vector<Candidate> Ask(int n) override {
    std::vector<Candidate> out;
    while (static_cast<int>(out.size()) < n && next_ < queue_.size())
      out.push_back(queue_[next_++]);
    return out;
  }
  void Tell(std::vector<EpisodeRecord>&) override {}
  bool finished() const override { return next_ >= queue_.size(); }

 private:
  const char* name_;
  std::vector<Candidate> queue_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<SearchStrategy> MakeAnnealStrategy(std::vector<Environment*> envs, int64_t budget,
                                                   uint64_t seed,
                                                   const std::vector<common::Partition>& starts) {
  return std::make_unique<AnnealStrategy>(std::move(envs), budget, seed, starts);
}

common::StatusOr<std::unique_ptr<SearchStrategy>> MakeBaselineStrategy(
    const std::string& name, std::vector<Environment*> envs, const common::Config& config,
    uint64_t seed) {
  if (envs.empty())
    return common::Status::Error("search strategy '" + name + "' needs at least one graph");
  if (name == "random")
    return std::unique_ptr<SearchStrategy>(new RandomStrategy(std::move(envs), seed));
  if (name == "anneal") {
    return std::unique_ptr<SearchStrategy>(
        new AnnealStrategy(std::move(envs), config.run.budget, seed));
  }
  std::vector<Candidate> queue;
  if (name == "dp") {
    for (size_t g = 0; g < envs.size(); ++g) {
      auto r = DpMaxLoad(envs[g]->graph(), envs[g]->hardware());
      if (!r.ok()) return r.status().WithContext("graph '" + envs[g]->graph().name + "'");
      queue.push_back(MakeCandidate(static_cast<int>(g), StrategyId::kDp, std::move(r->partition)));
    }
    return std::unique_ptr<SearchStrategy>(new FixedStrategy("dp", std::move(queue)));
  }
  if (name == "chain") {  // the DAgger expert's own split (actors::ChainExpert)
    for (size_t g = 0; g < envs.size(); ++g) {
      const ChainExpert expert(envs[g]->features().schedule);
      queue.push_back(MakeCandidate(static_cast<int>(g), StrategyId::kChain, expert.Decode()));
    }
    return std::unique_ptr<SearchStrategy>(new FixedStrategy("chain", std::move(queue)));
  }
  if (name == "greedy") {
    for (size_t g = 0; g < envs.size(); ++g) {
      std::set<common::Partition> seen;
      for (int stages = envs[g]->hardware().num_chips; stages >= 1; --stages) {
        common::Partition p = GreedyPipeline(envs[g]->graph(), envs[g]->hardware(), stages,
                                             envs[g]->decision_order());
        if (seen.insert(p).second) {
          queue.push_back(MakeCandidate(static_cast<int>(g), StrategyId::kGreedy, std::move(p)));
        }
      }
    }
    return std::unique_ptr<SearchStrategy>(new FixedStrategy("greedy", std::move(queue)));
  }
  if (name == "exact") {
    ExactOptions options;
    if (config.run.time_limit_s > 0) {
      options.time_limit_ms = 1e3 * config.run.time_limit_s / static_cast<double>(envs.size());
    }
    for (size_t g = 0; g < envs.size(); ++g) {
      auto r = ExactMaxLoad(envs[g]->graph(), envs[g]->hardware(), options);
      if (!r.ok()) return r.status().WithContext("graph '" + envs[g]->graph().name + "'");
      queue.push_back(
          MakeCandidate(static_cast<int>(g), StrategyId::kExact, std::move(r->partition)));
    }
    return std::unique_ptr<SearchStrategy>(new FixedStrategy("exact", std::move(queue)));
  }
  return common::Status::Error("unknown search strategy '" + name + "' (known: " +
                               SearchStrategyNames(", ") + "; rl is `mcmpart train`)");
}

}  // namespace mcmpart::actors::search
