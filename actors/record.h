// Episode records (actors → learner → run file), their one field list, and their byte encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "common/partition.h"
#include "common/status.h"

namespace mcmpart::actors {

/// A search strategy (actors/search/strategy.h).
enum class StrategyId : uint8_t { kRl, kRandom, kAnneal, kDp, kGreedy, kExact, kChain };

/// Strategy names, indexed by StrategyId: what the command line says and run files store.
inline constexpr std::string_view kStrategyNames[] = {"rl",     "random", "anneal", "dp",
                                                      "greedy", "exact",  "chain"};
inline constexpr size_t kNumStrategies = std::size(kStrategyNames);
static_assert(kNumStrategies == static_cast<size_t>(StrategyId::kChain) + 1,
              "kStrategyNames has one name per StrategyId");

/// The name of `id` ("rl", "random", ...); empty for a value outside the enum.
constexpr std::string_view StrategyName(StrategyId id) {
  const auto i = static_cast<size_t>(id);
  return i < kNumStrategies ? kStrategyNames[i] : std::string_view();
}
/// The strategy called `name`, if there is one.
std::optional<StrategyId> StrategyFromName(std::string_view name);
/// The baseline search strategy names (kStrategyNames without "rl"), joined by `separator`.
std::string SearchStrategyNames(std::string_view separator);

/// What scoring one proposal produces (Environment::Score).
struct ScoreOutcome {
  common::Partition partition;  ///< after repair (empty when repair failed)
  bool valid = false;           ///< final partition valid
  bool proposal_valid = false;  ///< the proposal was valid as it came
  int32_t repair_status = 0;    ///< actors::RepairStatus as int
  int32_t changed_nodes = 0;    ///< nodes repair moved
  double reward = 0;
  double throughput = 0;  ///< samples/s of the final partition (0 when invalid)
  double latency_s = 0;
  double repair_ms = 0, eval_ms = 0;
  /// The evaluator failed on this partition (hw::Evaluator::status()): the run stops and the
  /// record is neither sent nor logged, so it is no field of kEpisodeRecordFields.
  bool evaluator_failed = false;
};

/// One evaluated partition (SPEC §7, §8 /rollouts): made by an actor, trained on and logged by
/// the learner, read back from the run file.
struct EpisodeRecord : ScoreOutcome {
  int64_t step = 0;        ///< global evaluation index, 0-based (set by the learner)
  double wall_time_s = 0;  ///< since run start (set by the learner)
  int32_t rank = 0;
  int32_t graph = 0;           ///< index into the run's graph list
  int64_t policy_version = 0;  ///< weights that produced the proposal
  int32_t policy_lag = 0;  ///< learner version at arrival − policy_version (set by the learner)
  StrategyId strategy = StrategyId::kRl;
  common::Partition proposal;
  std::vector<float> logp_proposal;   ///< per node, behaviour policy
  std::vector<float> logp_partition;  ///< per node, behaviour policy, repaired action
  float value = 0;
  double inference_ms = 0;
  double message_ms = 0;  ///< actor time spent sending its message, per record
  double wait_ms = 0;     ///< actor time blocked on the learner before this message, per record

