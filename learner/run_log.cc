// HDF5 run file writer (SPEC §8): skeleton under a temp name, renamed, reopened for SWMR append.
//
// Layout (schema_version 2; every name below is a path in the file):
//   /                  attrs format = "mcmpart-run", schema_version
//   /meta              attrs seed, ranks, git_revision, start_time, command_line, evaluator;
//                      datasets config, hardware (text), graph_names, graph_groups,
//                      graph_hardware (each graph's hardware as TOML) (string lists)
//   /graphs/<g>        attrs name, index; node_names, op_types, op_classes, output_bytes,
//                      weight_bytes, macs, vector_ops, moved_bytes, latency_s, colocation_group,
//                      pin (per node), edges (E×2 src,dst), edge_bytes (per edge)
//   /rollouts/<field>  one chunked, compressed, extendible dataset per stored field of
//                      actors::kEpisodeRecordFields: 1-D, strategy as 16-byte null-padded names,
//                      proposal and partition 2-D int16 (rows × max nodes over graphs) padded
//                      with -1; attr columns (their names, in order); repair_status_names
//   /learner/<field>   one 1-D dataset per field of kLearnerRowFields; attr columns
//   /best/<g>          found, throughput, step, wall_time_s (scalars), partition (int16, nodes):
//                      fixed size, allocated up front, rewritten in place
//   /imitation         behaviour cloning before PPO (RunLog::WriteImitation): per graph
//                      cloned (u8), decisions, forced_steps (i32), agreement,
//                      target_throughput, expert_throughput (f64); scalars steps, loss, step_ms,
//                      dagger_decisions, dagger_agreement, and written (1 once recorded, its last
//                      write; 0 when nothing was cloned). Files made before it have no /imitation.
//   /status            rollout_rows, learner_rows (rows committed by the last flush),
//                      last_flush_unix, closed (1 after a clean Close)
// Version 1 had no `columns` attributes and two more /learner columns, queue_depth and log_ms.
// Rows are committed in two steps: the rows and their extents are flushed first, then the
// /status counters. A reader (or a crashed file) therefore never counts a row whose data is not
// on disk; readers use min(/status count, dataset lengths).
// SWMR cannot create objects, so everything above is created before the file is reopened with
// H5F_ACC_SWMR_WRITE; the reopen path is the same one OpenForAppend uses.
#include "learner/run_log.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "actors/repair.h"
#include "learner/hdf5_util.h"

namespace mcmpart::learner {
namespace {

using hdf5::Handle;
using hdf5::Kind;
using hdf5::KindOf;
using hdf5::KindSize;
using hdf5::kIsPartition;
using hdf5::kStrategyBytes;
using hdf5::MakeType;
using hdf5::QuietHdf5;
using hdf5::VarStringType;

using common::Status;
using common::StatusOr;

constexpr size_t kTargetChunkBytes = 1 << 20;

// Caps HDF5's metadata cache (its default may grow to 32 MiB as the chunk indexes of the
// ever-growing datasets are touched), so a long run's memory stays flat.
void BoundMetadataCache(hid_t fapl) {
  // HDF5's internal free lists keep every block they ever held unless capped (the library default).
  static const bool capped =
      H5set_free_list_limits(1 << 20, 256 << 10, 1 << 20, 256 << 10, 4 << 20, 1 << 20) >= 0;
  (void)capped;
  H5AC_cache_config_t config;
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  if (H5Pget_mdc_config(fapl, &config) < 0) return;
  config.set_initial_size = true;
  config.initial_size = 1 << 20;
  config.max_size = 2 << 20;
  config.min_size = 512 << 10;
  H5Pset_mdc_config(fapl, &config);
}

// ---- skeleton writing helpers (used before SWMR starts) ----

Status WriteAttr(hid_t obj, const char* name, Kind kind, const void* value) {
  Handle type = MakeType(kind);
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), value) < 0) {
    return Status::Error(std::string("cannot write attribute '") + name + "'");
  }
  return Status::Ok();
}

Status WriteStringAttr(hid_t obj, const char* name, const std::string& value) {
  Handle type = VarStringType();
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  const char* ptr = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &ptr) < 0) {
    return Status::Error(std::string("cannot write attribute '") + name + "'");
  }
  return Status::Ok();
}

Status WriteStringListAttr(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Handle type = VarStringType();
  hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr));
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (!attr.valid() || (!values.empty() && H5Awrite(attr.get(), type.get(), ptrs.data()) < 0)) {
    return Status::Error(std::string("cannot write attribute '") + name + "'");
  }
  return Status::Ok();
}

Status WriteStringList(hid_t loc, const char* name, const std::vector<std::string>& values) {
  Handle type = VarStringType();
  hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr));
  Handle dset(
      H5Dcreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (!dset.valid() || (!values.empty() && H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL,
                                                    H5P_DEFAULT, ptrs.data()) < 0)) {
    return Status::Error(std::string("cannot write dataset '") + name + "'");
  }
  return Status::Ok();
}

Status WriteText(hid_t loc, const char* name, const std::string& value) {
  Handle type = VarStringType();
  Handle space(H5Screate(H5S_SCALAR));
  Handle dset(
      H5Dcreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  const char* ptr = value.c_str();
  if (!dset.valid() || H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &ptr) < 0) {
    return Status::Error(std::string("cannot write dataset '") + name + "'");
  }
  return Status::Ok();
}

