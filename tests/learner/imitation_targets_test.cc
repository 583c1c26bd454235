// --imitate-from files (learner/imitation_targets.h): a partition file or a manifest, matched
// to the run's '+' entries; every bad target is an error naming the file and the entry.
#include "learner/imitation_targets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/bert.h"
#include "hw/hardware.h"

namespace mcmpart::learner {
namespace {

namespace fs = std::filesystem;

// Two graphs of a corpus on one 8-chip ring, and a folder for the files.
struct Fixture {
  common::Graph tiny = common::MakeBert(common::BertConfig{1, 32, 2, 8}, "tiny");
  common::Graph two = common::MakeBert(common::BertConfig{2, 32, 2, 8}, "two");
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  std::string dir = ::testing::TempDir() + "/imitation_targets";
  std::vector<std::string> specs{"bert:layers=1", "bert:layers=2"};
  std::vector<const common::Graph*> graphs{&tiny, &two};
  std::vector<const hw::Hardware*> hws{&hw, &hw};
  Fixture() { fs::create_directories(dir + "/sub"); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  }
  // A partition JSON of `g` with every node on `chip`.
  std::string WritePartition(const std::string& name, const common::Graph& g, int chip) const {
    return Write(name, common::WritePartitionJsonString(g, hw.num_chips,
                                                        common::Partition(g.num_nodes(), chip)));
  }
};

TEST(ImitationTargets, ManifestMatchesEntriesAndResolvesPathsFromItsFolder) {
  Fixture f;
  f.WritePartition("sub/two.json", f.two, 0);
  const std::string manifest = f.Write(
      "manifest.json", R"({"targets": [{"graph": "bert:layers=2", "partition": "sub/two.json"}]})");
  auto t = LoadImitationTargets(manifest, f.specs, f.graphs, f.hws);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_TRUE((*t)[0].empty());  // no target for the first entry
  EXPECT_EQ((*t)[1], common::Partition(f.two.num_nodes(), 0));
}

TEST(ImitationTargets, APartitionFileServesARunOfOneGraph) {
  Fixture f;
  const std::string file = f.WritePartition("tiny.json", f.tiny, 0);
  auto one = LoadImitationTargets(file, {f.specs[0]}, {&f.tiny}, {&f.hw});
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->at(0), common::Partition(f.tiny.num_nodes(), 0));
  auto two = LoadImitationTargets(file, f.specs, f.graphs, f.hws);
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("serves a run of one graph"), std::string::npos);
}

TEST(ImitationTargets, BadTargetsNameTheFileAndTheEntry) {
  Fixture f;
  f.WritePartition("tiny.json", f.tiny, 0);
  f.WritePartition("skip.json", f.tiny, 1);  // chip 1 used, chip 0 empty: no_skip fails
  auto error = [&](const std::string& manifest_text) {
    const std::string path = f.Write("m.json", manifest_text);
    auto t = LoadImitationTargets(path, f.specs, f.graphs, f.hws);
    EXPECT_FALSE(t.ok()) << manifest_text;
    return t.ok() ? std::string() : t.status().message();
  };
  EXPECT_NE(error(R"({"targets": [{"graph": "bert-tiny", "partition": "tiny.json"}]})")
                .find("targets[0]: graph 'bert-tiny' is not an entry of --graph"),
            std::string::npos);
  EXPECT_NE(error(R"({"targets": [{"graph": "bert:layers=2", "partition": "tiny.json"}]})")
                .find("entries but graph 'two'"),
            std::string::npos);
  EXPECT_NE(error(R"({"targets": [{"graph": "bert:layers=1", "partition": "skip.json"}]})")
                .find("skip.json' is not a valid partition of graph 'tiny'"),
            std::string::npos);
  EXPECT_NE(error(R"({"targets": [{"graph": "bert:layers=1"}]})").find("targets[0]: expected"),
            std::string::npos);
  EXPECT_NE(error(R"({"targets": [{"graph": "bert:layers=1", "partition": "none.json"}]})")
                .find("none.json"),
            std::string::npos);
  EXPECT_NE(error(R"({"targets": {}})").find("'targets' must be an array"), std::string::npos);
  EXPECT_NE(error("[1, 2").find("m.json': expected a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace mcmpart::learner
