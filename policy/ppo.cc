// PPO trainer: one forward per graph per minibatch, per-node ratios, Adam.
#include "policy/ppo.h"

#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>

#include "actors/chain_expert.h"
#include "common/rng.h"
#include "policy/decoder.h"
#include "policy/policy_net.h"

namespace mcmpart::policy {

namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Seed offset of the trainer's minibatch shuffling stream, apart from the network's init.
constexpr uint64_t kShuffleSeedSalt = 0x5050;

// Advantages: reward minus the behaviour policy's value, normalised over the batch.
std::vector<double> NormalisedAdvantages(const std::vector<actors::EpisodeRecord>& batch) {
  const int b = static_cast<int>(batch.size());
  std::vector<double> adv(b);
  double mean = 0, sq = 0;
  for (int i = 0; i < b; ++i) {
    adv[i] = batch[i].reward - batch[i].value;
    mean += adv[i];
  }
  mean /= b;
  for (double a : adv) sq += (a - mean) * (a - mean);
  const double stdev = std::sqrt(sq / b);
  for (double& a : adv) a = stdev > 1e-8 ? (a - mean) / stdev : a - mean;
  return adv;
}

// Scale of self-imitation advantages: the batch's reward spread, floored so that a converged
// policy (all samples alike) cannot blow the weights up.
double SilScale(const std::vector<actors::EpisodeRecord>& batch) {
  const int b = static_cast<int>(batch.size());
  double reward_mean = 0, reward_sq = 0;
  for (const actors::EpisodeRecord& r : batch) reward_mean += r.reward;
  reward_mean /= b;
  for (const actors::EpisodeRecord& r : batch) {
    reward_sq += (r.reward - reward_mean) * (r.reward - reward_mean);
  }
  return std::max(std::sqrt(reward_sq / b), 1e-3 + 0.01 * std::abs(reward_mean));
}

// Log-probability given to the chips a sequential step does not allow.
constexpr float kMasked = -1e9f;
// Bounds of PPO's per-decision log importance ratio and the dual-clip factor (Minibatch).
constexpr double kMaxLogRatio = 20.0;
constexpr double kDualClip = 10.0;

}  // namespace

// The decisions that produced one partition, as tensors: the node whose row scores each
// decision (graph-local), the chip taken and, for the sequential decoder, each step's mask
// (0 or kMasked per chip) and state features.
struct Decisions {
  torch::Tensor rows;      // [R] int64
  torch::Tensor actions;   // [R, 1] int64
  torch::Tensor mask;      // [R, K_max] (sequential)
  torch::Tensor features;  // [R, K_max, kStateFeatures] (sequential)
  std::vector<int64_t> row_nodes;
  std::vector<uint8_t> forced;  // per decision: the rules excluded its chip (sequential)
  torch::Tensor free;           // [R] float: 0 where forced, else 1 (what the losses weigh by)
  int num_forced = 0;
};

namespace {

// Independent decoder: one decision per node. Sequential: one per unit, replayed through the
// Sequencer (actors::ReplayPartition) exactly as the actor decoded it.
Decisions MakeDecisions(const actors::UnitSchedule* schedule, const std::vector<int>& partition,
                        int max_chips) {
  Decisions d;
  std::vector<int64_t> actions;
  if (schedule == nullptr) {
    for (size_t v = 0; v < partition.size(); ++v) d.row_nodes.push_back(static_cast<int64_t>(v));
    actions.assign(partition.begin(), partition.end());
  } else {
    constexpr int kF = actors::Sequencer::kStateFeatures;
    const int m = schedule->num_units, k = schedule->num_chips;
    actors::UnitReplay r = actors::ReplayPartition(*schedule, partition);
    d.forced = std::move(r.forced);
    d.mask = torch::full({m, max_chips}, kMasked);
    d.features = torch::zeros({m, max_chips, kF});
    auto mask = d.mask.accessor<float, 2>();
    auto features = d.features.accessor<float, 3>();
    for (int step = 0; step < m; ++step) {
      d.row_nodes.push_back(schedule->rep_node[schedule->order[step]]);
      actions.push_back(r.actions[step]);
      for (int c = 0; c < k; ++c) {
        if (r.allowed[static_cast<size_t>(step) * k + c]) mask[step][c] = 0.f;
        for (int j = 0; j < kF; ++j) {
          features[step][c][j] = r.features[(static_cast<size_t>(step) * k + c) * kF + j];
        }
      }
    }
  }
  std::vector<float> free(d.row_nodes.size(), 1.f);
  for (size_t i = 0; i < d.forced.size(); ++i) {
    if (d.forced[i]) {
      free[i] = 0.f;
      ++d.num_forced;
    }
  }
  d.free = torch::tensor(free);
  d.rows = torch::tensor(d.row_nodes, torch::kInt64);
  d.actions = torch::tensor(actions, torch::kInt64).unsqueeze(1);
  return d;
}

// PPO's clipped surrogate per row (Schulman et al., 2017), with the dual clip (Ye et al., AAAI
// 2020; their c = 3, ours looser so that PPO still repels clearly worse partitions): with a
// negative advantage it is bounded below by kDualClip · A, so one stale, improbable decision
// cannot dominate the step.
torch::Tensor ClippedSurrogate(const torch::Tensor& ratio, const torch::Tensor& adv, double clip) {
  auto surr = torch::min(ratio * adv, ratio.clamp(1.0 - clip, 1.0 + clip) * adv);
  return torch::where(adv < 0, torch::max(surr, kDualClip * adv), surr);
}

// Row-wise log-probabilities [R, K_max] of decisions whose rows index `out` (already offset).
torch::Tensor DecisionLogProbs(const PolicyOutput& out, const torch::Tensor& rows,
                               const torch::Tensor& mask, const torch::Tensor& features) {
  auto static_lp = out.log_probs.index_select(0, rows);
  if (!features.defined()) return static_lp;
  auto theta = out.theta.index_select(0, rows).unsqueeze(1);  // [R, 1, S]
  return torch::log_softmax(static_lp + (features * theta).sum(2) + mask, 1);
}

// Mean of row values per owner, [owners].
torch::Tensor PerOwnerMean(const torch::Tensor& values, const torch::Tensor& owner,
                           const torch::Tensor& counts) {
  return torch::zeros({counts.size(0)}).index_add(0, owner, values) / counts;
}

}  // namespace

