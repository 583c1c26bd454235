// Bad input on every input path of the CLI (SPEC §9): one message naming the file/field, exit 2,
// no crash and no output file left behind.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/run_cli.h"

namespace mcmpart {
namespace {

using testing::CliResult;
using testing::RunCli;

const std::string kData = MCMPART_TEST_DATA_DIR;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Four nodes in a diamond; fits on one chip of any preset.
constexpr const char* kDiamond = R"({"format": "mcmpart-graph", "version": 1, "name": "diamond",
  "nodes": [{"name": "a", "op": "Input", "class": "input", "output_bytes": 64},
            {"name": "b", "op": "Relu", "class": "vector", "output_bytes": 64, "vector_ops": 16},
            {"name": "c", "op": "Relu", "class": "vector", "output_bytes": 64, "vector_ops": 16},
            {"name": "d", "op": "Add", "class": "vector", "output_bytes": 64, "vector_ops": 16}],
  "edges": [{"src": 0, "dst": 1}, {"src": 0, "dst": 2}, {"src": 1, "dst": 3}, {"src": 2, "dst": 3}]})";

// A diamond graph with one node replaced by `node` (JSON text) and the edges given.
std::string GraphWith(const std::string& node_b, const std::string& edges) {
  return R"({"format": "mcmpart-graph", "version": 1, "name": "g", "nodes": [
      {"name": "a", "op": "Input", "class": "input", "output_bytes": 64}, )" +
         node_b + R"(,
      {"name": "c", "op": "Relu", "class": "vector", "output_bytes": 64}],
      "edges": )" +
         edges + "}";
}
const std::string kChainEdges = R"([{"src": 0, "dst": 1}, {"src": 1, "dst": 2}])";
const std::string kReluB = R"({"name": "b", "op": "Relu", "class": "vector", "output_bytes": 64})";

std::string DnnGraph(const std::string& max_fpgas, const std::string& size) {
  return R"({"maxFPGAs": )" + max_fpgas + R"(, "maxCPUs": 0, "maxSizePerFPGA": 1000000,
      "nodes": [{"id": 0, "fpgaLatency": 1.0, "size": )" +
         size + R"(},
                {"id": 1, "fpgaLatency": 2.0, "size": 10}],
      "edges": [{"sourceId": 0, "destId": 1, "cost": 0.1, "size": 5}]})";
}

class RobustnessCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mcmpart_robust_XXXXXX";
    dir_ = mkdtemp(tmpl);
    graph_ = Write("diamond.json", kDiamond);
    partition_ = Write("p.json", R"({"assignment": [0, 0, 0, 0]})");
    out_ = dir_ + "/out.file";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string Truncated(const std::string& name, const std::string& source_path) {
    const std::string bytes = testing::Slurp(source_path);
    return Write(name, bytes.substr(0, bytes.size() / 2));
  }

  // Runs `args`, expects one clean bad-input message containing `needle`, and that `out` (if
  // given) was not created.
  void ExpectBadInput(const std::string& args, const std::string& needle,
                      const std::string& out = "", const std::string& prefix = "") {
    SCOPED_TRACE(args);
    if (!out.empty()) std::remove(out.c_str());
    const CliResult r = RunCli(args, prefix);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err_lines(), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
    for (const char* crash : {"terminate", "Abort", "abort", "Segmentation", "Sanitizer", "#0 ",
                              "what():", "core dumped"}) {
      EXPECT_EQ(r.err.find(crash), std::string::npos) << r.err;
    }
    if (!out.empty()) {
      EXPECT_FALSE(Exists(out)) << out << " was left behind";
    }
    // Nor a temporary file of the atomic writers.
    if (DIR* d = opendir(dir_.c_str())) {
      while (const dirent* e = readdir(d)) {
        EXPECT_EQ(std::string(e->d_name).find(".tmp."), std::string::npos) << e->d_name;
      }
      closedir(d);
    }
  }

  // Import and simulate --graph on one bad graph file.
  void ExpectBadGraph(const std::string& path, const std::string& needle) {
    ExpectBadInput("import " + path + " -o " + out_, needle, out_);
    ExpectBadInput("simulate --graph " + path + " --partition " + partition_ + " --trace " + out_,
                   needle, out_);
  }

  // `train` validates its inputs before MPI starts, so a bad input fails without mpirun.
  void ExpectBadTrain(const std::string& args, const std::string& needle) {
    ExpectBadInput("train --graph " + graph_ + " --out " + out_ + " " + args, needle, out_);
  }

  std::string dir_, graph_, partition_, out_;
};

