// The `exec:` evaluator: child process over a socket, line-delimited JSON requests and replies.
#include "hw/external_evaluator.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/graph_io.h"
#include "hw/constraints.h"

namespace mcmpart::hw {
namespace {

using common::Status;
using common::StatusOr;

constexpr size_t kQuoteChars = 200;
constexpr auto kExitGrace = std::chrono::milliseconds(2000);
constexpr auto kTermGrace = std::chrono::milliseconds(1000);

// `text` in single quotes, cut to kQuoteChars.
std::string Quote(const std::string& text) {
  if (text.size() <= kQuoteChars) return "'" + text + "'";
  return "'" + text.substr(0, kQuoteChars) + "…' (" + std::to_string(text.size()) + " bytes)";
}

bool UsesShell(const std::string& command) {
  return command.find_first_of("|&;<>()$`*?[]{}~#!\n") != std::string::npos;
}

// Splits at unquoted blanks; '…' is literal, "…" and outside quotes take \ escapes.
StatusOr<std::vector<std::string>> SplitWords(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    const char ch = command[i];
    if (quote == '\'') {
      if (ch == '\'')
        quote = 0;
      else
        word += ch;
    } else if (ch == '\\' && i + 1 < command.size() &&
               (quote == 0 || command[i + 1] == '"' || command[i + 1] == '\\')) {
      word += command[++i];
      in_word = true;
    } else if (quote == '"') {
      if (ch == '"')
        quote = 0;
      else
        word += ch;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (ch == ' ' || ch == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += ch;
      in_word = true;
    }
  }
  if (quote != 0) return Status::Error(std::string("unterminated ") + quote + " quote");
  if (in_word) words.push_back(word);
  if (words.empty()) return Status::Error("no program given");
  return words;
}

// The executable `program` names: itself when it holds a '/', else the first match on PATH.
StatusOr<std::string> ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) != 0) {
      return Status::Error("program '" + program + "' does not exist or is not executable");
    }
    return program;
  }
  const char* path_env = std::getenv("PATH");
  std::stringstream path(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(path, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return Status::Error("program '" + program + "' is not on PATH");
}

// The hardware as a JSON object: every field of HardwareToToml, tables as nested objects.
nlohmann::json HardwareJson(const Hardware& hw) {
  return nlohmann::json::parse(HardwareToJsonString(hw));
}

}  // namespace

StatusOr<std::vector<std::string>> ExternalCommandArgv(const std::string& command) {
  const std::string what = "evaluator 'exec:" + command + "'";
  std::vector<std::string> argv;
  if (UsesShell(command)) {
    argv = {"/bin/sh", "-c", command};
  } else {
    auto words = SplitWords(command);
    if (!words.ok()) return words.status().WithContext(what);
    argv = std::move(words).value();
  }
  auto program = ResolveProgram(argv[0]);
  if (!program.ok()) return program.status().WithContext(what);
  argv[0] = *program;
  return argv;
}

