// Run config: the field table, TOML round trip of every field, range checks and enums.
#include "common/config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace mcmpart::common {
namespace {

template <typename T>
constexpr bool kIsNumber = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

bool SameValue(const ConfigField& a, const ConfigField& b) {
  return std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        return *p == *std::get<T*>(b.target);
      },
      a.target);
}

// Sets `f` to a value in its range other than the one it holds.
void SetOtherValue(ConfigField& f) {
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *p += "_x'\"";
        } else if constexpr (std::is_same_v<T, bool>) {
          *p = !*p;
        } else if constexpr (std::is_enum_v<T>) {
          *p = static_cast<T>((static_cast<size_t>(*p) + 1) % EnumNames<T>::kNames.size());
        } else if constexpr (std::is_same_v<T, EvaluatorSpec>) {
          p->command = "python3 'my eval.py' --x \"y\"";
        } else if constexpr (std::is_same_v<T, WeightBytes>) {
          p->bytes = p->bytes == 1 ? 2 : 1;
        } else {
          const double d = static_cast<double>(*p);
          const std::vector<double> candidates = std::is_integral_v<T>
                                                     ? std::vector<double>{d + 1, d - 1}
                                                     : std::vector<double>{d + 0.1, d / 3};
          for (double v : candidates) {
            if (f.range.Contains(v)) {
              *p = static_cast<T>(v);
              return;
            }
          }
          ADD_FAILURE() << f.name() << ": no other value in range";
        }
      },
      f.target);
}

// Sets the numeric field `f` to `v`.
void SetNumber(ConfigField& f, double v) {
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (kIsNumber<T>) *p = static_cast<T>(v);
      },
      f.target);
}

bool IsIntegral(const ConfigField& f) {
  return std::holds_alternative<int*>(f.target) || std::holds_alternative<int64_t*>(f.target);
}

bool IsNumber(const ConfigField& f) {
  return std::visit([](auto* p) { return kIsNumber<std::remove_pointer_t<decltype(p)>>; },
                    f.target);
}

TEST(Config, TomlOverridesAndErrors) {
  Config c;
  ASSERT_TRUE(
      ApplyConfigToml("[run]\nbudget = 77\ngraph = \"bert-tiny\"\n[ppo]\nlr = 0.5\n", "c.toml", &c)
          .ok());
  EXPECT_EQ(c.run.budget, 77);
  EXPECT_EQ(c.run.graph, "bert-tiny");
  EXPECT_DOUBLE_EQ(c.ppo.lr, 0.5);
  Config round;
  ASSERT_TRUE(ApplyConfigToml(ConfigToToml(c), "rt.toml", &round).ok());
  EXPECT_EQ(ConfigToToml(round), ConfigToToml(c));
  Status unknown = ApplyConfigToml("[run]\nbudgett = 1\n", "c.toml", &c);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("run.budgett"), std::string::npos);
  EXPECT_FALSE(ApplyConfigToml("[run]\nbudget = \"many\"\n", "c.toml", &c).ok());
  EXPECT_FALSE(ApplyConfigToml("[run\n", "c.toml", &c).ok());
  Config bad;
  bad.run.budget = 0;
  EXPECT_FALSE(ValidateConfig(bad).ok());
  // Out-of-range values are rejected with a message naming the field.
  auto expect_rejected = [](double PpoConfig::*field, const char* name, double value) {
    Config c;
    c.ppo.*field = value;
    Status st = ValidateConfig(c);
    ASSERT_FALSE(st.ok()) << name << " = " << value;
    EXPECT_NE(st.message().find(name), std::string::npos);
  };
  for (double p : {0.0, 1.5}) expect_rejected(&PpoConfig::sil_max_prob, "sil_max_prob", p);
  for (double t : {-0.1, 1.5}) {
    expect_rejected(&PpoConfig::reward_softmax_temp, "reward_softmax_temp", t);
  }
  Config elites;
  elites.ppo.sil_elites = 0;
  EXPECT_FALSE(ValidateConfig(elites).ok());
  Config soft;
  soft.ppo.reward_softmax_temp = 0.05;
  EXPECT_TRUE(ValidateConfig(soft).ok());
}

