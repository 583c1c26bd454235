// Run file reader: SWMR read of the layout documented in run_log.cc into plain types.
#include "learner/run_reader.h"

#include "learner/hdf5_util.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace mcmpart::learner {
namespace {

using hdf5::Handle;
using hdf5::kStrategyBytes;
using hdf5::QuietHdf5;
using hdf5::VarStringType;

using common::Status;
using common::StatusOr;


Handle StrategyType() {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), kStrategyBytes);
  H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
  return t;
}

// Length of the first dimension of a dataset, -1 when it is missing.
int64_t Extent(hid_t file, const std::string& path) {
  Handle d(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!d.valid()) return -1;
  Handle space(H5Dget_space(d.get()));
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 1) return -1;
  return static_cast<int64_t>(dims[0]);
}

class Hdf5RunReader : public RunReader {
 public:
  explicit Hdf5RunReader(std::string path) : path_(std::move(path)) {}

  Status Open() {
    QuietHdf5 quiet;
    if (access(path_.c_str(), R_OK) != 0) return Error("cannot read (no such file?)");
    file_ = Handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
    if (!file_.valid()) file_ = Handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file_.valid()) return Error("not an HDF5 file (or it cannot be opened)");
    std::string format;
    if (!ReadStringAttr(file_.get(), "format", &format).ok() || format != "mcmpart-run") {
      return Error("not an mcmpart run file (root attribute format != \"mcmpart-run\")");
    }
    int32_t version = 0;
    MCMPART_RETURN_IF_ERROR(ReadAttr(file_.get(), "schema_version", H5T_NATIVE_INT32, &version));
    if (version < 1 || version > kRunSchemaVersion) {
      return Error("schema_version " + std::to_string(version) + " is not supported (this build "
                   "reads up to " + std::to_string(kRunSchemaVersion) + ")");
    }
    summary_.schema_version = version;
    MCMPART_RETURN_IF_ERROR(ReadMeta());
    MCMPART_RETURN_IF_ERROR(ReadGraphs());
    MCMPART_RETURN_IF_ERROR(ReadStatus());
    return Status::Ok();
  }

  const RunSummary& summary() const override { return summary_; }

  StatusOr<std::vector<RolloutRow>> ReadRollouts(int64_t begin, int64_t end,
                                                 bool with_partitions) override {
    QuietHdf5 quiet;
    begin = std::clamp<int64_t>(begin, 0, summary_.num_rollouts);
    end = std::clamp<int64_t>(end, begin, summary_.num_rollouts);
    const size_t n = static_cast<size_t>(end - begin);
    std::vector<RolloutRow> rows(n);
    if (n == 0) return rows;
    std::vector<int64_t> i64;
    std::vector<int32_t> i32;
    std::vector<double> f64;
    std::vector<uint8_t> u8;
    std::vector<int8_t> i8;
    const std::string r = "/rollouts/";
#define MCMPART_READ_FIELD(vec, type, name, field)                                     \
  MCMPART_RETURN_IF_ERROR(ReadColumn(r + name, type, begin, n, &vec));                  \
  for (size_t i = 0; i < n; ++i) rows[i].field = vec[i]
    MCMPART_READ_FIELD(i64, H5T_NATIVE_INT64, "step", step);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "wall_time_s", wall_time_s);
    MCMPART_READ_FIELD(i32, H5T_NATIVE_INT32, "rank", rank);
    MCMPART_READ_FIELD(i32, H5T_NATIVE_INT32, "graph", graph);
    MCMPART_READ_FIELD(i64, H5T_NATIVE_INT64, "policy_version", policy_version);
    MCMPART_READ_FIELD(i32, H5T_NATIVE_INT32, "policy_lag", policy_lag);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "reward", reward);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "throughput", throughput);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "latency_s", latency_s);
    MCMPART_READ_FIELD(u8, H5T_NATIVE_UINT8, "valid", valid);
    MCMPART_READ_FIELD(u8, H5T_NATIVE_UINT8, "proposal_valid", proposal_valid);
    MCMPART_READ_FIELD(i8, H5T_NATIVE_INT8, "repair_status", repair_status);
    MCMPART_READ_FIELD(i32, H5T_NATIVE_INT32, "changed_nodes", changed_nodes);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "repair_ms", repair_ms);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "eval_ms", eval_ms);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, "inference_ms", inference_ms);
