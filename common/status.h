// Status and StatusOr: user-caused failures travel as values with a message; bugs assert.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace mcmpart::common {

/// Outcome of an operation that can fail because of user input (a file, a flag, a config).
/// An ok status has an empty message. Failures carry one sentence naming what and where.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message), false); }

  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

  /// Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const {
    if (ok_) return *this;
    return Error(context + ": " + message_);
  }

 private:
  Status(std::string message, bool ok) : message_(std::move(message)), ok_(ok) {}
  std::string message_;
  bool ok_ = true;
};

/// Either a value or a failed Status (Abseil's StatusOr, reduced).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr constructed from an ok Status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mcmpart::common

/// Propagates a failed Status from an expression returning Status.
#define MCMPART_RETURN_IF_ERROR(expr)              \
  do {                                             \
    ::mcmpart::common::Status _st = (expr);        \
    if (!_st.ok()) return _st;                     \
  } while (0)

#define MCMPART_CONCAT_INNER(a, b) a##b
#define MCMPART_CONCAT(a, b) MCMPART_CONCAT_INNER(a, b)
/// `MCMPART_ASSIGN_OR_RETURN(auto x, F())` unwraps a StatusOr or returns its Status.
#define MCMPART_ASSIGN_OR_RETURN(lhs, expr)                           \
  auto MCMPART_CONCAT(_so_, __LINE__) = (expr);                       \
  if (!MCMPART_CONCAT(_so_, __LINE__).ok())                           \
    return MCMPART_CONCAT(_so_, __LINE__).status();                   \
  lhs = std::move(MCMPART_CONCAT(_so_, __LINE__)).value()