// The trained decisions of every record of a batch, record after record, built once per
// update: a minibatch selects its rows with one index_select (none for the whole batch)
// instead of concatenating per-record tensors at every step.
struct BatchDecisions {
  std::vector<int64_t> rows;   // graph-local node scoring each decision
  std::vector<int64_t> start;  // first decision of each record, and the total at the end
  torch::Tensor actions;       // [R, 1] int64
  torch::Tensor mask;          // [R, K_max] (sequential)
  torch::Tensor features;      // [R, K_max, kStateFeatures] (sequential)
  torch::Tensor old_logp;      // [R] behaviour log-prob of each decision
  torch::Tensor free;          // [R] 1, or 0 for a decision the decoder's rules forced
};

// A behaviour-cloning target replayed once: its decisions (with which of them are forced)
// and the target's chip of each decision.
struct CloneTarget {
  int graph = 0;
  Decisions d;
  std::vector<int> chips;
};

// What one update trains on, built once per batch.
struct UpdateInputs {
  std::vector<double> adv;
  BatchDecisions decisions;
  std::vector<std::vector<Decisions>> elite_decisions;  // per graph, per elite
  double sil_scale = 0;
  bool sil = false;
};

struct PpoTrainer::Impl {
  common::Config config;
  PolicyNet net{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer;
  std::vector<FeatureTensors> graphs;
  std::vector<std::unique_ptr<actors::UnitSchedule>> schedules;  // per graph; null: independent
  std::vector<std::vector<Elite>> elites;                        // per graph, best first
  std::mt19937_64 rng;
  int threads = 1;  // intra-op threads of an update, set on the thread that runs it

  // Keeps the sil_elites best distinct valid partitions per graph.
  void AddElite(const actors::EpisodeRecord& r) {
    if (!r.valid || r.partition.empty() || r.graph < 0) return;
    if (r.graph >= static_cast<int>(elites.size())) return;
    std::vector<Elite>& list = elites[r.graph];
    const size_t cap = static_cast<size_t>(config.ppo.sil_elites);
    if (list.size() == cap && r.reward <= list.back().reward) return;
    for (const Elite& e : list) {
      if (e.partition == r.partition) return;
    }
    auto at =
        std::find_if(list.begin(), list.end(), [&](const Elite& e) { return e.reward < r.reward; });
    list.insert(at, Elite{r.partition, r.reward});
    if (list.size() > cap) list.pop_back();
  }

  Decisions DecisionsOf(int graph, const std::vector<int>& partition) const {
    return MakeDecisions(schedules.at(graph).get(), partition, config.policy.max_chips);
  }
  UpdateInputs Prepare(const std::vector<actors::EpisodeRecord>& batch);
  FeatureTensors JointOf(const std::vector<actors::EpisodeRecord>& batch,
                         const std::vector<int>& recs, std::vector<int>* graph_ids,
                         std::vector<int>* slot) const;
  FeatureTensors JointOfGraphs(std::vector<int>* graph_ids, std::vector<int>* slot) const;
  double RunEpoch(const std::vector<actors::EpisodeRecord>& batch, const UpdateInputs& in,
                  const std::vector<int>& order, PpoStats* stats, int* steps);
  double Minibatch(const std::vector<actors::EpisodeRecord>& batch, const UpdateInputs& in,
                   const std::vector<int>& order, int s, int e, PpoStats* stats);
  torch::Tensor SilLoss(const PolicyOutput& out, const FeatureTensors& joint,
                        const std::vector<int>& graph_ids, const UpdateInputs& in);
  CloneTarget MakeCloneTarget(const ImitationTarget& t) const;
  FeatureTensors CloneJoint(const std::vector<CloneTarget>& clone, const std::vector<int>& pick,
                            std::vector<int>* slot) const;
  torch::Tensor CloneNll(const PolicyOutput& out, const FeatureTensors& joint, int slot,
                         const CloneTarget& t, bool ceiling) const;
  double CloneStep(const std::vector<CloneTarget>& clone, const std::vector<int>& pick,
                   torch::optim::Adam& optimizer);
  double GreedyAgreement(const float* log_probs, const float* theta, int64_t offset,
                         const CloneTarget& t) const;
  void CloneMeasure(const std::vector<CloneTarget>& clone, ImitationStats* stats);
  void AddDaggerTargets(const std::vector<ImitationTarget>& targets, std::vector<CloneTarget>* pool,
                        ImitationStats* stats);
  std::vector<std::unique_ptr<actors::ChainExpert>> experts;  // per graph, built on first use
};

namespace {
// Other ranks of this job on this node, as the MPI launcher tells each process (Open MPI,
// MPICH/Hydra); 0 outside a launcher.
int OtherLocalRanks() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    const char* text = std::getenv(var);
    if (text != nullptr && std::atoi(text) > 0) return std::atoi(text) - 1;
  }
  return 0;
}
}  // namespace

int TrainerThreads(const common::PpoConfig& config) {
  if (config.learner_threads > 0) return config.learner_threads;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  // Actor ranks sharing these cores keep one each: more threads than free cores make every
  // OpenMP step wait for a descheduled thread (7x slower on 2 cores next to 2 actors).
  return std::max(1, CPU_COUNT(&set) - OtherLocalRanks());
}