#undef MCMPART_READ_FIELD
    {
      Handle type = StrategyType();
      std::vector<char> chars;
      MCMPART_RETURN_IF_ERROR(ReadRaw(r + "strategy", type.get(), begin, n, 1, kStrategyBytes, &chars));
      for (size_t i = 0; i < n; ++i) {
        const char* s = chars.data() + i * kStrategyBytes;
        rows[i].strategy.assign(s, strnlen(s, kStrategyBytes));
      }
    }
    if (with_partitions) {
      for (const char* name : {"proposal", "partition"}) {
        std::vector<char> raw;
        MCMPART_RETURN_IF_ERROR(
            ReadRaw(r + name, H5T_NATIVE_INT16, begin, n, width_, sizeof(int16_t), &raw));
        const auto* chips = reinterpret_cast<const int16_t*>(raw.data());
        for (size_t i = 0; i < n; ++i) {
          const int g = rows[i].graph;
          if (g < 0 || g >= static_cast<int>(summary_.graphs.size())) {
            return Error("rollout row " + std::to_string(begin + static_cast<int64_t>(i)) +
                         " names graph " + std::to_string(g) + ", which the file does not hold");
          }
          const size_t nodes = summary_.graphs[g].node_names.size();
          const int16_t* row = chips + i * width_;
          if (std::all_of(row, row + nodes, [](int16_t c) { return c < 0; })) continue;
          common::Partition& p = std::string(name) == "proposal" ? rows[i].proposal : rows[i].partition;
          p.assign(row, row + nodes);
        }
      }
    }
    return rows;
  }

  StatusOr<std::vector<LearnerRow>> ReadLearner(int64_t begin, int64_t end) override {
    QuietHdf5 quiet;
    begin = std::clamp<int64_t>(begin, 0, summary_.num_learner_rows);
    end = std::clamp<int64_t>(end, begin, summary_.num_learner_rows);
    const size_t n = static_cast<size_t>(end - begin);
    std::vector<LearnerRow> rows(n);
    if (n == 0) return rows;
    std::vector<int64_t> i64;
    std::vector<int32_t> i32;
    std::vector<double> f64;
    const std::string r = "/learner/";
#define MCMPART_READ_FIELD(vec, type, field)                                           \
  MCMPART_RETURN_IF_ERROR(ReadColumn(r + #field, type, begin, n, &vec));               \
  for (size_t i = 0; i < n; ++i) rows[i].field = vec[i]
    MCMPART_READ_FIELD(i64, H5T_NATIVE_INT64, update);
    MCMPART_READ_FIELD(i64, H5T_NATIVE_INT64, samples_seen);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, wall_time_s);
    MCMPART_READ_FIELD(i64, H5T_NATIVE_INT64, policy_version);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, policy_loss);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, value_loss);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, entropy);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, approx_kl);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, clip_fraction);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, grad_norm);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, learning_rate);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, lag_mean);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, lag_max);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, queue_depth);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, reward_mean);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, best_throughput);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, update_ms);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, broadcast_ms);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, log_ms);
    MCMPART_READ_FIELD(f64, H5T_NATIVE_DOUBLE, idle_ms);
    MCMPART_READ_FIELD(i32, H5T_NATIVE_INT32, epochs_run);