// A fixed-size dataset with its storage allocated now, so in-place writes under SWMR change no
// metadata. rank 0 = scalar.
Status CreateFixed(hid_t loc, const char* name, Kind kind, int rank, hsize_t size, const void* fill,
                   const void* data) {
  Handle type = MakeType(kind);
  hsize_t dims[1] = {size};
  Handle space(rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, nullptr));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS);
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  if (fill) H5Pset_fill_value(dcpl.get(), type.get(), fill);
  Handle dset(H5Dcreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!dset.valid() ||
      (data && (rank == 0 || size > 0) &&
       H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)) {
    return Status::Error(std::string("cannot write dataset '") + name + "'");
  }
  return Status::Ok();
}

template <typename T>
Status WriteVector(hid_t loc, const char* name, Kind kind, const std::vector<T>& values) {
  assert(sizeof(T) == KindSize(kind));
  return CreateFixed(loc, name, kind, 1, values.size(), nullptr, values.data());
}

// An extendible, chunked, compressed column: 1-D, or 2-D with `width` columns when width > 0.
Status CreateColumn(hid_t group, const char* name, Kind kind, hsize_t width, hsize_t chunk_rows,
                    int compression) {
  Handle type = MakeType(kind);
  const int rank = width > 0 ? 2 : 1;
  hsize_t dims[2] = {0, width};
  hsize_t maxdims[2] = {H5S_UNLIMITED, width};
  hsize_t chunk[2] = {chunk_rows, width};
  Handle space(H5Screate_simple(rank, dims, maxdims));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  bool ok = H5Pset_chunk(dcpl.get(), rank, chunk) >= 0;
  if (compression > 0) {
    if (KindSize(kind) > 1) ok = ok && H5Pset_shuffle(dcpl.get()) >= 0;
    ok = ok && H5Pset_deflate(dcpl.get(), static_cast<unsigned>(compression)) >= 0;
  }
  if (rank == 2) {
    const int16_t fill = -1;
    ok = ok && H5Pset_fill_value(dcpl.get(), H5T_NATIVE_INT16, &fill) >= 0;
  }
  Handle dset(
      H5Dcreate2(group, name, type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!ok || !dset.valid()) {
    return Status::Error(std::string("cannot create dataset '") + name + "'");
  }
  return Status::Ok();
}

// One column per stored field of `fields` (2-D ones `width` wide), and the `columns` attribute
// naming them in order.
template <typename Fields>
Status CreateColumns(hid_t group, const Fields& fields, hsize_t width, hsize_t chunk_rows,
                     int compression) {
  Status st;
  actors::ForEachField(fields, [&](const auto& field) {
    using F = std::decay_t<decltype(field)>;
    using Stored = typename F::StoredType;
    if constexpr (F::kInFile) {
      if (!st.ok()) return;
      if constexpr (kIsPartition<Stored>) {
        const hsize_t rows = std::clamp<hsize_t>(kTargetChunkBytes / (2 * width), 1, chunk_rows);
        st = CreateColumn(group, field.name, KindOf<Stored>(), width, rows, compression);
      } else {
        st = CreateColumn(group, field.name, KindOf<Stored>(), 0, chunk_rows, compression);
      }
    }
  });
  MCMPART_RETURN_IF_ERROR(st);
  return WriteStringListAttr(group, "columns", actors::StoredFieldNames(fields));
}

Handle CreateGroup(hid_t loc, const char* name) {
  return Handle(H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
}

// HDF5 names cannot contain '/' and "." is reserved; keeps names readable and unique.
std::vector<std::string> GroupNames(const std::vector<std::string>& names) {
  std::vector<std::string> groups;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string g = names[i];
    std::replace(g.begin(), g.end(), '/', '_');
    if (g.empty() || g == "." || g == "..") g = "graph" + std::to_string(i);
    while (std::find(groups.begin(), groups.end(), g) != groups.end()) g += "_" + std::to_string(i);
    groups.push_back(g);
  }
  return groups;
}

Status WriteGraph(hid_t graphs_group, const std::string& group_name, const std::string& name,
                  int index, const common::Graph& graph) {
  Handle g = CreateGroup(graphs_group, group_name.c_str());
  if (!g.valid()) return Status::Error("cannot create group /graphs/" + group_name);
  MCMPART_RETURN_IF_ERROR(WriteStringAttr(g.get(), "name", name));
  const int32_t idx = index;
  MCMPART_RETURN_IF_ERROR(WriteAttr(g.get(), "index", Kind::kI32, &idx));
  std::vector<std::string> names, ops, classes;
  std::vector<int64_t> output_bytes, weight_bytes, macs, vector_ops, moved_bytes;
  std::vector<double> latency;
  std::vector<int32_t> group, pin;
  for (const common::Node& n : graph.nodes) {
    names.push_back(n.name);
    ops.push_back(n.op);
    classes.push_back(common::OpClassName(n.op_class));
    output_bytes.push_back(n.output_bytes);
    weight_bytes.push_back(n.weight_bytes);
    macs.push_back(n.macs);
    vector_ops.push_back(n.vector_ops);
    moved_bytes.push_back(n.moved_bytes);
    latency.push_back(n.latency_s);
    group.push_back(n.colocation_group);
    pin.push_back(n.pin);
  }
  std::vector<int32_t> edges;
  std::vector<int64_t> edge_bytes;
  for (const common::Edge& e : graph.edges) {
    edges.push_back(e.src);
    edges.push_back(e.dst);
    edge_bytes.push_back(e.bytes);
  }
  const hid_t loc = g.get();
  MCMPART_RETURN_IF_ERROR(WriteStringList(loc, "node_names", names));
  MCMPART_RETURN_IF_ERROR(WriteStringList(loc, "op_types", ops));
  MCMPART_RETURN_IF_ERROR(WriteStringList(loc, "op_classes", classes));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "output_bytes", Kind::kI64, output_bytes));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "weight_bytes", Kind::kI64, weight_bytes));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "macs", Kind::kI64, macs));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "vector_ops", Kind::kI64, vector_ops));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "moved_bytes", Kind::kI64, moved_bytes));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "latency_s", Kind::kF64, latency));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "colocation_group", Kind::kI32, group));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "pin", Kind::kI32, pin));
  MCMPART_RETURN_IF_ERROR(WriteVector(loc, "edge_bytes", Kind::kI64, edge_bytes));
  {
    Handle type = MakeType(Kind::kI32);
    hsize_t dims[2] = {graph.edges.size(), 2};
    Handle space(H5Screate_simple(2, dims, nullptr));
    Handle dset(
        H5Dcreate2(loc, "edges", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!dset.valid() || (!edges.empty() && H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, edges.data()) < 0)) {
      return Status::Error("cannot write /graphs/" + group_name + "/edges");
    }
  }
  return Status::Ok();
}

