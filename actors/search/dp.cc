// Dynamic program over ideals for contiguous max-load splits (Tarnawski et al., NeurIPS 2020).
#include "actors/search/dp.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <deque>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <set>
#include <unordered_map>

#include "actors/placement.h"
#include "hw/constraints.h"
#include "hw/cut_tensors.h"
#include "hw/evaluator.h"
#include "hw/op_cost.h"

namespace mcmpart::actors::search {
namespace {

using actors::FindRoot;
using actors::JoinColocationGroups;
using actors::MergeCycles;

using common::Graph;
using common::Partition;
using common::Status;
constexpr double kInf = std::numeric_limits<double>::infinity();

using Bits = std::vector<uint64_t>;

bool Test(const Bits& b, int i) { return (b[i >> 6] >> (i & 63)) & 1; }
void Set(Bits& b, int i) { b[i >> 6] |= uint64_t{1} << (i & 63); }

struct BitsHash {
  size_t operator()(const Bits& b) const {
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (uint64_t w : b) h = (h ^ w) * 0x100000001B3ULL + (h >> 29);
    return static_cast<size_t>(h);
  }
};

// Nodes that must share a chip, contracted into "super nodes" in a topological order.
struct Contracted {
  int m = 0;
  std::vector<int> super_of;              // original node → super node
  std::vector<std::vector<int>> members;  // super node → original nodes
  std::vector<std::vector<int>> preds;    // super DAG predecessors (distinct)
  std::vector<double> compute_s;
  std::vector<int64_t> weights, max_ws;
  std::vector<int> pin;  // -1 = free
  // Super nodes the reductions set aside (original members each), in the order they were set
  // aside; ToPartition places them last to first. super_of is −1 for their members.
  std::vector<std::vector<int>> set_aside;
  std::vector<bool> set_aside_sink;  // set aside as a sink (else as a source)
  int merged = 0;                    // super nodes the reductions merged into a neighbour
};

// Whether the SRAM limit can never bind: the whole graph fits on one chip, with every node's
// output buffered there too when buffers count (a chip holds each node's bytes at most once,
// as sender or as receiver) and the largest working set.
bool SramSlack(const Graph& g, const hw::Hardware& hw) {
  if (!hw.constraints.sram) return true;
  int64_t total = g.TotalWeightBytes();
  if (hw.constraints.sram_buffers) {
    int64_t ws = 0;
    for (int v = 0; v < g.num_nodes(); ++v) {
      total += g.SendBytes(v);
      ws = std::max(ws, hw::OpWorkingSetBytes(g, v));
    }
    total += ws;
  }
  return total <= hw.chip.sram_bytes;
}

struct Reduction {
  std::vector<std::vector<int>> set_aside;  // original nodes of each super node set aside
  std::vector<bool> set_aside_sink;
  std::vector<bool> aside;  // per original node
  int merged = 0;
};

// Exact reductions of the contracted DAG (union-find `uf`, roots = super nodes), our addition
// to the DP over ideals of Tarnawski et al. (NeurIPS 2020), which enumerates every ideal. A
// super node r with zero compute, no pin and no effect on SRAM (the limit cannot bind, or r
// weighs nothing and buffers do not count) can sit next to a neighbour without raising any
// chip's load, so the DP need not enumerate where it goes:
//   (a) a sink with one predecessor super node p joins p: then p sends nothing on r's account
//       and no chip receives anything for r;
//   (b) a source with one successor super node s joins s, likewise;
//   (c) a sink whose incoming edges all leave nodes of zero send cost is set aside, and placed
//       on the latest chip of its predecessors after the DP: it changes no load anywhere;
//   (d) a source whose outgoing edges all leave nodes of zero send cost is set aside, and placed
//       on the earliest chip of its successors.
// Applied one at a time to a fixpoint. Each rule keeps the optimum over contiguous splits: a
// split of the reduced graph is one of the original graph with the same loads, and any split of
// the original becomes one of the reduced graph by moving r next to its neighbour (loads only
// lose terms); a chip this empties is closed up by shifting the later stages down a chip (loads
// unchanged), which pins and a binding max_hop forbid, so the reductions are off under
// no_skip with pinned nodes and under a binding max_hop. Free sinks and sources are what make
// the ideals explode: 3.3 million on dnn-partitioning's LayerGraphs/gnmt_inference.json (zero-
// latency state outputs and constant inputs of the LSTM layers), 100 after the reductions.
Reduction Reduce(const Graph& g, const hw::Hardware& hw, const std::vector<double>& compute,
                 const std::vector<double>& send, std::vector<int>& uf) {
  const int n = g.num_nodes();
  const hw::ConstraintConfig& cc = hw.constraints;
  Reduction red;
  red.aside.assign(n, false);
  bool pinned_any = false;
  for (const common::Node& node : g.nodes) pinned_any = pinned_any || (cc.pin && node.pin >= 0);
  if ((cc.max_hop && cc.max_hop_distance < hw.num_chips - 1) || (cc.no_skip && pinned_any))
    return red;
  const bool slack = SramSlack(g, hw);
  std::vector<std::vector<int>> members(n);
  std::vector<double> comp(n, 0.0);
  std::vector<int64_t> weight(n, 0);
  std::vector<bool> pinned(n, false);
  int alive = 0;
  for (int v = 0; v < n; ++v) {
    const int r = FindRoot(uf, v);
    alive += r == v;
    members[r].push_back(v);
    comp[r] += compute[v];
    weight[r] += g.nodes[v].weight_bytes;
    pinned[r] = pinned[r] || (cc.pin && g.nodes[v].pin >= 0);
  }
  std::vector<std::set<int>> preds(n), succs(n);
  for (const common::Edge& e : g.edges) {
    const int a = FindRoot(uf, e.src), b = FindRoot(uf, e.dst);
    if (a != b) {
      succs[a].insert(b);
      preds[b].insert(a);
    }
  }
  auto candidate = [&](int r) {
    return comp[r] == 0 && !pinned[r] && (slack || (!cc.sram_buffers && weight[r] == 0));
  };
  auto free_in = [&](int r) {  // every edge entering r leaves a node of zero send cost
    for (int w : members[r]) {
      for (int e : g.in_edges()[w]) {
        const int u = g.edges[e].src;
        if (send[u] != 0 && FindRoot(uf, u) != r) return false;
      }
    }
    return true;
  };
  auto free_out = [&](int r) {  // every edge leaving r leaves a node of zero send cost
    for (int u : members[r]) {
      if (send[u] == 0) continue;
      for (int e : g.out_edges()[u]) {
        if (FindRoot(uf, g.edges[e].dst) != r) return false;
      }
    }
    return true;
  };
  std::deque<int> work;
  std::vector<bool> queued(n, false);
  auto push = [&](int r) {
    if (!queued[r]) {
      queued[r] = true;
      work.push_back(r);
    }
  };
  for (int v : g.topo_order()) {
    if (FindRoot(uf, v) == v) push(v);
  }
  auto join = [&](int r, int into) {
    uf[r] = into;
    members[into].insert(members[into].end(), members[r].begin(), members[r].end());
    members[r].clear();
    comp[into] += comp[r];
    weight[into] += weight[r];
    --alive;
    ++red.merged;
    push(into);
  };
  auto set_aside = [&](int r, bool sink) {
    for (int v : members[r]) red.aside[v] = true;
    red.set_aside.push_back(members[r]);
    red.set_aside_sink.push_back(sink);
    --alive;
  };
  while (!work.empty()) {
    const int r = work.front();
    work.pop_front();
    queued[r] = false;
    if (FindRoot(uf, r) != r || red.aside[r] || !candidate(r)) continue;
    if (succs[r].empty() && preds[r].size() == 1) {  // (a)
      const int p = *preds[r].begin();
      succs[p].erase(r);
      join(r, p);
    } else if (preds[r].empty() && succs[r].size() == 1) {  // (b)
      const int s = *succs[r].begin();
      preds[s].erase(r);
      join(r, s);
    } else if (alive > 1 && succs[r].empty() && free_in(r)) {  // (c)
      for (int p : preds[r]) {
        succs[p].erase(r);
        push(p);
      }
      preds[r].clear();
      set_aside(r, true);
    } else if (alive > 1 && preds[r].empty() && free_out(r)) {  // (d)
      for (int s : succs[r]) {
        preds[s].erase(r);
        push(s);
      }
      succs[r].clear();
      set_aside(r, false);
    }
  }
  return red;
}

common::StatusOr<Contracted> Contract(const Graph& g, const hw::Hardware& hw,
                                      const std::vector<double>& node_compute,
                                      const std::vector<double>& node_send, bool reduce) {
  const int n = g.num_nodes();
  std::vector<int> uf = JoinColocationGroups(g, hw);
  MergeCycles(g, uf);
  Reduction red;
  if (reduce) {
    red = Reduce(g, hw, node_compute, node_send, uf);
  } else {
    red.aside.assign(n, false);
  }
  // Number super nodes in a topological order (Kahn, smallest original topological rank first).
  std::vector<int> root(n), min_rank(n, std::numeric_limits<int>::max());
  for (int v = 0; v < n; ++v) {
    root[v] = FindRoot(uf, v);
    min_rank[root[v]] = std::min(min_rank[root[v]], g.topo_rank()[v]);
  }
  std::vector<std::vector<int>> succ(n);
  std::vector<int> indeg(n, 0);
  for (const common::Edge& e : g.edges) {
    const int a = root[e.src], b = root[e.dst];
    if (a != b && !red.aside[a] && !red.aside[b]) {
      succ[a].push_back(b);
      ++indeg[b];
    }
  }
  using Item = std::pair<int, int>;  // (min rank, root)
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> ready;
  for (int v = 0; v < n; ++v) {
    if (root[v] == v && !red.aside[v] && indeg[v] == 0) ready.push({min_rank[v], v});
  }
  std::vector<int> super_index(n, -1);
  Contracted c;
  while (!ready.empty()) {
    const int r = ready.top().second;
    ready.pop();
    super_index[r] = c.m++;
    for (int s : succ[r]) {
      if (--indeg[s] == 0) ready.push({min_rank[s], s});
    }
  }
  c.super_of.resize(n);
  c.members.resize(c.m);
  c.preds.resize(c.m);
  c.compute_s.assign(c.m, 0.0);
  c.weights.assign(c.m, 0);
  c.max_ws.assign(c.m, 0);
  c.pin.assign(c.m, -1);
  c.set_aside = std::move(red.set_aside);
  c.set_aside_sink = std::move(red.set_aside_sink);
  c.merged = red.merged;
  for (int v = 0; v < n; ++v) {
    assert((super_index[root[v]] >= 0) != red.aside[v]);
    const int s = c.super_of[v] = super_index[root[v]];
    if (s < 0) continue;  // set aside: unpinned, placed by ToPartition
    c.members[s].push_back(v);
    c.compute_s[s] += node_compute[v];
    c.weights[s] += g.nodes[v].weight_bytes;
    c.max_ws[s] = std::max(c.max_ws[s], hw::OpWorkingSetBytes(g, v));
    const int pin = hw.constraints.pin ? g.nodes[v].pin : -1;
    if (pin >= 0) {
      if (pin >= hw.num_chips) {
        return Status::Error("node '" + g.nodes[v].name + "' is pinned to chip " +
                             std::to_string(pin) + " but the hardware has " +
                             std::to_string(hw.num_chips) + " chips");
      }
      if (c.pin[s] >= 0 && c.pin[s] != pin) {
        return Status::Error("node '" + g.nodes[v].name + "' is pinned to chip " +
                             std::to_string(pin) +
                             " but must share a chip with a node pinned to chip " +
                             std::to_string(c.pin[s]) + " (colocation or a cycle through a group)");
      }
      c.pin[s] = pin;
    }
  }
  for (const common::Edge& e : g.edges) {
    const int a = c.super_of[e.src], b = c.super_of[e.dst];
    if (a != b && a >= 0 && b >= 0) c.preds[b].push_back(a);
  }
  for (auto& p : c.preds) {
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
  }
  return c;
}

// One ideal of the contracted graph with the sums a stage needs.
struct Ideal {
  Bits bits;
  int size = 0;
  double compute = 0;
  int64_t weights = 0;
  std::vector<int> boundary;  // original nodes inside with a consumer super node outside
};

class DpSolver {
 public:
  DpSolver(const Graph& g, const hw::Hardware& hw, Contracted c, std::vector<double> send_s)
      : g_(g), hw_(hw), c_(std::move(c)), send_s_(std::move(send_s)), words_((c_.m + 63) / 64) {
    const int n = g.num_nodes();
    ext_.resize(n);
    send_b_.resize(n);
    // The receivers of u's tensor with every super node on a chip of its own. Nodes set aside
    // send at zero cost, and an edge into one leaves a node of zero send cost: they change no
    // load, so they share an extra chip c_.m that is no stage and count neither way.
    Partition chip_of(n);
    for (int v = 0; v < n; ++v) chip_of[v] = c_.super_of[v] < 0 ? c_.m : c_.super_of[v];
    hw::CutTensors cut(g, chip_of, c_.m + 1);
    for (int u = 0; u < n; ++u) {
      send_b_[u] = g.SendBytes(u);
      if (c_.super_of[u] < 0) continue;
      cut.ForEachReceiver(u, [&](int s) {
        if (s < c_.m) ext_[u].push_back(s);
      });
      std::sort(ext_[u].begin(), ext_[u].end());
    }
    pinned_.assign(words_, 0);
    pinned_to_.assign(hw.num_chips, Bits(words_, 0));
    for (int s = 0; s < c_.m; ++s) {
      if (c_.pin[s] >= 0) {
        Set(pinned_, s);
        Set(pinned_to_[c_.pin[s]], s);
      }
    }
  }

