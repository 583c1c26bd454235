// The run configuration's fields, each written once: section, type, name, default, range, help.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace mcmpart::common {

/// Evaluator that scores partitions (run.evaluator): hw/maxload.cc or hw/simulator.h.
enum class EvaluatorKind { kMaxload, kCycle };
/// What actors do with an invalid proposal (actor.repair_mode): repair it, or score it with
/// ppo.invalid_penalty.
enum class RepairMode { kRepair, kPenalty };
/// How the policy turns its outputs into a partition (policy.decoder): placement units one at a
/// time with masks (policy/decoder.h), or every node independently (the ablation).
enum class Decoder { kSequential, kIndependent };
/// The topological order the sequential decoder decides placement units in (actor.decision_order;
/// actors::PipelineOrder): each group as late as possible, or as early as possible.
enum class DecisionOrder { kLate, kEarly };

/// The config spelling of each value of an enum, indexed by the value.
template <typename E>
struct EnumNames;
template <>
struct EnumNames<EvaluatorKind> {
  static constexpr std::array<const char*, 2> kNames = {"maxload", "cycle"};
};
template <>
struct EnumNames<RepairMode> {
  static constexpr std::array<const char*, 2> kNames = {"repair", "penalty"};
};
template <>
struct EnumNames<Decoder> {
  static constexpr std::array<const char*, 2> kNames = {"sequential", "independent"};
};
template <>
struct EnumNames<DecisionOrder> {
  static constexpr std::array<const char*, 2> kNames = {"late", "early"};
};

/// The run.evaluator value: a built-in evaluator, or `exec:CMD ARGS…`, an outside program
/// speaking the line-delimited JSON protocol of hw/external_evaluator.h.
struct EvaluatorSpec {
  static constexpr const char* kExecPrefix = "exec:";

  EvaluatorSpec(EvaluatorKind k = EvaluatorKind::kCycle) : kind(k) {}  // NOLINT: implicit

  EvaluatorKind kind;   ///< the built-in evaluator; unused when `command` is set
  std::string command;  ///< the outside program and its arguments; empty for a built-in

  bool external() const { return !command.empty(); }
  bool operator==(EvaluatorKind k) const { return !external() && kind == k; }
  bool operator!=(EvaluatorKind k) const { return !(*this == k); }
  bool operator==(const EvaluatorSpec& o) const {
    return external() ? command == o.command : !o.external() && kind == o.kind;
  }
};

/// The run.weight_bytes value: bytes per weight element of an imported or built-in graph, 0 for
/// the source's own element types. Spelled as a number (0, 1, 2, 4, 8) or a dtype name (int8,
/// fp8 = 1; bf16, fp16 = 2; fp32 = 4; fp64 = 8); recorded as the number.
struct WeightBytes {
  WeightBytes(int b = 0) : bytes(b) {}  // NOLINT: implicit, the field's default is a number

  int bytes;
  bool operator==(const WeightBytes& o) const { return bytes == o.bytes; }
};

}  // namespace mcmpart::common

// One list per config section, in the order of the recorded TOML. Each entry is
// X(section, type, name, default, range, help): TOML key `section.name`, CLI flag `--name`
// (underscores become dashes). `range` is one of the FieldRange factories (common/config.h):
// Unbounded(), AtLeast(lo), Above(lo), Closed(lo, hi), Open(lo, hi), OpenClosed(lo, hi).
// clang-format off
#define MCMPART_RUN_FIELDS(X)                                                                   \
  X(run, std::string, graph, "bert-base", Unbounded(),                                          \
    "graph: built-in name, .onnx, dnn-partitioning .json or own .json; a+b is a corpus, "      \
    "GRAPH@HW an entry on its own hardware (what --hw takes)")                                 \
  X(run, WeightBytes, weight_bytes, 0, Closed(0, 8),                                           \
    "bytes per weight element of an ONNX import or built-in graph "                            \
    "(0 = the source's own element types)")                                                 \
  X(run, std::string, hw, "mcm8-ring", Unbounded(), "hardware: preset name or .toml file")      \
  X(run, EvaluatorSpec, evaluator, EvaluatorKind::kCycle, Unbounded(),                          \
    "evaluator: the analytical max-load, the cycle-level simulator, or exec:CMD ARGS "         \
    "(an outside program, see README)")                                                        \
  X(run, double, evaluator_timeout_s, 60, Above(0),                                             \
    "seconds an exec: evaluator may take per reply")                                           \
  X(run, int64_t, budget, 1024, AtLeast(1), "evaluations before stopping")                      \
  X(run, double, time_limit_s, 0, AtLeast(0), "wall-clock limit in seconds (0 = none)")         \
  X(run, int64_t, seed, 1, AtLeast(0), "random seed (fixes a run for a given rank count)")      \
  X(run, std::string, out, "", Unbounded(), "HDF5 run file to write")                           \
  X(run, double, flush_interval_s, 5.0, Above(0), "seconds between run-file flushes")           \
  X(run, double, progress_interval_s, 2.0, Above(0), "seconds between progress lines")          \
  X(run, std::string, checkpoint, "", Unbounded(), "checkpoint file (default <out>.ckpt)")      \
  X(run, int, checkpoint_every, 50, AtLeast(0),                                                 \
    "PPO updates between checkpoints (0 = only at the end)")                                   \
  X(run, std::string, init_from, "", Unbounded(),                                               \
    "initialise the policy from this checkpoint (fine-tuning)")                                \
  X(run, double, init_temperature, 1.0, Temperature(),                                          \
    "with --init-from, soften the loaded policy to softmax(z / T) at every decision before "  \
    "training (T > 1: a confident pre-trained policy explores more)")                          \
  X(run, std::string, heldout, "", Unbounded(),                                                 \
    "'+'-separated held-out graphs (GRAPH@HW as in --graph), evaluated greedily every "        \
    "--eval-every updates")                                                                     \
  X(run, int, eval_every, 10, AtLeast(1), "PPO updates between held-out evaluations")           \
  X(run, std::string, imitate_from, "", Unbounded(),                                            \
    "partitions to clone before PPO: a partition.json (one graph) or a JSON manifest "         \
    "{\"targets\": [{\"graph\": SPEC, \"partition\": FILE}, ...]} (see README)")

