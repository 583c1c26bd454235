// Tests for the ONNX importer: hand-computed small models, cross-checks against MakeBert and
// between weights-as-inputs and initializers, folding, and every kind of bad input.
#include "common/onnx_import.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "common/bert.h"
#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

const std::string kOnnxDir = std::string(MCMPART_TEST_DATA_DIR) + "/onnx/";

Graph ImportOrDie(const std::string& file, OnnxImportReport* report = nullptr) {
  StatusOr<Graph> g = ImportOnnx(kOnnxDir + file, OnnxImportOptions{}, report);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(g).value() : Graph();
}

const Node* Find(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string Expect(const StatusOr<Graph>& g) {
  EXPECT_FALSE(g.ok());
  return g.ok() ? "" : g.status().message();
}

TEST(OnnxImportTest, SmallModelMatchesHandComputedCosts) {
  Graph g = ImportOrDie("small_ops.onnx");
  // x[1,4,8,8] → Conv(w[6,2,3,3], b[6], group 2, pad 1) → Relu → Reshape[6,64]
  // → MatMul(m[64,10]) → Softmax. w, b, m are graph inputs in weight slots.
  ASSERT_EQ(g.num_nodes(), 6);
  ASSERT_EQ(g.num_edges(), 5);
  const Node* x = Find(g, "x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->op_class, OpClass::kInput);
  EXPECT_EQ(x->output_bytes, 4 * 64 * 4);
  const Node* conv = Find(g, "conv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->op_class, OpClass::kConv);
  EXPECT_EQ(conv->shape, (std::vector<int64_t>{1, 6, 8, 8}));
  // im2col: batch = groups 2, m = 8·8, k = Cin/groups·3·3 = 18, n = Cout/groups = 3.
  EXPECT_EQ(conv->gemm.batch, 2);
  EXPECT_EQ(conv->gemm.m, 64);
  EXPECT_EQ(conv->gemm.k, 18);
  EXPECT_EQ(conv->gemm.n, 3);
  EXPECT_EQ(conv->macs, 2 * 64 * 18 * 3);
  EXPECT_EQ(conv->weight_bytes, (6 * 2 * 9 + 6) * 4);
  EXPECT_EQ(conv->vector_ops, 6 * 64);  // bias
  EXPECT_EQ(conv->output_bytes, 6 * 64 * 4);
  const Node* relu = Find(g, "relu");
  EXPECT_EQ(relu->op_class, OpClass::kVector);
  EXPECT_EQ(relu->vector_ops, 6 * 64);
  const Node* reshape = Find(g, "reshape");
  EXPECT_EQ(reshape->op_class, OpClass::kDataMovement);
  EXPECT_EQ(reshape->moved_bytes, 0);
  EXPECT_EQ(reshape->weight_bytes, 0);  // the int64 shape is not a weight
  const Node* mm = Find(g, "matmul");
  EXPECT_EQ(mm->op_class, OpClass::kMatMul);
  EXPECT_EQ(mm->macs, 6 * 64 * 10);
  EXPECT_EQ(mm->weight_bytes, 64 * 10 * 4);
  const Node* sm = Find(g, "softmax");
  EXPECT_EQ(sm->vector_ops, 5 * 60);
  EXPECT_EQ(sm->output_bytes, 60 * 4);
  EXPECT_EQ(g.TotalMacs(), 2 * 64 * 18 * 3 + 6 * 64 * 10);
  for (const Edge& e : g.edges) EXPECT_EQ(e.bytes, g.nodes[e.src].output_bytes);
}

TEST(OnnxImportTest, WeightsAsInputsEqualWeightsAsInitializers) {
  Graph in = ImportOrDie("tiny_cnn_inputs.onnx");
  Graph init = ImportOrDie("tiny_cnn_params.onnx");
  // conv1 3→8 3×3 on 16×16, conv2 8→16 3×3 stride 2 groups 2 on 8×8 output, fc 16→10.
  const int64_t macs = 256 * 27 * 8 + 2 * 64 * 36 * 8 + 16 * 10;
  EXPECT_EQ(in.TotalMacs(), macs);
  EXPECT_EQ(init.TotalMacs(), macs);
  EXPECT_EQ(in.TotalWeightBytes(), init.TotalWeightBytes());
  EXPECT_GE(in.TotalWeightBytes(), 4 * (3 * 8 * 9 + 8 + 8 * 16 * 9 / 2 + 16 + 16 * 10 + 10));
  ASSERT_EQ(in.num_nodes(), init.num_nodes());
  for (int v = 0; v < in.num_nodes(); ++v) EXPECT_EQ(in.nodes[v].op, init.nodes[v].op);
}

TEST(OnnxImportTest, BertMatchesTheBuiltinGenerator) {
  OnnxImportReport report;
  Graph g = ImportOrDie("bert_tiny.onnx", &report);
  // The export (scripts/export_models.py) is the same encoder as MakeBert's bert-tiny.
  Graph ref = MakeBert({2, 128, 2, 128}, "bert-tiny");
  EXPECT_EQ(g.TotalMacs(), ref.TotalMacs());
  int matmuls = 0, ref_matmuls = 0;
  for (const Node& n : g.nodes) matmuls += n.op_class == OpClass::kMatMul;
  for (const Node& n : ref.nodes) ref_matmuls += n.op_class == OpClass::kMatMul;
  EXPECT_EQ(matmuls, ref_matmuls);
  // Parameters (fp32): embeddings, per layer 6 dense layers and 2 LayerNorms, pooler.
  const int64_t h = 128, ff = 512;
  const int64_t layer = 4 * (h * h + h) + (h * ff + ff) + (ff * h + h) + 2 * 2 * h;
  const int64_t params = 30522 * h + 512 * h + 2 * h + 2 * layer + h * h + h;
  EXPECT_EQ(g.TotalWeightBytes(), 4 * params);
  EXPECT_GT(report.folded_nodes, 0);
  EXPECT_EQ(report.unknown_nodes, 0);
  EXPECT_TRUE(report.warnings.empty());
  for (const Node& n : g.nodes) {
    EXPECT_NE(n.op, "Constant");
    EXPECT_NE(n.op, "Shape");
  }
}

TEST(OnnxImportTest, ResNet18HasItsPublishedSize) {
  Graph g = ImportOrDie("resnet18.onnx");
  std::map<std::string, int> ops;
  for (const Node& n : g.nodes) ++ops[n.op];
  EXPECT_EQ(ops["Conv"], 20);  // 1 stem + 16 block convs + 3 downsample shortcuts
  EXPECT_EQ(ops["Gemm"], 1);
  EXPECT_EQ(ops["Input"], 1);
  // He et al. 2016: 1.8 GFLOPs (multiply-adds); torchvision: 11,689,512 parameters, here with
  // BatchNorm folded into conv biases by the exporter: 4800 BN channels lose their scale and
  // shift (2·4800) and their conv gains a bias (4800).
  EXPECT_GT(g.TotalMacs(), 1.75e9);
  EXPECT_LT(g.TotalMacs(), 1.85e9);
  EXPECT_EQ(g.TotalWeightBytes(), 4 * (11689512 - 4800));
  for (const Edge& e : g.edges) {
    EXPECT_GT(e.bytes, 0);
    EXPECT_LE(e.bytes, g.nodes[e.src].output_bytes);
  }
}

TEST(OnnxImportTest, UnknownOpWarnsOrFailsUnderStrict) {
  OnnxImportReport report;
  Graph g = ImportOrDie("unknown_op.onnx", &report);
  const Node* fancy = Find(g, "fancy");
  ASSERT_NE(fancy, nullptr);
  EXPECT_EQ(fancy->op_class, OpClass::kVector);
  EXPECT_EQ(fancy->vector_ops, 6);  // fallback: one op per output element
  EXPECT_EQ(report.unknown_nodes, 1);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("FancyOp"), std::string::npos);
  OnnxImportOptions strict;
  strict.strict = true;
  std::string msg = Expect(ImportOnnx(kOnnxDir + "unknown_op.onnx", strict));
  EXPECT_NE(msg.find("FancyOp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fancy"), std::string::npos) << msg;
}

TEST(OnnxImportTest, BadInputsGetClearErrors) {
  std::string msg = Expect(ImportOnnx(kOnnxDir + "symbolic_dim.onnx", {}));
  EXPECT_NE(msg.find("static shape"), std::string::npos) << msg;
  EXPECT_NE(msg.find("batch"), std::string::npos) << msg;
  msg = Expect(ImportOnnx(kOnnxDir + "cycle.onnx", {}));
  EXPECT_NE(msg.find("cycle"), std::string::npos) << msg;

  StatusOr<std::string> bytes = ReadFile(kOnnxDir + "bert_tiny.onnx");
  ASSERT_TRUE(bytes.ok());
  for (size_t cut : {bytes->size() / 2, bytes->size() - 3, size_t{7}}) {
    const std::string path = WriteTemp("truncated.onnx", bytes->substr(0, cut));
    msg = Expect(ImportOnnx(path, {}));
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
  std::string corrupt = *bytes;
  for (size_t i = 100; i < corrupt.size(); i += 97) corrupt[i] = static_cast<char>(0xff);
  Expect(ImportOnnx(WriteTemp("corrupt.onnx", corrupt), {}));
  msg = Expect(ImportOnnx(WriteTemp("text.onnx", "this is not an onnx model\n"), {}));
  EXPECT_NE(msg.find("ONNX"), std::string::npos) << msg;
  msg = Expect(ImportOnnx(WriteTemp("empty.onnx", ""), {}));
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  msg = Expect(ImportOnnx(kOnnxDir + "no_such_file.onnx", {}));
  EXPECT_NE(msg.find("no_such_file.onnx"), std::string::npos) << msg;
}

// A fuzzer-found model whose node has fewer outputs than its schema infers: libonnx throws a
// plain exception from the node's inference function. Both inference paths report it as bad
// input, with the same message, instead of terminating.
TEST(OnnxImportTest, InferenceThatThrowsIsBadInputOnBothPaths) {
  const std::string path =
      std::string(MCMPART_SOURCE_DIR) + "/tests/fuzz/corpus/onnx/missing_output_add.onnx";
  OnnxImportOptions rounds;
  rounds.whole_graph_inference = true;
  const std::string pass_msg = Expect(ImportOnnx(path, {}));
  const std::string rounds_msg = Expect(ImportOnnx(path, rounds));
  EXPECT_EQ(pass_msg, rounds_msg);
  EXPECT_NE(pass_msg.find("missing_output_add.onnx"), std::string::npos) << pass_msg;
}

TEST(OnnxImportTest, LoadGraphDispatchesAndOwnJsonRoundTrips) {
  StatusOr<Graph> g = LoadGraph(kOnnxDir + "resnet18.onnx");
  ASSERT_TRUE(g.ok()) << g.status().message();
  StatusOr<Graph> back = ParseGraphJson(WriteGraphJsonString(*g), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(WriteGraphJsonString(*back), WriteGraphJsonString(*g));
}

TEST(OnnxImportTest, WeightBytesRescalesEveryWeightAndNoActivation) {
  // All three models hold fp32 weights (initialisers; small_ops as graph inputs).
  for (const std::string file :
       {"tiny_cnn_params.onnx", "resnet18.onnx", "bert_tiny.onnx", "small_ops.onnx"}) {
    Graph fp32 = ImportOrDie(file);
    StatusOr<Graph> int8 = LoadGraph(kOnnxDir + file, 1);
    ASSERT_TRUE(int8.ok()) << int8.status().message();
    EXPECT_EQ(fp32.weight_bytes_per_element, 4) << file;
    EXPECT_EQ(int8->weight_bytes_per_element, 1) << file;
    EXPECT_GT(fp32.TotalWeightBytes(), 0) << file;
    EXPECT_EQ(4 * int8->TotalWeightBytes(), fp32.TotalWeightBytes()) << file;
    OnnxImportOptions fp16;
    fp16.weight_bytes = 2;
    StatusOr<Graph> half = ImportOnnx(kOnnxDir + file, fp16);
    ASSERT_TRUE(half.ok()) << half.status().message();
    EXPECT_EQ(2 * half->TotalWeightBytes(), fp32.TotalWeightBytes()) << file;
    ASSERT_EQ(int8->num_nodes(), fp32.num_nodes()) << file;
    for (int v = 0; v < fp32.num_nodes(); ++v) {
      const Node &a = fp32.nodes[v], &b = int8->nodes[v];
      EXPECT_EQ(4 * b.weight_bytes, a.weight_bytes) << file << ": " << a.name;
      EXPECT_EQ(b.output_bytes, a.output_bytes) << file << ": " << a.name;
      EXPECT_EQ(b.macs, a.macs) << file << ": " << a.name;
    }
    ASSERT_EQ(int8->num_edges(), fp32.num_edges());
    for (int e = 0; e < fp32.num_edges(); ++e) {
      EXPECT_EQ(int8->edges[e].bytes, fp32.edges[e].bytes) << file;
    }
  }
}

TEST(OnnxImportTest, SavedGraphsKeepTheirWeightPrecision) {
  StatusOr<Graph> int8 = LoadGraph(kOnnxDir + "resnet18.onnx", 1);
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  const std::string path = WriteTemp("resnet18_int8.json", WriteGraphJsonString(*int8));
  StatusOr<Graph> back = LoadGraph(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->weight_bytes_per_element, 1);
  EXPECT_EQ(back->TotalWeightBytes(), int8->TotalWeightBytes());
  // The same precision again is fine; another one cannot be had from saved byte counts.
  EXPECT_TRUE(LoadGraph(path, 1).ok());
  std::string msg = Expect(LoadGraph(path, 2));
  EXPECT_NE(msg.find("stores 1-byte weights, not 2-byte ones"), std::string::npos) << msg;
  msg = Expect(LoadGraph(kOnnxDir + "resnet18.onnx", 3));
  EXPECT_NE(msg.find("must be 1, 2, 4 or 8, got 3"), std::string::npos) << msg;
  OnnxImportOptions three;
  three.weight_bytes = 3;
  msg = Expect(ImportOnnx(kOnnxDir + "resnet18.onnx", three));
  EXPECT_NE(msg.find("must be 1, 2, 4 or 8, got 3"), std::string::npos) << msg;
  msg = Expect(ParseGraphJson(
      R"({"format": "mcmpart-graph", "version": 1, "weight_bytes_per_element": 3,
          "nodes": [], "edges": []})",
      "bad.json"));
  EXPECT_NE(msg.find("'weight_bytes_per_element' must be 1, 2, 4 or 8"), std::string::npos) << msg;
}

// Inputs the fuzzer found crashing inside libonnx or breaking the JSON round trip.
TEST(OnnxImportTest, MalformedAttributesAndNamesAreBadInputNotCrashes) {
  std::string msg = Expect(ImportOnnx(kOnnxDir + "zero_stride.onnx", {}));
  EXPECT_NE(msg.find("strides"), std::string::npos) << msg;
  EXPECT_NE(msg.find("conv0"), std::string::npos) << msg;
  msg = Expect(ImportOnnx(kOnnxDir + "conv_rank_mismatch.onnx", {}));
  EXPECT_NE(msg.find("conv_rank_mismatch.onnx"), std::string::npos) << msg;
  // A scalar Gemm operand at opset 6 crashed libonnx's own inference (found by the fuzzer):
  // now bad input on both inference paths, naming the node.
  OnnxImportOptions rounds;
  rounds.whole_graph_inference = true;
  for (const OnnxImportOptions& o : {OnnxImportOptions{}, rounds}) {
    msg = Expect(ImportOnnx(kOnnxDir + "gemm_scalar_opset6.onnx", o));
    EXPECT_NE(msg.find("gemm0"), std::string::npos) << msg;
  }
  // Two node names that differ only in bytes that are not UTF-8 stay distinct and valid.
  StatusOr<Graph> g = ImportOnnx(kOnnxDir + "invalid_utf8_names.onnx", {});
  ASSERT_TRUE(g.ok()) << g.status().message();
  StatusOr<Graph> back = ParseGraphJson(WriteGraphJsonString(*g), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->num_nodes(), g->num_nodes());
  for (int v = 0; v < back->num_nodes(); ++v) EXPECT_EQ(back->nodes[v].name, g->nodes[v].name);
}

}  // namespace
}  // namespace mcmpart::common
