// Record and weights encoding round trips (every field of the list, little-endian bytes);
// corrupt messages are rejected; strategy names.
#include "actors/record.h"

#include <gtest/gtest.h>

#include "actors/transport.h"
#include "tests/actors/record_fields.h"

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

TEST(Record, EveryFieldRoundTrips) {
  std::vector<EpisodeRecord> records(2);
  for (int r = 0; r < 2; ++r)
    field_testing::SetDistinct(&records[r], kEpisodeRecordFields, r, 5 + r);
  field_testing::ExpectNoneDefault(records, kEpisodeRecordFields);
  std::vector<uint8_t> buf;
  EncodeRecords(records, &buf);
  auto back = DecodeRecords(buf.data(), buf.size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), 2u);
  for (int r = 0; r < 2; ++r) {
    field_testing::ExpectFields(records[r], (*back)[r], kEpisodeRecordFields,
                                field_testing::Compared::kAll);
  }
}

TEST(Record, EncodingIsLittleEndian) {
  EpisodeRecord r;
  r.step = 0x0102030405060708;  // the first field
  std::vector<uint8_t> buf;
  EncodeRecords({r}, &buf);
  const std::vector<uint8_t> head = {0x52, 0x50, 0x43, 0x4D,  // magic "MCPR" as a uint32
                                     1,    0,    0,    0,     // one record
                                     8,    7,    6,    5,    4, 3, 2, 1};
  ASSERT_GE(buf.size(), head.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + head.size()), head);

  const std::vector<uint8_t> weights = EncodeWeights(0x0102030405060708, {1.0f, -2.0f});
  EXPECT_EQ(weights, (std::vector<uint8_t>{8, 7, 6, 5, 4, 3, 2, 1,  // version
                                           0, 0, 0x80, 0x3F,        // 1.0f
                                           0, 0, 0, 0xC0}));        // -2.0f
}

TEST(Record, BadStrategyOrCountIsCorrupt) {
  EpisodeRecord r;
  r.strategy = static_cast<StrategyId>(kNumStrategies);
  std::vector<uint8_t> buf;
  EncodeRecords({r}, &buf);
  EXPECT_FALSE(DecodeRecords(buf.data(), buf.size()).ok());
  buf.clear();
  EncodeRecords({EpisodeRecord{}}, &buf);
  ASSERT_TRUE(DecodeRecords(buf.data(), buf.size()).ok());
  buf[7] = 0x7F;  // the record count's top byte: far more records than bytes
  EXPECT_FALSE(DecodeRecords(buf.data(), buf.size()).ok());
}

TEST(Strategy, NamesAndIds) {
  for (size_t i = 0; i < kNumStrategies; ++i) {
    const auto id = static_cast<StrategyId>(i);
    EXPECT_EQ(StrategyFromName(StrategyName(id)), id) << kStrategyNames[i];
  }
  EXPECT_EQ(StrategyName(StrategyId::kAnneal), "anneal");
  EXPECT_EQ(StrategyFromName("exact"), StrategyId::kExact);
  EXPECT_EQ(StrategyFromName("bogus"), std::nullopt);
  EXPECT_EQ(StrategyFromName(""), std::nullopt);
  EXPECT_TRUE(StrategyName(static_cast<StrategyId>(kNumStrategies)).empty());
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