// /imitation, zero-filled: RunLog::WriteImitation fills it once cloning has run.
Status CreateImitation(hid_t file, hsize_t num_graphs) {
  Handle g = CreateGroup(file, "imitation");
  if (!g.valid()) return Status::Error("cannot create group /imitation");
  const uint8_t zero_u8 = 0;
  const int32_t zero_i32 = 0;
  const int64_t zero_i64 = 0;
  const double zero = 0.0;
  MCMPART_RETURN_IF_ERROR(
      CreateFixed(g.get(), "cloned", Kind::kU8, 1, num_graphs, &zero_u8, nullptr));
  for (const char* name : {"decisions", "forced_steps"})
    MCMPART_RETURN_IF_ERROR(
        CreateFixed(g.get(), name, Kind::kI32, 1, num_graphs, &zero_i32, nullptr));
  for (const char* name : {"agreement", "target_throughput", "expert_throughput"})
    MCMPART_RETURN_IF_ERROR(CreateFixed(g.get(), name, Kind::kF64, 1, num_graphs, &zero, nullptr));
  MCMPART_RETURN_IF_ERROR(CreateFixed(g.get(), "steps", Kind::kI32, 0, 1, &zero_i32, nullptr));
  for (const char* name : {"loss", "step_ms", "dagger_agreement"})
    MCMPART_RETURN_IF_ERROR(CreateFixed(g.get(), name, Kind::kF64, 0, 1, &zero, nullptr));
  MCMPART_RETURN_IF_ERROR(
      CreateFixed(g.get(), "dagger_decisions", Kind::kI64, 0, 1, &zero_i64, nullptr));
  return CreateFixed(g.get(), "written", Kind::kU8, 0, 1, &zero_u8, nullptr);
}