TEST(Config, DefaultsAreRecordedAsBefore) {
  EXPECT_EQ(ConfigToToml(Config{}),
            "[run]\ngraph = 'bert-base'\nweight_bytes = 0\nhw = 'mcm8-ring'\nevaluator = 'cycle'\n"
            "evaluator_timeout_s = 60.0\nbudget = 1024\n"
            "time_limit_s = 0.0\nseed = 1\nout = ''\nflush_interval_s = 5.0\n"
            "progress_interval_s = 2.0\ncheckpoint = ''\ncheckpoint_every = 50\ninit_from = ''\n"
            "init_temperature = 1.0\n"
            "heldout = ''\neval_every = 10\nimitate_from = ''\n"
            "\n[policy]\nhidden = 64\nsage_layers = 2\nmax_chips = 16\nattention_layers = 1\n"
            "attention_heads = 4\nsegment = 64\nprior_init = 2.0\ntie_units = true\ndecoder = "
            "'sequential'\n"
            "\n[ppo]\nlr = 0.0030000000000000001\nclip = 0.20000000000000001\nvalue_coef = 0.5\n"
            "entropy_coef = 0.01\nepochs = 1\nminibatch = 32\ntarget_kl = 0.050000000000000003\n"
            "max_grad_norm = 1.0\nbatch_size = 32\ntrain_on_repaired = true\n"
            "invalid_penalty = -1.0\nsil_coef = 0.0\nsil_elites = 8\n"
            "sil_max_prob = 0.96999999999999997\nreward_softmax_temp = 0.0\nimitate_steps = 200\n"
            "imitate_lr = 0.0030000000000000001\nimitate_dagger = 0\nimitate_max_prob = "
            "0.98999999999999999\n"
            "learner_threads = 0\n"
            "\n[actor]\nsamples_per_message = 4\nmax_policy_lag = 1\nmax_inflight = 2\n"
            "repair_time_limit_ms = 100.0\nrepair_fail_limit = 0\nrepair_mode = "
            "'repair'\ndecision_order = 'late'\nenvs_per_actor = 1\n"
            "eval_latency_ms = 0.0\n");
}

TEST(Config, EveryFieldRoundTripsThroughToml) {
  Config defaults, changed;
  std::vector<ConfigField> default_fields = ConfigFields(&defaults);
  std::vector<ConfigField> fields = ConfigFields(&changed);
  std::set<std::string> names, flags;
  for (ConfigField& f : fields) {
    EXPECT_TRUE(names.insert(f.name()).second) << "duplicate " << f.name();
    EXPECT_TRUE(flags.insert(f.flag()).second) << "duplicate --" << f.flag();
    SetOtherValue(f);
  }
  const std::string text = ConfigToToml(changed);
  Config back;
  Status st = ApplyConfigToml(text, "rt.toml", &back);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << text;
  std::vector<ConfigField> back_fields = ConfigFields(&back);
  ASSERT_EQ(back_fields.size(), fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const ConfigField& f = fields[i];
    EXPECT_FALSE(SameValue(f, default_fields[i])) << f.name() << " kept its default";
    EXPECT_TRUE(SameValue(f, back_fields[i]))
        << f.name() << " = " << f.ValueString() << " read back as " << back_fields[i].ValueString();
    const size_t section = text.find("[" + f.section + "]\n");
    ASSERT_NE(section, std::string::npos) << f.section;
    const size_t line = text.find("\n" + f.key + " = ", section);
    EXPECT_LT(line, text.find("\n[", section + 1)) << f.name() << " not in [" << f.section << "]";
  }
  EXPECT_EQ(ConfigToToml(back), text);
}