// Policy network sizes (SPEC §6). max_chips is K_max: logits for this many chips, masked to
// K. segment: the attention memory is the previous segment. prior_init 2 gives the prior chip
// ~half the probability at the start; 0 starts from a uniform policy (learning is then much
// slower). tie_units: the nodes of a PlacementUnit (colocation groups and the cycles through
// them) have their logits averaged and one chip drawn per unit.
#define MCMPART_POLICY_FIELDS(X)                                                                \
  X(policy, int, hidden, 64, Closed(1, 4096), "hidden width of the policy network")             \
  X(policy, int, sage_layers, 2, Closed(1, 16), "GraphSAGE message-passing layers")             \
  X(policy, int, max_chips, 16, Closed(1, 256), "K_max: chips the policy can address")          \
  X(policy, int, attention_layers, 1, Closed(0, 8),                                             \
    "segment-recurrent attention layers (0 = none)")                                           \
  X(policy, int, attention_heads, 4, AtLeast(1), "attention heads (must divide hidden)")        \
  X(policy, int, segment, 64, Closed(1, 65536), "nodes per attention segment")                  \
  X(policy, double, prior_init, 2.0, Closed(-100, 100),                                         \
    "initial weight of the balanced-split prior logit (0 = uniform start)")                    \
  X(policy, bool, tie_units, true, Unbounded(),                                                 \
    "one chip decision per set of nodes that must share a chip "                               \
    "(colocation groups and cycles through them)")                                           \
  X(policy, Decoder, decoder, Decoder::kSequential, Unbounded(),                                \
    "sequential: placement units in order, masked to the chips that keep the cheap "           \
    "constraints; independent: one draw per node (ablation)")