Status WriteSkeleton(hid_t file, const RunMeta& meta, const std::vector<std::string>& names,
                     const std::vector<std::string>& groups,
                     const std::vector<const common::Graph*>& graphs,
                     const RunLogOptions& options) {
  MCMPART_RETURN_IF_ERROR(WriteStringAttr(file, "format", "mcmpart-run"));
  const int32_t version = kRunSchemaVersion;
  MCMPART_RETURN_IF_ERROR(WriteAttr(file, "schema_version", Kind::kI32, &version));

  Handle m = CreateGroup(file, "meta");
  if (!m.valid()) return Status::Error("cannot create group /meta");
  const uint64_t seed = meta.seed;
  const int32_t ranks = meta.ranks;
  MCMPART_RETURN_IF_ERROR(WriteAttr(m.get(), "seed", Kind::kU64, &seed));
  MCMPART_RETURN_IF_ERROR(WriteAttr(m.get(), "ranks", Kind::kI32, &ranks));
  MCMPART_RETURN_IF_ERROR(WriteStringAttr(m.get(), "git_revision", meta.git_revision));
  MCMPART_RETURN_IF_ERROR(WriteStringAttr(m.get(), "start_time", meta.start_time));
  MCMPART_RETURN_IF_ERROR(WriteStringAttr(m.get(), "command_line", meta.command_line));
  MCMPART_RETURN_IF_ERROR(WriteStringAttr(m.get(), "evaluator", meta.evaluator));
  MCMPART_RETURN_IF_ERROR(WriteText(m.get(), "config", meta.config_text));
  MCMPART_RETURN_IF_ERROR(WriteText(m.get(), "hardware", meta.hardware_text));
  MCMPART_RETURN_IF_ERROR(WriteStringList(m.get(), "graph_names", names));
  MCMPART_RETURN_IF_ERROR(WriteStringList(m.get(), "graph_groups", groups));
  MCMPART_RETURN_IF_ERROR(WriteStringList(m.get(), "graph_hardware", meta.graph_hardware_texts));

  Handle gs = CreateGroup(file, "graphs");
  Handle best = CreateGroup(file, "best");
  if (!gs.valid() || !best.valid()) return Status::Error("cannot create /graphs and /best");
  int max_nodes = 1;
  for (size_t i = 0; i < graphs.size(); ++i) {
    MCMPART_RETURN_IF_ERROR(
        WriteGraph(gs.get(), groups[i], names[i], static_cast<int>(i), *graphs[i]));
    max_nodes = std::max(max_nodes, graphs[i]->num_nodes());
    Handle b = CreateGroup(best.get(), groups[i].c_str());
    if (!b.valid()) return Status::Error("cannot create group /best/" + groups[i]);
    const uint8_t zero_u8 = 0;
    const int64_t minus_one = -1;
    const double zero = 0.0;
    const int16_t no_chip = -1;
    MCMPART_RETURN_IF_ERROR(CreateFixed(b.get(), "found", Kind::kU8, 0, 1, &zero_u8, nullptr));
    MCMPART_RETURN_IF_ERROR(CreateFixed(b.get(), "throughput", Kind::kF64, 0, 1, &zero, nullptr));
    MCMPART_RETURN_IF_ERROR(CreateFixed(b.get(), "step", Kind::kI64, 0, 1, &minus_one, nullptr));
    MCMPART_RETURN_IF_ERROR(CreateFixed(b.get(), "wall_time_s", Kind::kF64, 0, 1, &zero, nullptr));
    MCMPART_RETURN_IF_ERROR(CreateFixed(b.get(), "partition", Kind::kI16, 1,
                                        static_cast<hsize_t>(graphs[i]->num_nodes()), &no_chip,
                                        nullptr));
  }

  MCMPART_RETURN_IF_ERROR(CreateImitation(file, static_cast<hsize_t>(graphs.size())));

  const hsize_t chunk_rows = static_cast<hsize_t>(std::max(1, options.chunk_rows));
  Handle r = CreateGroup(file, "rollouts");
  if (!r.valid()) return Status::Error("cannot create group /rollouts");
  MCMPART_RETURN_IF_ERROR(CreateColumns(r.get(), actors::kEpisodeRecordFields,
                                        static_cast<hsize_t>(max_nodes), chunk_rows,
                                        options.compression));
  std::vector<std::string> status_names;
  for (std::string_view name : actors::kRepairStatusNames) status_names.emplace_back(name);
  MCMPART_RETURN_IF_ERROR(WriteStringList(r.get(), "repair_status_names", status_names));

  Handle l = CreateGroup(file, "learner");
  if (!l.valid()) return Status::Error("cannot create group /learner");
  MCMPART_RETURN_IF_ERROR(
      CreateColumns(l.get(), kLearnerRowFields, 0, chunk_rows, options.compression));

  Handle st = CreateGroup(file, "status");
  if (!st.valid()) return Status::Error("cannot create group /status");
  const int64_t zero_rows = 0;
  const double zero_time = 0.0;
  const uint8_t not_closed = 0;
  MCMPART_RETURN_IF_ERROR(
      CreateFixed(st.get(), "rollout_rows", Kind::kI64, 0, 1, &zero_rows, &zero_rows));
  MCMPART_RETURN_IF_ERROR(
      CreateFixed(st.get(), "learner_rows", Kind::kI64, 0, 1, &zero_rows, &zero_rows));
  MCMPART_RETURN_IF_ERROR(
      CreateFixed(st.get(), "last_flush_unix", Kind::kF64, 0, 1, &zero_time, &zero_time));
  MCMPART_RETURN_IF_ERROR(
      CreateFixed(st.get(), "closed", Kind::kU8, 0, 1, &not_closed, &not_closed));
  return Status::Ok();
}

// ---- the SWMR writer ----

// One extendible dataset and the rows buffered for it.
struct Column {
  Handle dset;
  Kind kind = Kind::kF64;
  hsize_t width = 0;  // 0 = 1-D
  std::vector<unsigned char> buffer;

  template <typename T>
  void Put(T value) {
    assert(sizeof(T) == KindSize(kind));
    const auto* p = reinterpret_cast<const unsigned char*>(&value);
    buffer.insert(buffer.end(), p, p + sizeof(T));
  }

  // One row's value of a field the file stores as `Stored`.
  template <typename Stored, typename Member>
  void Append(const Member& value) {
    if constexpr (std::is_same_v<Stored, actors::StrategyId>) {
      char name[kStrategyBytes] = {};
      const std::string_view n = actors::StrategyName(value);
      std::memcpy(name, n.data(), n.size());
      buffer.insert(buffer.end(), name, name + kStrategyBytes);
    } else if constexpr (kIsPartition<Stored>) {
      for (hsize_t v = 0; v < width; ++v) {
        Put<int16_t>(v < value.size() ? static_cast<int16_t>(value[v]) : int16_t{-1});
      }
    } else {
      Put<Stored>(static_cast<Stored>(value));
    }
  }
};

struct Table {
  std::string group;
  std::vector<Column> columns;  // one per stored field of the table's field list, in order
  int64_t written = 0;          // rows handed to HDF5
  int64_t buffered = 0;         // rows in Column::buffer
  int64_t total() const { return written + buffered; }

  // Buffers one row: every stored field of `fields`.
  template <typename Row, typename Fields>
  void Buffer(const Row& row, const Fields& fields) {
    size_t i = 0;
    actors::ForEachField(fields, [&](const auto& field) {
      using F = std::decay_t<decltype(field)>;
      if constexpr (F::kInFile) columns[i++].Append<typename F::StoredType>(row.*field.member);
    });
    assert(i == columns.size());
    ++buffered;
  }
};

Status ReadScalar(hid_t file, const char* path, hid_t mem_type, void* out) {
  Handle d(H5Dopen2(file, path, H5P_DEFAULT));
  if (!d.valid() || H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    return Status::Error(std::string("cannot read ") + path);
  }
  return Status::Ok();
}