// An update allocates and frees the same large temporaries at every step; glibc serves them
// with mmap and returns them to the kernel, so every step paid for page faults (a third of the
// update on bert-base). Keeping freed memory in the heap makes the peak reused, not refaulted.
void KeepFreedMemory() {
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return true;
  }();
  (void)once;
}

PpoTrainer::PpoTrainer(const common::Config& config, uint64_t seed) : impl_(new Impl) {
  KeepFreedMemory();
  impl_->config = config;
  impl_->threads = TrainerThreads(config.ppo);
  torch::manual_seed(seed);
  impl_->net = PolicyNet(config.policy);
  impl_->optimizer = std::make_unique<torch::optim::Adam>(impl_->net->parameters(),
                                                          torch::optim::AdamOptions(config.ppo.lr));
  impl_->rng.seed(seed ^ kShuffleSeedSalt);
}

PpoTrainer::~PpoTrainer() = default;

int PpoTrainer::AddGraph(const actors::GraphFeatures& features) {
  impl_->graphs.push_back(ToTensors(features));
  const bool sequential = impl_->config.policy.decoder == common::Decoder::kSequential;
  impl_->schedules.push_back(sequential ? std::make_unique<actors::UnitSchedule>(features.schedule)
                                        : nullptr);
  impl_->elites.emplace_back();
  return static_cast<int>(impl_->graphs.size()) - 1;
}

std::vector<float> PpoTrainer::FlatWeights() const { return FlattenParameters(impl_->net); }

UpdateInputs PpoTrainer::Impl::Prepare(const std::vector<actors::EpisodeRecord>& batch) {
  const common::PpoConfig& pc = config.ppo;
  UpdateInputs in;
  in.adv = NormalisedAdvantages(batch);
  // Self-imitation targets: the best valid partitions so far, including this batch's.
  in.sil = pc.sil_coef > 0;
  if (in.sil) {
    for (const actors::EpisodeRecord& r : batch) AddElite(r);
  }
  in.sil_scale = SilScale(batch);
  in.elite_decisions.resize(graphs.size());
  for (size_t g = 0; in.sil && g < elites.size(); ++g) {
    for (const Elite& e : elites[g]) {
      in.elite_decisions[g].push_back(DecisionsOf(static_cast<int>(g), e.partition));
    }
  }
  std::vector<torch::Tensor> actions, masks, features;
  std::vector<float> old;
  std::vector<torch::Tensor> free;
  BatchDecisions& all = in.decisions;
  for (const actors::EpisodeRecord& r : batch) {
    const bool repaired = pc.train_on_repaired && !r.partition.empty();
    const Decisions d = DecisionsOf(r.graph, repaired ? r.partition : r.proposal);
    const std::vector<float>& logp = repaired ? r.logp_partition : r.logp_proposal;
    all.start.push_back(static_cast<int64_t>(all.rows.size()));
    for (size_t j = 0; j < d.row_nodes.size(); ++j) {
      all.rows.push_back(d.row_nodes[j]);
      old.push_back(logp.at(d.row_nodes[j]));
    }
    actions.push_back(d.actions);
    free.push_back(d.free);
    if (d.features.defined()) {
      masks.push_back(d.mask);
      features.push_back(d.features);
    }
  }
  all.start.push_back(static_cast<int64_t>(all.rows.size()));
  all.actions = torch::cat(actions);
  if (!features.empty()) {
    all.mask = torch::cat(masks);
    all.features = torch::cat(features);
  }
  all.old_logp = torch::tensor(old, torch::kFloat32);
  all.free = torch::cat(free);
  return in;
}

// One pass over the batch in minibatches; returns the epoch's mean approx-KL.
double PpoTrainer::Impl::RunEpoch(const std::vector<actors::EpisodeRecord>& batch,
                                  const UpdateInputs& in, const std::vector<int>& order,
                                  PpoStats* stats, int* steps) {
  const int b = static_cast<int>(batch.size());
  const int mb = std::max(1, std::min(config.ppo.minibatch, b));
  double epoch_kl = 0;
  int epoch_steps = 0;
  for (int s = 0; s < b; s += mb) {
    epoch_kl += Minibatch(batch, in, order, s, std::min(b, s + mb), stats);
    ++epoch_steps;
    ++*steps;
  }
  return epoch_kl / std::max(1, epoch_steps);
}

// The distinct graphs of records `recs` (sorted), each graph's slot in their disjoint union
// (-1: none), and the union, for one batched forward.
FeatureTensors PpoTrainer::Impl::JointOf(const std::vector<actors::EpisodeRecord>& batch,
                                         const std::vector<int>& recs, std::vector<int>* graph_ids,
                                         std::vector<int>* slot) const {
  for (int i : recs) graph_ids->push_back(batch[i].graph);
  return JointOfGraphs(graph_ids, slot);
}

// The disjoint union of `graph_ids` (sorted and deduplicated here) and each graph's slot in it.
FeatureTensors PpoTrainer::Impl::JointOfGraphs(std::vector<int>* graph_ids,
                                               std::vector<int>* slot) const {
  std::sort(graph_ids->begin(), graph_ids->end());
  graph_ids->erase(std::unique(graph_ids->begin(), graph_ids->end()), graph_ids->end());
  std::vector<const FeatureTensors*> parts;
  slot->assign(graphs.size(), -1);
  for (int g : *graph_ids) {
    (*slot)[g] = static_cast<int>(parts.size());
    parts.push_back(&graphs.at(g));
  }
  return BatchTensors(parts);
}