StatusOr<std::unique_ptr<ExternalEvaluator>> ExternalEvaluator::Start(const std::string& command,
                                                                      const common::Graph& graph,
                                                                      const Hardware& hw,
                                                                      double timeout_s) {
  MCMPART_ASSIGN_OR_RETURN(std::vector<std::string> args, ExternalCommandArgv(command));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string init =
      nlohmann::json{{"type", "init"},
                     {"graph", nlohmann::json::parse(common::WriteGraphJsonString(graph))},
                     {"hardware", HardwareJson(hw)}}
          .dump() +
      "\n";
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Status::Error("evaluator 'exec:" + command + "': socketpair: " + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::Error("evaluator 'exec:" + command + "': fork: " + std::strerror(errno));
  }
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    if (dup2(fds[1], STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  std::unique_ptr<ExternalEvaluator> eval(
      new ExternalEvaluator(command, graph, hw, timeout_s, pid, fds[0]));
  const Status sent =
      eval->SendLine(init, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(timeout_s)));
  if (!sent.ok()) eval->status_ = eval->Fail("sending the init line: " + sent.message());
  return eval;
}

ExternalEvaluator::ExternalEvaluator(std::string command, const common::Graph& graph,
                                     const Hardware& hw, double timeout_s, pid_t pid, int fd)
    : command_(std::move(command)),
      graph_(graph),
      hw_(hw),
      timeout_s_(timeout_s),
      pid_(pid),
      fd_(fd) {}

ExternalEvaluator::~ExternalEvaluator() { Stop(); }

void ExternalEvaluator::Stop() {
  close(fd_);
  auto wait_until = [this](Clock::time_point deadline) {
    while (!reaped_) {
      const pid_t r = waitpid(pid_, nullptr, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) reaped_ = true;
      if (reaped_ || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  if (status_.ok()) wait_until(Clock::now() + kExitGrace);
  if (!reaped_) {
    kill(-pid_, SIGTERM);
    wait_until(Clock::now() + kTermGrace);
  }
  kill(-pid_, SIGKILL);  // the program, if still there, and whatever it left in its group
  if (!reaped_) waitpid(pid_, nullptr, 0);
}

Status ExternalEvaluator::Fail(const std::string& what) const {
  return Status::Error("evaluator 'exec:" + command_ + "': " + what);
}

std::string ExternalEvaluator::DescribeExit() {
  if (reaped_) return "exited";
  int wstatus = 0;
  // The program has closed its stdout; give it a moment to finish exiting.
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  pid_t r = 0;
  while ((r = waitpid(pid_, &wstatus, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (r != pid_) return "closed its stdout";
  reaped_ = true;
  if (WIFEXITED(wstatus)) return "exited with status " + std::to_string(WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) return "was killed by signal " + std::to_string(WTERMSIG(wstatus));
  return "exited";
}

Status ExternalEvaluator::SendLine(const std::string& line, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::Error("the program " + DescribeExit() + " (" + std::strerror(errno) + ")");
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status::Error("it stopped reading its stdin");
    pollfd p{fd_, POLLOUT, 0};
    poll(&p, 1, static_cast<int>(left.count()) + 1);
  }
  return Status::Ok();
}

StatusOr<std::string> ExternalEvaluator::ReadLine(Clock::time_point deadline) {
  while (true) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const std::string got =
        buffer_.empty() ? "it sent nothing" : "it sent " + Quote(buffer_) + " without a newline";
    if (left.count() <= 0) {
      std::ostringstream os;
      os << "no reply within " << timeout_s_ << " s (--evaluator-timeout-s); " << got;
      return Status::Error(os.str());
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
      return Status::Error("the program " + DescribeExit() + " before replying; " + got);
    }
  }
}

StatusOr<Metrics> ExternalEvaluator::ParseReply(const std::string& line,
                                                const common::Partition& p) const {
  const int64_t id = next_id_ - 1;
  const std::string where = "reply to request " + std::to_string(id) + " ";
  const nlohmann::json reply = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) {
    return Status::Error(where + "is not a JSON object: " + Quote(line));
  }
  if (!reply.contains("id") || !reply["id"].is_number_integer() || reply["id"] != id) {
    return Status::Error(where + "names another id: " + Quote(line));
  }
  auto number = [&](const char* key) -> StatusOr<double> {
    const auto it = reply.find(key);
    if (it == reply.end() || !it->is_number() || !std::isfinite(it->get<double>()) ||
        it->get<double>() < 0) {
      return Status::Error(where + "lacks \"" + key + "\" as a finite number >= 0: " + Quote(line));
    }
    return it->get<double>();
  };
  Metrics m;
  MCMPART_ASSIGN_OR_RETURN(m.throughput, number("throughput"));
  if (reply.contains("latency_s")) {
    MCMPART_ASSIGN_OR_RETURN(m.latency_s, number("latency_s"));
  }
  m.time_per_sample_s = m.throughput > 0 ? 1.0 / m.throughput : 0.0;
  if (reply.contains("chip_busy_s")) {
    const nlohmann::json& busy = reply["chip_busy_s"];
    bool ok = busy.is_array() && static_cast<int>(busy.size()) == hw_.num_chips;
    for (size_t c = 0; ok && c < busy.size(); ++c) {
      ok = busy[c].is_number() && std::isfinite(busy[c].get<double>());
      if (ok) m.chip_busy_s.push_back(busy[c].get<double>());
    }
    if (!ok) {
      return Status::Error(where + "has \"chip_busy_s\" that is not " +
                           std::to_string(hw_.num_chips) + " numbers: " + Quote(line));
    }
    const auto max = std::max_element(m.chip_busy_s.begin(), m.chip_busy_s.end());
    m.bottleneck = "chip " + std::to_string(max - m.chip_busy_s.begin());
  }
  const SramUse sram = ComputeSramUse(graph_, hw_.num_chips, p);
  for (int c = 0; c < hw_.num_chips; ++c) m.chip_sram_bytes.push_back(sram.total(c));
  return m;
}

Metrics ExternalEvaluator::Evaluate(const common::Partition& p) {
  assert(static_cast<int>(p.size()) == graph_.num_nodes());
  if (!status_.ok()) return Metrics{};
  const int64_t id = next_id_++;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s_));
  const std::string request =
      nlohmann::json{{"type", "evaluate"}, {"id", id}, {"partition", p}}.dump() + "\n";
  const std::string context = "request " + std::to_string(id) + ": ";
  Status sent = SendLine(request, deadline);
  if (!sent.ok()) {
    status_ = Fail(context + sent.message());
    return Metrics{};
  }
  StatusOr<std::string> line = ReadLine(deadline);
  if (!line.ok()) {
    status_ = Fail(context + line.status().message());
    return Metrics{};
  }
  StatusOr<Metrics> metrics = ParseReply(*line, p);
  if (!metrics.ok()) {
    status_ = Fail(metrics.status().message());
    return Metrics{};
  }
  return std::move(metrics).value();
}

}  // namespace mcmpart::hw