  int m() const { return c_.m; }
  bool AnyPinned() const {
    return hw_.constraints.pin &&
           std::any_of(c_.pin.begin(), c_.pin.end(), [](int chip) { return chip >= 0; });
  }

  Ideal MakeIdeal(Bits bits) const {
    Ideal id;
    id.bits = std::move(bits);
    for (int s = 0; s < c_.m; ++s) {
      if (!Test(id.bits, s)) continue;
      ++id.size;
      id.compute += c_.compute_s[s];
      id.weights += c_.weights[s];
      for (int u : c_.members[s]) {
        for (int t : ext_[u]) {
          if (!Test(id.bits, t)) {
            id.boundary.push_back(u);
            break;
          }
        }
      }
    }
    return id;
  }

  // Every ideal, by BFS over sizes; false when there are more than `cap`.
  bool EnumerateAll(int64_t cap, std::vector<Ideal>* out) const {
    std::vector<Bits> level = {Bits(words_, 0)}, all = level;
    while (!level.empty()) {
      std::unordered_map<Bits, bool, BitsHash> next;
      for (const Bits& b : level) {
        for (int s = 0; s < c_.m; ++s) {
          if (Test(b, s)) continue;
          bool ready = true;
          for (int p : c_.preds[s]) ready = ready && Test(b, p);
          if (!ready) continue;
          Bits nb = b;
          Set(nb, s);
          next.emplace(std::move(nb), true);
        }
        if (static_cast<int64_t>(all.size() + next.size()) > cap) return false;
      }
      level.clear();
      for (auto& [b, unused] : next) level.push_back(b);
      std::sort(level.begin(), level.end());  // deterministic order
      all.insert(all.end(), level.begin(), level.end());
    }
    for (Bits& b : all) out->push_back(MakeIdeal(std::move(b)));
    return true;
  }

