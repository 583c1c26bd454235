// Config fields table, TOML reading/writing and validation.
#include "common/config.h"

#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "common/graph_io.h"

namespace mcmpart::common {

std::vector<ConfigField> ConfigFields(Config* c) {
  return {
      {"run", "graph", "graph: built-in name, .onnx, dnn-partitioning .json or own .json", &c->run.graph},
      {"run", "hw", "hardware: preset name or .toml file", &c->run.hw},
      {"run", "evaluator", "evaluator: maxload or cycle", &c->run.evaluator},
      {"run", "budget", "evaluations before stopping", &c->run.budget},
      {"run", "time_limit_s", "wall-clock limit in seconds (0 = none)", &c->run.time_limit_s},
      {"run", "seed", "random seed (fixes a run for a given rank count)", &c->run.seed},
      {"run", "out", "HDF5 run file to write", &c->run.out},
      {"run", "flush_interval_s", "seconds between run-file flushes", &c->run.flush_interval_s},
      {"run", "progress_interval_s", "seconds between progress lines", &c->run.progress_interval_s},
      {"run", "checkpoint", "checkpoint file (default <out>.ckpt)", &c->run.checkpoint},
      {"run", "checkpoint_every", "PPO updates between checkpoints (0 = only at the end)", &c->run.checkpoint_every},
      {"run", "init_from", "initialise the policy from this checkpoint (fine-tuning)", &c->run.init_from},
      {"run", "heldout", "'+'-separated held-out graphs, evaluated greedily every --eval-every updates", &c->run.heldout},
      {"run", "eval_every", "PPO updates between held-out evaluations", &c->run.eval_every},
      {"policy", "hidden", "hidden width of the policy network", &c->policy.hidden},
      {"policy", "sage_layers", "GraphSAGE message-passing layers", &c->policy.sage_layers},
      {"policy", "max_chips", "K_max: chips the policy can address", &c->policy.max_chips},
      {"policy", "attention_layers", "segment-recurrent attention layers (0 = none)", &c->policy.attention_layers},
      {"policy", "attention_heads", "attention heads (must divide hidden)", &c->policy.attention_heads},
      {"policy", "segment", "nodes per attention segment", &c->policy.segment},
      {"policy", "prior_init", "initial weight of the balanced-split prior logit (0 = uniform start)", &c->policy.prior_init},
      {"policy", "tie_units", "one chip decision per set of nodes that must share a chip "
       "(colocation groups and cycles through them)", &c->policy.tie_units},
      {"ppo", "lr", "Adam learning rate", &c->ppo.lr},
      {"ppo", "clip", "PPO clip range", &c->ppo.clip},
      {"ppo", "value_coef", "value-loss weight", &c->ppo.value_coef},
      {"ppo", "entropy_coef", "entropy-bonus weight", &c->ppo.entropy_coef},
      {"ppo", "epochs", "PPO epochs per batch", &c->ppo.epochs},
      {"ppo", "minibatch", "samples per minibatch", &c->ppo.minibatch},
      {"ppo", "target_kl", "approx-KL early stop threshold", &c->ppo.target_kl},
      {"ppo", "max_grad_norm", "gradient clipping norm", &c->ppo.max_grad_norm},
      {"ppo", "batch_size", "samples per PPO update", &c->ppo.batch_size},
      {"ppo", "train_on_repaired", "train on the repaired action (false: the proposal)", &c->ppo.train_on_repaired},
      {"ppo", "invalid_penalty", "reward when repair fails", &c->ppo.invalid_penalty},
      {"ppo", "sil_coef", "self-imitation weight: imitate each graph's best partitions (0 = off)",
       &c->ppo.sil_coef},
      {"ppo", "sil_elites", "best distinct partitions kept per graph for self-imitation",
       &c->ppo.sil_elites},
      {"ppo", "sil_max_prob", "self-imitation raises a node's elite-chip probability up to this",
       &c->ppo.sil_max_prob},
      {"ppo", "reward_softmax_temp", "train on a soft maximum of the chip busy times with this "
       "temperature relative to the maximum (0 = the maximum)", &c->ppo.reward_softmax_temp},
      {"actor", "samples_per_message", "partitions per actor message", &c->actor.samples_per_message},
      {"actor", "max_policy_lag", "drop records older than this many policy versions", &c->actor.max_policy_lag},
      {"actor", "max_inflight", "unacknowledged messages per actor", &c->actor.max_inflight},
      {"actor", "repair_time_limit_ms", "time limit per repair in ms", &c->actor.repair_time_limit_ms},
      {"actor", "repair_mode", "repair (fix invalid proposals) or penalty (invalid => penalty)", &c->actor.repair_mode},
      {"actor", "envs_per_actor", "environments per actor, one batched policy forward", &c->actor.envs_per_actor},
      {"actor", "last_rank_delay_ms", "extra ms per message on the last actor rank (heterogeneous actors)", &c->actor.last_rank_delay_ms},
  };
}

std::string ConfigField::flag() const {
  std::string f = key;
  for (char& ch : f) {
    if (ch == '_') ch = '-';
  }
  return f;
}

std::string ConfigField::ValueString() const {
  std::ostringstream os;
  std::visit([&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if constexpr (std::is_same_v<T, bool>) os << (*p ? "true" : "false");
    else if constexpr (std::is_same_v<T, std::string>) os << *p;
    else os << *p;
  }, target);
  return os.str();
}

Status ConfigField::Set(const std::string& text) {
  const std::string name = section + "." + key;
  return std::visit([&](auto* p) -> Status {
    using T = std::remove_pointer_t<decltype(p)>;
    if constexpr (std::is_same_v<T, std::string>) {
      *p = text;
      return Status::Ok();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (text == "true" || text == "1") *p = true;
      else if (text == "false" || text == "0") *p = false;
      else return Status::Error(name + " must be true or false, got '" + text + "'");
      return Status::Ok();
    } else if constexpr (std::is_same_v<T, double>) {
      try {
        size_t used = 0;
        double v = std::stod(text, &used);
        if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
        *p = v;
      } catch (const std::exception&) {
        return Status::Error(name + " must be a finite number, got '" + text + "'");
      }
      return Status::Ok();
    } else {
      try {
        size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        if (v < static_cast<long long>(std::numeric_limits<T>::min()) ||
            v > static_cast<long long>(std::numeric_limits<T>::max())) {
          throw std::out_of_range(text);
        }
        *p = static_cast<T>(v);
      } catch (const std::exception&) {
        return Status::Error(name + " must be an integer, got '" + text + "'");
      }
      return Status::Ok();
    }
  }, target);
}

Status ApplyConfigToml(const std::string& text, const std::string& source, Config* config) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source << ":" << e.source().begin.line << ": invalid TOML (" << e.description() << ")";
    return Status::Error(os.str());
  }
  std::vector<ConfigField> fields = ConfigFields(config);
  for (const auto& [sec_key, sec_node] : doc) {
    const std::string section(sec_key.str());
    const toml::table* tbl = sec_node.as_table();
    if (!tbl) {
      return Status::Error(source + ": '" + section + "' must be a table ([run], [policy], [ppo], [actor])");
    }
    for (const auto& [k, node] : *tbl) {
      const std::string key(k.str());
      ConfigField* field = nullptr;
      for (ConfigField& f : fields) {
        if (f.section == section && f.key == key) field = &f;
      }
      if (!field) return Status::Error(source + ": unknown config key '" + section + "." + key + "'");
      std::string value;
      if (auto s = node.value_exact<std::string>()) {
        if (!std::holds_alternative<std::string*>(field->target)) {
          return Status::Error(source + ": " + section + "." + key + " must not be a string");
        }
        value = *s;
      } else if (auto b = node.value_exact<bool>()) {
        value = *b ? "true" : "false";
      } else if (auto i = node.value_exact<int64_t>()) {
        value = std::to_string(*i);
      } else if (auto d = node.value_exact<double>()) {
        std::ostringstream os;
        os.precision(17);
        os << *d;
        value = os.str();
      } else {
        return Status::Error(source + ": " + section + "." + key + " has an unsupported type");
      }
      if (std::holds_alternative<std::string*>(field->target) && !node.is_string()) {
        return Status::Error(source + ": " + section + "." + key + " must be a string");
      }
      Status st = field->Set(value);
      if (!st.ok()) return st.WithContext(source);
    }
  }
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, Config* config) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ApplyConfigToml(text, path, config);
}

