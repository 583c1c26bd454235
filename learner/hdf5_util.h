// Internal helpers shared by the run-file writer and reader (HDF5 C API). Include only from
// learner/run_log*.cc and learner/run_reader*.cc.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "actors/record.h"
#include "common/partition.h"

namespace mcmpart::learner::hdf5 {

/// Bytes of the fixed-length strategy name column.
constexpr size_t kStrategyBytes = 16;
static_assert(
    [] {
      for (std::string_view name : actors::kStrategyNames) {
        if (name.size() > kStrategyBytes) return false;
      }
      return true;
    }(),
    "every strategy name fits the strategy column");

/// Silences HDF5's own error printing while alive: failures come back as Status messages.
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// Owns one HDF5 identifier of any kind.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(other.Release()) {}
  Handle& operator=(Handle&& other) noexcept {
    Reset(other.Release());
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { Reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  hid_t Release() {
    hid_t id = id_;
    id_ = -1;
    return id;
  }
  void Reset(hid_t id = -1) {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = id;
  }

 private:
  hid_t id_ = -1;
};

/// Variable-length UTF-8 string type.
inline Handle VarStringType() {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

/// Element types of run-file datasets.
enum class Kind { kU8, kI8, kI16, kI32, kI64, kU64, kF64, kStrategy };

inline size_t KindSize(Kind kind) {
  switch (kind) {
    case Kind::kU8:
    case Kind::kI8:
      return 1;
    case Kind::kI16:
      return 2;
    case Kind::kI32:
      return 4;
    case Kind::kI64:
    case Kind::kU64:
    case Kind::kF64:
      return 8;
    case Kind::kStrategy:
      return kStrategyBytes;
  }
  return 0;
}

/// A type identifier the caller owns; the same type serves memory and file (native byte order;
/// HDF5 converts for a reader of another byte order).
inline Handle MakeType(Kind kind) {
  switch (kind) {
    case Kind::kU8:
      return Handle(H5Tcopy(H5T_NATIVE_UINT8));
    case Kind::kI8:
      return Handle(H5Tcopy(H5T_NATIVE_INT8));
    case Kind::kI16:
      return Handle(H5Tcopy(H5T_NATIVE_INT16));
    case Kind::kI32:
      return Handle(H5Tcopy(H5T_NATIVE_INT32));
    case Kind::kI64:
      return Handle(H5Tcopy(H5T_NATIVE_INT64));
    case Kind::kU64:
      return Handle(H5Tcopy(H5T_NATIVE_UINT64));
    case Kind::kF64:
      return Handle(H5Tcopy(H5T_NATIVE_DOUBLE));
    case Kind::kStrategy: {
      Handle t(H5Tcopy(H5T_C_S1));
      H5Tset_size(t.get(), kStrategyBytes);
      H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
      return t;
    }
  }
  return Handle();
}

/// A row field stored as a 2-D column (rows × max nodes over the graphs, int16, padded with -1).
template <typename Stored>
constexpr bool kIsPartition = std::is_same_v<Stored, common::Partition>;

template <typename T>
constexpr bool kUnsupportedStored = false;

/// The dataset element kind of a Field's `Stored` type (actors/record.h).
template <typename Stored>
constexpr Kind KindOf() {
  if constexpr (std::is_same_v<Stored, uint8_t>)
    return Kind::kU8;
  else if constexpr (std::is_same_v<Stored, int8_t>)
    return Kind::kI8;
  else if constexpr (std::is_same_v<Stored, int32_t>)
    return Kind::kI32;
  else if constexpr (std::is_same_v<Stored, int64_t>)
    return Kind::kI64;
  else if constexpr (std::is_same_v<Stored, double>)
    return Kind::kF64;
  else if constexpr (std::is_same_v<Stored, actors::StrategyId>)
    return Kind::kStrategy;
  else if constexpr (kIsPartition<Stored>)
    return Kind::kI16;
  else
    static_assert(kUnsupportedStored<Stored>, "no run-file column type for this field");
}

}  // namespace mcmpart::learner::hdf5
