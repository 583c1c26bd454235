// Test helpers over row field lists (actors/record.h): a distinct value for every field, and
// field-by-field comparison, so that tests cover each field the list holds.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <type_traits>
#include <vector>

#include "actors/record.h"

namespace mcmpart::actors::field_testing {

template <typename T>
constexpr bool kIsVectorField = false;
template <typename T>
constexpr bool kIsVectorField<std::vector<T>> = true;

/// Value number `k` of type T for row `r`: unlike the values of the other fields and rows; a
/// partition has `nodes` chips in 0..3. A bool is true in one row of each pair (r = 0, 1).
template <typename T>
T DistinctValue(int k, int r, int nodes) {
  if constexpr (std::is_same_v<T, bool>) {
    return (k + r) % 2 == 1;
  } else if constexpr (std::is_same_v<T, StrategyId>) {
    return static_cast<StrategyId>((k + r) % kNumStrategies);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(1 + k + 40 * r);  // fits the int8 repair_status column
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(1 + k + 40 * r) + static_cast<T>(0.25);
  } else if constexpr (std::is_same_v<T, common::Partition>) {
    common::Partition p(nodes);
    for (int v = 0; v < nodes; ++v) p[v] = (v + k + r) % 4;
    return p;
  } else {
    static_assert(kIsVectorField<T>, "a field type DistinctValue does not know");
    T values;
    for (int i = 0; i < 3; ++i)
      values.push_back(DistinctValue<typename T::value_type>(k, r, 0) + i);
    return values;
  }
}

/// Sets every field of `fields` in `row` to its DistinctValue (row number `r`).
template <typename Row, typename Fields>
void SetDistinct(Row* row, const Fields& fields, int r, int nodes) {
  int k = 0;
  ForEachField(fields, [&](const auto& field) {
    using Member = typename std::decay_t<decltype(field)>::MemberType;
    row->*field.member = DistinctValue<Member>(k++, r, nodes);
  });
}

/// Expects every field of `fields` to differ from its default in one of `rows` at least.
template <typename Row, typename Fields>
void ExpectNoneDefault(const std::vector<Row>& rows, const Fields& fields) {
  const Row fresh{};
  ForEachField(fields, [&](const auto& field) {
    bool set = false;
    for (const Row& row : rows) set = set || !(row.*field.member == fresh.*field.member);
    EXPECT_TRUE(set) << field.name << " keeps its default in every row";
  });
}

/// Which fields ExpectFields compares; the others must hold their defaults.
enum class Compared { kAll, kStored, kStoredButPartitions };

/// Expects `got` to equal `want` field by field (as `which` says).
template <typename Row, typename Fields>
void ExpectFields(const Row& want, const Row& got, const Fields& fields, Compared which) {
  const Row fresh{};
  ForEachField(fields, [&](const auto& field) {
    using F = std::decay_t<decltype(field)>;
    constexpr bool kPartition = std::is_same_v<typename F::StoredType, common::Partition>;
    const bool compared =
        which == Compared::kAll || (F::kInFile && (which == Compared::kStored || !kPartition));
    const auto& expected = compared ? want.*field.member : fresh.*field.member;
    EXPECT_EQ(got.*field.member, expected) << "field " << field.name;
  });
}

}  // namespace mcmpart::actors::field_testing
