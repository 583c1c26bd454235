// `mcmpart import`: conversions, the --json summary, and bad input (exit 2, one message, no
// output).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/graph_io.h"
#include "tests/cli/run_cli.h"

namespace mcmpart {
namespace {

using testing::RunCli;

const std::string kData = MCMPART_TEST_DATA_DIR;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string TempPath(const std::string& name) { return ::testing::TempDir() + name; }

void ExpectBadInput(const testing::CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(ImportCli, OnnxToJsonWithSummary) {
  const std::string out = TempPath("resnet18.json");
  std::remove(out.c_str());
  testing::CliResult r = RunCli("import " + kData + "/onnx/resnet18.onnx -o " + out + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out);
  common::StatusOr<common::Graph> g = common::ReadGraphJson(out);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(summary["nodes"].get<int>(), g->num_nodes());
  EXPECT_EQ(summary["edges"].get<int>(), g->num_edges());
  EXPECT_EQ(summary["total_macs"].get<int64_t>(), g->TotalMacs());
  EXPECT_EQ(summary["weight_bytes"].get<int64_t>(), g->TotalWeightBytes());
  // The written file is the same graph the library imports.
  common::StatusOr<common::Graph> direct = common::LoadGraph(kData + "/onnx/resnet18.onnx");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(common::WriteGraphJsonString(*direct), common::WriteGraphJsonString(*g));
}

TEST(ImportCli, DnnPartitioningAndBuiltinNames) {
  testing::CliResult r = RunCli("import " + kData + "/dnn/tiny.json --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json s = nlohmann::json::parse(r.out);
  EXPECT_EQ(s["nodes"].get<int>(), 4);
  EXPECT_EQ(s["hint_num_chips"].get<int>(), 2);
  EXPECT_EQ(s["weight_bytes"].get<int64_t>(), 600);
  r = RunCli("import synth:inception:seed=2,nodes=50 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(nlohmann::json::parse(r.out)["nodes"].get<int>(), 50);
}

TEST(ImportCli, UnknownOpWarnsAndStrictFails) {
  testing::CliResult r = RunCli("import " + kData + "/onnx/unknown_op.onnx --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("FancyOp"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["unknown_nodes"].get<int>(), 1);
  const std::string out = TempPath("strict.json");
  std::remove(out.c_str());
  ExpectBadInput(RunCli("import " + kData + "/onnx/unknown_op.onnx --strict -o " + out), "FancyOp");
  EXPECT_FALSE(Exists(out));
}

TEST(ImportCli, BadInputsExitTwoAndWriteNothing) {
  const std::string out = TempPath("never.json");
  std::remove(out.c_str());
  const std::string text_onnx = TempPath("not_onnx.onnx");
  std::ofstream(text_onnx) << "plain text, not a model\n";
  common::StatusOr<std::string> bytes = common::ReadFile(kData + "/onnx/bert_tiny.onnx");
  ASSERT_TRUE(bytes.ok());
  const std::string truncated = TempPath("truncated.onnx");
  std::ofstream(truncated, std::ios::binary) << bytes->substr(0, bytes->size() / 3);
  const std::string dup_json = TempPath("dup.json");
  std::ofstream(dup_json) << R"({"format": "mcmpart-graph", "version": 1, "nodes": [
      {"name": "a", "op": "Input", "class": "input", "output_bytes": 4},
      {"name": "a", "op": "Relu", "class": "vector", "output_bytes": 4}],
      "edges": [{"src": 0, "dst": 1}]})";
  const struct {
    std::string args;
    std::string needle;
  } cases[] = {
      {"import " + truncated, "truncated.onnx"},
      {"import " + text_onnx, "not_onnx.onnx"},
      {"import " + kData + "/onnx/symbolic_dim.onnx", "static shape"},
      {"import " + kData + "/onnx/cycle.onnx", "cycle"},
      {"import " + kData + "/dnn/missing_latency.json", "fpgaLatency"},
      {"import " + kData + "/dnn/duplicate_id.json", "duplicate node id"},
      {"import " + kData + "/dnn/cycle.json", "cycle"},
      {"import " + dup_json, "duplicate node name"},
      {"import " + kData + "/onnx/missing.onnx", "missing.onnx"},
      {"import no-such-builtin", "no-such-builtin"},
      {"import", "expected exactly one input"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    ExpectBadInput(RunCli(c.args + " -o " + out), c.needle);
    EXPECT_FALSE(Exists(out));
  }
}

// --weight-bytes: weights of an ONNX import or a built-in graph at N bytes per element.
TEST(ImportCli, WeightBytesRescalesWeightsAndIsRecorded) {
  for (const std::string model : {"tiny_cnn_params.onnx", "bert_tiny.onnx"}) {
    SCOPED_TRACE(model);
    const std::string onnx = kData + "/onnx/" + model;
    testing::CliResult fp32 = RunCli("import " + onnx + " --json");
    ASSERT_EQ(fp32.exit_code, 0) << fp32.err;
    const std::string out = TempPath("int8_" + model + ".json");
    std::remove(out.c_str());
    testing::CliResult int8 = RunCli("import " + onnx + " --weight-bytes 1 -o " + out + " --json");
    ASSERT_EQ(int8.exit_code, 0) << int8.err;
    nlohmann::json a = nlohmann::json::parse(fp32.out), b = nlohmann::json::parse(int8.out);
    EXPECT_GT(a["weight_bytes"].get<int64_t>(), 0);
    EXPECT_EQ(4 * b["weight_bytes"].get<int64_t>(), a["weight_bytes"].get<int64_t>());
    EXPECT_EQ(a["weight_bytes_per_element"], 4);
    EXPECT_EQ(b["weight_bytes_per_element"], 1);
    EXPECT_EQ(a["total_macs"], b["total_macs"]);
    // The written graph says what it assumed.
    common::StatusOr<common::Graph> saved = common::ReadGraphJson(out);
    ASSERT_TRUE(saved.ok()) << saved.status().message();
    EXPECT_EQ(saved->weight_bytes_per_element, 1);
    EXPECT_EQ(saved->TotalWeightBytes(), b["weight_bytes"].get<int64_t>());
    testing::CliResult named = RunCli("import " + onnx + " --weight-bytes fp8 --json");
    ASSERT_EQ(named.exit_code, 0) << named.err;
    EXPECT_EQ(nlohmann::json::parse(named.out)["weight_bytes"], b["weight_bytes"]);
  }
  testing::CliResult llama = RunCli("import llama-tiny --weight-bytes fp32 --json");
  ASSERT_EQ(llama.exit_code, 0) << llama.err;
  EXPECT_EQ(nlohmann::json::parse(llama.out)["weight_bytes_per_element"], 4);
  const std::string onnx = kData + "/onnx/tiny_cnn_params.onnx";
  for (const std::string bad : {"3", "fp4", "-1", "16"}) {
    SCOPED_TRACE(bad);
    ExpectBadInput(RunCli("import " + onnx + " --weight-bytes " + bad), "--weight-bytes");
  }
  ExpectBadInput(RunCli("simulate --graph bert-tiny --weight-bytes 5"), "--weight-bytes");
}

// `mcmpart bench import`: the size matches `import`; timings are reported, never asserted.
TEST(ImportCli, BenchImportReportsSizeAndTimes) {
  const std::string onnx = kData + "/onnx/resnet18.onnx";
  testing::CliResult r = RunCli("bench import --graph " + onnx + " --repeats 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json bench = nlohmann::json::parse(r.out);
  testing::CliResult imp = RunCli("import " + onnx + " --json");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  nlohmann::json summary = nlohmann::json::parse(imp.out);
  for (const char* key : {"nodes", "edges", "total_macs", "weight_bytes", "onnx_nodes"}) {
    EXPECT_EQ(bench[key], summary[key]) << key;
  }
  EXPECT_EQ(bench["repeats"], 3);
  EXPECT_GT(bench["median_s"].get<double>(), 0.0);
  EXPECT_LE(bench["min_s"].get<double>(), bench["median_s"].get<double>());
  EXPECT_LE(bench["median_s"].get<double>(), bench["max_s"].get<double>());
  r = RunCli("bench import --graph " + onnx + " --repeats 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("median"), std::string::npos) << r.out;
  ExpectBadInput(RunCli("bench import --graph " + onnx + " --repeats 0"), "--repeats");
  // The older whole-graph inference rounds, timed for comparison, import the same graph.
  r = RunCli("bench import --graph " + onnx + " --repeats 1 --inference rounds --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json rounds = nlohmann::json::parse(r.out);
  EXPECT_EQ(rounds["inference"], "rounds");
  EXPECT_EQ(bench["inference"], "pass");
  for (const char* key : {"nodes", "edges", "total_macs", "weight_bytes", "folded_nodes"}) {
    EXPECT_EQ(rounds[key], bench[key]) << key;
  }
  ExpectBadInput(RunCli("bench import --graph " + onnx + " --inference fast"), "--inference");
  ExpectBadInput(RunCli("bench import --graph " + kData + "/onnx/missing.onnx"), "missing.onnx");
}

}  // namespace
}  // namespace mcmpart