  /// Takes the outcome of scoring `proposal` (Environment::Score).
  void SetOutcome(ScoreOutcome outcome) { static_cast<ScoreOutcome&>(*this) = std::move(outcome); }
};

/// `Stored` of a Field that the run file does not hold.
struct NotInFile {};

/// One field of a row struct: its name (the run-file column name), its member, and how the run
/// file stores it (`Stored`): an arithmetic type is a 1-D column of that type, StrategyId a 1-D
/// column of fixed-length names, common::Partition a 2-D int16 column, NotInFile no column.
template <typename Struct, typename Member, typename Stored>
struct Field {
  using MemberType = Member;
  using StoredType = Stored;
  static constexpr bool kInFile = !std::is_same_v<Stored, NotInFile>;
  const char* name;
  Member Struct::*member;
};

/// A Field of `Struct`; `Stored` defaults to the member's own type.
template <typename Struct, typename Stored = void, typename Member, typename Owner>
constexpr auto MakeField(const char* name, Member Owner::*member) {
  static_assert(std::is_base_of_v<Owner, Struct>, "the member belongs to Struct");
  using S = std::conditional_t<std::is_void_v<Stored>, Member, Stored>;
  return Field<Struct, Member, S>{name, member};
}

/// Calls `f(field)` for each field of a field list (a tuple of Fields), in order.
template <typename Fields, typename F>
constexpr void ForEachField(const Fields& fields, F&& f) {
  std::apply([&f](const auto&... field) { (f(field), ...); }, fields);
}

/// The names of the fields of a field list that the run file stores (its column names), in order.
template <typename Fields>
std::vector<std::string> StoredFieldNames(const Fields& fields) {
  std::vector<std::string> names;
  ForEachField(fields, [&names](const auto& field) {
    if constexpr (std::decay_t<decltype(field)>::kInFile) names.push_back(field.name);
  });
  return names;
}

/// Every field of EpisodeRecord (but ScoreOutcome::evaluator_failed), once. The order is the wire
/// order and the run file's column order (SPEC §8 /rollouts); the wire carries every field, the
/// file those not NotInFile.
inline constexpr auto kEpisodeRecordFields = std::make_tuple(
    MakeField<EpisodeRecord>("step", &EpisodeRecord::step),
    MakeField<EpisodeRecord>("wall_time_s", &EpisodeRecord::wall_time_s),
    MakeField<EpisodeRecord>("rank", &EpisodeRecord::rank),
    MakeField<EpisodeRecord>("graph", &EpisodeRecord::graph),
    MakeField<EpisodeRecord>("policy_version", &EpisodeRecord::policy_version),
    MakeField<EpisodeRecord>("policy_lag", &EpisodeRecord::policy_lag),
    MakeField<EpisodeRecord>("strategy", &EpisodeRecord::strategy),
    MakeField<EpisodeRecord>("reward", &EpisodeRecord::reward),
    MakeField<EpisodeRecord>("throughput", &EpisodeRecord::throughput),
    MakeField<EpisodeRecord>("latency_s", &EpisodeRecord::latency_s),
    MakeField<EpisodeRecord, uint8_t>("valid", &EpisodeRecord::valid),
    MakeField<EpisodeRecord, uint8_t>("proposal_valid", &EpisodeRecord::proposal_valid),
    MakeField<EpisodeRecord, int8_t>("repair_status", &EpisodeRecord::repair_status),
    MakeField<EpisodeRecord>("changed_nodes", &EpisodeRecord::changed_nodes),
    MakeField<EpisodeRecord>("repair_ms", &EpisodeRecord::repair_ms),
    MakeField<EpisodeRecord>("eval_ms", &EpisodeRecord::eval_ms),
    MakeField<EpisodeRecord>("inference_ms", &EpisodeRecord::inference_ms),
    MakeField<EpisodeRecord>("message_ms", &EpisodeRecord::message_ms),
    MakeField<EpisodeRecord>("wait_ms", &EpisodeRecord::wait_ms),
    MakeField<EpisodeRecord>("proposal", &EpisodeRecord::proposal),
    MakeField<EpisodeRecord>("partition", &EpisodeRecord::partition),
    MakeField<EpisodeRecord, NotInFile>("logp_proposal", &EpisodeRecord::logp_proposal),
    MakeField<EpisodeRecord, NotInFile>("logp_partition", &EpisodeRecord::logp_partition),
    MakeField<EpisodeRecord, NotInFile>("value", &EpisodeRecord::value));

/// Appends the encoding of `records` to `out`: a header, then every field of
/// kEpisodeRecordFields per record in order; numbers little-endian whatever the host's byte
/// order (bool and StrategyId one byte), vectors as a uint32 length and their elements.
void EncodeRecords(const std::vector<EpisodeRecord>& records, std::vector<uint8_t>* out);
/// Decodes a buffer written by EncodeRecords; an error means a corrupt message.
common::StatusOr<std::vector<EpisodeRecord>> DecodeRecords(const uint8_t* data, size_t size);

}  // namespace mcmpart::actors
