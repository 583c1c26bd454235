// Byte encoding of episode records.
#include "actors/record.h"

#include <cstring>

namespace mcmpart::actors {

const std::vector<std::string>& StrategyNames() {
  static const std::vector<std::string> kNames = {"rl", "random", "anneal", "dp", "greedy", "exact"};
  return kNames;
}

namespace {

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>* out) : out_(out) {}
  template <typename T>
  void Put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_->insert(out_->end(), p, p + sizeof(T));
  }
  template <typename T>
  void PutVec(const std::vector<T>& v) {
    Put<uint32_t>(static_cast<uint32_t>(v.size()));
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    out_->insert(out_->end(), p, p + v.size() * sizeof(T));
  }

 private:
  std::vector<uint8_t>* out_;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  template <typename T>
  bool Get(T* v) {
    if (static_cast<size_t>(end_ - p_) < sizeof(T)) return false;
    std::memcpy(v, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }
  template <typename T>
  bool GetVec(std::vector<T>* v) {
    uint32_t n = 0;
    if (!Get(&n) || static_cast<size_t>(end_ - p_) / sizeof(T) < n) return false;
    v->resize(n);
    if (n > 0) std::memcpy(v->data(), p_, n * sizeof(T));  // data() may be null when empty
    p_ += n * sizeof(T);
    return true;
  }
  bool done() const { return p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

constexpr uint32_t kMagic = 0x4D435052;  // "MCPR"

}  // namespace

void EncodeRecords(const std::vector<EpisodeRecord>& records, std::vector<uint8_t>* out) {
  Writer w(out);
  w.Put(kMagic);
  w.Put<uint32_t>(static_cast<uint32_t>(records.size()));
  for (const EpisodeRecord& r : records) {
    w.Put(r.rank);
    w.Put(r.graph);
    w.Put(r.policy_version);
    w.Put(r.strategy);
    w.PutVec(r.proposal);
    w.PutVec(r.partition);
    w.PutVec(r.logp_proposal);
    w.PutVec(r.logp_partition);
    w.Put(r.value);
    w.Put(r.reward);
    w.Put(r.throughput);
    w.Put(r.latency_s);
    w.Put<uint8_t>(r.valid);
    w.Put<uint8_t>(r.proposal_valid);
    w.Put(r.repair_status);
    w.Put(r.changed_nodes);
    w.Put(r.inference_ms);
    w.Put(r.repair_ms);
    w.Put(r.eval_ms);
    w.Put(r.message_ms);
    w.Put(r.wait_ms);
  }
}

common::StatusOr<std::vector<EpisodeRecord>> DecodeRecords(const uint8_t* data, size_t size) {
  Reader r(data, size);
  uint32_t magic = 0, count = 0;
  if (!r.Get(&magic) || magic != kMagic || !r.Get(&count)) {
    return common::Status::Error("corrupt record message (bad header)");
  }
  std::vector<EpisodeRecord> out(count);
  for (EpisodeRecord& e : out) {
    uint8_t valid = 0, proposal_valid = 0;
    bool ok = r.Get(&e.rank) && r.Get(&e.graph) && r.Get(&e.policy_version) && r.Get(&e.strategy) &&
              r.GetVec(&e.proposal) && r.GetVec(&e.partition) && r.GetVec(&e.logp_proposal) &&
              r.GetVec(&e.logp_partition) && r.Get(&e.value) && r.Get(&e.reward) &&
              r.Get(&e.throughput) && r.Get(&e.latency_s) && r.Get(&valid) &&
              r.Get(&proposal_valid) && r.Get(&e.repair_status) && r.Get(&e.changed_nodes) &&
              r.Get(&e.inference_ms) && r.Get(&e.repair_ms) && r.Get(&e.eval_ms) &&
              r.Get(&e.message_ms) && r.Get(&e.wait_ms);
    if (!ok) return common::Status::Error("corrupt record message (truncated)");
    e.valid = valid;
    e.proposal_valid = proposal_valid;
  }
  if (!r.done()) return common::Status::Error("corrupt record message (trailing bytes)");
  return out;
}

}  // namespace mcmpart::actors

#include "actors/transport.h"

namespace mcmpart::actors {

std::vector<uint8_t> EncodeWeights(int64_t version, const std::vector<float>& weights) {
  std::vector<uint8_t> out(sizeof(int64_t) + weights.size() * sizeof(float));
  std::memcpy(out.data(), &version, sizeof(int64_t));
  std::memcpy(out.data() + sizeof(int64_t), weights.data(), weights.size() * sizeof(float));
  return out;
}

bool DecodeWeights(const std::vector<uint8_t>& payload, int64_t* version, std::vector<float>* weights) {
  if (payload.size() < sizeof(int64_t) || (payload.size() - sizeof(int64_t)) % sizeof(float) != 0) {
    return false;
  }
  std::memcpy(version, payload.data(), sizeof(int64_t));
  weights->resize((payload.size() - sizeof(int64_t)) / sizeof(float));
  std::memcpy(weights->data(), payload.data() + sizeof(int64_t), weights->size() * sizeof(float));
  return true;
}

}  // namespace mcmpart::actors
