// Config fields table, TOML reading/writing and validation.
#include "common/config.h"

#include <toml++/toml.h>

#include <cmath>
#include <sstream>
#include <type_traits>

#include "common/graph_io.h"
#include "common/toml_parse.h"

namespace mcmpart::common {
namespace {

std::string FormatBound(double v, bool integer) {
  std::ostringstream os;
  if (integer) {
    os << static_cast<long long>(v);
  } else {
    os << v;
  }
  return os.str();
}

// Keys that configs recorded by earlier versions (run files, checkpoints) hold, accepted at
// the one value they were recorded with.
struct RetiredKey {
  const char* section;
  const char* key;
  double value;
};
constexpr RetiredKey kRetiredKeys[] = {{"actor", "last_rank_delay_ms", 0.0}};

bool IsRetired(const std::string& section, const std::string& key, const toml::node& node) {
  for (const RetiredKey& r : kRetiredKeys) {
    if (section == r.section && key == r.key && node.is_number() &&
        node.value<double>() == r.value) {
      return true;
    }
  }
  return false;
}

// The TOML value as the text ConfigField::Set parses; error when it is not a scalar.
StatusOr<std::string> TomlScalarText(const toml::node& node, const ConfigField& field) {
  if (!field.accepts_text_and_number() && field.is_text() != node.is_string()) {
    return Status::Error(field.name() +
                         (field.is_text() ? " must be a string" : " must not be a string"));
  }
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto b = node.value_exact<bool>()) return std::string(*b ? "true" : "false");
  if (auto i = node.value_exact<int64_t>()) return std::to_string(*i);
  if (auto d = node.value_exact<double>()) {
    std::ostringstream os;
    os.precision(17);
    os << *d;
    return os.str();
  }
  return Status::Error(field.name() + " has an unsupported type");
}

}  // namespace

std::string EnumName(const EvaluatorSpec& spec) {
  return spec.external() ? EvaluatorSpec::kExecPrefix + spec.command : EnumName(spec.kind);
}

StatusOr<EvaluatorSpec> ParseEvaluatorSpec(const std::string& text, const std::string& what) {
  const std::string prefix = EvaluatorSpec::kExecPrefix;
  if (text.compare(0, prefix.size(), prefix) != 0) {
    MCMPART_ASSIGN_OR_RETURN(EvaluatorKind kind, ParseEnum<EvaluatorKind>(text, what));
    return EvaluatorSpec(kind);
  }
  EvaluatorSpec spec;
  spec.command = text.substr(prefix.size());
  if (spec.command.find_first_not_of(" \t") == std::string::npos) {
    return Status::Error(what + " '" + text +
                         "' names no program (expected exec:CMD ARGS, e.g. "
                         "'exec:python3 scripts/example_evaluator.py')");
  }
  return spec;
}

namespace {

// The dtype names run.weight_bytes takes and their bytes per element.
constexpr std::pair<const char*, int> kWeightDtypes[] = {{"int8", 1}, {"fp8", 1},  {"bf16", 2},
                                                         {"fp16", 2}, {"fp32", 4}, {"fp64", 8}};

std::string WeightBytesChoices(const std::string& sep) {
  std::string s = "0";
  for (const char* n : {"1", "2", "4", "8"}) s += sep + n;
  for (const auto& [name, bytes] : kWeightDtypes) s += sep + name;
  return s;
}

}  // namespace

StatusOr<WeightBytes> ParseWeightBytes(const std::string& text, const std::string& what) {
  for (const auto& [name, bytes] : kWeightDtypes) {
    if (text == name) return WeightBytes(bytes);
  }
  for (int bytes : {0, 1, 2, 4, 8}) {
    if (text == std::to_string(bytes)) return WeightBytes(bytes);
  }
  return Status::Error(what + " must be " + WeightBytesChoices(", ") + ", got '" + text + "'");
}

bool FieldRange::Contains(double v) const {
  return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
}

std::string FieldRange::Describe(bool integer) const {
  const bool has_lo = lo > -kInf, has_hi = hi < kInf;
  const std::string l = has_lo ? FormatBound(lo, integer) : "";
  const std::string h = has_hi ? FormatBound(hi, integer) : "";
  if (has_lo && has_hi) {
    if (integer && !lo_open && !hi_open) return "in " + l + ".." + h;
    return "in " + std::string(lo_open ? "(" : "[") + l + ", " + h + (hi_open ? ")" : "]");
  }
  if (has_lo) return (lo_open ? "> " : ">= ") + l;
  if (has_hi) return (hi_open ? "< " : "<= ") + h;
  return "";
}