Status WriteScalar(hid_t file, const char* path, hid_t mem_type, const void* value) {
  Handle d(H5Dopen2(file, path, H5P_DEFAULT));
  if (!d.valid() || H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0) {
    return Status::Error(std::string("cannot write ") + path);
  }
  return Status::Ok();
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class Hdf5RunLog : public RunLog {
 public:
  Hdf5RunLog(std::string path, RunLogOptions options) : path_(std::move(path)), options_(options) {}

  ~Hdf5RunLog() override {
    if (!closed_) {
      Status ignored = Close();
      (void)ignored;
    }
  }

  // Opens an existing run file for SWMR append; rows continue after the last committed one.
  // `recover`: a file whose writer was killed still carries the "open for writing" flags in its
  // superblock; clear them (what `h5clear -s` does) when the plain open fails.
  Status Open(bool recover) {
    QuietHdf5 quiet;
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    BoundMetadataCache(fapl.get());
    file_.Reset(H5Fopen(path_.c_str(), H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE, fapl.get()));
    if (!file_.valid() && recover) {
      hbool_t clear = true;
      // A private but registered file-access property (HDF5 1.10's h5clear sets it the same way).
      if (H5Pset(fapl.get(), "clear_status_flags", &clear) >= 0) {
        file_.Reset(H5Fopen(path_.c_str(), H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE, fapl.get()));
      }
    }
    if (!file_.valid()) {
      return Error("cannot open for appending (missing, not an HDF5 run file, or not writable)");
    }
    int32_t version = 0;
    Handle attr(H5Aopen(file_.get(), "schema_version", H5P_DEFAULT));
    if (!attr.valid() || H5Aread(attr.get(), H5T_NATIVE_INT32, &version) < 0) {
      return Error("not an mcmpart run file (no schema_version attribute)");
    }
    if (version != kRunSchemaVersion) {
      return Error("schema_version " + std::to_string(version) +
                   " cannot be appended to (this build writes version " +
                   std::to_string(kRunSchemaVersion) + ")");
    }
    MCMPART_RETURN_IF_ERROR(ReadLayout());
    rollouts_.group = "/rollouts/";
    MCMPART_RETURN_IF_ERROR(OpenColumns(&rollouts_, actors::kEpisodeRecordFields));
    learner_.group = "/learner/";
    MCMPART_RETURN_IF_ERROR(OpenColumns(&learner_, kLearnerRowFields));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar(file_.get(), "/status/rollout_rows", H5T_NATIVE_INT64, &rollouts_.written)
            .WithContext(path_));
    MCMPART_RETURN_IF_ERROR(
        ReadScalar(file_.get(), "/status/learner_rows", H5T_NATIVE_INT64, &learner_.written)
            .WithContext(path_));
    const uint8_t open_flag = 0;
    MCMPART_RETURN_IF_ERROR(WriteScalar(file_.get(), "/status/closed", H5T_NATIVE_UINT8, &open_flag)
                                .WithContext(path_));
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) return Error("cannot flush");
    opened_ = true;
    last_flush_ = std::chrono::steady_clock::now();
    if (options_.flush_interval_s > 0) flusher_ = std::thread([this] { FlushLoop(); });
    return Status::Ok();
  }

  Status AppendRollout(const actors::EpisodeRecord& row) override {
    std::lock_guard<std::mutex> lock(mu_);
    MCMPART_RETURN_IF_ERROR(CheckUsable());
    MCMPART_RETURN_IF_ERROR(CheckRollout(row));
    rollouts_.Buffer(row, actors::kEpisodeRecordFields);
    return AfterAppend(&rollouts_);
  }

  Status AppendLearner(const LearnerRow& row) override {
    std::lock_guard<std::mutex> lock(mu_);
    MCMPART_RETURN_IF_ERROR(CheckUsable());
    learner_.Buffer(row, kLearnerRowFields);
    return AfterAppend(&learner_);
  }

  Status UpdateBest(int graph, const common::Partition& partition, double throughput, int64_t step,
                    double wall_time_s) override {
    std::lock_guard<std::mutex> lock(mu_);
    MCMPART_RETURN_IF_ERROR(CheckUsable());
    if (graph < 0 || graph >= static_cast<int>(graph_nodes_.size())) {
      return Error("best partition: graph index " + std::to_string(graph) + " out of range");
    }
    if (static_cast<int>(partition.size()) != graph_nodes_[graph]) {
      return Error("best partition for graph " + std::to_string(graph) + " has " +
                   std::to_string(partition.size()) + " nodes, expected " +
                   std::to_string(graph_nodes_[graph]));
    }
    std::vector<int16_t> chips;
    for (int chip : partition) {
      if (chip < 0 || chip > INT16_MAX) {
        return Error("best partition: chip " + std::to_string(chip) + " out of range");
      }
      chips.push_back(static_cast<int16_t>(chip));
    }
    QuietHdf5 quiet;
    const std::string base = "/best/" + graph_groups_[graph] + "/";
    const uint8_t found = 1;
    // Partition first, `found` last: a reader that sees found = 1 sees a whole partition.
    Status st =
        WriteScalar(file_.get(), (base + "partition").c_str(), H5T_NATIVE_INT16, chips.data());
    if (st.ok()) {
      st = WriteScalar(file_.get(), (base + "throughput").c_str(), H5T_NATIVE_DOUBLE, &throughput);
    }
    if (st.ok()) st = WriteScalar(file_.get(), (base + "step").c_str(), H5T_NATIVE_INT64, &step);
    if (st.ok()) {
      st =
          WriteScalar(file_.get(), (base + "wall_time_s").c_str(), H5T_NATIVE_DOUBLE, &wall_time_s);
    }
    if (st.ok()) st = WriteScalar(file_.get(), (base + "found").c_str(), H5T_NATIVE_UINT8, &found);
    if (!st.ok()) return Fail(st);
    best_[graph] = throughput;
    dirty_ = true;
    return Status::Ok();
  }

  Status WriteImitation(const ImitationLog& im) override {
    std::lock_guard<std::mutex> lock(mu_);
    MCMPART_RETURN_IF_ERROR(CheckUsable());
    const size_t n = graph_groups_.size();
    std::vector<uint8_t> cloned(n, 0);
    std::vector<int32_t> decisions(n, 0), forced(n, 0);
    std::vector<double> agreement(n, 0.0), throughput(n, 0.0), expert(n, 0.0);
    for (const ImitationSummary& t : im.targets) {
      if (t.graph < 0 || t.graph >= static_cast<int>(n)) {
        return Error("imitation: graph index " + std::to_string(t.graph) + " out of range");
      }
      cloned[t.graph] = 1;
      decisions[t.graph] = t.decisions;
      forced[t.graph] = t.forced_steps;
      agreement[t.graph] = t.agreement;
      throughput[t.graph] = t.throughput;
      expert[t.graph] = t.expert_throughput;
    }
    const int32_t steps = im.steps;
    const uint8_t written = 1;
    QuietHdf5 quiet;
    const hid_t f = file_.get();
    // Everything first, `written` last: a reader that sees written = 1 sees it all.
    Status st = WriteScalar(f, "/imitation/cloned", H5T_NATIVE_UINT8, cloned.data());
    if (st.ok()) st = WriteScalar(f, "/imitation/decisions", H5T_NATIVE_INT32, decisions.data());
    if (st.ok()) st = WriteScalar(f, "/imitation/forced_steps", H5T_NATIVE_INT32, forced.data());
    if (st.ok()) st = WriteScalar(f, "/imitation/agreement", H5T_NATIVE_DOUBLE, agreement.data());
    if (st.ok()) {
      st = WriteScalar(f, "/imitation/target_throughput", H5T_NATIVE_DOUBLE, throughput.data());
    }
    if (st.ok()) {
      st = WriteScalar(f, "/imitation/expert_throughput", H5T_NATIVE_DOUBLE, expert.data());
    }
    if (st.ok()) st = WriteScalar(f, "/imitation/steps", H5T_NATIVE_INT32, &steps);
    if (st.ok()) st = WriteScalar(f, "/imitation/loss", H5T_NATIVE_DOUBLE, &im.loss);
    if (st.ok()) st = WriteScalar(f, "/imitation/step_ms", H5T_NATIVE_DOUBLE, &im.step_ms);
    if (st.ok()) {
      st = WriteScalar(f, "/imitation/dagger_decisions", H5T_NATIVE_INT64, &im.dagger_decisions);
    }
    if (st.ok()) {
      st = WriteScalar(f, "/imitation/dagger_agreement", H5T_NATIVE_DOUBLE, &im.dagger_agreement);
    }
    if (st.ok()) st = WriteScalar(f, "/imitation/written", H5T_NATIVE_UINT8, &written);
    if (!st.ok()) return Fail(st);
    dirty_ = true;
    return Status::Ok();
  }

  Status Flush() override {
    std::lock_guard<std::mutex> lock(mu_);
    MCMPART_RETURN_IF_ERROR(CheckUsable());
    return FlushLocked();
  }

  Status Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return Error("already closed");
      stop_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    if (!opened_) {  // Open() failed: leave the file as it was
      rollouts_.columns.clear();
      learner_.columns.clear();
      file_.Reset();
      return error_;
    }
    Status st = error_.ok() ? FlushLocked() : error_;
    QuietHdf5 quiet;
    if (st.ok()) {
      const uint8_t closed = 1;
      st = WriteScalar(file_.get(), "/status/closed", H5T_NATIVE_UINT8, &closed).WithContext(path_);
    }
    rollouts_.columns.clear();
    learner_.columns.clear();
    if (H5Fclose(file_.Release()) < 0 && st.ok()) st = Error("cannot close");
    return st;
  }

  int64_t num_rollouts() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return rollouts_.total();
  }
  double best_throughput(int graph) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return graph >= 0 && graph < static_cast<int>(best_.size()) ? best_[graph] : 0.0;
  }

  int64_t num_learner_rows() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return learner_.total();
  }

 private:
  Status Error(const std::string& message) const {
    return Status::Error("run file '" + path_ + "': " + message);
  }

  // Records a write failure: the file is left as of its last flush and later calls fail too.
  Status Fail(const Status& st) {
    if (error_.ok()) error_ = st.WithContext("run file '" + path_ + "'");
    return error_;
  }

  Status CheckUsable() const {
    if (closed_) return Error("already closed");
    return error_;
  }

  // A row the file can store: a graph index of the file, a known strategy, partitions of the
  // graph's size (or empty) with chips in the stored range.
  Status CheckRollout(const actors::EpisodeRecord& row) const {
    const std::string where = "rollout step " + std::to_string(row.step) + ": ";
    if (row.graph < 0 || row.graph >= static_cast<int>(graph_nodes_.size())) {
      return Error(where + "graph index " + std::to_string(row.graph) + " out of range (file has " +
                   std::to_string(graph_nodes_.size()) + " graphs)");
    }
    if (actors::StrategyName(row.strategy).empty()) {
      return Error(where + "strategy id " + std::to_string(static_cast<int>(row.strategy)) +
                   " is no known strategy");
    }
    Status st;
    actors::ForEachField(actors::kEpisodeRecordFields, [&](const auto& field) {
      if constexpr (kIsPartition<typename std::decay_t<decltype(field)>::StoredType>) {
        const common::Partition& p = row.*field.member;
        if (!st.ok() || p.empty()) return;
        if (static_cast<int>(p.size()) != graph_nodes_[row.graph]) {
          st = Error(where + field.name + " of " + std::to_string(p.size()) + " nodes for graph " +
                     std::to_string(row.graph) + " with " +
                     std::to_string(graph_nodes_[row.graph]) + " nodes");
          return;
        }
        for (int chip : p) {
          if (chip < -1 || chip > INT16_MAX) {
            st = Error(where + "chip " + std::to_string(chip) + " in " + field.name +
                       " outside the stored range -1..32767");
            return;
          }
        }
      }
    });
    return st;
  }

  Status ReadLayout() {
    Handle d(H5Dopen2(file_.get(), "/meta/graph_groups", H5P_DEFAULT));
    if (!d.valid()) return Error("not an mcmpart run file (no /meta/graph_groups)");
    Handle space(H5Dget_space(d.get()));
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space.get(), &n, nullptr);
    Handle type = VarStringType();
    std::vector<char*> ptrs(n, nullptr);
    if (n > 0 && H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
      return Error("cannot read /meta/graph_groups");
    }
    for (char* p : ptrs) graph_groups_.push_back(p ? p : "");
    if (n > 0) H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, ptrs.data());
    for (const std::string& g : graph_groups_) {
      Handle b(H5Dopen2(file_.get(), ("/best/" + g + "/partition").c_str(), H5P_DEFAULT));
      if (!b.valid()) return Error("missing /best/" + g + "/partition");
      Handle bs(H5Dget_space(b.get()));
      hsize_t nodes = 0;
      H5Sget_simple_extent_dims(bs.get(), &nodes, nullptr);
      graph_nodes_.push_back(static_cast<int>(nodes));
      uint8_t found = 0;
      double throughput = 0;
      const std::string base = "/best/" + g + "/";
      MCMPART_RETURN_IF_ERROR(
          ReadScalar(file_.get(), (base + "found").c_str(), H5T_NATIVE_UINT8, &found));
      if (found) {
        MCMPART_RETURN_IF_ERROR(
            ReadScalar(file_.get(), (base + "throughput").c_str(), H5T_NATIVE_DOUBLE, &throughput));
      }
      best_.push_back(throughput);
    }
    return Status::Ok();
  }

  // Columns are appended a whole chunk at a time, so each dataset's chunk cache only needs room
  // for the one chunk a flush leaves partly written. HDF5's cache is per dataset and never
  // shrinks: sized generously it grows by megabytes per column over a long run.
  Status OpenColumn(Table* table, const char* name, Kind kind) {
    const std::string full = table->group + name;
    Column col;
    col.kind = kind;
    size_t chunk_bytes = kTargetChunkBytes;
    {
      Handle probe(H5Dopen2(file_.get(), full.c_str(), H5P_DEFAULT));
      if (!probe.valid()) return Error("missing dataset " + full);
      Handle dcpl(H5Dget_create_plist(probe.get()));
      hsize_t chunk[2] = {0, 1};
      const int rank = H5Pget_chunk(dcpl.get(), 2, chunk);
      if (rank >= 1) chunk_bytes = chunk[0] * (rank == 2 ? chunk[1] : 1) * KindSize(kind);
    }
    Handle dapl(H5Pcreate(H5P_DATASET_ACCESS));
    H5Pset_chunk_cache(dapl.get(), 5, 2 * chunk_bytes, 1.0);
    col.dset.Reset(H5Dopen2(file_.get(), full.c_str(), dapl.get()));
    if (!col.dset.valid()) return Error("missing dataset " + full);
    Handle space(H5Dget_space(col.dset.get()));
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    col.width = rank == 2 ? dims[1] : 0;
    table->columns.push_back(std::move(col));
    return Status::Ok();
  }

  template <typename Fields>
  Status OpenColumns(Table* table, const Fields& fields) {
    Status st;
    actors::ForEachField(fields, [&](const auto& field) {
      using F = std::decay_t<decltype(field)>;
      if constexpr (F::kInFile) {
        if (st.ok()) st = OpenColumn(table, field.name, KindOf<typename F::StoredType>());
      }
    });
    return st;
  }

  Status AfterAppend(Table* table) {
    dirty_ = true;
    const bool due =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count() >=
        options_.flush_interval_s;
    if (due) return FlushLocked();
    if (table->buffered >= std::max(1, options_.chunk_rows)) {
      QuietHdf5 quiet;
      Status st = WriteBuffered(table);
      if (!st.ok()) return Fail(st);
    }
    return Status::Ok();
  }

  // Hands buffered rows to HDF5 (extends every dataset of the table and writes the new rows).
  Status WriteBuffered(Table* table) {
    if (table->buffered == 0) return Status::Ok();
    const hsize_t start = static_cast<hsize_t>(table->written);
    const hsize_t count = static_cast<hsize_t>(table->buffered);
    for (Column& col : table->columns) {
      const int rank = col.width > 0 ? 2 : 1;
      hsize_t dims[2] = {start + count, col.width};
      hsize_t offset[2] = {start, 0};
      hsize_t block[2] = {count, col.width};
      Handle type = MakeType(col.kind);
      if (H5Dset_extent(col.dset.get(), dims) < 0) {
        return Status::Error("cannot extend " + table->group);
      }
      Handle file_space(H5Dget_space(col.dset.get()));
      Handle mem_space(H5Screate_simple(rank, block, nullptr));
      const bool selected = H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset, nullptr,
                                                block, nullptr) >= 0;
      if (!selected || H5Dwrite(col.dset.get(), type.get(), mem_space.get(), file_space.get(),
                                H5P_DEFAULT, col.buffer.data()) < 0) {
        return Status::Error("cannot write rows to " + table->group);
      }
      col.buffer.clear();
    }
    table->written += table->buffered;
    table->buffered = 0;
    return Status::Ok();
  }

  // Rows and extents reach the disk first, then the /status counters that commit them.
  Status FlushLocked() {
    QuietHdf5 quiet;
    Status st = WriteBuffered(&rollouts_);
    if (st.ok()) st = WriteBuffered(&learner_);
    if (st.ok() && H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) st = Status::Error("cannot flush");
    const double now = UnixNow();
    if (st.ok()) {
      st = WriteScalar(file_.get(), "/status/rollout_rows", H5T_NATIVE_INT64, &rollouts_.written);
    }
    if (st.ok()) {
      st = WriteScalar(file_.get(), "/status/learner_rows", H5T_NATIVE_INT64, &learner_.written);
    }
    if (st.ok()) st = WriteScalar(file_.get(), "/status/last_flush_unix", H5T_NATIVE_DOUBLE, &now);
    if (st.ok() && H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) st = Status::Error("cannot flush");
    if (!st.ok()) return Fail(st);
    last_flush_ = std::chrono::steady_clock::now();
    dirty_ = false;
    return Status::Ok();
  }

  // Periodic flush so rows reach the disk while the owner thread is busy elsewhere.
  void FlushLoop() {
    const auto interval = std::chrono::duration<double>(options_.flush_interval_s);
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      wake_.wait_until(
          lock,
          last_flush_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval));
      if (stop_) break;
      const bool due = std::chrono::steady_clock::now() - last_flush_ >= interval;
      if (due && dirty_ && error_.ok()) {
        Status ignored = FlushLocked();  // kept in error_ and returned by the next call
        (void)ignored;
      } else if (due) {
        last_flush_ = std::chrono::steady_clock::now();
      }
    }
  }

  const std::string path_;
  const RunLogOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::thread flusher_;
  bool stop_ = false;
  bool opened_ = false;
  bool closed_ = false;
  bool dirty_ = false;
  Status error_;
  Handle file_;
  std::vector<std::string> graph_groups_;
  std::vector<int> graph_nodes_;
  std::vector<double> best_;  // per graph: throughput of /best/<g> (0 = none yet)
  Table rollouts_, learner_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace

StatusOr<std::unique_ptr<RunLog>> RunLog::Create(const std::string& path, const RunMeta& meta,
                                                 const std::vector<const common::Graph*>& graphs,
                                                 const RunLogOptions& options) {
  const std::string where = "run file '" + path + "'";
  if (graphs.empty()) return Status::Error(where + ": no graphs given");
  std::vector<std::string> names = meta.graph_names;
  if (names.empty()) {
    for (const common::Graph* g : graphs) names.push_back(g->name);
  }
  if (names.size() != graphs.size()) {
    return Status::Error(where + ": " + std::to_string(names.size()) + " graph names for " +
                         std::to_string(graphs.size()) + " graphs");
  }
  RunMeta full_meta = meta;
  if (full_meta.graph_hardware_texts.empty())
    full_meta.graph_hardware_texts.assign(names.size(), meta.hardware_text);
  if (full_meta.graph_hardware_texts.size() != names.size()) {
    return Status::Error(where + ": " + std::to_string(full_meta.graph_hardware_texts.size()) +
                         " graph hardware configs for " + std::to_string(names.size()) + " graphs");
  }
  if (options.compression < 0 || options.compression > 9) {
    return Status::Error(where + ": compression level " + std::to_string(options.compression) +
                         " outside 0..9");
  }
  if (options.compression > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
    return Status::Error(where + ": this HDF5 library has no deflate filter (set compression 0)");
  }
  const std::vector<std::string> groups = GroupNames(names);
  const std::string temp = path + ".tmp-" + std::to_string(getpid());
  {
    QuietHdf5 quiet;
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    Handle file(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
    if (!file.valid()) {
      return Status::Error(where + ": cannot create (does the folder exist and is it writable?)");
    }
    Status st = WriteSkeleton(file.get(), full_meta, names, groups, graphs, options);
    const bool closed = H5Fclose(file.Release()) >= 0;
    if (st.ok() && !closed) st = Status::Error("cannot close");
    if (!st.ok()) {
      std::remove(temp.c_str());
      return st.WithContext(where);
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return Status::Error(where + ": cannot rename " + temp + " to it");
  }
  auto log = std::make_unique<Hdf5RunLog>(path, options);
  MCMPART_RETURN_IF_ERROR(log->Open(/*recover=*/false));
  return std::unique_ptr<RunLog>(std::move(log));
}

StatusOr<std::unique_ptr<RunLog>> RunLog::OpenForAppend(const std::string& path,
                                                        const RunLogOptions& options) {
  if (access(path.c_str(), W_OK) != 0) {
    return Status::Error("run file '" + path +
                         "': cannot open for appending (missing or not writable)");
  }
  auto log = std::make_unique<Hdf5RunLog>(path, options);
  MCMPART_RETURN_IF_ERROR(log->Open(/*recover=*/true));
  return std::unique_ptr<RunLog>(std::move(log));
}

}  // namespace mcmpart::learner