// One gradient step on records order[s..e): a batched forward over their distinct graphs,
// then every decision of every record scored at once (one gather), the clipped surrogate,
// value and entropy terms and self-imitation. Returns its approx-KL.
double PpoTrainer::Impl::Minibatch(const std::vector<actors::EpisodeRecord>& batch,
                                   const UpdateInputs& in, const std::vector<int>& order, int s,
                                   int e, PpoStats* stats) {
  const common::PpoConfig& pc = config.ppo;
  const auto forward_start = Clock::now();
  // The whole batch in one step: record order does not change the loss, so take the records
  // as Prepare laid them out and select nothing.
  std::vector<int> recs(order.begin() + s, order.begin() + e);
  const bool whole = e - s == static_cast<int>(batch.size());
  if (whole) std::sort(recs.begin(), recs.end());
  std::vector<int> graph_ids, slot;
  const FeatureTensors joint = JointOf(batch, recs, &graph_ids, &slot);
  const PolicyOutput out = net->forward(joint);
  const BatchDecisions& all = in.decisions;
  std::vector<int64_t> rows, owner, select, slots;
  std::vector<float> counts, rewards, adv;
  for (size_t j = 0; j < recs.size(); ++j) {
    const int i = recs[j];
    const int k = slot[batch[i].graph];
    for (int64_t r = all.start[i]; r < all.start[i + 1]; ++r) {
      rows.push_back(all.rows[r] + joint.offsets[k]);
      owner.push_back(static_cast<int64_t>(j));
      if (!whole) select.push_back(r);
    }
    counts.push_back(static_cast<float>(all.start[i + 1] - all.start[i]));
    rewards.push_back(static_cast<float>(batch[i].reward));
    adv.push_back(static_cast<float>(in.adv[i]));
    slots.push_back(k);
  }
  const torch::Tensor sel = torch::tensor(select, torch::kInt64);
  auto pick = [&](const torch::Tensor& t) {
    return whole || !t.defined() ? t : t.index_select(0, sel);
  };
  const torch::Tensor owners = torch::tensor(owner, torch::kInt64);
  const torch::Tensor count = torch::tensor(counts);
  auto lp =
      DecisionLogProbs(out, torch::tensor(rows, torch::kInt64), pick(all.mask), pick(all.features));
  auto new_logp = lp.gather(1, pick(all.actions)).squeeze(1);
  // A decision the rules forced (repair moved the unit where the decoder could not go) was
  // not the policy's: ratio 1, no gradient. Its probability is tiny and swings by orders of
  // magnitude between weight versions, which blew PPO up on mixed corpora.
  auto log_ratio =
      ((new_logp - pick(all.old_logp)) * pick(all.free)).clamp(-kMaxLogRatio, kMaxLogRatio);
  auto ratio = log_ratio.exp();
  auto row_adv = torch::tensor(adv).index_select(0, owners);
  auto surr = ClippedSurrogate(ratio, row_adv, pc.clip);
  torch::Tensor policy_loss = -PerOwnerMean(surr, owners, count).mean();
  auto values = out.value.index_select(0, torch::tensor(slots, torch::kInt64));
  torch::Tensor value_loss = (values - torch::tensor(rewards)).pow(2).mean();
  auto row_entropy = -(lp.exp() * lp).sum(1);
  torch::Tensor entropy = PerOwnerMean(row_entropy, owners, count).mean();
  torch::Tensor kl, clipped;
  {
    torch::NoGradGuard no_grad;
    kl = PerOwnerMean((ratio - 1) - log_ratio, owners, count).mean();
    clipped = PerOwnerMean(((ratio - 1).abs() > pc.clip).to(torch::kFloat32), owners, count).mean();
  }
  torch::Tensor sil_loss = SilLoss(out, joint, graph_ids, in);
  auto loss =
      policy_loss + pc.value_coef * value_loss - pc.entropy_coef * entropy + pc.sil_coef * sil_loss;
  stats->forward_ms += MsSince(forward_start);
  const auto backward_start = Clock::now();
  optimizer->zero_grad();
  loss.backward();
  stats->backward_ms += MsSince(backward_start);
  const auto step_start = Clock::now();
  const double gn = torch::nn::utils::clip_grad_norm_(net->parameters(), pc.max_grad_norm);
  optimizer->step();
  stats->optimizer_ms += MsSince(step_start);
  stats->policy_loss += policy_loss.item<double>();
  stats->value_loss += value_loss.item<double>();
  stats->sil_loss += sil_loss.item<double>();
  stats->entropy += entropy.item<double>();
  stats->grad_norm += gn;
  stats->clip_fraction += clipped.item<double>();
  return kl.item<double>();
}

// Self-imitation (Oh et al., ICML 2018): for each graph of the minibatch, raise the
// log-probability of its elite partitions in proportion to how far their reward exceeds the
// value, (R − V)+ / spread capped at 3, up to sil_max_prob per decision, and pull V up towards
// them.
torch::Tensor PpoTrainer::Impl::SilLoss(const PolicyOutput& out, const FeatureTensors& joint,
                                        const std::vector<int>& graph_ids, const UpdateInputs& in) {
  const common::PpoConfig& pc = config.ppo;
  torch::Tensor sil_loss = torch::zeros({});
  int sil_terms = 0;
  for (size_t k = 0; in.sil && k < graph_ids.size(); ++k) {
    const int g = graph_ids[k];
    const double v = out.value[k].item<double>();
    for (size_t j = 0; j < elites[g].size(); ++j) {
      const double gap = elites[g][j].reward - v;
      if (gap <= 0) continue;
      const double w = std::min(gap / in.sil_scale, 3.0);
      const Decisions& d = in.elite_decisions[g][j];
      auto logp = DecisionLogProbs(out, d.rows + joint.offsets[k], d.mask, d.features)
                      .gather(1, d.actions)
                      .squeeze(1);
      // Decisions already at the ceiling give no gradient: the policy keeps exploring around
      // the elites instead of collapsing onto them (a ceiling of 1 masks nothing).
      auto below = (logp.detach() < std::log(pc.sil_max_prob)).to(torch::kFloat32);
      below = below * d.free;  // a forced decision is not the policy's to imitate
      sil_loss = sil_loss - w * (logp * below).mean() +
                 0.5 * pc.value_coef * (elites[g][j].reward - out.value[k]).pow(2);
      ++sil_terms;
    }
  }
  if (sil_terms > 0) sil_loss = sil_loss / static_cast<double>(sil_terms);
  return sil_loss;
}