std::vector<ConfigField> ConfigFields(Config* c) {
#define MCMPART_CONFIG_FIELD_ENTRY(section, type, name, default_value, range, help) \
  {#section, #name, help, FieldRange::range, &c->section.name},
  return {MCMPART_CONFIG_FIELDS(MCMPART_CONFIG_FIELD_ENTRY)};
#undef MCMPART_CONFIG_FIELD_ENTRY
}

std::string ConfigField::flag() const {
  std::string f = key;
  for (char& ch : f) {
    if (ch == '_') ch = '-';
  }
  return f;
}

bool ConfigField::is_text() const {
  return std::visit(
      [](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        return std::is_same_v<T, std::string> || std::is_same_v<T, EvaluatorSpec> ||
               std::is_enum_v<T>;
      },
      target);
}

bool ConfigField::accepts_text_and_number() const {
  return std::holds_alternative<WeightBytes*>(target);
}

std::string ConfigField::ValueString() const {
  std::ostringstream os;
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          os << (*p ? "true" : "false");
        } else if constexpr (std::is_enum_v<T> || std::is_same_v<T, EvaluatorSpec>) {
          os << EnumName(*p);
        } else if constexpr (std::is_same_v<T, WeightBytes>) {
          os << p->bytes;
        } else {
          os << *p;
        }
      },
      target);
  return os.str();
}

std::string ConfigField::Allowed() const {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_enum_v<T>) {
          return EnumChoices<T>(" | ", " | ");
        } else if constexpr (std::is_same_v<T, EvaluatorSpec>) {
          return EnumChoices<EvaluatorKind>(" | ", " | ");
        } else if constexpr (std::is_same_v<T, WeightBytes>) {
          return WeightBytesChoices(" | ");
        } else if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          return range.Describe(std::is_integral_v<T>);
        } else {
          return "";
        }
      },
      target);
}

Status ConfigField::Set(const std::string& text) {
  return std::visit(
      [&](auto* p) -> Status {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *p = text;
        } else if constexpr (std::is_enum_v<T>) {
          MCMPART_ASSIGN_OR_RETURN(*p, ParseEnum<T>(text, name()));
        } else if constexpr (std::is_same_v<T, EvaluatorSpec>) {
          MCMPART_ASSIGN_OR_RETURN(*p, ParseEvaluatorSpec(text, name()));
        } else if constexpr (std::is_same_v<T, WeightBytes>) {
          MCMPART_ASSIGN_OR_RETURN(*p, ParseWeightBytes(text, name()));
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1") {
            *p = true;
          } else if (text == "false" || text == "0") {
            *p = false;
          } else {
            return Status::Error(name() + " must be true or false, got '" + text + "'");
          }
        } else if constexpr (std::is_same_v<T, double>) {
          try {
            size_t used = 0;
            double v = std::stod(text, &used);
            if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
            *p = v;
          } catch (const std::exception&) {
            return Status::Error(name() + " must be a finite number, got '" + text + "'");
          }
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
            return Status::Error(name() + " must be an integer, got '" + text + "'");
          }
        }
        return Status::Ok();
      },
      target);
}

Status ConfigField::CheckRange() const {
  return std::visit(
      [&](auto* p) -> Status {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          if (range.bounded() && !range.Contains(static_cast<double>(*p))) {
            return Status::Error(name() + " must be " + range.Describe(std::is_integral_v<T>));
          }
        } else if constexpr (std::is_same_v<T, WeightBytes>) {
          if (!range.Contains(p->bytes) || (p->bytes != 0 && !IsWeightElementSize(p->bytes))) {
            return Status::Error(name() + " must be " + WeightBytesChoices(", "));
          }
        }
        return Status::Ok();
      },
      target);
}

Status ApplyConfigToml(const std::string& text, const std::string& source, Config* config) {
  MCMPART_ASSIGN_OR_RETURN(toml::table doc, common::ParseTomlText(text, source));
  std::vector<ConfigField> fields = ConfigFields(config);
  for (const auto& [sec_key, sec_node] : doc) {
    const std::string section(sec_key.str());
    const toml::table* tbl = sec_node.as_table();
    if (!tbl) {
      return Status::Error(source + ": '" + section +
                           "' must be a table ([run], [policy], [ppo], [actor])");
    }
    for (const auto& [k, node] : *tbl) {
      const std::string key(k.str());
      ConfigField* field = nullptr;
      for (ConfigField& f : fields) {
        if (f.section == section && f.key == key) field = &f;
      }
      if (!field) {
        if (IsRetired(section, key, node)) continue;
        return Status::Error(source + ": unknown config key '" + section + "." + key + "'");
      }
      StatusOr<std::string> value = TomlScalarText(node, *field);
      if (!value.ok()) return value.status().WithContext(source);
      MCMPART_RETURN_IF_ERROR(field->Set(*value).WithContext(source));
    }
  }
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, Config* config) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ApplyConfigToml(text, path, config);
}

Status ValidateConfig(const Config& config) {
  Config copy = config;
  for (const ConfigField& f : ConfigFields(&copy)) {
    MCMPART_RETURN_IF_ERROR(f.CheckRange().WithContext("config"));
  }
  if (config.policy.hidden % config.policy.attention_heads != 0) {
    return Status::Error("config: policy.attention_heads must divide policy.hidden");
  }
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
    if (f.is_text()) {
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