  // Prefixes of the super nodes' topological numbering.
  void Prefixes(std::vector<Ideal>* out) const {
    Bits b(words_, 0);
    out->push_back(MakeIdeal(b));
    for (int s = 0; s < c_.m; ++s) {
      Set(b, s);
      out->push_back(MakeIdeal(b));
    }
  }

  // Load of the stage I \ I' (I' ⊂ I) placed on chip `chip`, or +inf when the stage breaks
  // sram or pins. Mirrors hw/maxload.cc and hw::ComputeSramUse for a contiguous split.
  double StageLoad(const Ideal& lo, const Ideal& hi, int chip) const {
    if (hw_.constraints.pin) {
      for (int w = 0; w < words_; ++w) {
        const uint64_t stage = hi.bits[w] & ~lo.bits[w];
        if (stage & pinned_[w] & ~pinned_to_[chip][w]) return kInf;
      }
    }
    double load = hi.compute - lo.compute;
    int64_t buf = 0;
    // Sent: nodes of the stage whose consumers lie beyond `hi` (none can lie in `lo`).
    for (int u : hi.boundary) {
      if (Test(lo.bits, c_.super_of[u])) continue;
      load += send_s_[u];
      buf += send_b_[u];
    }
    // Received: nodes of `lo` with a consumer in the stage, once each.
    for (int u : lo.boundary) {
      for (int t : ext_[u]) {
        if (Test(hi.bits, t) && !Test(lo.bits, t)) {
          load += send_s_[u];
          buf += send_b_[u];
          break;
        }
      }
    }
    if (hw_.constraints.sram) {
      int64_t total = hi.weights - lo.weights;
      if (hw_.constraints.sram_buffers) {
        int64_t ws = 0;
        for (int w = 0; w < words_; ++w) {
          uint64_t stage = hi.bits[w] & ~lo.bits[w];
          while (stage) {
            const int s = w * 64 + __builtin_ctzll(stage);
            stage &= stage - 1;
            ws = std::max(ws, c_.max_ws[s]);
          }
        }
        total += buf + ws;
      }
      if (total > hw_.chip.sram_bytes) return kInf;
    }
    return load;
  }