PpoStats PpoTrainer::Update(const std::vector<actors::EpisodeRecord>& batch) {
  const auto start = Clock::now();
  const common::PpoConfig& pc = impl_->config.ppo;
  PpoStats stats;
  stats.learning_rate = pc.lr;
  if (batch.empty()) return stats;
  // Thread counts are per calling thread: the learner updates on a worker thread, while the
  // actors' inference keeps one thread (policy.cc).
  if (torch::get_num_threads() != impl_->threads) torch::set_num_threads(impl_->threads);
  const UpdateInputs in = impl_->Prepare(batch);
  stats.prepare_ms = MsSince(start);
  impl_->net->train();
  std::vector<int> order(batch.size());
  std::iota(order.begin(), order.end(), 0);
  int steps = 0;
  for (int epoch = 0; epoch < pc.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), impl_->rng);
    stats.approx_kl = impl_->RunEpoch(batch, in, order, &stats, &steps);
    stats.epochs_run = epoch + 1;
    if (stats.approx_kl > pc.target_kl) break;
  }
  impl_->net->eval();
  stats.policy_loss /= steps;
  stats.value_loss /= steps;
  stats.sil_loss /= steps;
  stats.entropy /= steps;
  stats.grad_norm /= steps;
  stats.clip_fraction /= steps;
  stats.update_ms = MsSince(start);
  return stats;
}

CloneTarget PpoTrainer::Impl::MakeCloneTarget(const ImitationTarget& t) const {
  CloneTarget c;
  c.graph = t.graph;
  c.d = DecisionsOf(t.graph, t.partition);
  for (int64_t v : c.d.row_nodes) c.chips.push_back(t.partition.at(v));
  return c;
}

// One batched forward's input over the distinct graphs of targets `pick`.
FeatureTensors PpoTrainer::Impl::CloneJoint(const std::vector<CloneTarget>& clone,
                                            const std::vector<int>& pick,
                                            std::vector<int>* slot) const {
  std::vector<int> graph_ids;
  for (int i : pick) graph_ids.push_back(clone[i].graph);
  return JointOfGraphs(&graph_ids, slot);
}

// Mean over a target's free decisions (0 when every decision is forced) of −log π(target's
// chip) or, with `smoothed` (the training objective), of the cross-entropy against the target
// smoothed over the decision's allowed chips (Szegedy et al., CVPR 2016, label smoothing):
// PpoConfig::imitate_max_prob on the target's chip, the rest shared by the other allowed ones.
// Its minimum puts exactly that probability on the target, so cloning cannot collapse the
// policy onto it and sampling keeps exploring around the target.
torch::Tensor PpoTrainer::Impl::CloneNll(const PolicyOutput& out, const FeatureTensors& joint,
                                         int slot, const CloneTarget& t, bool smoothed) const {
  auto lp = DecisionLogProbs(out, t.d.rows + joint.offsets[slot], t.d.mask, t.d.features);
  torch::Tensor row;
  if (!smoothed) {
    row = -lp.gather(1, t.d.actions).squeeze(1);
  } else {
    const torch::Tensor allowed = (lp.detach() > kMasked / 2).to(torch::kFloat32);
    const torch::Tensor target = torch::zeros_like(allowed).scatter_(1, t.d.actions, 1.0);
    const torch::Tensor others = (allowed - target).clamp_min(0);
    const torch::Tensor n = others.sum(1, /*keepdim=*/true);
    const double p = config.ppo.imitate_max_prob;
    const torch::Tensor q =
        target * torch::where(n > 0, torch::full_like(n, p), torch::ones_like(n)) +
        others * (1.0 - p) / n.clamp_min(1);
    row = -(q * lp * allowed).sum(1);
  }
  const double free = static_cast<double>(t.d.free.numel() - t.d.num_forced);
  return (row * t.d.free).sum() / std::max(1.0, free);
}

// One Adam step on targets `pick`: the mean of their smoothed CloneNll. Returns it.
double PpoTrainer::Impl::CloneStep(const std::vector<CloneTarget>& clone,
                                   const std::vector<int>& pick, torch::optim::Adam& optimizer) {
  std::vector<int> slot;
  const FeatureTensors joint = CloneJoint(clone, pick, &slot);
  const PolicyOutput out = net->forward(joint);
  torch::Tensor loss = torch::zeros({});
  for (int i : pick) loss = loss + CloneNll(out, joint, slot[clone[i].graph], clone[i], true);
  loss = loss / static_cast<double>(pick.size());
  optimizer.zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(net->parameters(), config.ppo.max_grad_norm);
  optimizer.step();
  return loss.item<double>();
}

// Fraction of a target's decisions on which greedy decoding from the forward pass's tables
// (the graph's rows start at `offset`) takes the target's chip.
double PpoTrainer::Impl::GreedyAgreement(const float* log_probs, const float* theta, int64_t offset,
                                         const CloneTarget& t) const {
  constexpr int kF = actors::Sequencer::kStateFeatures;
  const int k_max = net->max_chips();
  const float* table = log_probs + offset * k_max;
  const actors::UnitSchedule* schedule = schedules.at(t.graph).get();
  common::Partition greedy;
  if (schedule != nullptr) {
    common::Rng rng(0);  // greedy decoding draws nothing
    greedy = DecodeSequential(*schedule, {table, k_max, theta + offset * kF}, rng, true).partition;
  }
  int agree = 0;
  for (size_t i = 0; i < t.chips.size(); ++i) {
    const int64_t v = t.d.row_nodes[i];
    int chip = 0;
    if (schedule != nullptr) {
      chip = greedy[v];
    } else {
      const float* row = table + v * k_max;
      chip = static_cast<int>(std::max_element(row, row + k_max) - row);
    }
    agree += chip == t.chips[i] ? 1 : 0;
  }
  return t.chips.empty() ? 1.0 : static_cast<double>(agree) / static_cast<double>(t.chips.size());
}

