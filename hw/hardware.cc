// Hardware presets (with provenance), TOML hardware files and validation.
#include "hw/hardware.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/graph_io.h"
#include "common/toml_parse.h"

namespace mcmpart::hw {

using common::Status;
using common::StatusOr;

const char* TopologyName(Topology t) {
  switch (t) {
    case Topology::kRing:
      return "ring";
    case Topology::kChain:
      return "chain";
    case Topology::kMesh:
      return "mesh";
  }
  return "?";
}

std::vector<std::pair<int, int>> Hardware::Links() const {
  std::vector<std::pair<int, int>> links;
  if (topology == Topology::kMesh) {
    const int cols = mesh_cols > 0 ? mesh_cols : num_chips;
    for (int a = 0; a < num_chips; ++a) {
      if ((a % cols) + 1 < cols && a + 1 < num_chips) {
        links.push_back({a, a + 1});
        links.push_back({a + 1, a});
      }
      if (a + cols < num_chips) {
        links.push_back({a, a + cols});
        links.push_back({a + cols, a});
      }
    }
    return links;
  }
  for (int a = 0; a + 1 < num_chips; ++a) {
    links.push_back({a, a + 1});
    links.push_back({a + 1, a});
  }
  if (topology == Topology::kRing && num_chips > 2) {
    links.push_back({num_chips - 1, 0});
    links.push_back({0, num_chips - 1});
  }
  return links;
}

std::vector<int> Hardware::Route(int a, int b) const {
  std::vector<int> route;
  if (a == b) return route;
  const auto links = Links();
  auto id = [&](int x, int y) {
    for (size_t i = 0; i < links.size(); ++i) {
      if (links[i].first == x && links[i].second == y) return static_cast<int>(i);
    }
    assert(false && "route step between non-neighbours");
    return -1;
  };
  if (topology == Topology::kMesh) {
    const int cols = mesh_cols > 0 ? mesh_cols : num_chips;
    int cur = a;
    while (cur % cols != b % cols) {
      int next = cur + (b % cols > cur % cols ? 1 : -1);
      route.push_back(id(cur, next));
      cur = next;
    }
    while (cur != b) {
      int next = cur + (b > cur ? cols : -cols);
      route.push_back(id(cur, next));
      cur = next;
    }
    return route;
  }
  int step = b > a ? 1 : -1;
  if (topology == Topology::kRing && num_chips > 2) {
    const int up = ((b - a) % num_chips + num_chips) % num_chips;
    step = up <= num_chips - up ? 1 : -1;
  }
  int cur = a;
  while (cur != b) {
    int next = ((cur + step) % num_chips + num_chips) % num_chips;
    route.push_back(id(cur, next));
    cur = next;
  }
  return route;
}

std::string Hardware::Summary() const {
  std::ostringstream os;
  os << name << ": " << num_chips << " chiplets, " << TopologyName(topology) << ", "
     << chip.array_rows << "x" << chip.array_cols << " @ " << chip.freq_ghz << " GHz, "
     << (chip.sram_bytes >> 20) << " MiB SRAM, link " << link.bytes_per_cycle << " B/cycle";
  return os.str();
}

namespace {

// Default chiplet. Sources of each number:
// - 128x128 weight-stationary MAC array: the TPUv2/v3 MXU (Norrie et al., IEEE Micro 2021).
// - 1.05 GHz clock: TPUv4i (Jouppi et al., ISCA 2021, "Ten lessons from three generations").
// - 1024 vector lanes: the TPU vector unit's 128 lanes x 8 sublanes (Norrie et al., 2021).
// - 32 MiB SRAM: between TPUv4i's 16 MiB vector memory and 128 MiB common memory (Jouppi et
//   al., 2021); with int8 weights BERT-base (~110 MB) then needs at least 4 chiplets.
// - 1024 B/cycle SRAM bandwidth: 8 B per array column per cycle, enough to feed the 128-wide
//   array and the vector unit at once (our sizing, documented as such).
// - Link 96 B/cycle per direction: Simba's ground-referenced die-to-die signalling, about
//   100 GB/s per chiplet (Shao et al., MICRO 2019), divided by the 1.05 GHz clock.
// - 21 cycles per hop: Simba's ~20 ns chiplet-to-chiplet hop latency (Shao et al., 2019).
Hardware BaseChiplets(const std::string& name, int k, Topology topo) {
  Hardware hw;
  hw.name = name;
  hw.num_chips = k;
  hw.topology = topo;
  return hw;
}

}  // namespace

std::vector<std::string> HardwarePresetNames() {
  return {"mcm8-ring", "mcm16-ring", "mcm8-chain", "mcm4x4-mesh", "mcm8x16-mesh", "from-graph"};
}

// Preset sizes (chiplet numbers above):
// - mcm8-ring: the SPEC §1 default bidirectional ring; 8 × 32 MiB holds int8 BERT-base (~110 MB of
//   weights, Devlin et al., 2019) with room for activation buffers.
// - mcm16-ring: the same ring doubled, enough for int8 BERT-large (~340 MB).
// - mcm8-chain: the ring opened into a line, the linear device pipeline of the dnn-partitioning
//   benchmark (Tarnawski et al., NeurIPS 2020).
// - mcm4x4-mesh: a 16-chiplet corner of Simba's 6×6 mesh network-on-package (Shao et al.,
//   MICRO 2019); routes go X then Y (dimension-order routing, our choice).
// - mcm8x16-mesh: the same mesh grown to 8 rows × 16 columns = 128 chiplets, the largest chip
//   count of today's LLM partitioners (MINOS, 2026; our choice of shape).
StatusOr<Hardware> MakePreset(const std::string& name) {
  if (name == "mcm8-ring") return BaseChiplets(name, 8, Topology::kRing);
  if (name == "mcm16-ring") return BaseChiplets(name, 16, Topology::kRing);
  if (name == "mcm8-chain") return BaseChiplets(name, 8, Topology::kChain);
  if (name == "mcm4x4-mesh") {
    Hardware hw = BaseChiplets(name, 16, Topology::kMesh);
    hw.mesh_cols = 4;
    return hw;
  }
  if (name == "mcm8x16-mesh") {
    Hardware hw = BaseChiplets(name, 128, Topology::kMesh);
    hw.mesh_cols = 16;
    return hw;
  }
  std::string known;
  for (const auto& n : HardwarePresetNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::Error("unknown hardware preset '" + name + "' (known: " + known +
                       ", or a .toml file)");
}

Status ValidateHardware(const Hardware& hw) {
  auto bad = [&](const std::string& field, const std::string& want) {
    return Status::Error("hardware '" + hw.name + "': " + field + " " + want);
  };
  if (hw.num_chips < 1 || hw.num_chips > 256) return bad("num_chips", "must be in 1..256");
  if (hw.topology == Topology::kMesh) {
    if (hw.mesh_cols < 1 || hw.num_chips % hw.mesh_cols != 0) {
      return bad("mesh_cols", "must divide num_chips for a mesh");
    }
  }
  if (hw.chip.array_rows < 1 || hw.chip.array_rows > 65536)
    return bad("chiplet.array_rows", "must be in 1..65536");
  if (hw.chip.array_cols < 1 || hw.chip.array_cols > 65536)
    return bad("chiplet.array_cols", "must be in 1..65536");
  if (!(hw.chip.freq_ghz > 0 && hw.chip.freq_ghz <= 100))
    return bad("chiplet.freq_ghz", "must be in (0, 100]");
  if (hw.chip.vector_lanes < 1 || hw.chip.vector_lanes > 1 << 20)
    return bad("chiplet.vector_lanes", "must be in 1..1048576");
  if (hw.chip.sram_bytes < 1) return bad("chiplet.sram_bytes", "must be positive");
  if (!(hw.chip.sram_bytes_per_cycle > 0 && std::isfinite(hw.chip.sram_bytes_per_cycle))) {
    return bad("chiplet.sram_bytes_per_cycle", "must be positive and finite");
  }
  if (!(hw.link.bytes_per_cycle > 0 && std::isfinite(hw.link.bytes_per_cycle))) {
    return bad("link.bytes_per_cycle", "must be positive and finite");
  }
  if (hw.link.latency_cycles < 0 || hw.link.latency_cycles > 1 << 24)
    return bad("link.latency_cycles", "must be in 0..16777216");
  if (hw.constraints.max_hop_distance < 1)
    return bad("constraints.max_hop_distance", "must be at least 1");
  return Status::Ok();
}

namespace {

// Reads an optional TOML field into `out`, checking its type; errors name file and key.
template <typename T>
Status Read(const toml::table& tbl, const std::string& key, const std::string& where, T* out) {
  const toml::node* node = tbl.get(key);
  if (!node) return Status::Ok();
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node->value_exact<bool>()) {
      *out = *v;
      return Status::Ok();
    }
    return Status::Error(where + key + " must be true or false");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node->value_exact<std::string>()) {
      *out = *v;
      return Status::Ok();
    }
    return Status::Error(where + key + " must be a string");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto v = node->value<double>()) {
      if (!std::isfinite(*v)) return Status::Error(where + key + " must be finite");
      *out = static_cast<T>(*v);
      return Status::Ok();
    }
    return Status::Error(where + key + " must be a number");
  } else {
    if (auto v = node->value_exact<int64_t>()) {
      if (*v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          *v > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        return Status::Error(where + key + " is out of range");
      }
      *out = static_cast<T>(*v);
      return Status::Ok();
    }
    return Status::Error(where + key + " must be an integer");
  }
}