  bool Subset(const Ideal& a, const Ideal& b) const {
    for (int w = 0; w < words_; ++w) {
      if (a.bits[w] & ~b.bits[w]) return false;
    }
    return true;
  }

  // f(k, I) over `fam` (sorted by size, ∅ first, everything last). Returns stage ideals.
  std::vector<int> Solve(const std::vector<Ideal>& fam, bool chain) const {
    const int f = static_cast<int>(fam.size()), k_max = hw_.num_chips;
    std::vector<std::vector<double>> best(k_max + 1, std::vector<double>(f, kInf));
    std::vector<std::vector<int>> parent(k_max + 1, std::vector<int>(f, -1));
    // Without no_skip a chip may stay empty: f(k, I) ≤ f(k−1, I).
    const bool skip = !hw_.constraints.no_skip;
    best[0][0] = 0;
    for (int k = 1; skip && k <= k_max; ++k) {
      best[k][0] = 0;
      parent[k][0] = 0;
    }
    for (int i = 1; i < f; ++i) {
      for (int j = 0; j < i; ++j) {
        if (fam[j].size >= fam[i].size || (!chain && !Subset(fam[j], fam[i]))) continue;
        double chip0_load = -1;  // stage load is the same on every chip unless pins differ
        for (int k = 1; k <= k_max; ++k) {
          if (best[k - 1][j] == kInf) continue;
          const double load =
              hw_.constraints.pin || chip0_load < 0 ? StageLoad(fam[j], fam[i], k - 1) : chip0_load;
          chip0_load = load;
          const double v = std::max(best[k - 1][j], load);
          if (v < best[k][i]) {
            best[k][i] = v;
            parent[k][i] = j;
          }
        }
      }
      for (int k = 1; skip && k <= k_max; ++k) {
        if (best[k - 1][i] < best[k][i]) {
          best[k][i] = best[k - 1][i];
          parent[k][i] = i;
        }
      }
    }
    int bk = -1;
    for (int k = 1; k <= k_max; ++k) {
      if (best[k][f - 1] < kInf && (bk < 0 || best[k][f - 1] < best[bk][f - 1])) bk = k;
    }
    if (bk < 0) return {};
    std::vector<int> cuts = {f - 1};
    for (int k = bk, i = f - 1; k > 0; --k) cuts.push_back(i = parent[k][i]);
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
  }

