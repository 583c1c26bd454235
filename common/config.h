// Declarative run configuration: structs generated from the field table (common/config_fields.h),
// filled from TOML + CLI.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "common/config_fields.h"
#include "common/status.h"

namespace mcmpart::common {

/// The config spelling of `value` (EnumNames<E>).
template <typename E>
const char* EnumName(E value) {
  const auto& names = EnumNames<E>::kNames;
  const auto i = static_cast<size_t>(value);
  assert(i < names.size() && "enum value without a name");
  return names[i];
}

/// The config spelling of an evaluator: its built-in name, or `exec:CMD ARGS…`.
std::string EnumName(const EvaluatorSpec& spec);

/// Parses run.evaluator: a built-in name or `exec:` followed by a command; `what` names the
/// field in errors.
StatusOr<EvaluatorSpec> ParseEvaluatorSpec(const std::string& text, const std::string& what);

/// Parses run.weight_bytes: 0, 1, 2, 4, 8 or a dtype name (WeightBytes); `what` names the field.
StatusOr<WeightBytes> ParseWeightBytes(const std::string& text, const std::string& what);

/// The names of E joined for messages: `sep` between them, `last_sep` before the last one.
template <typename E>
std::string EnumChoices(const std::string& sep, const std::string& last_sep) {
  const auto& names = EnumNames<E>::kNames;
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    s += (i == 0 ? "" : i + 1 == names.size() ? last_sep : sep) + std::string(names[i]);
  }
  return s;
}

/// The value of E spelled `text`; the error names `what` and the allowed names.
template <typename E>
StatusOr<E> ParseEnum(const std::string& text, const std::string& what) {
  const auto& names = EnumNames<E>::kNames;
  for (size_t i = 0; i < names.size(); ++i) {
    if (text == names[i]) return static_cast<E>(i);
  }
  return Status::Error(what + " must be " + EnumChoices<E>(", ", " or ") + ", got '" + text + "'");
}

/// Allowed values of a numeric config field: from lo to hi, each end included unless open;
/// an infinite end is no bound.
struct FieldRange {
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  double lo = -kInf;
  double hi = kInf;
  bool lo_open = false;
  bool hi_open = false;

  static constexpr FieldRange Unbounded() { return {}; }
  static constexpr FieldRange AtLeast(double lo) { return {lo, kInf, false, false}; }
  static constexpr FieldRange Above(double lo) { return {lo, kInf, true, false}; }
  static constexpr FieldRange Closed(double lo, double hi) { return {lo, hi, false, false}; }
  static constexpr FieldRange Open(double lo, double hi) { return {lo, hi, true, true}; }
  static constexpr FieldRange OpenClosed(double lo, double hi) { return {lo, hi, true, false}; }
  /// A softening temperature (--init-temperature, eval's --temperature): 0.01..100.
  static constexpr FieldRange Temperature() { return Closed(0.01, 100); }

  bool bounded() const { return lo > -kInf || hi < kInf; }
  /// Whether `v` lies in the range (never for NaN).
  bool Contains(double v) const;
  /// "in 1..4096" (integers), "in (0, 10)", ">= 0", "> 0"; empty when unbounded.
  std::string Describe(bool integer) const;
};

#define MCMPART_CONFIG_MEMBER(section, type, name, default_value, range, help) \
  type name = default_value;

/// What to partition and how long to search.
struct RunConfig {
  MCMPART_RUN_FIELDS(MCMPART_CONFIG_MEMBER)
};

/// Policy network sizes (SPEC §6).
struct PolicyConfig {
  MCMPART_POLICY_FIELDS(MCMPART_CONFIG_MEMBER)
};

/// PPO hyper-parameters (SPEC §6).
struct PpoConfig {
  MCMPART_PPO_FIELDS(MCMPART_CONFIG_MEMBER)
};

/// Actor behaviour (SPEC §7).
struct ActorConfig {
  MCMPART_ACTOR_FIELDS(MCMPART_CONFIG_MEMBER)
};

#undef MCMPART_CONFIG_MEMBER

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
  FieldRange range;  ///< checked by ValidateConfig; numeric fields only
  std::variant<int*, int64_t*, double*, bool*, std::string*, EvaluatorSpec*, RepairMode*, Decoder*,
               DecisionOrder*, WeightBytes*>
      target;

  std::string flag() const;
  /// `section.key`.
  std::string name() const { return section + "." + key; }
  /// Whether TOML holds the field as a string (strings and enums).
  bool is_text() const;
  /// Whether TOML may also hold the field in the other form (a weight_bytes dtype name).
  bool accepts_text_and_number() const;
  std::string ValueString() const;
  /// The allowed values for --help: the range, or an enum's names; empty when anything goes.
  std::string Allowed() const;
  /// Parses `text` into the field; error names the field and expected type/names.
  Status Set(const std::string& text);
  /// Error naming the field and its range when the value lies outside it.
  Status CheckRange() const;
};

/// The fields of `config`, pointing into it, in the order of MCMPART_CONFIG_FIELDS.
std::vector<ConfigField> ConfigFields(Config* config);

/// Applies a TOML document; unknown sections/keys and wrong types are errors naming them.
Status ApplyConfigToml(const std::string& text, const std::string& source, Config* config);
/// Reads and applies a TOML config file.
Status LoadConfigFile(const std::string& path, Config* config);
/// Each field's range (FieldRange), then the checks across fields.
Status ValidateConfig(const Config& config);
/// The effective config as TOML (recorded in every run file).
std::string ConfigToToml(const Config& config);

}  // namespace mcmpart::common