// Loss and greedy agreement of every target under the current weights (no gradients).
void PpoTrainer::Impl::CloneMeasure(const std::vector<CloneTarget>& clone, ImitationStats* stats) {
  torch::NoGradGuard no_grad;
  const int n = static_cast<int>(clone.size());
  const int mb = std::max(1, std::min(config.ppo.minibatch, n));
  stats->target_agreement.assign(n, 0.0);
  double loss = 0, agreement = 0;
  for (int s = 0; s < n; s += mb) {
    std::vector<int> pick(std::min(n, s + mb) - s), slot;
    std::iota(pick.begin(), pick.end(), s);
    const FeatureTensors joint = CloneJoint(clone, pick, &slot);
    const PolicyOutput out = net->forward(joint);
    const torch::Tensor lp = out.log_probs.contiguous(), theta = out.theta.contiguous();
    for (int i : pick) {
      const int k = slot[clone[i].graph];
      loss += CloneNll(out, joint, k, clone[i], false).item<double>();
      stats->target_agreement[i] = GreedyAgreement(lp.data_ptr<float>(), theta.data_ptr<float>(),
                                                   joint.offsets[k], clone[i]);
      agreement += stats->target_agreement[i];
    }
  }
  stats->loss = n > 0 ? loss / n : 0.0;
  stats->agreement = n > 0 ? agreement / n : 0.0;
}

// One DAgger round (Ross et al., AISTATS 2011): the greedy and kDaggerSamples sampled decodes
// of every target graph under the current weights, each step labelled by the graph's
// ChainExpert (a label the decoder's rules exclude there is left out of the loss), join the
// cloning set. The states are the policy's own, so cloning also learns to recover from them.
constexpr int kDaggerSamples = 3;

void PpoTrainer::Impl::AddDaggerTargets(const std::vector<ImitationTarget>& targets,
                                        std::vector<CloneTarget>* pool, ImitationStats* stats) {
  torch::NoGradGuard no_grad;
  std::vector<int> graph_ids, slot;
  for (const ImitationTarget& t : targets) {
    if (schedules.at(t.graph) != nullptr) graph_ids.push_back(t.graph);
  }
  if (graph_ids.empty()) return;
  const FeatureTensors joint = JointOfGraphs(&graph_ids, &slot);
  const PolicyOutput out = net->forward(joint);
  const torch::Tensor lp = out.log_probs.contiguous(), theta = out.theta.contiguous();
  constexpr int kF = actors::Sequencer::kStateFeatures;
  const int k_max = net->max_chips();
  common::Rng draw(rng());
  experts.resize(graphs.size());
  int64_t decisions = 0, agree = 0;
  for (int g : graph_ids) {
    const actors::UnitSchedule& schedule = *schedules[g];
    if (!experts[g]) experts[g] = std::make_unique<actors::ChainExpert>(schedule);
    const int64_t offset = joint.offsets[slot[g]];
    const DecoderTables tables{lp.data_ptr<float>() + offset * k_max, k_max,
                               theta.data_ptr<float>() + offset * kF};
    for (int i = 0; i <= kDaggerSamples; ++i) {
      const common::Partition visited = DecodeSequential(schedule, tables, draw, i == 0).partition;
      const std::vector<int> labels = experts[g]->Labels(visited);
      CloneTarget c;
      c.graph = g;
      c.d = DecisionsOf(g, visited);
      c.chips = labels;
      auto mask = c.d.mask.accessor<float, 2>();
      auto free = c.d.free.accessor<float, 1>();
      for (size_t step = 0; step < labels.size(); ++step) {
        if (mask[step][labels[step]] < kMasked / 2 && free[step] > 0) {
          free[step] = 0.f;
          ++c.d.num_forced;
        }
      }
      auto taken = c.d.actions.accessor<int64_t, 2>();
      for (size_t step = 0; step < labels.size(); ++step) agree += taken[step][0] == labels[step];
      decisions += static_cast<int64_t>(labels.size());
      c.d.actions = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()), torch::kInt64)
                        .unsqueeze(1);
      pool->push_back(std::move(c));
    }
  }
  stats->dagger_decisions += decisions;
  stats->dagger_agreement = decisions > 0 ? static_cast<double>(agree) / decisions : 0.0;
}

void PpoTrainer::SeedElite(int graph, const std::vector<int>& partition, double reward) {
  if (impl_->config.ppo.sil_coef <= 0) return;
  actors::EpisodeRecord r;
  r.graph = graph;
  r.valid = true;
  r.partition = partition;
  r.reward = reward;
  impl_->AddElite(r);
}