  // Pair-state DP over prefixes: g(k, j, i) = best with stage k = [j, i); stage k's outside
  // predecessors must lie in stage k−1 = [j', j), i.e. j' ≤ min predecessor position.
  std::vector<int> SolveHop1(const std::vector<Ideal>& fam) const {
    const int m = c_.m, k_max = hw_.num_chips, w = m + 1;
    std::vector<double> load(static_cast<size_t>(w) * w, kInf);
    std::vector<int> min_pred(static_cast<size_t>(w) * w, std::numeric_limits<int>::max());
    for (int j = 0; j < m; ++j) {
      int mp = std::numeric_limits<int>::max();
      for (int i = j + 1; i <= m; ++i) {
        for (int p : c_.preds[i - 1]) {
          if (p < j) mp = std::min(mp, p);
        }
        min_pred[j * w + i] = mp;
      }
    }
    auto at = [w](int j, int i) { return static_cast<size_t>(j) * w + i; };
    std::vector<std::vector<double>> g(k_max + 1);
    std::vector<std::vector<int>> parent(k_max + 1);
    for (int k = 1; k <= k_max; ++k) {
      g[k].assign(static_cast<size_t>(w) * w, kInf);
      parent[k].assign(static_cast<size_t>(w) * w, -1);
      if (k > 1 && hw_.constraints.pin) load.assign(load.size(), kInf);
      // Without no_skip the first stage may start on any chip (chips below it stay empty).
      const int j_first = k == 1 || !hw_.constraints.no_skip ? 0 : 1;
      for (int j = j_first; j < (k == 1 ? 1 : m); ++j) {
        // prefix minimum over j' of g(k−1, j', j)
        std::vector<double> pm(j + 1, kInf);
        std::vector<int> arg(j + 1, -1);
        const bool first_stage = j == 0;
        if (!first_stage) {
          for (int jp = 0; jp < j; ++jp) {
            pm[jp + 1] = pm[jp];
            arg[jp + 1] = arg[jp];
            if (g[k - 1][at(jp, j)] < pm[jp + 1]) {
              pm[jp + 1] = g[k - 1][at(jp, j)];
              arg[jp + 1] = jp;
            }
          }
          if (pm[j] == kInf) continue;
        }
        for (int i = j + 1; i <= m; ++i) {
          double& l = load[at(j, i)];
          if (l == kInf) l = StageLoad(fam[j], fam[i], k - 1);
          if (l == kInf) continue;
          double prev = 0;
          int from = -1;
          if (!first_stage) {
            const int lim = std::min(min_pred[at(j, i)], j - 1);  // allowed j' ≤ lim
            prev = pm[lim + 1];
            from = arg[lim + 1];
            if (prev == kInf) continue;
          }
          g[k][at(j, i)] = std::max(prev, l);
          parent[k][at(j, i)] = from;
        }
      }
    }
    int bk = -1, bj = -1;
    double bv = kInf;
    for (int k = 1; k <= k_max; ++k) {
      for (int j = 0; j < m; ++j) {
        if (g[k][at(j, m)] < bv) {
          bv = g[k][at(j, m)];
          bk = k;
          bj = j;
        }
      }
    }
    if (bk < 0) return {};
    std::vector<int> cuts = {m, bj};
    for (int k = bk, i = m, j = bj; k > 1; --k) {
      const int jp = j == 0 ? 0 : parent[k][at(j, i)];  // j = 0: chips below stay empty
      cuts.push_back(jp);
      i = j;
      j = jp;
    }
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
  }

