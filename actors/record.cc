// Byte encoding of episode records and weights: little-endian on every host.
#include "actors/record.h"

#include <cstring>

#include "actors/transport.h"

namespace mcmpart::actors {

std::optional<StrategyId> StrategyFromName(std::string_view name) {
  for (size_t i = 0; i < kNumStrategies; ++i) {
    if (kStrategyNames[i] == name) return static_cast<StrategyId>(i);
  }
  return std::nullopt;
}

std::string SearchStrategyNames(std::string_view separator) {
  std::string names;
  for (std::string_view name : kStrategyNames) {
    if (name == StrategyName(StrategyId::kRl)) continue;
    if (!names.empty()) names += separator;
    names += name;
  }
  return names;
}

namespace {

template <typename T>
constexpr bool kIsVector = false;
template <typename T>
constexpr bool kIsVector<std::vector<T>> = true;

// The unsigned integer holding the bits of a T.
template <typename T>
using Bits =
    std::conditional_t<sizeof(T) == 1, uint8_t,
                       std::conditional_t<sizeof(T) == 2, uint16_t,
                                          std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;

// Writes `v` (a number or an enum) as sizeof(T) little-endian bytes.
template <typename T>
void StoreLe(uint8_t* p, T v) {
  static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>);
  static_assert(sizeof(Bits<T>) == sizeof(T));
  Bits<T> bits;
  std::memcpy(&bits, &v, sizeof(T));
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(bits >> (8 * i));
}

template <typename T>
T LoadLe(const uint8_t* p) {
  Bits<T> bits = 0;
  for (size_t i = 0; i < sizeof(T); ++i) bits |= static_cast<Bits<T>>(Bits<T>{p[i]} << (8 * i));
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

// The type a T travels as: bool as one byte, every other number or enum as itself.
template <typename T>
using Wire = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>* out) : out_(out) {}
  template <typename T>
  void Put(const T& v) {
    if constexpr (kIsVector<T>) {
      Put(static_cast<uint32_t>(v.size()));
      PutArray(v.data(), v.size());
    } else {
      PutArray(&v, 1);
    }
  }
  template <typename T>
  void PutArray(const T* v, size_t n) {
    const size_t at = out_->size();
    out_->resize(at + n * sizeof(Wire<T>));
    for (size_t i = 0; i < n; ++i) {
      StoreLe(out_->data() + at + i * sizeof(Wire<T>), static_cast<Wire<T>>(v[i]));
    }
  }

 private:
  std::vector<uint8_t>* out_;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  // False when the buffer ends early or a value is outside its type's range.
  template <typename T>
  bool Get(T* v) {
    if constexpr (kIsVector<T>) {
      uint32_t n = 0;
      if (!Get(&n) || Left() / sizeof(Wire<typename T::value_type>) < n) return false;
      v->resize(n);
      return GetArray(v->data(), n);
    } else {
      return GetArray(v, 1);
    }
  }
  template <typename T>
  bool GetArray(T* v, size_t n) {
    if (Left() / sizeof(Wire<T>) < n) return false;
    for (size_t i = 0; i < n; ++i, p_ += sizeof(Wire<T>)) {
      const Wire<T> w = LoadLe<Wire<T>>(p_);
      if constexpr (std::is_same_v<T, StrategyId>) {
        if (StrategyName(w).empty()) return false;
      }
      v[i] = static_cast<T>(w);
    }
    return true;
  }
  bool done() const { return p_ == end_; }

 private:
  size_t Left() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* p_;
  const uint8_t* end_;
};

constexpr uint32_t kMagic = 0x4D435052;  // "MCPR"

}  // namespace

void EncodeRecords(const std::vector<EpisodeRecord>& records, std::vector<uint8_t>* out) {
  Writer w(out);
  w.Put(kMagic);
  w.Put(static_cast<uint32_t>(records.size()));
  for (const EpisodeRecord& r : records) {
    ForEachField(kEpisodeRecordFields, [&](const auto& field) { w.Put(r.*field.member); });
  }
}

common::StatusOr<std::vector<EpisodeRecord>> DecodeRecords(const uint8_t* data, size_t size) {
  Reader r(data, size);
  uint32_t magic = 0, count = 0;
  if (!r.Get(&magic) || magic != kMagic || !r.Get(&count)) {
    return common::Status::Error("corrupt record message (bad header)");
  }
  // Every record takes at least one byte: a corrupt count cannot allocate more than the message.
  if (count > size) return common::Status::Error("corrupt record message (bad count)");
  std::vector<EpisodeRecord> out(count);
  for (EpisodeRecord& e : out) {
    bool ok = true;
    ForEachField(kEpisodeRecordFields,
                 [&](const auto& field) { ok = ok && r.Get(&(e.*field.member)); });
    if (!ok) return common::Status::Error("corrupt record message (truncated or bad value)");
  }
  if (!r.done()) return common::Status::Error("corrupt record message (trailing bytes)");
  return out;
}

std::vector<uint8_t> EncodeWeights(int64_t version, const std::vector<float>& weights) {
  std::vector<uint8_t> out;
  Writer w(&out);
  w.Put(version);
  w.PutArray(weights.data(), weights.size());
  return out;
}

bool DecodeWeights(const std::vector<uint8_t>& payload, int64_t* version,
                   std::vector<float>* weights) {
  if (payload.size() < sizeof(int64_t) || (payload.size() - sizeof(int64_t)) % sizeof(float) != 0) {
    return false;
  }
  Reader r(payload.data(), payload.size());
  weights->resize((payload.size() - sizeof(int64_t)) / sizeof(float));
  return r.Get(version) && r.GetArray(weights->data(), weights->size()) && r.done();
}

}  // namespace mcmpart::actors
