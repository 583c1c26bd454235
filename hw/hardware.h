// Hardware description of a multi-chip module: chiplets, links, topology and constraints.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::hw {

enum class Topology { kRing, kChain, kMesh };
const char* TopologyName(Topology t);

/// One chiplet (SPEC §1). Default numbers and their sources: see presets in hardware.cc.
struct ChipletSpec {
  int array_rows = 128;                  ///< systolic MAC array R
  int array_cols = 128;                  ///< systolic MAC array C
  double freq_ghz = 1.05;                ///< clock f
  int vector_lanes = 1024;               ///< vector unit W lanes
  int64_t sram_bytes = 32LL << 20;       ///< on-chip SRAM S
  double sram_bytes_per_cycle = 1024.0;  ///< SRAM read/write bandwidth
};

/// A die-to-die link, per direction.
struct LinkSpec {
  double bytes_per_cycle = 96.0;  ///< B
  int latency_cycles = 21;        ///< L per hop
};

/// SPEC §2: each constraint can be switched on/off with its parameter.
struct ConstraintConfig {
  bool acyclic = true;
  bool no_skip = true;
  bool max_hop = true;
  int max_hop_distance = 1;  ///< H
  bool sram = true;
  bool sram_buffers = true;  ///< count activation buffers in the sram constraint, not only weights
  bool colocate = true;
  bool pin = true;
};

/// Full hardware configuration. Plain value type.
struct Hardware {
  std::string name = "mcm8-ring";
  int num_chips = 8;  ///< K
  Topology topology = Topology::kRing;
  int mesh_cols = 0;  ///< columns of a 2-D mesh (kMesh only)
  ChipletSpec chip;
  LinkSpec link;
  ConstraintConfig constraints;

  double cycle_s() const { return 1e-9 / chip.freq_ghz; }
  /// Directed links between neighbouring chips, in a fixed order (their ids).
  std::vector<std::pair<int, int>> Links() const;
  /// Link ids a tensor from chip a to chip b crosses, in order: ring = shorter direction (ties
  /// go upward), chain = straight, mesh = X then Y. Empty when a == b.
  std::vector<int> Route(int a, int b) const;
  /// One-line description for logs.
  std::string Summary() const;
};

/// Preset names accepted by LoadHardware.
std::vector<std::string> HardwarePresetNames();
/// Builds a preset by name; error lists the known ones.
common::StatusOr<Hardware> MakePreset(const std::string& name);
/// Parses a hardware TOML document (README "Hardware files"): a preset to start from
/// (`base = "mcm8-ring"`) overridden by tables [chiplet], [link], [constraints] and top-level
/// keys num_chips, topology, mesh_cols. Every field is range-checked.
common::StatusOr<Hardware> ParseHardwareToml(const std::string& text, const std::string& source);
/// Resolves --hw: a preset name, a `.toml` file, or `from-graph` / `from-graph:K` (the
/// graph's own hardware hints, optionally with K chips instead of its `maxFPGAs`).
common::StatusOr<Hardware> LoadHardware(const std::string& spec,
                                        const common::Graph* graph = nullptr);
/// Checks every field's range (K ≥ 1, positive sizes, H ≥ 1…).
common::Status ValidateHardware(const Hardware& hw);
/// Serialises to TOML that ParseHardwareToml reads back to the same value.
std::string HardwareToToml(const Hardware& hw);
/// The same fields as one JSON object ([chiplet], [link], [constraints] as nested objects).
std::string HardwareToJsonString(const Hardware& hw);

}  // namespace mcmpart::hw