  // SolveHop1's optimum without the chip index and without all stage pairs, when no node is
  // pinned: bisection on the bound B of the max-load, each step asking for the fewest stages
  // with every load ≤ B (feasible iff ≤ K; loads do not depend on the chip). A stage grows
  // from its start until its compute or its weights pass what any stage may hold, so each step
  // costs O(m · window). For a fixed end, a later start with no more stages dominates, so each
  // end keeps at most K (start, stages) pairs. Returns prefix positions, 0 first and m last.
  std::vector<int> SolveHop1Windowed() const {
    PrepareWalks();
    double total = 0;  // no stage can weigh more: every compute and every transfer once
    for (int s = 0; s < c_.m; ++s) total += c_.compute_s[s];
    for (size_t u = 0; u < send_s_.size(); ++u) total += 2 * send_s_[u];
    double lo = 0, hi = std::max(total / hw_.num_chips, 1e-30);
    std::vector<int> cuts;
    while (true) {  // a first feasible bound
      cuts = FewestStages(hi);
      if (!cuts.empty() || hi > total) break;
      lo = hi;
      hi *= 2;
    }
    if (cuts.empty()) return {};
    hi = MaxStageLoad(cuts);
    for (int it = 0; it < 100 && hi - lo > 1e-12 * hi; ++it) {
      const double mid = 0.5 * (lo + hi);
      std::vector<int> c = FewestStages(mid);
      if (c.empty()) {
        lo = mid;
      } else {
        cuts = std::move(c);
        hi = MaxStageLoad(cuts);
      }
    }
    return cuts;
  }

  // Largest StageLoad over the stages between consecutive prefix positions.
  double MaxStageLoad(const std::vector<int>& cuts) const {
    double worst = 0;
    for (size_t k = 0; k + 1 < cuts.size(); ++k) {
      worst = std::max(
          worst, StageLoad(PrefixIdeal(cuts[k]), PrefixIdeal(cuts[k + 1]), static_cast<int>(k)));
    }
    return worst;
  }

  Ideal PrefixIdeal(int size) const {
    Bits b(words_, 0);
    for (int s = 0; s < size; ++s) Set(b, s);
    return MakeIdeal(std::move(b));
  }

  // Stages of `cuts` (prefix positions) as a family and its index list for ToPartition.
  std::vector<Ideal> PrefixFamily(std::vector<int>* cuts) const {
    std::vector<Ideal> fam;
    for (size_t k = 0; k < cuts->size(); ++k) {
      fam.push_back(PrefixIdeal((*cuts)[k]));
      (*cuts)[k] = static_cast<int>(k);
    }
    return fam;
  }

 private:
  // One stage [j, i) grown node by node: its load and SRAM terms as StageLoad counts them.
  struct Walk {
    double compute = 0, comm = 0;
    int64_t weights = 0, ws = 0, buf = 0;
    int min_pred = std::numeric_limits<int>::max();  // earliest predecessor before j
  };