TEST_F(RobustnessCli, ValidInputsPass) {
  // The baseline every bad case below changes one thing of.
  const CliResult sim =
      RunCli("simulate --graph " + graph_ + " --partition " + partition_ + " --json");
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
  const CliResult imp = RunCli("import " + graph_ + " -o " + out_);
  EXPECT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_TRUE(Exists(out_));
  std::remove(out_.c_str());
  // Valid train inputs get as far as the launcher check.
  ExpectBadTrain("", "mpirun");
}

TEST_F(RobustnessCli, GraphJson) {
  ExpectBadGraph(dir_ + "/missing.json", "missing.json");
  ExpectBadGraph(Write("empty.json", ""), "empty.json");
  ExpectBadGraph(Truncated("truncated.json", graph_), "truncated.json");
  ExpectBadGraph(Write("array.json", "[1, 2, 3]"), "array.json");
  ExpectBadGraph(Write("nodes_object.json",
                       R"({"format": "mcmpart-graph", "version": 1, "nodes": {}, "edges": []})"),
                 "'nodes'");
  ExpectBadGraph(
      Write("wrong_type.json",
            GraphWith(R"({"name": "b", "op": "Relu", "class": "vector", "output_bytes": "64"})",
                      kChainEdges)),
      "output_bytes");
  ExpectBadGraph(
      Write("negative.json",
            GraphWith(R"({"name": "b", "op": "Relu", "class": "vector", "output_bytes": -4})",
                      kChainEdges)),
      "'b'");
  ExpectBadGraph(
      Write("huge_bytes.json",
            GraphWith(R"({"name": "b", "op": "Relu", "class": "vector", "output_bytes": 1e30})",
                      kChainEdges)),
      "output_bytes");
  // JSON has no NaN literal; 1e400 overflows to infinity in the parser.
  ExpectBadGraph(
      Write(
          "inf.json",
          GraphWith(
              R"({"name": "b", "op": "X", "class": "given", "output_bytes": 4, "latency_s": 1e400})",
              kChainEdges)),
      "1e400");
  ExpectBadGraph(
      Write(
          "nan.json",
          GraphWith(
              R"({"name": "b", "op": "X", "class": "given", "output_bytes": 4, "latency_s": NaN})",
              kChainEdges)),
      "nan.json");
  ExpectBadGraph(
      Write("cycle.json",
            GraphWith(kReluB,
                      R"([{"src": 0, "dst": 1}, {"src": 1, "dst": 2}, {"src": 2, "dst": 1}])")),
      "cycle");
  ExpectBadGraph(Write("self_loop.json", GraphWith(kReluB, R"([{"src": 1, "dst": 1}])")),
                 "self-loop");
  ExpectBadGraph(
      Write("dup_name.json",
            GraphWith(R"({"name": "a", "op": "Relu", "class": "vector", "output_bytes": 64})",
                      kChainEdges)),
      "duplicate node name 'a'");
  ExpectBadGraph(Write("dangling.json", GraphWith(kReluB, R"([{"src": 0, "dst": 1000000000000}])")),
                 "edge 0");
  ExpectBadGraph(
      Write("pin.json",
            GraphWith(
                R"({"name": "b", "op": "Relu", "class": "vector", "output_bytes": 4, "pin": 1e12})",
                kChainEdges)),
      "pin");
  ExpectBadGraph(Write("version.json",
                       R"({"format": "mcmpart-graph", "version": 99, "nodes": [], "edges": []})"),
                 "version 99");
  ExpectBadGraph(Write("no_nodes.json",
                       R"({"format": "mcmpart-graph", "version": 1, "nodes": [], "edges": []})"),
                 "no nodes");
}

