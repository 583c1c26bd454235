// Invariants of real exported models (scripts/export_models.py --test-data, weights left out):
// Swin-T, a 6,623-node ONNX graph, MobileNetV3-Small and ViT's class token. Sizes are checked
// against published MAC and parameter counts; import time is measured by `mcmpart bench
// import`, not here.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/graph_io.h"
#include "common/onnx_import.h"

namespace mcmpart::common {
namespace {

const std::string kOnnxDir = std::string(MCMPART_TEST_DATA_DIR) + "/onnx/";
constexpr int64_t kFloatBytes = 4;  // the exports are float32; the importer charges 4 B/param

Graph ImportOrDie(const std::string& file, OnnxImportReport* report) {
  StatusOr<Graph> g = ImportOnnx(kOnnxDir + file, OnnxImportOptions{}, report);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(g).value() : Graph();
}

// Structure every imported graph must have: finalized, a DAG whose edges follow the
// topological order, one input, edges carrying no more than their source's output, and no
// negative work.
void ExpectWellFormed(const Graph& g) {
  ASSERT_TRUE(g.finalized());
  ASSERT_EQ(static_cast<int>(g.topo_order().size()), g.num_nodes());
  for (const Edge& e : g.edges) {
    EXPECT_LT(g.topo_rank()[e.src], g.topo_rank()[e.dst]) << e.src << "->" << e.dst;
    EXPECT_GT(e.bytes, 0);
    EXPECT_LE(e.bytes, g.nodes[e.src].output_bytes);
  }
  int inputs = 0;
  for (int v = 0; v < g.num_nodes(); ++v) {
    const Node& n = g.nodes[v];
    if (n.op_class == OpClass::kInput) {
      ++inputs;
      EXPECT_TRUE(g.preds()[v].empty()) << n.name;
    } else {
      EXPECT_FALSE(g.preds()[v].empty()) << n.name << " (" << n.op << ") reads nothing live";
    }
    EXPECT_GE(n.macs, 0) << n.name;
    EXPECT_GE(n.vector_ops, 0) << n.name;
    EXPECT_GE(n.moved_bytes, 0) << n.name;
    EXPECT_GE(n.weight_bytes, 0) << n.name;
    EXPECT_GT(n.output_bytes, 0) << n.name;
  }
  EXPECT_EQ(inputs, 1);
}

std::map<std::string, int> OpCounts(const Graph& g) {
  std::map<std::string, int> ops;
  for (const Node& n : g.nodes) ++ops[n.op];
  return ops;
}

TEST(OnnxImportModelsTest, SwinTinyHasItsPublishedSize) {
  OnnxImportReport report;
  Graph g = ImportOrDie("swin_t.onnx", &report);
  ASSERT_GT(g.num_nodes(), 0);
  ExpectWellFormed(g);
  EXPECT_EQ(report.onnx_nodes, 6623);
  EXPECT_EQ(report.unknown_nodes, 0);
  EXPECT_TRUE(report.warnings.empty());
  // Window partitioning's shape arithmetic (Shape, Gather, Concat, Pad sizes, masks) folds
  // away; the compute graph is left: 838 nodes when this test was written.
  EXPECT_GE(g.num_nodes(), 750);
  EXPECT_LE(g.num_nodes(), 950);
  EXPECT_GE(g.num_edges(), g.num_nodes() - 1);
  EXPECT_LE(g.num_edges(), 2 * g.num_nodes());
  std::map<std::string, int> ops = OpCounts(g);
  EXPECT_EQ(ops["Conv"], 1);             // patch embedding
  EXPECT_EQ(ops["Gemm"], 1);             // classifier head
  EXPECT_EQ(ops["Softmax"], 12);         // one attention per block: depths 2+2+6+2
  EXPECT_EQ(ops["MatMul"], 75);          // 6 per block (qkv, q·k, ·v, proj, 2 MLP) + 3 merges
  EXPECT_EQ(ops["ReduceMean"], 2 * 29);  // opset 14 layer norms: 2 per block + 3 + 2
  // Liu et al. 2021 / torchvision: 4.49 GMACs at 224x224.
  EXPECT_NEAR(static_cast<double>(g.TotalMacs()), 4.5e9, 0.45e9);
  // torchvision's 28,288,354 parameters, except that the exporter folds each block's relative
  // position bias table [169, heads] and its constant index into the gathered [heads, 49, 49]
  // bias: 49·49 − 169 more values per head, over 3+3+6+6+6·12+24+24 = 138 heads.
  EXPECT_EQ(g.TotalWeightBytes(), kFloatBytes * (28288354 + (49 * 49 - 169) * 138));
}

TEST(OnnxImportModelsTest, MobileNetV3SmallHasItsPublishedSize) {
  OnnxImportReport report;
  Graph g = ImportOrDie("mobilenet_v3_small.onnx", &report);
  ASSERT_GT(g.num_nodes(), 0);
  ExpectWellFormed(g);
  EXPECT_EQ(report.unknown_nodes, 0);
  EXPECT_GE(g.num_nodes(), 100);
  EXPECT_LE(g.num_nodes(), 150);
  std::map<std::string, int> ops = OpCounts(g);
  EXPECT_EQ(ops["Conv"], 52);  // 11 inverted residuals with 9 squeeze-excitations, stem, last
  EXPECT_EQ(ops["Gemm"], 2);   // classifier
  EXPECT_EQ(ops["HardSwish"], 19);
  EXPECT_EQ(ops["HardSigmoid"], 9);  // one per squeeze-excitation
  // Howard et al. 2019: 56 M MACs at 224x224.
  EXPECT_NEAR(static_cast<double>(g.TotalMacs()), 56e6, 5.6e6);
  // torchvision: 2,542,856 parameters; the exporter folds BatchNorm into the preceding
  // (bias-free) convolutions, which drops 2 and adds 1 value per BN channel (6,056 of them).
  EXPECT_EQ(g.TotalWeightBytes(), kFloatBytes * (2542856 - 6056));
  // Depthwise convolutions lower to one GEMM per channel group.
  int depthwise = 0;
  for (const Node& n : g.nodes) {
    if (n.op == "Conv" && n.gemm.batch > 1) {
      ++depthwise;
      EXPECT_EQ(n.gemm.n, 1) << n.name;
    }
  }
  EXPECT_EQ(depthwise, 11);
}

// ViT's class token, expand(batch, -1, -1): torch computes the target shape with
// ConstantOfShape, Mul, Equal and Where, which must fold for the Concat to get a static shape.
TEST(OnnxImportModelsTest, ClassTokenExpandFolds) {
  OnnxImportReport report;
  Graph g = ImportOrDie("class_token.onnx", &report);
  ASSERT_EQ(g.num_nodes(), 2);  // the input and the Concat; the rest is shape arithmetic
  ExpectWellFormed(g);
  EXPECT_EQ(report.onnx_nodes, 9);
  EXPECT_EQ(report.folded_nodes, 8);
  const Node& concat = g.nodes[1];
  EXPECT_EQ(concat.op, "Concat");
  EXPECT_EQ(concat.shape, (std::vector<int64_t>{1, 5, 8}));
  EXPECT_EQ(concat.weight_bytes, 8 * kFloatBytes);  // the token, through the Expand
}

// The same folding with the condition a bool initializer (raw bytes) instead of a folded Equal.
TEST(OnnxImportModelsTest, WhereOnBoolInitializerFolds) {
  OnnxImportReport report;
  Graph g = ImportOrDie("bool_where.onnx", &report);
  ASSERT_EQ(g.num_nodes(), 2);
  EXPECT_EQ(report.folded_nodes, 1);
  EXPECT_EQ(g.nodes[1].op, "Reshape");
  EXPECT_EQ(g.nodes[1].shape, (std::vector<int64_t>{3, 2}));  // Where([1, 0], [3, -1], [6, 2])
}

// The one-pass shape inference against the older fixed point of whole-graph ONNX inference
// rounds: on every committed model (valid and invalid) both give the same graph, report and
// messages.
TEST(OnnxImportModelsTest, OnePassInferenceMatchesWholeGraphRounds) {
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kOnnxDir)) {
    if (entry.path().extension() != ".onnx") continue;
    SCOPED_TRACE(entry.path().filename().string());
    OnnxImportOptions rounds;
    rounds.whole_graph_inference = true;
    OnnxImportReport pass_report, rounds_report;
    StatusOr<Graph> pass = ImportOnnx(entry.path().string(), OnnxImportOptions{}, &pass_report);
    StatusOr<Graph> old = ImportOnnx(entry.path().string(), rounds, &rounds_report);
    ++compared;
    ASSERT_EQ(pass.ok(), old.ok()) << (pass.ok() ? old : pass).status().message();
    if (!pass.ok()) {
      EXPECT_EQ(pass.status().message(), old.status().message());
      continue;
    }
    EXPECT_EQ(WriteGraphJsonString(pass.value()), WriteGraphJsonString(old.value()));
    EXPECT_EQ(pass_report.folded_nodes, rounds_report.folded_nodes);
    EXPECT_EQ(pass_report.unknown_nodes, rounds_report.unknown_nodes);
    EXPECT_EQ(pass_report.warnings, rounds_report.warnings);
    EXPECT_EQ(pass_report.tensor_node, rounds_report.tensor_node);
  }
  EXPECT_GE(compared, 10);
}

}  // namespace
}  // namespace mcmpart::common
