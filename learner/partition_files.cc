// The output folder of `mcmpart partition`, staged beside its final place and moved in at the end.
#include "learner/partition_files.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <iomanip>
#include <sstream>
#include <system_error>

#include "common/dnn_partitioning.h"
#include "common/graph_io.h"
#include "common/onnx_split.h"
#include "hw/op_cost.h"
#include "hw/simulator.h"

namespace mcmpart::learner {
namespace fs = std::filesystem;
namespace {

using common::Status;

bool IsStaleOutput(const fs::path& f) {
  const std::string name = f.filename().string();
  return name == "partition.svg" || (name.rfind("chip_", 0) == 0 && f.extension() == ".onnx");
}

std::string Fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string MiB(double bytes) { return Fixed(bytes / (1 << 20), 2); }

void WriteStrategies(const PartitionFilesInput& in, std::ostream& os) {
  const PartitionSearchResult& r = *in.result;
  os << "## Strategies\n\nstrategies: ";
  for (size_t i = 0; i < r.strategies.size(); ++i) os << (i ? ", " : "") << r.strategies[i].name;
  if (!r.policy_note.empty()) os << "; policy: " << r.policy_note;
  os << "\n\n| strategy | throughput (samples/s) | evaluations | time (s) | valid | note |\n"
     << "| --- | ---: | ---: | ---: | --- | --- |\n";
  for (size_t i = 0; i < r.strategies.size(); ++i) {
    const StrategyOutcome& s = r.strategies[i];
    os << "| " << s.name << (static_cast<int>(i) == r.best ? " (best)" : "") << " | "
       << Fixed(s.throughput, 3) << " | " << s.evaluations << " | " << Fixed(s.seconds, 2) << " | "
       << (s.valid ? "yes" : "no") << " | " << s.note << " |\n";
  }
}

void WriteChipTable(const PartitionFilesInput& in, const common::Partition& p, const hw::Metrics& m,
                    std::ostream& os) {
  const hw::Hardware& hw = *in.hw;
  std::vector<int> nodes(hw.num_chips, 0);
  std::vector<double> compute(hw.num_chips, 0.0);
  for (int v = 0; v < in.graph->num_nodes(); ++v) {
    ++nodes[p[v]];
    compute[p[v]] += hw::OpSeconds(in.graph->nodes[v], hw);
  }
  const double period = m.time_per_sample_s;
  os << "\n## Chips\n\n| chip | nodes | compute (us) | busy (us) | busy (% of period) | SRAM used "
        "(MiB) | SRAM capacity (MiB) |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (int c = 0; c < hw.num_chips; ++c) {
    const double busy = c < static_cast<int>(m.chip_busy_s.size()) ? m.chip_busy_s[c] : 0.0;
    const double sram = c < static_cast<int>(m.chip_sram_bytes.size())
                            ? static_cast<double>(m.chip_sram_bytes[c])
                            : 0;
    os << "| " << c << " | " << nodes[c] << " | " << Fixed(compute[c] * 1e6, 3) << " | "
       << Fixed(busy * 1e6, 3) << " | " << Fixed(period > 0 ? 100 * busy / period : 0, 1) << " | "
       << MiB(sram) << " | " << MiB(static_cast<double>(hw.chip.sram_bytes)) << " |\n";
  }
  os << "\n## Links\n\n| link | bytes per sample | busy (us) | busy (% of period) |\n"
     << "| --- | ---: | ---: | ---: |\n";
  int used = 0;
  for (size_t l = 0; l < m.link_bytes.size(); ++l) {
    if (m.link_bytes[l] <= 0) continue;
    ++used;
    const double busy = l < m.link_busy_s.size() ? m.link_busy_s[l] : 0.0;
    os << "| " << m.link_names[l] << " | " << Fixed(m.link_bytes[l], 0) << " | "
       << Fixed(busy * 1e6, 3) << " | " << Fixed(period > 0 ? 100 * busy / period : 0, 1) << " |\n";
  }
  if (used == 0) os << "| (no tensor crosses a link) | | | |\n";
}

std::string ReportMarkdown(const PartitionFilesInput& in, const hw::Metrics& m,
                           const PartitionFiles& files) {
  const StrategyOutcome& best = in.result->strategies.at(in.result->best);
  const std::string evaluator = common::EnumName(in.config->run.evaluator);
  std::ostringstream os;
  os << "# Partition of " << in.graph->name << "\n\n"
     << "- model: `" << in.model << "` (" << in.graph->num_nodes() << " nodes, "
     << in.graph->num_edges() << " edges)\n"
     << "- hardware: " << in.hw->Summary() << "\n"
     << "- evaluator: " << evaluator << ", search within "
     << SearchLimitText(in.time_limit_s, in.anneal_budget) << "\n\n"
     << "## Result\n\n"
     << "- throughput: " << Fixed(best.throughput, 3) << " samples/s (" << evaluator
     << " evaluator, best strategy: " << best.name << ")\n"
     << "- cycle simulator: " << Fixed(m.throughput, 3) << " samples/s, "
     << Fixed(m.time_per_sample_s * 1e6, 3) << " us per sample, latency "
     << Fixed(m.latency_s * 1e6, 3) << " us\n"
     << "- bottleneck: " << m.bottleneck << "\n\n";
  WriteStrategies(in, os);
  WriteChipTable(in, best.partition, m, os);
  os << "\nChip and link figures are the cycle simulator's (`trace.json` holds its events).\n";
  os << "\n## Files\n\n";
  for (const std::string& f : files.files) os << "- `" << f << "`\n";
  os << "- `report.md`\n";
  for (const std::string& n : files.notes) os << "\nNote: " << n << "\n";
  return os.str();
}

}  // namespace

