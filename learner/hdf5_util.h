// Internal helpers shared by the run-file writer and reader (HDF5 C API). Include only from
// learner/run_log*.cc and learner/run_reader*.cc.
#pragma once

#include <cstddef>

#include <hdf5.h>

namespace mcmpart::learner::hdf5 {

/// Bytes of the fixed-length strategy name column.
constexpr size_t kStrategyBytes = 16;

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

}  // namespace mcmpart::learner::hdf5