TEST(Config, EveryRangedFieldRejectsValuesOutsideItsRange) {
  Config base;
  base.policy.attention_heads = 1;  // divides every policy.hidden
  ASSERT_TRUE(ValidateConfig(base).ok());
  const size_t num_fields = ConfigFields(&base).size();
  int ends = 0;
  for (size_t i = 0; i < num_fields; ++i) {
    const ConfigField field = ConfigFields(&base)[i];
    if (!IsNumber(field)) continue;
    EXPECT_TRUE(field.range.bounded() || field.name() == "ppo.invalid_penalty")
        << field.name() << " has no range";
    for (bool upper : {false, true}) {
      const FieldRange& r = field.range;
      const double end = upper ? r.hi : r.lo;
      if (std::isinf(end)) continue;
      const bool open = upper ? r.hi_open : r.lo_open;
      const double out_dir = upper ? FieldRange::kInf : -FieldRange::kInf;
      double outside = open ? end : std::nextafter(end, out_dir);
      double inside = open ? std::nextafter(end, -out_dir) : end;
      if (IsIntegral(field)) {
        outside = open ? end : end + (upper ? 1 : -1);
        inside = open ? end - (upper ? 1 : -1) : end;
      }
      Config c = base;
      ConfigField f = ConfigFields(&c)[i];
      SetNumber(f, outside);
      Status st = ValidateConfig(c);
      ASSERT_FALSE(st.ok()) << f.name() << " = " << f.ValueString();
      EXPECT_EQ(st.message(), "config: " + f.name() + " must be " + f.Allowed());
      SetNumber(f, inside);
      st = ValidateConfig(c);
      EXPECT_TRUE(st.ok()) << f.name() << " = " << f.ValueString() << ": " << st.message();
      ++ends;
    }
  }
  EXPECT_GT(ends, 0);
}

TEST(Config, RangeMessagesAndHelp) {
  Config c;
  auto field = [&](const std::string& name) {
    for (const ConfigField& f : ConfigFields(&c)) {
      if (f.name() == name) return f;
    }
    ADD_FAILURE() << "no field " << name;
    return ConfigFields(&c).front();
  };
  EXPECT_EQ(field("policy.hidden").Allowed(), "in 1..4096");
  EXPECT_EQ(field("run.budget").Allowed(), ">= 1");
  EXPECT_EQ(field("run.flush_interval_s").Allowed(), "> 0");
  EXPECT_EQ(field("ppo.lr").Allowed(), "in (0, 10)");
  EXPECT_EQ(field("ppo.sil_max_prob").Allowed(), "in (0, 1]");
  EXPECT_EQ(field("policy.prior_init").Allowed(), "in [-100, 100]");
  EXPECT_EQ(field("ppo.batch_size").Allowed(), "in 1..1048576");
  EXPECT_EQ(field("run.evaluator").Allowed(), "maxload | cycle");
  EXPECT_EQ(field("actor.repair_mode").Allowed(), "repair | penalty");
  EXPECT_EQ(field("run.graph").Allowed(), "");
  EXPECT_EQ(field("ppo.invalid_penalty").Allowed(), "");
  c.policy.hidden = 4097;
  EXPECT_EQ(ValidateConfig(c).message(), "config: policy.hidden must be in 1..4096");
  c = Config{};
  c.policy.attention_heads = 3;
  EXPECT_EQ(ValidateConfig(c).message(),
            "config: policy.attention_heads must divide policy.hidden");
  c.policy.attention_heads = 0;
  EXPECT_EQ(ValidateConfig(c).message(), "config: policy.attention_heads must be >= 1");
}

