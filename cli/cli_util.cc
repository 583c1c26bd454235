// Shared CLI plumbing: config flags, --help, error reporting.
#include "cli/cli_util.h"
#include "cli/git_revision.h"
#include "learner/evaluate.h"

#include <algorithm>
#include <ctime>
#include <iostream>

namespace mcmpart::cli {

int ReportBadInput(const std::string& command, const common::Status& status) {
  std::cerr << "mcmpart " << command << ": error: " << status.message() << std::endl;
  return kExitBadInput;
}

common::StatusOr<ParsedCommand> ParseCommand(cxxopts::Options& options, int argc, char** argv,
                                             common::Config* config,
                                             const std::string& positional_name) {
  std::vector<common::ConfigField> fields = common::ConfigFields(config);
  options.add_options("Common")
      ("config", "TOML config file (flags given here override it)", cxxopts::value<std::string>())
      ("json", "print the result summary as one JSON object on stdout")
      ("h,help", "show this help");
  for (const common::ConfigField& f : fields) {
    std::string group = f.section == "run" ? "Common" : f.section;
    const std::string allowed = f.Allowed();
    options.add_options(group)(
        f.flag(),
        f.help + " (default " + f.ValueString() + (allowed.empty() ? "" : ", " + allowed) + ")",
        cxxopts::value<std::string>());
  }
  if (!positional_name.empty()) {
    options.add_options()(positional_name, "input", cxxopts::value<std::vector<std::string>>());
    options.parse_positional({positional_name});
  }
  ParsedCommand parsed;
  try {
    parsed.result = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return common::Status::Error(std::string(e.what()) + " (see --help)");
  }
  if (parsed.result.count("help")) {
    std::vector<std::string> groups = {"", "Common"};
    for (const char* g : {"policy", "ppo", "actor"}) groups.push_back(g);
    std::cout << options.help(groups) << std::endl;
    parsed.help = true;
    return parsed;
  }
  if (!positional_name.empty() && parsed.result.count(positional_name)) {
    parsed.positional = parsed.result[positional_name].as<std::vector<std::string>>();
  } else if (!parsed.result.unmatched().empty()) {
    return common::Status::Error("unexpected argument '" + parsed.result.unmatched()[0] + "' (see --help)");
  }
  parsed.json = parsed.result.count("json") > 0;
  const std::string default_hw = config->run.hw;
  config->run.hw.clear();
  if (parsed.result.count("config")) {
    MCMPART_RETURN_IF_ERROR(common::LoadConfigFile(parsed.result["config"].as<std::string>(), config));
  }
  MCMPART_RETURN_IF_ERROR(ApplyConfigFlags(parsed.result, config));
  parsed.hw_given = !config->run.hw.empty();
  if (!parsed.hw_given) config->run.hw = default_hw;
  MCMPART_RETURN_IF_ERROR(common::ValidateConfig(*config));
  return parsed;
}

common::Status ApplyConfigFlags(const cxxopts::ParseResult& result, common::Config* config) {
  for (common::ConfigField& f : common::ConfigFields(config)) {
    if (result.count(f.flag())) {
      MCMPART_RETURN_IF_ERROR(
          f.Set(result[f.flag()].as<std::string>()).WithContext("--" + f.flag()));
    }
  }
  return common::Status::Ok();
}

void AddTemperatureOption(cxxopts::Options& options) {
  options.add_options()("temperature",
                        "sampling temperatures T1,T2,...: the policy's sampled decodings are split "
                        "evenly over them, each drawing from softmax(logits / T) at every "
                        "decision; greedy is the same at any",
                        cxxopts::value<std::vector<double>>()->default_value("1"));
}

common::StatusOr<std::vector<double>> ParseTemperatures(const cxxopts::ParseResult& result) {
  std::vector<double> t = result["temperature"].as<std::vector<double>>();
  if (t.empty()) return common::Status::Error("--temperature is empty");
  const common::FieldRange range = common::FieldRange::Temperature();
  for (double x : t) {
    if (!range.Contains(x)) {
      return common::Status::Error("--temperature " + learner::TemperaturesText({x}) +
                                   " must be " + range.Describe(/*integer=*/false));
    }
  }
  return t;
}

int CountPositionalWords(int argc, char** argv, const std::vector<std::string>& switches) {
  int words = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') {
      ++words;
    } else if (arg.find('=') == std::string::npos &&
               std::find(switches.begin(), switches.end(), arg) == switches.end()) {
      ++i;  // the flag's value
    }
  }
  return words;
}

std::string JoinPositional(const std::vector<std::string>& pieces) {
  std::string joined;
  for (const std::string& piece : pieces) joined += (joined.empty() ? "" : ",") + piece;
  return joined;
}

std::string JoinArgs(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", std::localtime(&t));
  return buf;
}

const char* GitRevision() { return MCMPART_GIT_REV; }

}  // namespace mcmpart::cli