Status CheckKeys(const toml::table& tbl, const std::string& where,
                 std::initializer_list<const char*> known) {
  for (const auto& [k, v] : tbl) {
    bool ok = false;
    for (const char* name : known) ok |= (k.str() == name);
    if (!ok) {
      std::string list;
      for (const char* name : known) list += (list.empty() ? "" : ", ") + std::string(name);
      return Status::Error(where + "unknown key '" + std::string(k.str()) + "' (known: " + list +
                           ")");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Hardware> ParseHardwareToml(const std::string& text, const std::string& source) {
  MCMPART_ASSIGN_OR_RETURN(toml::table doc, common::ParseTomlText(text, source));
  const std::string where = source + ": ";
  MCMPART_RETURN_IF_ERROR(CheckKeys(
      doc, where,
      {"base", "name", "num_chips", "topology", "mesh_cols", "chiplet", "link", "constraints"}));
  std::string base = "mcm8-ring";
  MCMPART_RETURN_IF_ERROR(Read(doc, "base", where, &base));
  MCMPART_ASSIGN_OR_RETURN(Hardware hw, MakePreset(base));
  hw.name = source;
  MCMPART_RETURN_IF_ERROR(Read(doc, "name", where, &hw.name));
  MCMPART_RETURN_IF_ERROR(Read(doc, "num_chips", where, &hw.num_chips));
  std::string topo = TopologyName(hw.topology);
  MCMPART_RETURN_IF_ERROR(Read(doc, "topology", where, &topo));
  if (topo == "ring") {
    hw.topology = Topology::kRing;
  } else if (topo == "chain") {
    hw.topology = Topology::kChain;
  } else if (topo == "mesh") {
    hw.topology = Topology::kMesh;
  } else {
    return Status::Error(where + "topology must be ring, chain or mesh, got '" + topo + "'");
  }
  MCMPART_RETURN_IF_ERROR(Read(doc, "mesh_cols", where, &hw.mesh_cols));
  for (const char* section : {"chiplet", "link", "constraints"}) {
    if (doc.contains(section) && !doc[section].is_table()) {
      return Status::Error(where + "[" + section + "] must be a table");
    }
  }
  if (const toml::table* t = doc["chiplet"].as_table()) {
    const std::string w = where + "chiplet.";
    MCMPART_RETURN_IF_ERROR(CheckKeys(*t, w,
                                      {"array_rows", "array_cols", "freq_ghz", "vector_lanes",
                                       "sram_bytes", "sram_mib", "sram_bytes_per_cycle"}));
    MCMPART_RETURN_IF_ERROR(Read(*t, "array_rows", w, &hw.chip.array_rows));
    MCMPART_RETURN_IF_ERROR(Read(*t, "array_cols", w, &hw.chip.array_cols));
    MCMPART_RETURN_IF_ERROR(Read(*t, "freq_ghz", w, &hw.chip.freq_ghz));
    MCMPART_RETURN_IF_ERROR(Read(*t, "vector_lanes", w, &hw.chip.vector_lanes));
    MCMPART_RETURN_IF_ERROR(Read(*t, "sram_bytes", w, &hw.chip.sram_bytes));
    double mib = -1;
    MCMPART_RETURN_IF_ERROR(Read(*t, "sram_mib", w, &mib));
    if (t->contains("sram_mib")) {
      if (!(mib > 0 && mib <= 1e9)) return Status::Error(w + "sram_mib must be in (0, 1e9]");
      hw.chip.sram_bytes = static_cast<int64_t>(mib * (1 << 20));
    }
    MCMPART_RETURN_IF_ERROR(Read(*t, "sram_bytes_per_cycle", w, &hw.chip.sram_bytes_per_cycle));
  }
  if (const toml::table* t = doc["link"].as_table()) {
    const std::string w = where + "link.";
    MCMPART_RETURN_IF_ERROR(CheckKeys(*t, w, {"bytes_per_cycle", "latency_cycles"}));
    MCMPART_RETURN_IF_ERROR(Read(*t, "bytes_per_cycle", w, &hw.link.bytes_per_cycle));
    MCMPART_RETURN_IF_ERROR(Read(*t, "latency_cycles", w, &hw.link.latency_cycles));
  }
  if (const toml::table* t = doc["constraints"].as_table()) {
    const std::string w = where + "constraints.";
    MCMPART_RETURN_IF_ERROR(CheckKeys(*t, w,
                                      {"acyclic", "no_skip", "max_hop", "max_hop_distance", "sram",
                                       "sram_buffers", "colocate", "pin"}));
    ConstraintConfig& c = hw.constraints;
    MCMPART_RETURN_IF_ERROR(Read(*t, "acyclic", w, &c.acyclic));
    MCMPART_RETURN_IF_ERROR(Read(*t, "no_skip", w, &c.no_skip));
    MCMPART_RETURN_IF_ERROR(Read(*t, "max_hop", w, &c.max_hop));
    MCMPART_RETURN_IF_ERROR(Read(*t, "max_hop_distance", w, &c.max_hop_distance));
    MCMPART_RETURN_IF_ERROR(Read(*t, "sram", w, &c.sram));
    MCMPART_RETURN_IF_ERROR(Read(*t, "sram_buffers", w, &c.sram_buffers));
    MCMPART_RETURN_IF_ERROR(Read(*t, "colocate", w, &c.colocate));
    MCMPART_RETURN_IF_ERROR(Read(*t, "pin", w, &c.pin));
  }
  Status st = ValidateHardware(hw);
  if (!st.ok()) return st.WithContext(source);
  return hw;
}

StatusOr<Hardware> LoadHardware(const std::string& spec, const common::Graph* graph) {
  const std::string from_graph_k = "from-graph:";
  if (spec == "from-graph" || spec.rfind(from_graph_k, 0) == 0) {
    if (!graph || graph->hint_num_chips <= 0) {
      return Status::Error("--hw " + spec +
                           " needs a graph that names its hardware (e.g. a "
                           "dnn-partitioning file with maxFPGAs)");
    }
    int chips = graph->hint_num_chips;
    if (spec != "from-graph") {
      const std::string k = spec.substr(from_graph_k.size());
      char* end = nullptr;
      const long v = std::strtol(k.c_str(), &end, 10);
      if (k.empty() || *end != '\0' || v < 1 || v > INT32_MAX) {
        return Status::Error("--hw " + spec +
                             ": the chip count after 'from-graph:' must be a positive "
                             "integer, got '" +
                             k + "'");
      }
      chips = static_cast<int>(v);
    }
    Hardware hw = BaseChiplets(spec, chips, Topology::kChain);
    hw.chip.sram_bytes = graph->hint_sram_bytes > 0 ? graph->hint_sram_bytes : hw.chip.sram_bytes;
    hw.constraints.no_skip = false;
    hw.constraints.max_hop = false;
    hw.constraints.sram_buffers = false;
    Status st = ValidateHardware(hw);
    if (!st.ok()) return st.WithContext("--hw " + spec + " (graph '" + graph->name + "')");
    return hw;
  }
  if (spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".toml") == 0) {
    MCMPART_ASSIGN_OR_RETURN(std::string text, common::ReadFile(spec));
    return ParseHardwareToml(text, spec);
  }
  return MakePreset(spec);
}

std::string HardwareToToml(const Hardware& hw) {
  std::ostringstream os;
  os.precision(17);
  os << "name = \"" << hw.name << "\"\n"
     << "num_chips = " << hw.num_chips << "\n"
     << "topology = \"" << TopologyName(hw.topology) << "\"\n"
     << "mesh_cols = " << hw.mesh_cols << "\n\n"
     << "[chiplet]\n"
     << "array_rows = " << hw.chip.array_rows << "\n"
     << "array_cols = " << hw.chip.array_cols << "\n"
     << "freq_ghz = " << std::showpoint << hw.chip.freq_ghz << std::noshowpoint << "\n"
     << "vector_lanes = " << hw.chip.vector_lanes << "\n"
     << "sram_bytes = " << hw.chip.sram_bytes << "\n"
     << "sram_bytes_per_cycle = " << std::showpoint << hw.chip.sram_bytes_per_cycle
     << std::noshowpoint << "\n\n"
     << "[link]\n"
     << "bytes_per_cycle = " << std::showpoint << hw.link.bytes_per_cycle << std::noshowpoint
     << "\n"
     << "latency_cycles = " << hw.link.latency_cycles << "\n\n"
     << std::boolalpha << "[constraints]\n"
     << "acyclic = " << hw.constraints.acyclic << "\n"
     << "no_skip = " << hw.constraints.no_skip << "\n"
     << "max_hop = " << hw.constraints.max_hop << "\n"
     << "max_hop_distance = " << hw.constraints.max_hop_distance << "\n"
     << "sram = " << hw.constraints.sram << "\n"
     << "sram_buffers = " << hw.constraints.sram_buffers << "\n"
     << "colocate = " << hw.constraints.colocate << "\n"
     << "pin = " << hw.constraints.pin << "\n";
  return os.str();
}

std::string HardwareToJsonString(const Hardware& hw) {
  auto table = common::ParseTomlText(HardwareToToml(hw), "hardware");
  assert(table.ok() && "HardwareToToml wrote invalid TOML");
  std::ostringstream os;
  os << toml::json_formatter(*table, toml::format_flags::none);
  return os.str();
}

}  // namespace mcmpart::hw