TEST_F(RobustnessCli, BuiltinGraphSizes) {
  ExpectBadInput("import bert:layers=1000000000000 -o " + out_, "layers", out_);
  ExpectBadInput("import bert:layers=-3 -o " + out_, "layers", out_);
  ExpectBadInput("import bert:hidden=nan -o " + out_, "hidden", out_);
  ExpectBadInput("import bert:layers=1024,hidden=1048576,heads=1,seq=1048576 -o " + out_,
                 "absurd sizes", out_);
  ExpectBadInput("import synth:chain:nodes=1000000000000 -o " + out_, "nodes", out_);
  ExpectBadTrain("--graph bert:seq=0", "seq");
}

TEST_F(RobustnessCli, Onnx) {
  const std::string model = kData + "/onnx/tiny_cnn_params.onnx";
  ExpectBadGraph(dir_ + "/missing.onnx", "missing.onnx");
  ExpectBadGraph(Write("empty.onnx", ""), "empty.onnx");
  ExpectBadGraph(Truncated("truncated.onnx", model), "truncated.onnx");
  ExpectBadGraph(Write("junk.onnx", std::string("\x08\x07\x12\xff\xff\xff\xff\x0f junk", 14)),
                 "junk.onnx");
  ExpectBadGraph(Write("text.onnx", kDiamond), "text.onnx");
  ExpectBadGraph(kData + "/onnx/cycle.onnx", "cycle");
  ExpectBadGraph(kData + "/onnx/symbolic_dim.onnx", "static shape");
  ExpectBadInput("import --strict " + kData + "/onnx/unknown_op.onnx -o " + out_, "unknown_op.onnx",
                 out_);
}

TEST_F(RobustnessCli, DnnPartitioningJson) {
  const std::string tiny = kData + "/dnn/tiny.json";
  ExpectBadGraph(Truncated("truncated.json", tiny), "truncated.json");
  ExpectBadGraph(Write("k_huge.json", DnnGraph("1000000", "10")), "maxFPGAs");
  ExpectBadGraph(Write("k_zero.json", DnnGraph("0", "10")), "maxFPGAs");
  ExpectBadGraph(Write("k_string.json", DnnGraph("\"4\"", "10")), "maxFPGAs");
  ExpectBadGraph(Write("size_huge.json", DnnGraph("4", "1e30")), "size");
  ExpectBadGraph(Write("size_inf.json", DnnGraph("4", "1e400")), "size");
  ExpectBadGraph(Write("size_negative.json", DnnGraph("4", "-1")), "size");
  ExpectBadGraph(kData + "/dnn/duplicate_id.json", "duplicate node id");
  ExpectBadGraph(kData + "/dnn/cycle.json", "cycle");
  ExpectBadGraph(kData + "/dnn/unknown_edge_id.json", "not in 'nodes'");
  // Inconsistent K: --hw from-graph builds maxFPGAs chips, more than any MCM here has.
  const std::string k300 = Write("k300.json", DnnGraph("300", "10"));
  ExpectBadInput("simulate --hw from-graph --graph " + k300 + " --partition " +
                     Write("p2.json", R"({"assignment": [0, 0]})") + " --trace " + out_,
                 "num_chips", out_);
  ExpectBadTrain("--graph " + k300 + " --hw from-graph", "num_chips");
  // A split for the benchmark graph that uses more FPGAs than the hardware has.
  ExpectBadInput("simulate --graph " + tiny + " --hw from-graph --partition " +
                     Write("p9.json", R"({"assignment": [0, 0, 0, 99]})"),
                 "p9.json");
}