  // Per original node its last consumer super node, and per super node the nodes whose last
  // consumer it is and the outside nodes it receives from.
  void PrepareWalks() const {
    const int n = g_.num_nodes();
    last_ext_.assign(n, -1);
    by_last_ext_.assign(c_.m, {});
    receives_from_.assign(c_.m, {});
    for (int u = 0; u < n; ++u) {
      if (ext_[u].empty()) continue;
      last_ext_[u] = ext_[u].back();
      by_last_ext_[last_ext_[u]].push_back(u);
      for (int t : ext_[u]) receives_from_[t].push_back(u);
    }
    stamp_.assign(n, -1);
  }

  // Adds super node s = i − 1 to the stage starting at j.
  void Extend(int j, int s, Walk* w) const {
    w->compute += c_.compute_s[s];
    w->weights += c_.weights[s];
    w->ws = std::max(w->ws, c_.max_ws[s]);
    for (int u : c_.members[s]) {
      if (last_ext_[u] > s) {
        w->comm += send_s_[u];
        w->buf += send_b_[u];
      }
    }
    for (int u : by_last_ext_[s]) {  // its last consumer joins: u no longer sends
      if (c_.super_of[u] >= j) {
        w->comm -= send_s_[u];
        w->buf -= send_b_[u];
      }
    }
    for (int u : receives_from_[s]) {
      if (c_.super_of[u] < j && stamp_[u] != j) {
        stamp_[u] = j;
        w->comm += send_s_[u];
        w->buf += send_b_[u];
      }
    }
    for (int p : c_.preds[s]) {
      if (p < j) w->min_pred = std::min(w->min_pred, p);
    }
  }

  // The fewest stages under bound `bound` (hop 1: a stage's outside predecessors lie in the
  // stage before it), as prefix positions; empty when more than K are needed.
  std::vector<int> FewestStages(double bound) const {
    const int m = c_.m, k_max = hw_.num_chips;
    const bool sram = hw_.constraints.sram, buffers = hw_.constraints.sram_buffers;
    struct Entry {
      int start, stages, from;
    };
    std::vector<std::vector<Entry>> ending(m + 1);  // starts ascending, stages descending
    std::fill(stamp_.begin(), stamp_.end(), -1);
    for (int j = 0; j < m; ++j) {
      const std::vector<Entry>& before = ending[j];
      if (j > 0 && before.empty()) continue;
      Walk w;
      for (int i = j + 1; i <= m; ++i) {
        Extend(j, i - 1, &w);
        if (w.compute > bound) break;
        if (sram && w.weights + (buffers ? w.ws : 0) > hw_.chip.sram_bytes) break;
        if (w.compute + w.comm > bound * (1 + 1e-12)) continue;
        if (sram && w.weights + (buffers ? w.buf + w.ws : 0) > hw_.chip.sram_bytes) continue;
        int stages = 1, from = -1;
        if (j > 0) {
          const int lim = std::min(w.min_pred, j - 1);
          auto it = std::upper_bound(before.begin(), before.end(), lim,
                                     [](int v, const Entry& e) { return v < e.start; });
          if (it == before.begin()) continue;
          --it;
          stages = it->stages + 1;
          from = it->start;
        }
        std::vector<Entry>& here = ending[i];
        if (stages <= k_max && (here.empty() || stages < here.back().stages)) {
          here.push_back({j, stages, from});
        }
      }
    }
    if (ending[m].empty()) return {};
    std::vector<int> cuts = {m};
    Entry e = ending[m].back();
    while (true) {
      cuts.push_back(e.start);
      if (e.from < 0) break;
      const std::vector<Entry>& list = ending[e.start];
      e = *std::find_if(list.begin(), list.end(),
                        [&](const Entry& x) { return x.start == e.from; });
    }
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
  }

 public:
  Partition ToPartition(const std::vector<Ideal>& fam, const std::vector<int>& cuts) const {
    Partition p(g_.num_nodes(), -1);
    for (size_t k = 0; k + 1 < cuts.size(); ++k) {
      const Ideal &lo = fam[cuts[k]], &hi = fam[cuts[k + 1]];
      for (int s = 0; s < c_.m; ++s) {
        if (Test(hi.bits, s) && !Test(lo.bits, s)) {
          for (int v : c_.members[s]) p[v] = static_cast<int>(k);
        }
      }
    }
    // Nodes set aside, last first: a sink goes to the latest chip of its placed predecessors, a
    // source to the earliest chip of its placed successors (chip 0 without any). A neighbour
    // placed after it was set aside earlier, as a source before it or a sink after it, so every
    // edge still runs forward.
    for (size_t i = c_.set_aside.size(); i-- > 0;) {
      const bool sink = c_.set_aside_sink[i];
      int chip = -1;
      for (int v : c_.set_aside[i]) {
        for (int e : sink ? g_.in_edges()[v] : g_.out_edges()[v]) {
          const int q = p[sink ? g_.edges[e].src : g_.edges[e].dst];
          if (q >= 0) chip = chip < 0 ? q : (sink ? std::max(chip, q) : std::min(chip, q));
        }
      }
      for (int v : c_.set_aside[i]) p[v] = std::max(chip, 0);
    }
    return p;
  }

