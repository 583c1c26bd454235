// Run file reader: SWMR read of the layout documented in run_log.cc (schema versions 1 and 2)
// into plain types.
#include "learner/run_reader.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <type_traits>

#include "learner/hdf5_util.h"

namespace mcmpart::learner {
namespace {

using hdf5::Handle;
using hdf5::KindOf;
using hdf5::KindSize;
using hdf5::kIsPartition;
using hdf5::kStrategyBytes;
using hdf5::MakeType;
using hdf5::QuietHdf5;
using hdf5::VarStringType;

using common::Status;
using common::StatusOr;

// Columns that schema-1 files written before they were added lack.
constexpr std::string_view kLateV1Columns[] = {"/rollouts/message_ms", "/rollouts/wait_ms",
                                               "/learner/heldout_reward", "/learner/sil_loss",
                                               "/learner/dropped_stale"};

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
      return Error("schema_version " + std::to_string(version) +
                   " is not supported (this build reads up to " +
                   std::to_string(kRunSchemaVersion) + ")");
    }
    summary_.schema_version = version;
    MCMPART_RETURN_IF_ERROR(ReadMeta());
    MCMPART_RETURN_IF_ERROR(ReadGraphs());
    MCMPART_RETURN_IF_ERROR(ReadImitation());
    MCMPART_RETURN_IF_ERROR(ReadStatus());
    return Status::Ok();
  }

  const RunSummary& summary() const override { return summary_; }

  StatusOr<std::vector<actors::EpisodeRecord>> ReadRollouts(int64_t begin, int64_t end,
                                                            bool with_partitions) override {
    QuietHdf5 quiet;
    begin = std::clamp<int64_t>(begin, 0, summary_.num_rollouts);
    end = std::clamp<int64_t>(end, begin, summary_.num_rollouts);
    std::vector<actors::EpisodeRecord> rows(static_cast<size_t>(end - begin));
    if (rows.empty()) return rows;
    MCMPART_RETURN_IF_ERROR(ReadFields("/rollouts/", actors::kEpisodeRecordFields, begin, &rows));
    if (!with_partitions) return rows;
    Status st;
    actors::ForEachField(actors::kEpisodeRecordFields, [&](const auto& field) {
      if constexpr (kIsPartition<typename std::decay_t<decltype(field)>::StoredType>) {
        if (st.ok()) {
          st = ReadPartitions(std::string("/rollouts/") + field.name, begin, &rows, field.member);
        }
      }
    });
    MCMPART_RETURN_IF_ERROR(st);
    return rows;
  }

  StatusOr<std::vector<LearnerRow>> ReadLearner(int64_t begin, int64_t end) override {
    QuietHdf5 quiet;
    begin = std::clamp<int64_t>(begin, 0, summary_.num_learner_rows);
    end = std::clamp<int64_t>(end, begin, summary_.num_learner_rows);
    std::vector<LearnerRow> rows(static_cast<size_t>(end - begin));
    if (rows.empty()) return rows;
    MCMPART_RETURN_IF_ERROR(ReadFields("/learner/", kLearnerRowFields, begin, &rows));
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
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr) <
            0 ||
        H5Dread(d.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out->data()) <
            0) {
      return Error("cannot read rows of " + path);
    }
    return Status::Ok();
  }

  // Rows [begin, begin + rows->size()) of every 1-D column of `fields` under `group`.
  template <typename Row, typename Fields>
  Status ReadFields(const std::string& group, const Fields& fields, int64_t begin,
                    std::vector<Row>* rows) const {
    Status st;
    actors::ForEachField(fields, [&](const auto& field) {
      using F = std::decay_t<decltype(field)>;
      using Stored = typename F::StoredType;
      if constexpr (F::kInFile && !kIsPartition<Stored>) {
        if (st.ok()) st = ReadField<Stored>(group + field.name, begin, rows, field.member);
      }
    });
    return st;
  }

  template <typename Stored, typename Row, typename Member>
  Status ReadField(const std::string& path, int64_t begin, std::vector<Row>* rows,
                   Member Row::*member) const {
    if (absent_.count(path) > 0) return Status::Ok();
    constexpr hdf5::Kind kind = KindOf<Stored>();
    Handle type = MakeType(kind);
    std::vector<char> raw;
    MCMPART_RETURN_IF_ERROR(
        ReadRaw(path, type.get(), begin, rows->size(), 1, KindSize(kind), &raw));
    for (size_t i = 0; i < rows->size(); ++i) {
      const char* cell = raw.data() + i * KindSize(kind);
      if constexpr (std::is_same_v<Stored, actors::StrategyId>) {
        const std::string_view name(cell, strnlen(cell, kStrategyBytes));
        const std::optional<actors::StrategyId> id = actors::StrategyFromName(name);
        if (!id) {
          return Error(path + " row " + std::to_string(begin + static_cast<int64_t>(i)) +
                       ": unknown strategy '" + std::string(name) + "'");
        }
        (*rows)[i].*member = *id;
      } else {
        Stored value;
        std::memcpy(&value, cell, sizeof(Stored));
        (*rows)[i].*member = static_cast<Member>(value);
      }
    }
    return Status::Ok();
  }

  // A 2-D partition column: each row's first (graph's node count) chips; all -1 = empty.
  Status ReadPartitions(const std::string& path, int64_t begin,
                        std::vector<actors::EpisodeRecord>* rows,
                        common::Partition actors::EpisodeRecord::*member) const {
    std::vector<char> raw;
    MCMPART_RETURN_IF_ERROR(
        ReadRaw(path, H5T_NATIVE_INT16, begin, rows->size(), width_, sizeof(int16_t), &raw));
    const auto* chips = reinterpret_cast<const int16_t*>(raw.data());
    for (size_t i = 0; i < rows->size(); ++i) {
      actors::EpisodeRecord& r = (*rows)[i];
      if (r.graph < 0 || r.graph >= static_cast<int>(summary_.graphs.size())) {
        return Error("rollout row " + std::to_string(begin + static_cast<int64_t>(i)) +
                     " names graph " + std::to_string(r.graph) + ", which the file does not hold");
      }
      const size_t nodes = summary_.graphs[r.graph].node_names.size();
      const int16_t* row = chips + i * width_;
      if (std::all_of(row, row + nodes, [](int16_t c) { return c < 0; })) continue;
      (r.*member).assign(row, row + nodes);
    }
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
    // Files before per-graph hardware ran every graph on /meta/hardware.
    if (H5Lexists(file_.get(), "/meta/graph_hardware", H5P_DEFAULT) > 0) {
      MCMPART_RETURN_IF_ERROR(ReadStrings("/meta/graph_hardware", &meta.graph_hardware_texts));
    } else {
      meta.graph_hardware_texts.assign(meta.graph_names.size(), meta.hardware_text);
    }
    if (meta.graph_hardware_texts.size() != meta.graph_names.size()) {
      return Error("/meta/graph_hardware and /meta/graph_names differ in length");
    }
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

  // Caps `rows` by the length of every column; a schema-1 file may lack the columns added late in
  // that version (they read as 0).
  Status CountRows(const std::string& group, const std::vector<std::string>& columns,
                   int64_t* rows) {
    for (const std::string& name : columns) {
      const std::string path = group + name;
      const int64_t len = Extent(file_.get(), path);
      if (len < 0 && summary_.schema_version == 1 &&
          std::find(std::begin(kLateV1Columns), std::end(kLateV1Columns), path) !=
              std::end(kLateV1Columns)) {
        absent_.insert(path);
        continue;
      }
      if (len < 0) return Error("missing dataset " + path);
      *rows = std::min(*rows, len);
    }
    return Status::Ok();
  }

  // Committed rows: the /status counters, capped by what the datasets hold.
  // /imitation (RunLog::WriteImitation), when the file has it and cloning was recorded.
  Status ReadImitation() {
    uint8_t written = 0;
    if (H5Lexists(file_.get(), "/imitation", H5P_DEFAULT) <= 0) return Status::Ok();
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/written", H5T_NATIVE_UINT8, &written));
    if (written == 0) return Status::Ok();
    const size_t n = summary_.graphs.size();
    std::vector<uint8_t> cloned(n);
    std::vector<int32_t> decisions(n), forced(n);
    std::vector<double> agreement(n), throughput(n), expert(n, 0.0);
    ImitationLog& im = summary_.imitation;
    int32_t steps = 0;
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/cloned", H5T_NATIVE_UINT8, cloned.data()));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/decisions", H5T_NATIVE_INT32, decisions.data()));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/forced_steps", H5T_NATIVE_INT32, forced.data()));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/imitation/agreement", H5T_NATIVE_DOUBLE, agreement.data()));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/imitation/target_throughput", H5T_NATIVE_DOUBLE, throughput.data()));
    if (H5Lexists(file_.get(), "/imitation/expert_throughput", H5P_DEFAULT) > 0) {  // newer files
      MCMPART_RETURN_IF_ERROR(
          ReadScalar("/imitation/expert_throughput", H5T_NATIVE_DOUBLE, expert.data()));
    }
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/steps", H5T_NATIVE_INT32, &steps));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/loss", H5T_NATIVE_DOUBLE, &im.loss));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/imitation/step_ms", H5T_NATIVE_DOUBLE, &im.step_ms));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/imitation/dagger_decisions", H5T_NATIVE_INT64, &im.dagger_decisions));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/imitation/dagger_agreement", H5T_NATIVE_DOUBLE, &im.dagger_agreement));
    im.steps = steps;
    for (size_t g = 0; g < n; ++g) {
      if (!cloned[g]) continue;
      im.targets.push_back(
          {static_cast<int>(g), decisions[g], forced[g], agreement[g], throughput[g], expert[g]});
    }
    return Status::Ok();
  }

  Status ReadStatus() {
    uint8_t closed = 0;
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/status/rollout_rows", H5T_NATIVE_INT64, &summary_.num_rollouts));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/status/learner_rows", H5T_NATIVE_INT64, &summary_.num_learner_rows));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar("/status/last_flush_unix", H5T_NATIVE_DOUBLE, &summary_.last_flush_unix));
    MCMPART_RETURN_IF_ERROR(ReadScalar("/status/closed", H5T_NATIVE_UINT8, &closed));
    summary_.closed = closed != 0;
    MCMPART_RETURN_IF_ERROR(CountRows("/rollouts/",
                                      actors::StoredFieldNames(actors::kEpisodeRecordFields),
                                      &summary_.num_rollouts));
    MCMPART_RETURN_IF_ERROR(CountRows("/learner/", actors::StoredFieldNames(kLearnerRowFields),
                                      &summary_.num_learner_rows));
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
  std::set<std::string> absent_;  // columns this (schema-1) file lacks
};

}  // namespace

StatusOr<std::unique_ptr<RunReader>> RunReader::Open(const std::string& path) {
  auto reader = std::make_unique<Hdf5RunReader>(path);
  MCMPART_RETURN_IF_ERROR(reader->Open());
  return std::unique_ptr<RunReader>(std::move(reader));
}

}  // namespace mcmpart::learner