TEST_F(RobustnessCli, RunConfigToml) {
  auto config = [&](const std::string& name, const std::string& text) { return Write(name, text); };
  ExpectBadTrain("--config " + dir_ + "/missing.toml", "missing.toml");
  ExpectBadTrain("--config " + config("truncated.toml", "[run]\nbudget = "), "truncated.toml");
  ExpectBadTrain("--config " + config("junk.toml", std::string("\x00\xff\xfe junk", 8)),
                 "junk.toml");
  ExpectBadTrain("--config " + config("type.toml", "[run]\nbudget = \"many\"\n"), "run.budget");
  ExpectBadTrain("--config " + config("section.toml", "run = 3\n"), "'run'");
  ExpectBadTrain("--config " + config("range.toml", "[run]\nbudget = 0\n"), "run.budget");
  ExpectBadTrain("--config " + config("huge.toml", "[run]\nbudget = 1e30\n"), "run.budget");
  ExpectBadTrain("--config " + config("huge_int.toml", "[policy]\nhidden = 1000000000000\n"),
                 "policy.hidden");
  ExpectBadTrain("--config " + config("nan.toml", "[ppo]\nlr = nan\n"), "ppo.lr");
  ExpectBadTrain("--config " + config("inf.toml", "[ppo]\nclip = inf\n"), "ppo.clip");
  ExpectBadTrain("--config " + config("neg_inf.toml", "[run]\ntime_limit_s = -inf\n"),
                 "run.time_limit_s");
  ExpectBadTrain("--config " + config("unknown.toml", "[ppo]\nlearning_rate = 0.1\n"),
                 "ppo.learning_rate");
  ExpectBadTrain("--config " + config("dup.toml", "[run]\nseed = 1\nseed = 2\n"), "dup.toml");
  ExpectBadTrain("--config " + config("mode.toml", "[actor]\nrepair_mode = \"fix\"\n"),
                 "mode.toml: actor.repair_mode must be repair or penalty, got 'fix'");
  ExpectBadTrain("--config " + config("kind.toml", "[run]\nevaluator = 1\n"),
                 "kind.toml: run.evaluator must be a string");
  // The same config file reaches simulate through ParseCommand.
  ExpectBadInput("simulate --config " + config("sim.toml", "[run]\nevaluator = \"fast\"\n") +
                     " --graph " + graph_ + " --partition " + partition_ + " --trace " + out_,
                 "evaluator", out_);
}

TEST_F(RobustnessCli, HardwareToml) {
  auto sim = [&](const std::string& hw, const std::string& needle) {
    ExpectBadInput("simulate --graph " + graph_ + " --partition " + partition_ + " --hw " + hw +
                       " --trace " + out_,
                   needle, out_);
    ExpectBadTrain("--hw " + hw, needle);
  };
  sim(dir_ + "/missing.toml", "missing.toml");
  sim(Write("truncated.toml", "num_chips = 4\n[chiplet\n"), "truncated.toml");
  sim(Write("type.toml", "num_chips = \"8\"\n"), "num_chips");
  sim(Write("k_huge.toml", "num_chips = 1000000\n"), "num_chips");
  sim(Write("k_zero.toml", "num_chips = 0\n"), "num_chips");
  sim(Write("k_overflow.toml", "num_chips = 10000000000000\n"), "num_chips");
  sim(Write("nan.toml", "[link]\nbytes_per_cycle = nan\n"), "bytes_per_cycle");
  sim(Write("inf.toml", "[chiplet]\nfreq_ghz = inf\n"), "freq_ghz");
  sim(Write("sram_huge.toml", "[chiplet]\nsram_mib = 1e30\n"), "sram_mib");
  sim(Write("sram_negative.toml", "[chiplet]\nsram_mib = -5.0\n"), "sram_mib");
  sim(Write("mesh.toml", "topology = \"mesh\"\nnum_chips = 8\nmesh_cols = 3\n"), "mesh_cols");
  sim(Write("topology.toml", "topology = \"torus\"\n"), "torus");
  sim(Write("key.toml", "[link]\nbandwidth = 3\n"), "bandwidth");
  sim(Write("base.toml", "base = \"mcm1000-ring\"\n"), "mcm1000-ring");
  sim(Write("hop.toml", "[constraints]\nmax_hop_distance = 0\n"), "max_hop_distance");
  // K of the hardware above what the policy addresses: train refuses, a search has no policy.
  const std::string k32 = Write("k32.toml", "num_chips = 32\n");
  ExpectBadTrain("--hw " + k32, "max-chips");
  for (const char* strategy : {"dp", "greedy", "random"}) {
    const CliResult r = RunCli(std::string("search --strategy ") + strategy + " --graph " + graph_ +
                               " --hw " + k32 + " --budget 4 --force --json --out " + out_);
    EXPECT_EQ(r.exit_code, 0) << strategy << ": " << r.err;
    EXPECT_NE(r.out.find("best_throughput"), std::string::npos) << strategy << ": " << r.out;
  }
}

