// Policy features: the hardware row tells packages apart, topology included.
#include "actors/features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/bert.h"
#include "hw/hardware.h"

namespace mcmpart::actors {
namespace {

hw::Hardware Preset(const std::string& name) {
  auto hw = hw::MakePreset(name);
  EXPECT_TRUE(hw.ok()) << hw.status().message();
  return *hw;
}

// Ring, chain and mesh packages of 16 equal chiplets differ only in topology; the policy must
// still see three different hardware rows, each with its own topology column set.
TEST(Features, RingChainAndMeshOfEqualKHaveDifferentHardwareRows) {
  const common::Graph graph = common::MakeBert(common::BertConfig{1, 32, 2, 8}, "tiny");
  hw::Hardware ring = Preset("mcm16-ring");
  hw::Hardware chain = ring;
  chain.topology = hw::Topology::kChain;
  hw::Hardware mesh = Preset("mcm4x4-mesh");
  ASSERT_EQ(mesh.num_chips, 16);
  ASSERT_EQ(mesh.topology, hw::Topology::kMesh);
  // Everything but the topology as on the ring, so only topology can tell them apart.
  mesh.chip = ring.chip;
  mesh.link = ring.link;
  mesh.constraints = ring.constraints;
  std::vector<std::vector<float>> rows;
  for (const hw::Hardware* hw : {&ring, &chain, &mesh}) {
    const GraphFeatures f = BuildFeatures(graph, *hw);
    ASSERT_EQ(f.hw.size(), static_cast<size_t>(GraphFeatures::kHwFeatures));
    rows.push_back(f.hw);
  }
  EXPECT_NE(rows[0], rows[1]);
  EXPECT_NE(rows[0], rows[2]);
  EXPECT_NE(rows[1], rows[2]);
  // The rows differ in the topology columns alone: count the differing columns per pair.
  for (size_t a = 0; a < rows.size(); ++a) {
    for (size_t b = a + 1; b < rows.size(); ++b) {
      int differing = 0;
      for (int i = 0; i < GraphFeatures::kHwFeatures; ++i) differing += rows[a][i] != rows[b][i];
      // Two one-hot columns, plus the mesh column share where one of them is the mesh.
      EXPECT_EQ(differing, b == 2 ? 3 : 2) << a << " vs " << b;
    }
  }
  // The mesh's column share, 4 columns / 16 chips, is somewhere in its row.
  EXPECT_NE(std::find(rows[2].begin(), rows[2].end(), 0.25f), rows[2].end());
}

// A mesh of another shape (2 × 8 instead of 4 × 4) is a different package too.
TEST(Features, MeshShapeChangesTheHardwareRow) {
  const common::Graph graph = common::MakeBert(common::BertConfig{1, 32, 2, 8}, "tiny");
  hw::Hardware square = Preset("mcm4x4-mesh");
  hw::Hardware wide = square;
  wide.mesh_cols = 8;
  ASSERT_TRUE(hw::ValidateHardware(wide).ok());
  EXPECT_NE(BuildFeatures(graph, square).hw, BuildFeatures(graph, wide).hw);
}

}  // namespace
}  // namespace mcmpart::actors
