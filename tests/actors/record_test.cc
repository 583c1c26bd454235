// Record and weights encoding round trips; corrupt messages are rejected.
#include <gtest/gtest.h>

#include "actors/record.h"
#include "actors/transport.h"

namespace mcmpart::actors {
namespace {

TEST(Record, RoundTrip) {
  std::vector<EpisodeRecord> records(3);
  for (int i = 0; i < 3; ++i) {
    EpisodeRecord& r = records[i];
    r.rank = i + 1;
    r.graph = i;
    r.policy_version = 10 + i;
    r.proposal = {0, 1, 2, i};
    r.partition = i == 1 ? common::Partition{} : common::Partition{0, 1, 1, 2};
    r.logp_proposal = {-0.5f, -1.f, -2.f, -3.f * i};
    r.logp_partition = {-0.25f};
    r.value = 0.5f * i;
    r.reward = 1.0 / (i + 1);
    r.throughput = 1000.0 * i;
    r.valid = i != 1;
    r.proposal_valid = i == 2;
    r.repair_status = i;
    r.changed_nodes = 7 * i;
    r.repair_ms = 1.5;
  }
  std::vector<uint8_t> buf;
  EncodeRecords(records, &buf);
  auto back = DecodeRecords(buf.data(), buf.size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const EpisodeRecord& a = records[i];
    const EpisodeRecord& b = (*back)[i];
    EXPECT_EQ(a.rank, b.rank);
    EXPECT_EQ(a.policy_version, b.policy_version);
    EXPECT_EQ(a.proposal, b.proposal);
    EXPECT_EQ(a.partition, b.partition);
    EXPECT_EQ(a.logp_proposal, b.logp_proposal);
    EXPECT_EQ(a.logp_partition, b.logp_partition);
    EXPECT_EQ(a.reward, b.reward);
    EXPECT_EQ(a.valid, b.valid);
    EXPECT_EQ(a.proposal_valid, b.proposal_valid);
    EXPECT_EQ(a.changed_nodes, b.changed_nodes);
  }
  for (size_t cut : {size_t{0}, size_t{3}, buf.size() / 2, buf.size() - 1}) {
    EXPECT_FALSE(DecodeRecords(buf.data(), cut).ok()) << cut;
  }
  buf.push_back(0);
  EXPECT_FALSE(DecodeRecords(buf.data(), buf.size()).ok());
}

TEST(Weights, RoundTripAndCorruption) {
  std::vector<float> w = {1.f, -2.f, 3.5f};
  auto buf = EncodeWeights(42, w);
  int64_t v = 0;
  std::vector<float> back;
  ASSERT_TRUE(DecodeWeights(buf, &v, &back));
  EXPECT_EQ(v, 42);
  EXPECT_EQ(back, w);
  buf.pop_back();
  EXPECT_FALSE(DecodeWeights(buf, &v, &back));
}

}  // namespace
}  // namespace mcmpart::actors