#undef MCMPART_READ_FIELD
    return rows;
  }

 private:
  Status Error(const std::string& message) const {
    return Status::Error("run file '" + path_ + "': " + message);
  }

  Status ReadAttr(hid_t obj, const char* name, hid_t mem_type, void* out) const {
    Handle attr(H5Aopen(obj, name, H5P_DEFAULT));
    if (!attr.valid() || H5Aread(attr.get(), mem_type, out) < 0) {
      return Error(std::string("cannot read attribute '") + name + "'");
    }
    return Status::Ok();
  }

  Status ReadStringAttr(hid_t obj, const char* name, std::string* out) const {
    Handle attr(H5Aopen(obj, name, H5P_DEFAULT));
    Handle type = VarStringType();
    char* value = nullptr;
    if (!attr.valid() || H5Aread(attr.get(), type.get(), &value) < 0) {
      return Error(std::string("cannot read attribute '") + name + "'");
    }
    *out = value ? value : "";
    H5free_memory(value);
    return Status::Ok();
  }

  Status ReadStrings(const std::string& path, std::vector<std::string>* out) const {
    Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT));
    if (!d.valid()) return Error("missing dataset " + path);
    Handle space(H5Dget_space(d.get()));
    Handle type = VarStringType();
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::vector<char*> ptrs(static_cast<size_t>(std::max<hssize_t>(n, 0)), nullptr);
    if (n > 0 && H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
      return Error("cannot read " + path);
    }
    out->clear();
    for (char* p : ptrs) out->push_back(p ? p : "");
    if (n > 0) H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return Status::Ok();
  }

  Status ReadText(const std::string& path, std::string* out) const {
    std::vector<std::string> values;
    MCMPART_RETURN_IF_ERROR(ReadStrings(path, &values));
    *out = values.empty() ? "" : values[0];
    return Status::Ok();
  }

  Status ReadScalar(const std::string& path, hid_t mem_type, void* out) const {
    Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT));
    if (!d.valid() || H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
      return Error("cannot read " + path);
    }
    return Status::Ok();
  }

  // Rows [begin, begin + n) of a 1-D or 2-D (width columns) dataset as raw bytes.
  Status ReadRaw(const std::string& path, hid_t mem_type, int64_t begin, size_t n, size_t width,
                 size_t elem_size, std::vector<char>* out) const {
    Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT));
    if (!d.valid()) return Error("missing dataset " + path);
    Handle file_space(H5Dget_space(d.get()));
    const int rank = H5Sget_simple_extent_ndims(file_space.get());
    hsize_t offset[2] = {static_cast<hsize_t>(begin), 0};
    hsize_t count[2] = {n, width};
    Handle mem_space(H5Screate_simple(rank, count, nullptr));
    out->resize(n * width * elem_size);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr) < 0 ||
        H5Dread(d.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out->data()) < 0) {
      return Error("cannot read rows of " + path);
    }
    return Status::Ok();
  }

  template <typename T>
  Status ReadColumn(const std::string& path, hid_t mem_type, int64_t begin, size_t n,
                    std::vector<T>* out) const {
    std::vector<char> raw;
    MCMPART_RETURN_IF_ERROR(ReadRaw(path, mem_type, begin, n, 1, sizeof(T), &raw));
    out->resize(n);
    std::memcpy(out->data(), raw.data(), raw.size());
    return Status::Ok();
  }

  Status ReadMeta() {
    Handle m(H5Gopen2(file_.get(), "/meta", H5P_DEFAULT));
    if (!m.valid()) return Error("missing group /meta");
    RunMeta& meta = summary_.meta;
    int32_t ranks = 0;
    MCMPART_RETURN_IF_ERROR(ReadAttr(m.get(), "seed", H5T_NATIVE_UINT64, &meta.seed));
    MCMPART_RETURN_IF_ERROR(ReadAttr(m.get(), "ranks", H5T_NATIVE_INT32, &ranks));
    meta.ranks = ranks;
    MCMPART_RETURN_IF_ERROR(ReadStringAttr(m.get(), "git_revision", &meta.git_revision));
    MCMPART_RETURN_IF_ERROR(ReadStringAttr(m.get(), "start_time", &meta.start_time));
    MCMPART_RETURN_IF_ERROR(ReadStringAttr(m.get(), "command_line", &meta.command_line));
    MCMPART_RETURN_IF_ERROR(ReadStringAttr(m.get(), "evaluator", &meta.evaluator));
    MCMPART_RETURN_IF_ERROR(ReadText("/meta/config", &meta.config_text));
    MCMPART_RETURN_IF_ERROR(ReadText("/meta/hardware", &meta.hardware_text));
    MCMPART_RETURN_IF_ERROR(ReadStrings("/meta/graph_names", &meta.graph_names));
    return Status::Ok();
  }

  Status ReadGraphs() {
    std::vector<std::string> groups;
    MCMPART_RETURN_IF_ERROR(ReadStrings("/meta/graph_groups", &groups));
    if (groups.size() != summary_.meta.graph_names.size()) {
      return Error("/meta/graph_groups and /meta/graph_names differ in length");
    }
    for (size_t i = 0; i < groups.size(); ++i) {
      RunGraph g;
      g.name = summary_.meta.graph_names[i];
      g.group = groups[i];
      const std::string base = "/graphs/" + g.group + "/";
      MCMPART_RETURN_IF_ERROR(ReadStrings(base + "node_names", &g.node_names));
      MCMPART_RETURN_IF_ERROR(ReadStrings(base + "op_types", &g.op_types));
      const int64_t num_edges = Extent(file_.get(), base + "edges");
      if (num_edges < 0) return Error("missing dataset " + base + "edges");
      std::vector<char> raw;
      if (num_edges > 0) {
        MCMPART_RETURN_IF_ERROR(ReadRaw(base + "edges", H5T_NATIVE_INT32, 0,
                                        static_cast<size_t>(num_edges), 2, sizeof(int32_t), &raw));
      }
      const auto* ends = reinterpret_cast<const int32_t*>(raw.data());
      for (int64_t e = 0; e < num_edges; ++e) g.edges.emplace_back(ends[2 * e], ends[2 * e + 1]);
      summary_.graphs.push_back(std::move(g));

      RunBest best;
      const std::string b = "/best/" + groups[i] + "/";
      uint8_t found = 0;
      MCMPART_RETURN_IF_ERROR(ReadScalar(b + "found", H5T_NATIVE_UINT8, &found));
      best.found = found != 0;
      MCMPART_RETURN_IF_ERROR(ReadScalar(b + "throughput", H5T_NATIVE_DOUBLE, &best.throughput));
      MCMPART_RETURN_IF_ERROR(ReadScalar(b + "step", H5T_NATIVE_INT64, &best.step));
      MCMPART_RETURN_IF_ERROR(ReadScalar(b + "wall_time_s", H5T_NATIVE_DOUBLE, &best.wall_time_s));
      if (best.found) {
        std::vector<int16_t> chips(summary_.graphs.back().node_names.size());
        MCMPART_RETURN_IF_ERROR(ReadScalar(b + "partition", H5T_NATIVE_INT16, chips.data()));
        best.partition.assign(chips.begin(), chips.end());
      }
      summary_.best.push_back(std::move(best));
    }
    return Status::Ok();
  }

  // Committed rows: the /status counters, capped by what the datasets hold.
  Status ReadStatus() {
    uint8_t closed = 0;
    MCMPART_RETURN_IF_ERROR(ReadScalar("/status/rollout_rows", H5T_NATIVE_INT64, &summary_.num_rollouts));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/status/learner_rows", H5T_NATIVE_INT64, &summary_.num_learner_rows));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/status/last_flush_unix", H5T_NATIVE_DOUBLE, &summary_.last_flush_unix));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/status/closed", H5T_NATIVE_UINT8, &closed));
    summary_.closed = closed != 0;
    for (const char* name : {"step", "wall_time_s", "rank", "graph", "policy_version", "policy_lag",
                             "strategy", "reward", "throughput", "latency_s", "valid",
                             "proposal_valid", "repair_status", "changed_nodes", "repair_ms",
                             "eval_ms", "inference_ms", "proposal", "partition"}) {
      const int64_t len = Extent(file_.get(), std::string("/rollouts/") + name);
      if (len < 0) return Error(std::string("missing dataset /rollouts/") + name);
      summary_.num_rollouts = std::min(summary_.num_rollouts, len);
    }
    for (const char* name : {"update", "samples_seen", "wall_time_s", "policy_version",
                             "policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction",
                             "grad_norm", "learning_rate", "lag_mean", "lag_max", "queue_depth",
                             "reward_mean", "best_throughput", "update_ms", "broadcast_ms",
                             "log_ms", "idle_ms", "epochs_run"}) {
      const int64_t len = Extent(file_.get(), std::string("/learner/") + name);
      if (len < 0) return Error(std::string("missing dataset /learner/") + name);
      summary_.num_learner_rows = std::min(summary_.num_learner_rows, len);
    }
    Handle d(H5Dopen2(file_.get(), "/rollouts/partition", H5P_DEFAULT));
    Handle space(H5Dget_space(d.get()));
    hsize_t dims[2] = {0, 0};
    if (!d.valid() || H5Sget_simple_extent_ndims(space.get()) != 2) {
      return Error("/rollouts/partition is not a 2-D dataset");
    }
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    width_ = dims[1];
    for (const RunGraph& g : summary_.graphs) {
      if (g.node_names.size() > width_) {
        return Error("graph '" + g.name + "' has more nodes than /rollouts/partition has columns");
      }
    }
    return Status::Ok();
  }

  const std::string path_;
  Handle file_;
  RunSummary summary_;
  size_t width_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<RunReader>> RunReader::Open(const std::string& path) {
  auto reader = std::make_unique<Hdf5RunReader>(path);
  MCMPART_RETURN_IF_ERROR(reader->Open());
  return std::unique_ptr<RunReader>(std::move(reader));
}

}  // namespace mcmpart::learner