ImitationStats PpoTrainer::Imitate(const std::vector<ImitationTarget>& targets, int steps,
                                   const std::function<void(const ImitationStats&)>& progress,
                                   int every) {
  Impl& m = *impl_;
  // The update's threads while cloning, then the caller's again (actor-side inference keeps 1).
  struct Threads {
    int before = torch::get_num_threads();
    ~Threads() { torch::set_num_threads(before); }
  } restore;
  torch::set_num_threads(m.threads);
  std::vector<CloneTarget> clone;
  ImitationStats stats;
  for (const ImitationTarget& t : targets) {
    clone.push_back(m.MakeCloneTarget(t));
    stats.decisions.push_back(static_cast<int>(clone.back().chips.size()));
    stats.forced_steps.push_back(clone.back().d.num_forced);
  }
  if (clone.empty()) return stats;
  if (progress || steps == 0) m.CloneMeasure(clone, &stats);
  if (progress) progress(stats);
  torch::optim::Adam optimizer(m.net->parameters(),
                               torch::optim::AdamOptions(m.config.ppo.imitate_lr));
  // The cloning set: the targets, then (imitate_dagger) the labelled decodes of each round.
  std::vector<CloneTarget> pool = clone;
  const int rounds = m.config.ppo.imitate_dagger;
  const int round_every = std::max(1, steps / (rounds + 1));
  int n = static_cast<int>(pool.size());
  int mb = std::max(1, std::min(m.config.ppo.minibatch, n));
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  int next = mb == n ? 0 : n;  // all targets every step, or rounds of shuffled minibatches
  double step_ms = 0;
  for (int s = 1; s <= steps; ++s) {
    if (rounds > 0 && s > 1 && (s - 1) % round_every == 0 && (s - 1) / round_every <= rounds) {
      m.AddDaggerTargets(targets, &pool, &stats);
      n = static_cast<int>(pool.size());
      mb = std::max(1, std::min(m.config.ppo.minibatch, n));
      order.resize(n);
      std::iota(order.begin(), order.end(), 0);
      next = mb == n ? 0 : n;
    }
    std::vector<int> pick = order;
    if (mb < n) {
      pick.clear();
      while (static_cast<int>(pick.size()) < mb) {
        if (next == n) {
          std::shuffle(order.begin(), order.end(), m.rng);
          next = 0;
        }
        pick.push_back(order[next++]);
      }
    }
    const auto start = Clock::now();
    // Linear decay to 0: at a constant rate the smoothed optimum keeps being overshot, and a
    // greedy decode that once reproduced a target could lose it again in the last steps.
    static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options())
        .lr(m.config.ppo.imitate_lr * (steps - s + 1) / steps);
    m.net->train();
    m.CloneStep(pool, pick, optimizer);
    m.net->eval();
    step_ms += MsSince(start);
    stats.step = s;
    stats.step_ms = step_ms / s;
    if (progress && every > 0 && s % every == 0 && s < steps) {
      m.CloneMeasure(clone, &stats);
      progress(stats);
    }
  }
  if (steps == 0) return stats;
  m.CloneMeasure(clone, &stats);
  if (progress) progress(stats);
  return stats;
}

namespace {

constexpr int64_t kCheckpointFormat = 1;

torch::Tensor StringTensor(const std::string& s) {
  return torch::from_blob(const_cast<char*>(s.data()), {static_cast<int64_t>(s.size())},
                          torch::kUInt8)
      .clone();
}
std::string TensorString(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()),
                     static_cast<size_t>(c.numel()));
}
std::string ShapeText(c10::IntArrayRef sizes) {
  std::string text;
  for (int64_t d : sizes) text += (text.empty() ? "" : "x") + std::to_string(d);
  return "[" + text + "]";
}

// Loading replaces parameters by name without checking shapes: compare with a fresh net.
// Returns the first difference ("" when none).
std::string ShapeDifference(PolicyNet& loaded, const common::PolicyConfig& config) {
  PolicyNet fresh(config);
  auto a = loaded->named_parameters();
  auto b = fresh->named_parameters();
  for (const auto& item : b) {
    const torch::Tensor* t = a.find(item.key());
    if (!t) return "it has no '" + item.key() + "'";
    if (t->sizes() != item.value().sizes()) {
      return "'" + item.key() + "' is " + ShapeText(t->sizes()) + " there, " +
             ShapeText(item.value().sizes()) + " here";
    }
  }
  if (a.size() != b.size()) return "it has other parameters";
  return "";
}

// The policy stored under "model", loaded into a fresh net of shape `config`.
common::StatusOr<PolicyNet> ReadModel(torch::serialize::InputArchive& archive,
                                      const std::string& path, const common::PolicyConfig& config) {
  torch::serialize::InputArchive model;
  archive.read("model", model);
  PolicyNet net(config);
  net->load(model);
  if (const std::string diff = ShapeDifference(net, config); !diff.empty()) {
    return common::Status::Error(
        "checkpoint '" + path + "' holds a policy of another shape: " + diff +
        " (check --hidden, --sage-layers, --max-chips, attention settings; checkpoints made "
        "before the policy had " +
        std::to_string(actors::Sequencer::kStateFeatures) +
        " state features per chip cannot be loaded)");
  }
  return net;
}

common::Status UnreadableCheckpoint(const std::string& path, const c10::Error& e) {
  return common::Status::Error("checkpoint '" + path +
                               "' is corrupt or was made by a policy of another shape (" +
                               std::string(e.what_without_backtrace()).substr(0, 200) + ")");
}

// Self-imitation elites of a checkpoint, per graph (none in checkpoints written before
// self-imitation existed).
common::StatusOr<std::vector<std::vector<Elite>>> ReadElites(
    torch::serialize::InputArchive& archive, const std::string& path,
    const std::vector<FeatureTensors>& graphs) {
  std::vector<std::vector<Elite>> elites(graphs.size());
  torch::Tensor eg, er, ep;
  if (!archive.try_read("elite_graph", eg) || !archive.try_read("elite_reward", er) ||
      !archive.try_read("elite_partition", ep)) {
    return elites;
  }
  int64_t at = 0;
  for (int64_t i = 0; i < eg.numel(); ++i) {
    const int64_t g = eg[i].item<int64_t>();
    if (g < 0 || g >= static_cast<int64_t>(elites.size())) {
      return common::Status::Error("checkpoint '" + path + "' holds elites of graph " +
                                   std::to_string(g) + " but this run has " +
                                   std::to_string(elites.size()) + " graphs");
    }
    const int64_t n = graphs[g].x.size(0);
    if (at + n > ep.numel()) {
      return common::Status::Error("checkpoint '" + path + "' has truncated elite partitions");
    }
    Elite e;
    e.reward = er[i].item<double>();
    e.partition.assign(ep.data_ptr<int64_t>() + at, ep.data_ptr<int64_t>() + at + n);
    at += n;
    elites[g].push_back(std::move(e));
  }
  return elites;
}

