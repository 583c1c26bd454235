// Declarative run configuration: plain structs with defaults and help, filled from TOML + CLI.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

namespace mcmpart::common {

/// What to partition and how long to search.
struct RunConfig {
  std::string graph = "bert-base";
  std::string hw = "mcm8-ring";
  std::string evaluator = "cycle";  ///< the cycle-level simulator (hw/simulator.h); or maxload
  int64_t budget = 1024;     ///< evaluations (partitions scored) before stopping
  double time_limit_s = 0;   ///< wall-clock limit, 0 = none
  int64_t seed = 1;
  std::string out;           ///< HDF5 run file, empty = none
  double flush_interval_s = 5.0;
  double progress_interval_s = 2.0;
  std::string checkpoint;     ///< checkpoint file; empty = <out>.ckpt when --out is set
  int checkpoint_every = 50;  ///< PPO updates between checkpoints (0 = only at the end)
  std::string init_from;      ///< start from this checkpoint's weights (fine-tuning)
  std::string heldout;        ///< '+'-separated graphs evaluated zero-shot during training
  int eval_every = 10;        ///< PPO updates between held-out evaluations
};

/// Policy network sizes (SPEC §6).
struct PolicyConfig {
  int hidden = 64;
  int sage_layers = 2;
  int max_chips = 16;  ///< K_max: logits are produced for this many chips, masked to K
  int attention_layers = 1;  ///< segment-recurrent attention layers over the topological order
  int attention_heads = 4;
  int segment = 64;  ///< nodes per attention segment (memory = the previous segment)
  /// Initial weight of the balanced-split prior logit: 2 gives the prior chip ~half the
  /// probability at the start; 0 starts from a uniform policy (learning is then much slower).
  double prior_init = 2.0;
  /// Nodes that must share a chip (PlacementUnits: colocation groups and the cycles through
  /// them) share one chip decision: their logits are averaged and one chip is drawn per unit.
  bool tie_units = true;
};

/// PPO hyper-parameters (SPEC §6).
struct PpoConfig {
  double lr = 3e-3;
  double clip = 0.2;
  double value_coef = 0.5;
  double entropy_coef = 0.01;
  int epochs = 4;
  int minibatch = 16;
  double target_kl = 0.05;  ///< stop the epoch loop once approx-KL exceeds this
  double max_grad_norm = 1.0;
  int batch_size = 32;      ///< samples per update
  bool train_on_repaired = true;  ///< update on the repaired (true) or proposed (false) action
  double invalid_penalty = -1.0;  ///< reward of a failed repair
  /// Self-imitation (Oh et al., ICML 2018): weight of the loss that pulls the policy towards
  /// the best valid partitions seen so far on each graph (0 = plain PPO). Off by default: it
  /// sharpens a policy that starts near a good region (E4's operator graphs) but locks in
  /// lucky early samples when the prior is poor (E1 on bert-base).
  double sil_coef = 0;
  int sil_elites = 8;  ///< best distinct partitions kept per graph for self-imitation
  /// Self-imitation stops raising a node's probability of its elite chip beyond this, so the
  /// policy keeps exploring around the elites (1 = no ceiling).
  double sil_max_prob = 0.97;
  /// Training reward from a soft maximum of the chips' busy times, temperature τ × max
  /// (0: the maximum itself). Gives credit for unloading chips just below the busiest one.
  double reward_softmax_temp = 0.0;
};

/// Actor behaviour (SPEC §7).
struct ActorConfig {
  int samples_per_message = 4;  ///< partitions an actor scores per message to the learner
  int max_policy_lag = 1;       ///< drop records older than this many versions (0 = synchronous)
  int max_inflight = 2;         ///< unacknowledged messages per actor
  double repair_time_limit_ms = 100.0;
  std::string repair_mode = "repair";  ///< repair: fix proposals; penalty: invalid ⇒ penalty
  int envs_per_actor = 1;  ///< environments per actor rank, one batched policy forward for all
  double last_rank_delay_ms = 0;  ///< extra delay per message on the last actor rank (a slow actor)
};

struct Config {
  RunConfig run;
  PolicyConfig policy;
  PpoConfig ppo;
  ActorConfig actor;
};

/// One configurable field: TOML key `section.key`, CLI flag `--key` (underscores → dashes).
struct ConfigField {
  std::string section;
  std::string key;
  std::string help;
  std::variant<int*, int64_t*, double*, bool*, std::string*> target;
  std::string flag() const;
  std::string ValueString() const;
  /// Parses `text` into the field; error names the field and expected type/range.
  Status Set(const std::string& text);
};

/// The fields of `config`, pointing into it.
std::vector<ConfigField> ConfigFields(Config* config);

/// Applies a TOML document; unknown sections/keys and wrong types are errors naming them.
Status ApplyConfigToml(const std::string& text, const std::string& source, Config* config);
/// Reads and applies a TOML config file.
Status LoadConfigFile(const std::string& path, Config* config);
/// Range checks across the whole config.
Status ValidateConfig(const Config& config);
/// The effective config as TOML (recorded in every run file).
std::string ConfigToToml(const Config& config);

}  // namespace mcmpart::common