TEST(Config, EnumFieldsTakeOnlyTheirNames) {
  Config c;
  ASSERT_TRUE(
      ApplyConfigToml("[run]\nevaluator = \"maxload\"\n[actor]\nrepair_mode = \"penalty\"\n",
                      "e.toml", &c)
          .ok());
  EXPECT_EQ(c.run.evaluator, EvaluatorKind::kMaxload);
  EXPECT_EQ(c.actor.repair_mode, RepairMode::kPenalty);
  EXPECT_EQ(ApplyConfigToml("[run]\nevaluator = \"fast\"\n", "e.toml", &c).message(),
            "e.toml: run.evaluator must be maxload or cycle, got 'fast'");
  EXPECT_EQ(ApplyConfigToml("[actor]\nrepair_mode = \"fix\"\n", "e.toml", &c).message(),
            "e.toml: actor.repair_mode must be repair or penalty, got 'fix'");
  EXPECT_EQ(ApplyConfigToml("[run]\nevaluator = 1\n", "e.toml", &c).message(),
            "e.toml: run.evaluator must be a string");
  EXPECT_EQ(ApplyConfigToml("[run]\nbudget = \"1\"\n", "e.toml", &c).message(),
            "e.toml: run.budget must not be a string");
  EXPECT_EQ(c.run.evaluator, EvaluatorKind::kMaxload);
  EXPECT_EQ(c.actor.repair_mode, RepairMode::kPenalty);
  for (const char* name : EnumNames<EvaluatorKind>::kNames) {
    auto kind = ParseEnum<EvaluatorKind>(name, "run.evaluator");
    ASSERT_TRUE(kind.ok()) << name;
    EXPECT_STREQ(EnumName(*kind), name);
  }
  for (const char* name : EnumNames<RepairMode>::kNames) {
    auto mode = ParseEnum<RepairMode>(name, "actor.repair_mode");
    ASSERT_TRUE(mode.ok()) << name;
    EXPECT_STREQ(EnumName(*mode), name);
  }
  EXPECT_FALSE(ParseEnum<EvaluatorKind>("Cycle", "run.evaluator").ok());
}

TEST(Config, RecordedLastRankDelayOfZeroIsAccepted) {
  Config c;
  EXPECT_TRUE(ApplyConfigToml("[actor]\nlast_rank_delay_ms = 0.0\n", "old.toml", &c).ok());
  Status st = ApplyConfigToml("[actor]\nlast_rank_delay_ms = 150.0\n", "old.toml", &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("actor.last_rank_delay_ms"), std::string::npos) << st.message();
  EXPECT_EQ(ConfigToToml(c).find("last_rank_delay_ms"), std::string::npos);
}

TEST(Config, WeightBytesTakesSizesAndDtypeNames) {
  const std::vector<std::pair<std::string, int>> spellings = {
      {"0", 0},   {"1", 1},    {"2", 2},    {"4", 4},    {"8", 8},   {"int8", 1},
      {"fp8", 1}, {"bf16", 2}, {"fp16", 2}, {"fp32", 4}, {"fp64", 8}};
  for (const auto& [text, bytes] : spellings) {
    Config c;
    ConfigField f = ConfigFields(&c)[1];
    ASSERT_EQ(f.name(), "run.weight_bytes");
    ASSERT_TRUE(f.Set(text).ok()) << text;
    EXPECT_EQ(c.run.weight_bytes.bytes, bytes) << text;
    EXPECT_TRUE(ValidateConfig(c).ok()) << text;
  }
  for (const std::string text : {"3", "16", "-1", "fp4", "", "2.0"}) {
    Config c;
    Status st = ConfigFields(&c)[1].Set(text);
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_NE(st.message().find("run.weight_bytes must be 0, 1, 2, 4, 8, int8"), std::string::npos)
        << st.message();
  }
  // TOML takes the number or the name; the recorded TOML holds the number.
  Config c;
  ASSERT_TRUE(ApplyConfigToml("[run]\nweight_bytes = 'bf16'\n", "c.toml", &c).ok());
  EXPECT_EQ(c.run.weight_bytes.bytes, 2);
  EXPECT_NE(ConfigToToml(c).find("\nweight_bytes = 2\n"), std::string::npos);
  ASSERT_TRUE(ApplyConfigToml("[run]\nweight_bytes = 8\n", "c.toml", &c).ok());
  EXPECT_EQ(c.run.weight_bytes.bytes, 8);
  EXPECT_FALSE(ApplyConfigToml("[run]\nweight_bytes = 3\n", "c.toml", &c).ok());
  // A value set in code is checked too.
  c.run.weight_bytes = 3;
  Status st = ValidateConfig(c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("run.weight_bytes"), std::string::npos);
}

}  // namespace
}  // namespace mcmpart::common
