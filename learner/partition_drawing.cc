// Drawings of a partition: the Graphviz graph (partition.svg) and the per-chip bar chart.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "learner/partition_files.h"

extern char** environ;

namespace mcmpart::learner {
namespace {

// One fill colour per chip (ColorBrewer Set3, then Pastel1), repeating past 21 chips.
const char* ChipColour(int chip) {
  static const char* kColours[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                   "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
                                   "#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc",
                                   "#e5d8bd", "#fddaec", "#f2f2f2"};
  return kColours[chip % (sizeof(kColours) / sizeof(kColours[0]))];
}

// A DOT double-quoted string body; a long name keeps its end (the op's own part of a path).
std::string Quote(const std::string& s, size_t max_len = 40) {
  size_t from = s.size() > max_len ? s.size() - (max_len - 3) : 0;
  while (from < s.size() && (static_cast<unsigned char>(s[from]) & 0xC0) == 0x80) ++from;
  const std::string cut = from > 0 ? "..." + s.substr(from) : s;
  std::string out;
  for (char c : cut) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Bytes(double b) {
  char buf[32];
  if (b >= (1 << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", b / (1 << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", b / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f B", b);
  }
  return buf;
}

const char* kDotHeader =
    "digraph partition {\n  rankdir=TB;\n  newrank=true;\n"
    "  node [shape=box, style=\"filled,rounded\", fontname=\"Helvetica\", fontsize=10];\n"
    "  edge [color=\"#777777\", arrowsize=0.6];\n";

std::string EdgeAttrs(bool cut, const std::string& label) {
  std::string a = cut ? "color=red, penwidth=2.5" : "";
  if (!label.empty())
    a += std::string(a.empty() ? "" : ", ") + "label=\"" + label + "\", fontsize=8";
  return a.empty() ? "" : " [" + a + "]";
}

// Clusters of `boxes` (per chip: DOT node lines), one per chip that has any.
void WriteClusters(const std::map<int, std::vector<std::string>>& boxes,
                   const std::map<int, int>& nodes_on_chip, std::ostream& os) {
  for (const auto& [chip, lines] : boxes) {
    os << "  subgraph cluster_" << chip << " {\n    label=\"chip " << chip << " ("
       << nodes_on_chip.at(chip) << " nodes)\";\n    style=\"rounded,dashed\";\n"
       << "    color=\"#555555\";\n    fontname=\"Helvetica\";\n";
    for (const std::string& l : lines) os << "    " << l << "\n";
    os << "  }\n";
  }
}

std::string FullDot(const common::Graph& g, const common::Partition& p) {
  std::ostringstream os;
  os << kDotHeader;
  std::map<int, std::vector<std::string>> boxes;
  std::map<int, int> count;
  for (int v : g.topo_order()) {
    const common::Node& n = g.nodes[v];
    boxes[p[v]].push_back("n" + std::to_string(v) + " [label=\"" + Quote(n.name) + "\\n" +
                          Quote(n.op, 24) + "\", fillcolor=\"" + ChipColour(p[v]) + "\"];");
    ++count[p[v]];
  }
  WriteClusters(boxes, count, os);
  for (const common::Edge& e : g.edges) {
    os << "  n" << e.src << " -> n" << e.dst << EdgeAttrs(p[e.src] != p[e.dst], "") << ";\n";
  }
  os << "}\n";
  return os.str();
}

// Stage of every node: maximal runs of consecutive nodes of the topological order on one chip.
std::vector<int> Stages(const common::Graph& g, const common::Partition& p, int* num_stages) {
  std::vector<int> stage(g.num_nodes(), 0);
  int s = -1, last_chip = -1;
  for (int v : g.topo_order()) {
    if (p[v] != last_chip) ++s;
    last_chip = p[v];
    stage[v] = s;
  }
  *num_stages = s + 1;
  return stage;
}

std::string CollapsedDot(const common::Graph& g, const common::Partition& p) {
  int num_stages = 0;
  const std::vector<int> stage = Stages(g, p, &num_stages);
  std::vector<int> first(num_stages, -1), last(num_stages, -1), size(num_stages, 0);
  std::vector<int64_t> macs(num_stages, 0);
  for (int v : g.topo_order()) {
    const int s = stage[v];
    if (first[s] < 0) first[s] = v;
    last[s] = v;
    ++size[s];
    macs[s] += g.nodes[v].macs;
  }
  std::ostringstream os;
  os << kDotHeader;
  std::map<int, std::vector<std::string>> boxes;
  std::map<int, int> count;
  for (int s = 0; s < num_stages; ++s) {
    const int chip = p[first[s]];
    std::ostringstream label;
    label << "stage " << s << ": " << size[s] << " nodes\\n" << Quote(g.nodes[first[s]].name, 32);
    if (size[s] > 1) label << " ..\\n" << Quote(g.nodes[last[s]].name, 32);
    label << "\\n" << static_cast<double>(macs[s]) / 1e6 << " MMACs";
    boxes[chip].push_back("s" + std::to_string(s) + " [label=\"" + label.str() +
                          "\", fillcolor=\"" + ChipColour(chip) + "\"];");
    count[chip] += size[s];
  }
  WriteClusters(boxes, count, os);
  std::map<std::pair<int, int>, std::pair<int, double>> merged;  // tensors, bytes
  for (const common::Edge& e : g.edges) {
    if (stage[e.src] == stage[e.dst]) continue;
    auto& m = merged[{stage[e.src], stage[e.dst]}];
    ++m.first;
    m.second += static_cast<double>(e.bytes);
  }
  for (const auto& [key, m] : merged) {
    const bool cut = p[first[key.first]] != p[first[key.second]];
    os << "  s" << key.first << " -> s" << key.second
       << EdgeAttrs(cut, std::to_string(m.first) + " x, " + Bytes(m.second)) << ";\n";
  }
  os << "}\n";
  return os.str();
}

// Searches PATH for an executable `name`.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::string PartitionDot(const common::Graph& graph, const common::Partition& p, int max_nodes) {
  return graph.num_nodes() > max_nodes ? CollapsedDot(graph, p) : FullDot(graph, p);
}

common::Status RenderDot(const std::string& dot_path, const std::string& svg_path) {
  const std::string dot = FindOnPath("dot");
  if (dot.empty()) return common::Status::Error("Graphviz 'dot' is not on PATH");
  std::vector<std::string> args = {dot, "-Tsvg", dot_path, "-o", svg_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, dot.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    return common::Status::Error("cannot start '" + dot + "'");
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return common::Status::Error("'" + dot + " -Tsvg " + dot_path + "' failed");
  }
  return common::Status::Ok();
}

std::string ChipsSvg(const hw::Metrics& m, const hw::Hardware& hw) {
  const int k = static_cast<int>(m.chip_busy_s.size());
  const int left = 50, top = 40, height = 220, group = 56, bar = 22;
  const int width = left + k * group + 150;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\""
     << top + height + 50 << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << left << "\" y=\"20\" font-size=\"13\">per chip: busy share of the time "
     << "per sample and SRAM use of capacity</text>\n";
  for (int pct = 0; pct <= 100; pct += 25) {
    const double y = top + height * (1 - pct / 100.0);
    os << "<line x1=\"" << left << "\" x2=\"" << left + k * group << "\" y1=\"" << y << "\" y2=\""
       << y << "\" stroke=\"#dddddd\"/><text x=\"" << left - 6 << "\" y=\"" << y + 4
       << "\" text-anchor=\"end\">" << pct << "%</text>\n";
  }
  const double period = m.time_per_sample_s;
  for (int c = 0; c < k; ++c) {
    const double busy = period > 0 ? std::min(1.0, m.chip_busy_s[c] / period) : 0.0;
    const double sram_used = c < static_cast<int>(m.chip_sram_bytes.size())
                                 ? static_cast<double>(m.chip_sram_bytes[c])
                                 : 0.0;
    const double sram = std::min(1.0, sram_used / static_cast<double>(hw.chip.sram_bytes));
    const int x = left + c * group + 5;
    os << "<rect x=\"" << x << "\" y=\"" << top + height * (1 - busy) << "\" width=\"" << bar
       << "\" height=\"" << height * busy << "\" fill=\"#4c78a8\"><title>chip " << c << " busy "
       << 100 * busy << "%</title></rect>\n"
       << "<rect x=\"" << x + bar << "\" y=\"" << top + height * (1 - sram) << "\" width=\"" << bar
       << "\" height=\"" << height * sram << "\" fill=\"#f58518\"><title>chip " << c << " SRAM "
       << Bytes(sram_used) << " of " << Bytes(static_cast<double>(hw.chip.sram_bytes))
       << "</title></rect>\n<text x=\"" << x + bar << "\" y=\"" << top + height + 16
       << "\" text-anchor=\"middle\">" << c << "</text>\n";
  }
  const int lx = left + k * group + 15;
  os << "<rect x=\"" << lx << "\" y=\"" << top << "\" width=\"12\" height=\"12\" fill=\"#4c78a8\"/>"
     << "<text x=\"" << lx + 18 << "\" y=\"" << top + 10 << "\">busy</text>\n"
     << "<rect x=\"" << lx << "\" y=\"" << top + 20
     << "\" width=\"12\" height=\"12\" fill=\"#f58518\"/><text x=\"" << lx + 18 << "\" y=\""
     << top + 30 << "\">SRAM</text>\n<text x=\"" << left + k * group / 2 << "\" y=\""
     << top + height + 36 << "\" text-anchor=\"middle\">chip</text>\n</svg>\n";
  return os.str();
}

}  // namespace mcmpart::learner