Status ValidateConfig(const Config& c) {
  auto bad = [](const std::string& what) { return Status::Error("config: " + what); };
  if (c.run.budget < 1) return bad("run.budget must be at least 1");
  if (c.run.time_limit_s < 0) return bad("run.time_limit_s must be >= 0");
  if (c.run.seed < 0) return bad("run.seed must be >= 0");
  if (c.run.flush_interval_s <= 0) return bad("run.flush_interval_s must be > 0");
  if (c.run.progress_interval_s <= 0) return bad("run.progress_interval_s must be > 0");
  if (c.run.evaluator != "maxload" && c.run.evaluator != "cycle") {
    return bad("run.evaluator must be maxload or cycle, got '" + c.run.evaluator + "'");
  }
  if (c.policy.hidden < 1 || c.policy.hidden > 4096) return bad("policy.hidden must be in 1..4096");
  if (c.policy.sage_layers < 1 || c.policy.sage_layers > 16) return bad("policy.sage_layers must be in 1..16");
  if (c.policy.max_chips < 1 || c.policy.max_chips > 256) return bad("policy.max_chips must be in 1..256");
  if (c.policy.attention_layers < 0 || c.policy.attention_layers > 8) return bad("policy.attention_layers must be in 0..8");
  if (c.policy.attention_heads < 1 || c.policy.hidden % c.policy.attention_heads != 0) {
    return bad("policy.attention_heads must be >= 1 and divide policy.hidden");
  }
  if (c.policy.segment < 1 || c.policy.segment > 65536) return bad("policy.segment must be in 1..65536");
  if (c.policy.prior_init < -100 || c.policy.prior_init > 100) return bad("policy.prior_init must be in [-100, 100]");
  if (!(c.ppo.lr > 0 && c.ppo.lr < 10)) return bad("ppo.lr must be in (0, 10)");
  if (!(c.ppo.clip > 0 && c.ppo.clip < 1)) return bad("ppo.clip must be in (0, 1)");
  if (c.ppo.value_coef < 0 || c.ppo.entropy_coef < 0) return bad("ppo loss weights must be >= 0");
  if (c.ppo.epochs < 1 || c.ppo.epochs > 100) return bad("ppo.epochs must be in 1..100");
  if (c.ppo.minibatch < 1) return bad("ppo.minibatch must be at least 1");
  if (c.ppo.batch_size < 1 || c.ppo.batch_size > 1 << 20) return bad("ppo.batch_size must be in 1..1048576");
  if (c.ppo.target_kl <= 0) return bad("ppo.target_kl must be > 0");
  if (c.ppo.max_grad_norm <= 0) return bad("ppo.max_grad_norm must be > 0");
  if (c.ppo.sil_coef < 0) return bad("ppo.sil_coef must be >= 0");
  if (!(c.ppo.reward_softmax_temp >= 0 && c.ppo.reward_softmax_temp <= 1)) {
    return bad("ppo.reward_softmax_temp must be in [0, 1]");
  }
  if (!(c.ppo.sil_max_prob > 0 && c.ppo.sil_max_prob <= 1)) {
    return bad("ppo.sil_max_prob must be in (0, 1]");
  }
  if (c.ppo.sil_elites < 1 || c.ppo.sil_elites > 1024) {
    return bad("ppo.sil_elites must be in 1..1024");
  }
  if (c.actor.samples_per_message < 1 || c.actor.samples_per_message > 4096) {
    return bad("actor.samples_per_message must be in 1..4096");
  }
  if (c.actor.max_policy_lag < 0) return bad("actor.max_policy_lag must be >= 0");
  if (c.actor.max_inflight < 1 || c.actor.max_inflight > 64) return bad("actor.max_inflight must be in 1..64");
  if (c.actor.repair_time_limit_ms <= 0) return bad("actor.repair_time_limit_ms must be > 0");
  if (c.actor.repair_mode != "repair" && c.actor.repair_mode != "penalty") {
    return bad("actor.repair_mode must be repair or penalty, got '" + c.actor.repair_mode + "'");
  }
  if (c.actor.envs_per_actor < 1 || c.actor.envs_per_actor > 256) return bad("actor.envs_per_actor must be in 1..256");
  if (c.actor.last_rank_delay_ms < 0 || c.actor.last_rank_delay_ms > 60000) {
    return bad("actor.last_rank_delay_ms must be in 0..60000");
  }
  if (c.run.checkpoint_every < 0) return bad("run.checkpoint_every must be >= 0");
  if (c.run.eval_every < 1) return bad("run.eval_every must be at least 1");
  return Status::Ok();
}

std::string ConfigToToml(const Config& config) {
  Config copy = config;
  std::ostringstream os;
  std::string section;
  for (const ConfigField& f : ConfigFields(&copy)) {
    if (f.section != section) {
      os << (section.empty() ? "" : "\n") << "[" << f.section << "]\n";
      section = f.section;
    }
    os << f.key << " = ";
    if (std::holds_alternative<std::string*>(f.target)) {
      toml::value<std::string> v(f.ValueString());
      os << v << "\n";
    } else if (std::holds_alternative<double*>(f.target)) {
      std::ostringstream num;
      num.precision(17);
      num << *std::get<double*>(f.target);
      std::string s = num.str();
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      os << s << "\n";
    } else {
      os << f.ValueString() << "\n";
    }
  }
  return os.str();
}

}  // namespace mcmpart::common