common::StatusOr<OutputDir> OutputDir::Create(const std::string& dir) {
  if (dir.empty()) return Status::Error("--out-dir is required");
  const fs::path d(dir);
  std::error_code ec;
  if (fs::exists(d, ec) && !fs::is_directory(d, ec)) {
    return Status::Error("--out-dir '" + dir + "' exists and is not a folder");
  }
  fs::path parent = d.parent_path();
  if (parent.empty()) parent = ".";
  OutputDir out;
  out.dir_ = dir;
  for (fs::path a = parent; !a.empty() && !fs::exists(a, ec); a = a.parent_path()) {
    out.created_parents_.push_back(a.string());
    if (a == a.parent_path()) break;
  }
  fs::create_directories(parent, ec);
  if (ec || !fs::is_directory(parent)) {
    return Status::Error("cannot create --out-dir '" + dir +
                         "': " + (ec ? ec.message() : "'" + parent.string() + "' is not a folder"));
  }
  std::string tmpl = (parent / ("." + d.filename().string() + ".partial-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Status::Error("cannot create --out-dir '" + dir + "': '" + parent.string() +
                         "' is not writable");
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(tmpl.c_str(), 0777 & ~mask);  // mkdtemp makes it 0700
  out.staging_ = tmpl;
  return common::StatusOr<OutputDir>(std::move(out));
}

OutputDir::OutputDir(OutputDir&& other) noexcept
    : dir_(std::move(other.dir_)),
      staging_(std::move(other.staging_)),
      created_parents_(std::move(other.created_parents_)),
      committed_(other.committed_) {
  other.committed_ = true;
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
  for (const std::string& p : created_parents_) fs::remove(p, ec);  // only when empty
}

Status OutputDir::Commit() {
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    fs::rename(staging_, dir_, ec);
    if (ec)
      return Status::Error("cannot move the output into --out-dir '" + dir_ + "': " + ec.message());
    committed_ = true;
    return Status::Ok();
  }
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (IsStaleOutput(entry.path())) fs::remove(entry.path(), ec);
  }
  for (const auto& entry : fs::directory_iterator(staging_, ec)) {
    fs::rename(entry.path(), fs::path(dir_) / entry.path().filename(), ec);
    if (ec)
      return Status::Error("cannot move '" + entry.path().filename().string() +
                           "' into --out-dir '" + dir_ + "': " + ec.message());
  }
  fs::remove_all(staging_, ec);
  committed_ = true;
  return Status::Ok();
}

common::StatusOr<PartitionFiles> WritePartitionFiles(const PartitionFilesInput& in,
                                                     const OutputDir& out) {
  const common::Graph& g = *in.graph;
  const hw::Hardware& hw = *in.hw;
  const common::Partition& p = in.result->strategies.at(in.result->best).partition;
  const int k = hw.num_chips;
  const std::string dir = out.staging() + "/";
  PartitionFiles files;
  MCMPART_RETURN_IF_ERROR(common::WritePartitionJson(g, k, p, dir + "partition.json"));
  files.files.push_back("partition.json");

  MCMPART_ASSIGN_OR_RETURN(auto simulator, hw::MakeCycleEvaluator(g, hw, hw::SimOptions{}));
  hw::SimTrace trace;
  files.metrics = simulator->Simulate(p, &trace);
  MCMPART_RETURN_IF_ERROR(
      common::WriteDnnSplit(g, k, p, dir + "partition_split.json", files.metrics.chip_busy_s));
  files.files.push_back("partition_split.json");
  if (in.onnx_report) {
    MCMPART_ASSIGN_OR_RETURN(auto chips,
                             common::WriteOnnxChips(in.model, *in.onnx_report, p, out.staging()));
    for (const common::OnnxChipFile& f : chips) files.files.push_back(fs::path(f.path).filename());
  }
  MCMPART_RETURN_IF_ERROR(
      common::WriteFileAtomic(dir + "trace.json", hw::TraceToChromeJson(g, hw, trace)));
  files.files.push_back("trace.json");
  MCMPART_RETURN_IF_ERROR(common::WriteFileAtomic(dir + "partition.dot", PartitionDot(g, p)));
  files.files.push_back("partition.dot");
  Status drawn = RenderDot(dir + "partition.dot", dir + "partition.svg");
  if (drawn.ok()) {
    files.files.push_back("partition.svg");
  } else {
    files.notes.push_back(drawn.message() +
                          ": partition.svg skipped (partition.dot is written; "
                          "`dot -Tsvg partition.dot -o partition.svg` draws it)");
  }
  MCMPART_RETURN_IF_ERROR(common::WriteFileAtomic(dir + "chips.svg", ChipsSvg(files.metrics, hw)));
  files.files.push_back("chips.svg");
  MCMPART_RETURN_IF_ERROR(
      common::WriteFileAtomic(dir + "report.md", ReportMarkdown(in, files.metrics, files)));
  files.files.push_back("report.md");
  return files;
}

}  // namespace mcmpart::learner