torch::Tensor I64(int64_t v) { return torch::tensor({v}, torch::kInt64); }
torch::Tensor F64(double v) { return torch::tensor({v}, torch::kFloat64); }

}  // namespace

common::Status PpoTrainer::SaveCheckpoint(const std::string& path, const TrainingState& st) const {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model, optim;
    impl_->net->save(model);
    impl_->optimizer->save(optim);
    archive.write("model", model);
    archive.write("optimizer", optim);
    std::ostringstream rng;
    rng << impl_->rng;
    archive.write("format", I64(kCheckpointFormat));
    archive.write("rng", StringTensor(rng.str()));
    archive.write("config", StringTensor(st.config_text));
    archive.write("policy_version", I64(st.policy_version));
    archive.write("updates", I64(st.updates));
    archive.write("evaluations", I64(st.evaluations));
    archive.write("dropped_stale", I64(st.dropped_stale));
    archive.write("log_rollout_rows", I64(st.log_rollout_rows));
    archive.write("log_learner_rows", I64(st.log_learner_rows));
    archive.write("best_throughput", F64(st.best_throughput));
    archive.write("first_batch_best_throughput", F64(st.first_batch_best_throughput));
    archive.write("best_step", I64(st.best_step));
    std::vector<int64_t> best(st.best_partition.begin(), st.best_partition.end());
    archive.write("best_partition", torch::tensor(best, torch::kInt64));
    // Self-imitation elites: graph and reward per elite, partitions concatenated.
    std::vector<int64_t> elite_graph, elite_nodes;
    std::vector<double> elite_reward;
    for (size_t g = 0; g < impl_->elites.size(); ++g) {
      for (const Elite& e : impl_->elites[g]) {
        elite_graph.push_back(static_cast<int64_t>(g));
        elite_reward.push_back(e.reward);
        elite_nodes.insert(elite_nodes.end(), e.partition.begin(), e.partition.end());
      }
    }
    archive.write("elite_graph", torch::tensor(elite_graph, torch::kInt64));
    archive.write("elite_reward", torch::tensor(elite_reward, torch::kFloat64));
    archive.write("elite_partition", torch::tensor(elite_nodes, torch::kInt64));
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    return common::Status::Error("cannot write checkpoint '" + path +
                                 "': " + e.what_without_backtrace());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return common::Status::Error("cannot move checkpoint into '" + path + "'");
  }
  return common::Status::Ok();
}

common::StatusOr<TrainingState> PpoTrainer::LoadCheckpoint(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    return common::Status::Error("cannot open checkpoint '" + path + "'");
  TrainingState st;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    // A fresh tensor per read: reading into a defined tensor resizes it in place.
    auto get = [&](const char* key) {
      torch::Tensor out;
      archive.read(key, out);
      return out;
    };
    torch::Tensor t = get("format");
    if (t.item<int64_t>() != kCheckpointFormat) {
      return common::Status::Error("checkpoint '" + path + "' has an unsupported format version");
    }
    // Load into a fresh copy first so a mismatch leaves this trainer untouched.
    MCMPART_ASSIGN_OR_RETURN(PolicyNet net, ReadModel(archive, path, impl_->config.policy));
    torch::serialize::InputArchive optim;
    auto optimizer = std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(impl_->config.ppo.lr));
    archive.read("optimizer", optim);
    optimizer->load(optim);
    t = get("rng");
    std::mt19937_64 rng;
    std::istringstream(TensorString(t)) >> rng;
    t = get("config");
    st.config_text = TensorString(t);
    auto i64 = [&](const char* key) { return get(key).item<int64_t>(); };
    auto f64 = [&](const char* key) { return get(key).item<double>(); };
    st.policy_version = i64("policy_version");
    st.updates = i64("updates");
    st.evaluations = i64("evaluations");
    st.dropped_stale = i64("dropped_stale");
    st.log_rollout_rows = i64("log_rollout_rows");
    st.log_learner_rows = i64("log_learner_rows");
    st.best_throughput = f64("best_throughput");
    st.first_batch_best_throughput = f64("first_batch_best_throughput");
    st.best_step = i64("best_step");
    t = get("best_partition");
    st.best_partition.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    MCMPART_ASSIGN_OR_RETURN(auto elites, ReadElites(archive, path, impl_->graphs));
    impl_->elites = std::move(elites);
    impl_->net = net;
    impl_->optimizer = std::move(optimizer);
    impl_->rng = rng;
    impl_->net->eval();
  } catch (const c10::Error& e) {
    return UnreadableCheckpoint(path, e);
  }
  return st;
}

common::StatusOr<std::string> ReadCheckpointConfigText(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    return common::Status::Error("cannot open checkpoint '" + path + "'");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor t;
    archive.read("config", t);
    return TensorString(t);
  } catch (const c10::Error& e) {
    return common::Status::Error("checkpoint '" + path + "' is corrupt (" +
                                 std::string(e.what_without_backtrace()).substr(0, 200) + ")");
  }
}

common::StatusOr<std::vector<float>> ReadCheckpointWeights(const std::string& path,
                                                           const common::PolicyConfig& config) {
  if (::access(path.c_str(), R_OK) != 0)
    return common::Status::Error("cannot open checkpoint '" + path + "'");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    MCMPART_ASSIGN_OR_RETURN(PolicyNet net, ReadModel(archive, path, config));
    return FlattenParameters(net);
  } catch (const c10::Error& e) {
    return UnreadableCheckpoint(path, e);
  }
}

void PpoTrainer::Soften(double t) { impl_->net->Soften(t); }

common::Status PpoTrainer::LoadWeights(const std::string& path) {
  MCMPART_ASSIGN_OR_RETURN(std::vector<float> flat,
                           ReadCheckpointWeights(path, impl_->config.policy));
  return LoadFlatParameters(impl_->net, flat);
}

}  // namespace mcmpart::policy