TEST_F(RobustnessCli, PartitionJson) {
  auto sim = [&](const std::string& p, const std::string& needle,
                 const std::string& hw = "mcm8-ring") {
    ExpectBadInput(
        "simulate --graph " + graph_ + " --hw " + hw + " --partition " + p + " --trace " + out_,
        needle, out_);
  };
  sim(dir_ + "/missing.json", "missing.json");
  sim(Write("empty.json", ""), "empty.json");
  sim(Truncated("truncated.json", partition_), "truncated.json");
  sim(Write("string.json", R"("0,0,0,0")"), "string.json");
  sim(Write("neither.json", R"({"chips": [0, 0, 0, 0]})"), "assignment");
  sim(Write("type.json", R"({"assignment": [0, "1", 0, 0]})"), "assignment[1]");
  sim(Write("float.json", R"({"assignment": [0, 0.5, 0, 0]})"), "assignment[1]");
  sim(Write("negative.json", R"({"assignment": [0, -1, 0, 0]})"), "assignment[1]");
  sim(Write("huge.json", R"({"assignment": [0, 1000000000000, 0, 0]})"), "assignment[1]");
  sim(Write("uint64.json", R"({"assignment": [0, 18446744073709551615, 0, 0]})"), "assignment[1]");
  sim(Write("inf.json", R"({"assignment": [0, 1e400, 0, 0]})"), "1e400");
  sim(Write("short.json", R"({"assignment": [0, 0, 0]})"), "3 entries");
  sim(Write("long.json", R"({"assignment": [0, 0, 0, 0, 0]})"), "5 entries");
  sim(Write("unknown_node.json", R"({"nodes": {"a": 0, "b": 0, "c": 0, "zz": 0}})"), "'zz'");
  sim(Write("no_chip.json", R"({"nodes": {"a": 0, "b": 0, "c": 0}})"), "'d'");
  sim(Write("by_name_huge.json", R"({"nodes": {"a": 0, "b": 0, "c": 0, "d": 4294967296}})"), "'d'");
  sim(Write("by_name_negative.json", R"({"nodes": {"a": 0, "b": 0, "c": 0, "d": -2}})"), "'d'");
  // Inconsistent K: chip ids at or beyond the hardware's chips.
  sim(Write("k8.json", R"({"assignment": [0, 1, 1, 8]})"), "k8.json");
  sim(Write("k4.json", R"({"assignment": [0, 1, 2, 4]})"), "k4.json",
      Write("four.toml", "num_chips = 4\n"));
  // Valid shape but against the constraints (data flowing backwards).
  sim(Write("backwards.json", R"({"assignment": [1, 0, 0, 0]})"), "backwards.json");
}

TEST_F(RobustnessCli, Flags) {
  const std::string sim =
      "simulate --graph " + graph_ + " --partition " + partition_ + " --trace " + out_ + " ";
  ExpectBadInput(sim + "--samples 0", "samples", out_);
  ExpectBadInput(sim + "--samples 1e30", "1e30", out_);
  ExpectBadInput(sim + "--warmup -1", "warmup", out_);
  ExpectBadInput(sim + "--evaluator magic", "magic", out_);
  ExpectBadInput(sim + "--bogus", "bogus", out_);
  ExpectBadInput("simulate --graph " + graph_, "--partition", out_);
  ExpectBadTrain("--budget -1", "budget");
  ExpectBadTrain("--budget 99999999999999999999999", "budget");
  ExpectBadTrain("--seed abc", "seed");
  ExpectBadTrain("--lr nan", "lr");
  ExpectBadTrain("--lr inf", "lr");
  ExpectBadTrain("--clip -0.5", "clip");
  ExpectBadTrain("--hidden 1000000000", "hidden");
  ExpectBadTrain("--max-chips 0", "max_chips");
  ExpectBadTrain("--attention-heads 3", "attention_heads");
  ExpectBadTrain("--batch-size 0", "batch_size");
  ExpectBadTrain("--time-limit-s nan", "time-limit-s");
  ExpectBadTrain("--graph ''", "--graph");
  ExpectBadInput("train --out " + dir_ + "/no/such/dir/run.h5", "no/such/dir");
  ExpectBadInput("import", "input");
  ExpectBadInput("import " + graph_ + " " + graph_, "input");
}