 private:
  const Graph& g_;
  const hw::Hardware& hw_;
  Contracted c_;
  std::vector<double> send_s_;
  std::vector<int64_t> send_b_;
  std::vector<std::vector<int>> ext_;  // consumer super nodes other than the node's own
  int words_;
  Bits pinned_;
  std::vector<Bits> pinned_to_;
  // SolveHop1Windowed's scratch (PrepareWalks).
  mutable std::vector<int> last_ext_, stamp_;
  mutable std::vector<std::vector<int>> by_last_ext_, receives_from_;
};

}  // namespace

const char* DpFamilyName(DpFamily f) {
  switch (f) {
    case DpFamily::kAllIdeals:
      return "all-ideals";
    case DpFamily::kPrefixes:
      return "topological-prefixes";
    case DpFamily::kPrefixesHop1:
      return "topological-prefixes-hop1";
  }
  return "?";
}

common::StatusOr<DpResult> DpMaxLoad(const Graph& graph, const hw::Hardware& hw,
                                     const DpOptions& options) {
  assert(graph.finalized());
  const auto t0 = std::chrono::steady_clock::now();
  const int n = graph.num_nodes();
  std::vector<double> compute(n), send(n);
  for (int v = 0; v < n; ++v) {
    compute[v] = hw::OpSeconds(graph.nodes[v], hw);
    send[v] = hw::SendSeconds(graph, v, hw);
  }
  MCMPART_ASSIGN_OR_RETURN(Contracted contracted,
                           Contract(graph, hw, compute, send, options.reduce));
  const int reduced_nodes = contracted.merged + static_cast<int>(contracted.set_aside.size());
  DpSolver solver(graph, hw, std::move(contracted), std::move(send));
  const bool hop_binding =
      hw.constraints.max_hop && hw.constraints.max_hop_distance < hw.num_chips - 1;
  DpResult result;
  std::vector<Ideal> family;
  std::vector<int> cuts;
  int64_t family_size = -1;
  if (hop_binding) {
    result.family = DpFamily::kPrefixesHop1;
    if (options.windowed_hop1 && !solver.AnyPinned()) {
      cuts = solver.SolveHop1Windowed();
      family = solver.PrefixFamily(&cuts);
      family_size = solver.m() + 1;
    } else if (solver.m() > 3000) {
      return Status::Error(
          "dp: " + std::to_string(solver.m()) +
          " contracted nodes is too many for the max_hop dynamic program (at most 3000)");
    } else {
      solver.Prefixes(&family);
      cuts = solver.SolveHop1(family);
    }
  } else {
    if (solver.EnumerateAll(options.max_ideals, &family)) {
      result.family = DpFamily::kAllIdeals;
    } else {
      family.clear();
      result.family = DpFamily::kPrefixes;
      solver.Prefixes(&family);
    }
    std::stable_sort(family.begin(), family.end(),
                     [](const Ideal& a, const Ideal& b) { return a.size < b.size; });
    cuts = solver.Solve(family, result.family == DpFamily::kPrefixes);
  }
  result.family_size = family_size >= 0 ? family_size : static_cast<int64_t>(family.size());
  if (cuts.empty()) {
    return Status::Error(std::string("dp: no contiguous split over ") +
                         DpFamilyName(result.family) +
                         " satisfies the enabled constraints of hardware '" + hw.name + "'");
  }
  result.partition = solver.ToPartition(family, cuts);
  result.reduced_nodes = reduced_nodes;
  std::vector<bool> used(hw.num_chips, false);
  for (int chip : result.partition) used[chip] = true;
  result.chips_used = static_cast<int>(std::count(used.begin(), used.end(), true));
  assert(hw::IsValid(graph, hw, result.partition));
  result.max_load_s =
      hw::MakeMaxLoadEvaluator(graph, hw)->Evaluate(result.partition).time_per_sample_s;
  result.optimal_contiguous = result.family == DpFamily::kAllIdeals;
  result.solve_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace mcmpart::actors::search
