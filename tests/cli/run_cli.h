// Test helper: runs the mcmpart binary with arguments, capturing exit code, stdout, stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mcmpart::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  /// Non-empty lines of stderr.
  int err_lines() const {
    std::istringstream in(err);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += !line.empty();
    return n;
  }
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `MCMPART_BINARY args` through the shell (args are already quoted as needed).
inline CliResult RunCli(const std::string& args, const std::string& prefix = "") {
  char dir_template[] = "/tmp/mcmpart_cli_XXXXXX";
  std::string dir = mkdtemp(dir_template);
  const std::string out = dir + "/out", err = dir + "/err";
  const std::string cmd = prefix + " " + MCMPART_BINARY + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  std::system(("rm -rf " + dir).c_str());
  return r;
}

}  // namespace mcmpart::testing