TEST_F(RobustnessCli, ReportRunFile) {
  ExpectBadInput("report " + dir_ + "/missing.h5", "missing.h5");
  ExpectBadInput("report " + Write("empty.h5", ""), "empty.h5");
  ExpectBadInput("report " + Write("junk.h5", std::string(4096, 'x')), "junk.h5");
  ExpectBadInput("report", "RUN.h5");
}

// An HDF5 file that is not a run file (made with hdf5-tools, a setup.sh package).
std::string MakeForeignHdf5(const std::string& path) {
  std::remove(path.c_str());
  const int rc = std::system(("h5mkgrp -p " + path + " /not/a/run >/dev/null 2>&1").c_str());
  return rc == 0 && Exists(path) ? path : "";
}

TEST_F(RobustnessCli, ReportForeignHdf5) {
  const std::string foreign = MakeForeignHdf5(dir_ + "/foreign.h5");
  if (foreign.empty()) GTEST_SKIP() << "h5mkgrp (hdf5-tools) not available";
  ExpectBadInput("report " + foreign, "foreign.h5");
}

TEST_F(RobustnessCli, ResumeRunFile) {
  ExpectBadInput("train --resume " + dir_ + "/missing.h5", "missing.h5");
  ExpectBadInput("train --resume " + Write("empty.h5", ""), "empty.h5");
  ExpectBadInput("train --resume " + Write("junk.h5", std::string(4096, 'x')), "junk.h5");
  const std::string foreign = MakeForeignHdf5(dir_ + "/foreign.h5");
  if (!foreign.empty()) ExpectBadInput("train --resume " + foreign, "foreign.h5");
}

constexpr const char* kMpi =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -q -n 2 --oversubscribe";

TEST_F(RobustnessCli, InitFromCheckpoint) {
  ExpectBadTrain("--init-from " + dir_ + "/missing.ckpt", "missing.ckpt");
  ExpectBadTrain("--init-temperature 5", "--init-temperature softens the policy --init-from loads");
  // A real checkpoint from a tiny run, then damaged copies of it. The weights are read by the
  // learner rank, so these run under MPI.
  const std::string tiny =
      " --budget 8 --batch-size 8 --minibatch 8 --samples-per-message 4 --hidden 16 "
      "--attention-heads 2 --evaluator maxload --graph " +
      graph_;
  const std::string run = dir_ + "/good.h5";
  const CliResult made = RunCli("train" + tiny + " --out " + run, kMpi);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string ckpt = run + ".ckpt";
  ASSERT_TRUE(Exists(ckpt));
  const std::string bad_run = " --out " + out_;
  ExpectBadInput("train" + tiny + bad_run + " --init-from " + Write("empty.ckpt", ""), "empty.ckpt",
                 out_, kMpi);
  ExpectBadInput("train" + tiny + bad_run + " --init-from " + Truncated("truncated.ckpt", ckpt),
                 "truncated.ckpt", out_, kMpi);
  ExpectBadInput(
      "train" + tiny + bad_run + " --init-from " + Write("junk.ckpt", std::string(4096, 'j')),
      "junk.ckpt", out_, kMpi);
  // Same file, a policy of another width.
  ExpectBadInput("train" + tiny + " --hidden 32" + bad_run + " --init-from " + ckpt, "good.h5.ckpt",
                 out_, kMpi);
  // A run file is not a checkpoint.
  ExpectBadInput("train" + tiny + bad_run + " --init-from " + run, "good.h5", out_, kMpi);
  // And resuming that real run with a damaged checkpoint next to it.
  std::rename(Truncated("cut.ckpt", ckpt).c_str(), ckpt.c_str());
  ExpectBadInput("train --resume " + run + " --budget 16", "good.h5", "", kMpi);
}

}  // namespace
}  // namespace mcmpart