// PPO hyper-parameters (SPEC §6). target_kl stops the epoch loop once approx-KL exceeds it.
// Self-imitation (Oh et al., ICML 2018) pulls the policy towards the best valid partitions
// seen so far on each graph; off by default: it sharpens a policy that starts near a good
// region (E4's operator graphs) but locks in lucky early samples when the prior is poor (E1 on
// bert-base). sil_max_prob keeps it exploring around the elites (1 = no ceiling).
// reward_softmax_temp gives credit for unloading chips just below the busiest one. Batch,
// minibatch and epochs keep one learner core ahead of many actors: one step per batch of 32
// (the graph's forward and backward cost about the same for 16 or 128 samples) is ~2,800
// samples/s on bert-base (`mcmpart bench learner`) against ~550 for 32/16/4 epochs, and at
// 4096 samples it learns as well as 32/16/4 and better than 128/128/2 (bert-base, 2 seeds).
// imitate_*: behaviour cloning of run.imitate_from's partitions before PPO (PpoTrainer::
// Imitate); imitate_max_prob smooths its targets so that sampling keeps exploring, as
// sil_max_prob does for self-imitation. On bert-base over mcm8-ring (maxload, DP target
// 2589.0 samples/s, 175 decisions, seed 1) 0.99 puts the target itself in the first batch
// (as 0.998 and 1 do) while 0.97 samples ~5 deviations per partition: first batch 1884.6,
// best of 1024 samples 2557.0; without cloning 2183.8 and 2364.3.
#define MCMPART_PPO_FIELDS(X)                                                                   \
  X(ppo, double, lr, 3e-3, Open(0, 10), "Adam learning rate")                                   \
  X(ppo, double, clip, 0.2, Open(0, 1), "PPO clip range")                                       \
  X(ppo, double, value_coef, 0.5, AtLeast(0), "value-loss weight")                              \
  X(ppo, double, entropy_coef, 0.01, AtLeast(0), "entropy-bonus weight")                        \
  X(ppo, int, epochs, 1, Closed(1, 100), "PPO epochs per batch")                                \
  X(ppo, int, minibatch, 32, AtLeast(1), "samples per minibatch")                              \
  X(ppo, double, target_kl, 0.05, Above(0), "approx-KL early stop threshold")                   \
  X(ppo, double, max_grad_norm, 1.0, Above(0), "gradient clipping norm")                        \
  X(ppo, int, batch_size, 32, Closed(1, 1 << 20), "samples per PPO update")                    \
  X(ppo, bool, train_on_repaired, true, Unbounded(),                                            \
    "train on the repaired action (false: the proposal)")                                      \
  X(ppo, double, invalid_penalty, -1.0, Unbounded(), "reward when repair fails")                \
  X(ppo, double, sil_coef, 0, AtLeast(0),                                                       \
    "self-imitation weight: imitate each graph's best partitions (0 = off)")                   \
  X(ppo, int, sil_elites, 8, Closed(1, 1024),                                                   \
    "best distinct partitions kept per graph for self-imitation")                              \
  X(ppo, double, sil_max_prob, 0.97, OpenClosed(0, 1),                                          \
    "self-imitation raises a node's elite-chip probability up to this")                        \
  X(ppo, double, reward_softmax_temp, 0.0, Closed(0, 1),                                        \
    "train on a soft maximum of the chip busy times with this "                                \
    "temperature relative to the maximum (0 = the maximum)")                                    \
  X(ppo, int, imitate_steps, 200, Closed(0, 1000000),                                          \
    "behaviour-cloning steps on the --imitate-from partitions before PPO")                     \
  X(ppo, double, imitate_lr, 3e-3, Open(0, 10), "Adam learning rate of behaviour cloning")      \
  X(ppo, int, imitate_dagger, 0, Closed(0, 100),                                                \
    "on-policy cloning rounds (DAgger): the policy's own decodes of each target graph, "        \
    "labelled by the balanced-chain expert, join the cloning set (0 = off)")                    \
  X(ppo, double, imitate_max_prob, 0.99, OpenClosed(0, 1),                                      \
    "behaviour cloning's probability of the target chip (label smoothing; 1 = none)")          \
  X(ppo, int, learner_threads, 0, Closed(0, 1024),                                              \
    "intra-op threads of the PPO update on the learner rank (0 = the cores the rank may "   \
    "use less one per other rank of the job on its node)")

// Actor behaviour (SPEC §7). max_policy_lag 0 is synchronous.
#define MCMPART_ACTOR_FIELDS(X)                                                                 \
  X(actor, int, samples_per_message, 4, Closed(1, 4096), "partitions per actor message")        \
  X(actor, int, max_policy_lag, 1, AtLeast(0),                                                  \
    "drop records older than this many policy versions")                                       \
  X(actor, int, max_inflight, 2, Closed(1, 64), "unacknowledged messages per actor")            \
  X(actor, double, repair_time_limit_ms, 100.0, Above(0), "time limit per repair in ms")        \
  X(actor, int64_t, repair_fail_limit, 0, AtLeast(0),                                           \
    "bound each repair by this many search failures instead of its time limit, so that runs "  \
    "repeat exactly whatever the machine's speed or load (0 = time limit)")                   \
  X(actor, RepairMode, repair_mode, RepairMode::kRepair, Unbounded(),                           \
    "repair (fix invalid proposals) or penalty (invalid => penalty)")                          \
  X(actor, DecisionOrder, decision_order, DecisionOrder::kLate, Unbounded(),                    \
    "order of the sequential decisions, features and repair: late (each group as late as "     \
    "possible) or early (as early as possible, sources just before their first consumer)")    \
  X(actor, int, envs_per_actor, 1, Closed(1, 256),                                              \
    "environments per actor, one batched policy forward")                                       \
  X(actor, double, eval_latency_ms, 0, Closed(0, 600000),                                       \
    "each evaluation takes at least this many ms (emulates measuring on hardware; 0 = off)")

/// Every config field, section by section.
#define MCMPART_CONFIG_FIELDS(X) \
  MCMPART_RUN_FIELDS(X) MCMPART_POLICY_FIELDS(X) MCMPART_PPO_FIELDS(X) MCMPART_ACTOR_FIELDS(X)
// clang-format on
