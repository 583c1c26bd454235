// ONNX import (libonnx + protobuf stay in this file): shape inference, constant folding and
// per-op work and bytes for the graph IR.
#include "common/onnx_import.h"

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/graph_io.h"

namespace mcmpart::common {
namespace {

namespace ox = ::ONNX_NAMESPACE;

// Vector-unit operations per output element (per input element for reductions and global
// pools). Transcendentals count 4 (a polynomial approximation), GELU/Mish 8, softmax 5
// (max, subtract, exp, sum, divide), layer/instance/group norm 8 (mean, variance, normalise,
// scale, shift), inference BatchNorm 2 (fused scale and shift).
const std::unordered_map<std::string, int>& VectorCost() {
  // clang-format off
  static const std::unordered_map<std::string, int> kVectorCost = {
      {"Add", 1}, {"Sub", 1}, {"Mul", 1}, {"Div", 1}, {"Max", 1}, {"Min", 1}, {"Sum", 1},
      {"Mean", 1}, {"Equal", 1}, {"Less", 1}, {"Greater", 1}, {"LessOrEqual", 1},
      {"GreaterOrEqual", 1}, {"And", 1}, {"Or", 1}, {"Xor", 1}, {"Not", 1}, {"Where", 1},
      {"Mod", 1}, {"Relu", 1}, {"Neg", 1}, {"Abs", 1}, {"Clip", 1}, {"LeakyRelu", 1},
      {"PRelu", 1}, {"Floor", 1}, {"Ceil", 1}, {"Round", 1}, {"Sign", 1}, {"Reciprocal", 1},
      {"ThresholdedRelu", 1}, {"IsNaN", 1}, {"IsInf", 1}, {"HardSigmoid", 2}, {"HardSwish", 3},
      {"Exp", 4}, {"Log", 4}, {"Tanh", 4}, {"Sigmoid", 4}, {"Erf", 4}, {"Sqrt", 4}, {"Pow", 4},
      {"Sin", 4}, {"Cos", 4}, {"Softplus", 4}, {"Softsign", 2}, {"Elu", 4}, {"Selu", 4},
      {"Celu", 4}, {"Gelu", 8}, {"Mish", 8}, {"Softmax", 5}, {"LogSoftmax", 5}, {"Hardmax", 2},
      {"LayerNormalization", 8}, {"InstanceNormalization", 8}, {"GroupNormalization", 8},
      {"MeanVarianceNormalization", 8}, {"LpNormalization", 4}, {"BatchNormalization", 2},
      {"CumSum", 1}, {"TopK", 4}};
  // clang-format on
  return kVectorCost;
}

// Integer attributes libonnx's shape inference divides by or sizes loops with: a 0 (or a
// negative) there crashes inside libonnx, so they are checked before inference runs.
Status CheckInferenceAttributes(const ox::GraphProto& g, const std::string& path) {
  static const std::unordered_set<std::string> kPositive = {"strides", "dilations", "kernel_shape",
                                                            "group",   "blocksize", "num_outputs"};
  static const std::unordered_set<std::string> kNonNegative = {"pads", "output_padding"};
  for (int i = 0; i < g.node_size(); ++i) {
    const ox::NodeProto& node = g.node(i);
    for (const ox::AttributeProto& a : node.attribute()) {
      const bool positive = kPositive.count(a.name()) > 0;
      if (!positive && kNonNegative.count(a.name()) == 0) continue;
      std::vector<int64_t> values(a.ints().begin(), a.ints().end());
      if (a.type() == ox::AttributeProto::INT || a.has_i()) values.push_back(a.i());
      for (int64_t v : values) {
        if (positive ? v > 0 : v >= 0) continue;
        return Status::Error(path + ": node " + std::to_string(i) + " ('" + node.name() + "', " +
                             node.op_type() + ") has attribute " + a.name() + " = " +
                             std::to_string(v) + "; it must be " +
                             (positive ? "positive" : "non-negative"));
      }
    }
  }
  return Status::Ok();
}

// Rank of input `i` of an inference context, −1 when absent or unknown.
int InputRank(ox::InferenceContext& ctx, size_t i) {
  if (i >= ctx.getNumInputs()) return -1;
  const ox::TypeProto* t = ctx.getInputType(i);
  if (t == nullptr || !t->has_tensor_type() || !t->tensor_type().has_shape()) return -1;
  return t->tensor_type().shape().dim_size();
}

// Wraps the inference of every version of the default-domain op `op` (once per process) in
// `check`, which throws libonnx's InferenceError (fail_shape_inference) on what would crash it.
void WrapInference(const std::string& op,
                   const std::function<void(ox::InferenceContext&, const std::string&)>& check) {
  for (const ox::OpSchema& schema : ox::OpSchemaRegistry::get_all_schemas_with_history()) {
    if (!schema.domain().empty() || schema.Name() != op) continue;
    auto* target = const_cast<ox::OpSchema*>(
        ox::OpSchemaRegistry::Schema(schema.Name(), schema.SinceVersion(), schema.domain()));
    if (target == nullptr || !target->has_type_and_shape_inference_function()) continue;
    ox::InferenceFunction inner = target->GetTypeAndShapeInferenceFunction();
    target->TypeAndShapeInferenceFunction([inner, check, op](ox::InferenceContext& ctx) {
      check(ctx, op);
      inner(ctx);
    });
  }
}

// libonnx 1.12's Gemm-6 inference (and older) reads both operands' two dimensions without
// checking their ranks: a scalar operand crashes it. Every Gemm must multiply matrices.
void CheckGemmRanks(ox::InferenceContext& ctx, const std::string&) {
  for (size_t i : {0, 1}) {
    const int rank = InputRank(ctx, i);
    if (rank >= 0 && rank != 2) {
      fail_shape_inference("operand ", i == 0 ? "A" : "B", " has rank ", rank,
                           "; Gemm multiplies matrices (rank 2)");
    }
  }
}

// libonnx's convolution and pooling inference indexes the input's spatial dimensions with the
// attribute and weight ranks without checking that they agree (a malformed model crashes it).
void CheckConvPoolRanks(ox::InferenceContext& ctx, const std::string& op) {
  const int rank = InputRank(ctx, 0);
  if (rank < 0) return;
  if (rank < 3) fail_shape_inference("input has rank ", rank, "; at least 3 is needed");
  const int spatial = rank - 2;
  const int w = op.find("Conv") != std::string::npos ? InputRank(ctx, 1) : -1;
  if (w >= 0 && w != rank) {
    fail_shape_inference("weights have rank ", w, " but the input has rank ", rank);
  }
  for (const char* name :
       {"kernel_shape", "strides", "dilations", "pads", "output_padding", "output_shape"}) {
    const ox::AttributeProto* a = ctx.getAttribute(name);
    if (a == nullptr) continue;
    const int want = std::string(name) == "pads" ? 2 * spatial : spatial;
    if (a->ints_size() != want) {
      fail_shape_inference("attribute ", name, " has ", a->ints_size(), " values; ", want,
                           " expected for ", spatial, " spatial dimensions");
    }
  }
}

// Every version of the schemas whose libonnx inference crashes on malformed models (above)
// gets its inference wrapped, once, in a check that throws libonnx's own InferenceError
// instead, which Load() reports as bad input.
void GuardUncheckedInference() {
  static std::once_flag once;
  std::call_once(once, [] {
    WrapInference("Gemm", CheckGemmRanks);
    for (const char* op : {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool",
                           "AveragePool", "LpPool", "MaxUnpool", "MaxRoiPool", "DeformConv"}) {
      WrapInference(op, CheckConvPoolRanks);
    }
  });
}

// Names go into graph JSON: bytes that are not valid UTF-8 become '?', so two distinct names
// cannot collapse into one when the JSON writer replaces them.
std::string Utf8Name(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= s.size() && !(len == 2 && c < 0xC2) && !(len == 4 && c > 0xF4);
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

// Reductions: one vector op per input element (two for the L2/log-sum-exp family).
const std::unordered_map<std::string, int>& ReduceCost() {
  static const std::unordered_map<std::string, int> kReduceCost = {
      {"ReduceMean", 1},        {"ReduceSum", 1},       {"ReduceMax", 1},   {"ReduceMin", 1},
      {"ReduceProd", 1},        {"ReduceL1", 1},        {"ReduceL2", 2},    {"ReduceSumSquare", 2},
      {"ReduceLogSum", 2},      {"ReduceLogSumExp", 4}, {"ArgMax", 1},      {"ArgMin", 1},
      {"GlobalAveragePool", 1}, {"GlobalMaxPool", 1},   {"GlobalLpPool", 2}};
  return kReduceCost;
}

// Views: no bytes move.
bool IsView(const std::string& op) {
  static const std::unordered_set<std::string> kViews = {"Reshape",   "Flatten",  "Squeeze",
                                                         "Unsqueeze", "Identity", "Dropout"};
  return kViews.count(op) > 0;
}

// Read the output once, write it once.
bool IsGatherLike(const std::string& op) {
  static const std::unordered_set<std::string> kGathers = {"Gather", "GatherElements", "GatherND",
                                                           "Slice"};
  return kGathers.count(op) > 0;
}

// Read the inputs, write the output.
bool IsCopy(const std::string& op) {
  static const std::unordered_set<std::string> kCopies = {
      "Transpose", "Concat",          "Split",        "Pad",
      "Cast",      "CastLike",        "Resize",       "Upsample",
      "Tile",      "Expand",          "DepthToSpace", "SpaceToDepth",
      "ScatterND", "ScatterElements", "Trilu",        "ReverseSequence",
      "Compress",  "OneHot"};
  return kCopies.count(op) > 0;
}

// Ops that pass a tensor on unchanged in content (for following weight graph inputs).
bool IsLayout(const std::string& op) {
  return IsView(op) || op == "Transpose" || op == "Cast" || op == "Expand";
}

// Whether input `slot` of `op` holds parameters (see the header for the rule).
bool IsWeightSlot(const std::string& op, int slot) {
  if (op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "BatchNormalization" ||
      op == "LayerNormalization" || op == "InstanceNormalization" || op == "GroupNormalization") {
    return slot >= 1;
  }
  if (op == "MatMul" || op == "PRelu") return slot == 1;
  if (op == "Gather") return slot == 0;
  return false;
}

bool IsElementwiseOrConcat(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Concat" ||
         op == "Where" || op == "Max" || op == "Min";
}

int64_t ElementBytes(int32_t type) {
  switch (type) {
    case ox::TensorProto_DataType_UINT8:
    case ox::TensorProto_DataType_INT8:
    case ox::TensorProto_DataType_BOOL:
      return 1;
    case ox::TensorProto_DataType_UINT16:
    case ox::TensorProto_DataType_INT16:
    case ox::TensorProto_DataType_FLOAT16:
    case ox::TensorProto_DataType_BFLOAT16:
      return 2;
    case ox::TensorProto_DataType_FLOAT:
    case ox::TensorProto_DataType_INT32:
    case ox::TensorProto_DataType_UINT32:
      return 4;
    case ox::TensorProto_DataType_DOUBLE:
    case ox::TensorProto_DataType_INT64:
    case ox::TensorProto_DataType_UINT64:
    case ox::TensorProto_DataType_COMPLEX64:
      return 8;
    case ox::TensorProto_DataType_COMPLEX128:
      return 16;
    default:
      return 0;
  }
}

bool IsFloatOr8Bit(int32_t type) {
  return type == ox::TensorProto_DataType_FLOAT || type == ox::TensorProto_DataType_FLOAT16 ||
         type == ox::TensorProto_DataType_BFLOAT16 || type == ox::TensorProto_DataType_DOUBLE ||
         type == ox::TensorProto_DataType_INT8 || type == ox::TensorProto_DataType_UINT8;
}

bool IsInteger(int32_t type) {
  return type == ox::TensorProto_DataType_INT64 || type == ox::TensorProto_DataType_INT32 ||
         type == ox::TensorProto_DataType_INT16 || type == ox::TensorProto_DataType_UINT64 ||
         type == ox::TensorProto_DataType_UINT32 || type == ox::TensorProto_DataType_UINT16 ||
         type == ox::TensorProto_DataType_BOOL;
}

// Largest tensor accepted (2^40 elements); also keeps every product of dims inside int64.
constexpr int64_t kMaxElements = int64_t{1} << 40;

// Static type and shape of one tensor.
struct TensorInfo {
  bool has_type = false;
  bool static_shape = false;
  int32_t elem_type = 0;
  std::vector<int64_t> dims;
  std::string symbolic;  // first symbolic dim name, for the error message

  /// Saturates at kMaxElements (Importer::Shape rejects such tensors) so it cannot overflow.
  int64_t elements() const {
    int64_t e = 1;
    for (int64_t d : dims) {
      if (d < 0) return -1;
      if (d != 0 && e > kMaxElements / d) return kMaxElements;
      e *= d;
    }
    return e;
  }
  int64_t bytes() const { return elements() * ElementBytes(elem_type); }
};

TensorInfo InfoFromType(const ox::TypeProto& type) {
  TensorInfo info;
  if (!type.has_tensor_type()) return info;
  const ox::TypeProto_Tensor& t = type.tensor_type();
  info.has_type = true;
  info.elem_type = t.elem_type();
  if (!t.has_shape()) return info;
  info.static_shape = true;
  for (const auto& d : t.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0) {
      info.dims.push_back(d.dim_value());
    } else {
      info.static_shape = false;
      if (info.symbolic.empty()) info.symbolic = d.has_dim_param() ? d.dim_param() : "?";
    }
  }
  return info;
}

// a·b, saturated to the int64 range (out-of-range work counts are rejected by Graph::Finalize).
int64_t SatMul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_mul_overflow(a, b, &r)) return r;
  return (a < 0) != (b < 0) ? std::numeric_limits<int64_t>::min()
                            : std::numeric_limits<int64_t>::max();
}

int64_t Product(const std::vector<int64_t>& v, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < v.size(); ++i) p = SatMul(p, v[i]);
  return p;
}

int64_t OutputElements(const Node& n) { return Product(n.shape, 0, n.shape.size()); }

bool HasInput(const ox::NodeProto& node, int i) {
  return node.input_size() > i && !node.input(i).empty();
}

int64_t IntAttr(const ox::NodeProto& node, const char* name, int64_t fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name && a.has_i()) return a.i();
  }
  return fallback;
}

std::vector<int64_t> IntsAttr(const ox::NodeProto& node, const char* name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  }
  return {};
}

// A small integer tensor whose values are known before shape inference runs.
struct IntValue {
  std::vector<int64_t> dims;
  std::vector<int64_t> data;
  int32_t type = ox::TensorProto_DataType_INT64;
};

constexpr int64_t kMaxFoldElements = 4096;

bool ReadIntTensor(const ox::TensorProto& t, IntValue* out) {
  const int32_t type = t.data_type();
  if (type != ox::TensorProto_DataType_INT64 && type != ox::TensorProto_DataType_INT32 &&
      type != ox::TensorProto_DataType_BOOL) {  // bool: a folded Equal feeding a Where
    return false;
  }
  out->dims.assign(t.dims().begin(), t.dims().end());
  out->type = type;
  int64_t n = 1;
  for (int64_t d : out->dims) n *= d;
  if (n < 0 || n > kMaxFoldElements || t.data_location() == ox::TensorProto_DataLocation_EXTERNAL) {
    return false;
  }
  out->data.clear();
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    const size_t width = type == ox::TensorProto_DataType_INT64   ? 8
                         : type == ox::TensorProto_DataType_INT32 ? 4
                                                                  : 1;
    if (raw.size() != static_cast<size_t>(n) * width) return false;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = 0;
      if (width == 8) {
        std::memcpy(&v, raw.data() + i * 8, 8);
      } else if (width == 1) {
        v = raw[i] != 0;
      } else {
        int32_t v32 = 0;
        std::memcpy(&v32, raw.data() + i * 4, 4);
        v = v32;
      }
      out->data.push_back(v);
    }
  } else if (type == ox::TensorProto_DataType_INT64) {
    out->data.assign(t.int64_data().begin(), t.int64_data().end());
  } else {
    out->data.assign(t.int32_data().begin(), t.int32_data().end());
  }
  return static_cast<int64_t>(out->data.size()) == n;
}

int64_t NormAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

using IntInputs = std::vector<const IntValue*>;
using InfoInputs = std::vector<const TensorInfo*>;

// True when the node has at least `count` inputs and the first `count` are known.
bool AllKnown(const IntInputs& in, size_t count) {
  if (in.size() < count) return false;
  for (size_t i = 0; i < count; ++i) {
    if (!in[i]) return false;
  }
  return true;
}

// The folding step of one op: false when the node's value is not computable.
using EvalIntFn = bool (*)(const ox::NodeProto& node, const IntInputs& in,
                           const InfoInputs& in_info, IntValue* out);

bool EvalShape(const ox::NodeProto& node, const IntInputs&, const InfoInputs& in_info,
               IntValue* out) {
  if (in_info.empty() || !in_info[0] || !in_info[0]->static_shape) return false;
  const auto& d = in_info[0]->dims;
  const int64_t r = static_cast<int64_t>(d.size());
  int64_t start = std::clamp<int64_t>(NormAxis(IntAttr(node, "start", 0), r), 0, r);
  int64_t end = std::clamp<int64_t>(NormAxis(IntAttr(node, "end", r), r), 0, r);
  out->data.assign(d.begin() + start, d.begin() + std::max(start, end));
  out->dims = {static_cast<int64_t>(out->data.size())};
  return true;
}

// Identity and Cast (to an integer type).
bool EvalCopy(const ox::NodeProto& node, const IntInputs& in, const InfoInputs&, IntValue* out) {
  if (!AllKnown(in, 1)) return false;
  if (node.op_type() == "Cast") {
    const int64_t to = IntAttr(node, "to", 0);
    if (to != ox::TensorProto_DataType_INT64 && to != ox::TensorProto_DataType_INT32) return false;
    *out = *in[0];
    out->type = static_cast<int32_t>(to);
    return true;
  }
  *out = *in[0];
  return true;
}

// x op y for Add, Sub, Mul, Div, Max, Min and Mod (Python-style unless fmod=1).
int64_t ApplyIntOp(const ox::NodeProto& node, int64_t x, int64_t y) {
  const std::string& op = node.op_type();
  if (op == "Add") return x + y;
  if (op == "Sub") return x - y;
  if (op == "Mul") return x * y;
  if (op == "Div") return x / y;
  if (op == "Max") return std::max(x, y);
  if (op == "Min") return std::min(x, y);
  return IntAttr(node, "fmod", 0) ? x % y : ((x % y) + y) % y;
}

// Add, Sub, Mul, Div, Mod, Max and Min, broadcasting a single element.
bool EvalArithmetic(const ox::NodeProto& node, const IntInputs& in, const InfoInputs&,
                    IntValue* out) {
  const std::string& op = node.op_type();
  if (!AllKnown(in, 2)) return false;
  const IntValue& a = *in[0];
  const IntValue& b = *in[1];
  if (a.data.size() != b.data.size() && a.data.size() != 1 && b.data.size() != 1) return false;
  const bool take_a = a.data.size() != b.data.size() ? a.data.size() > b.data.size()
                                                     : a.dims.size() >= b.dims.size();
  *out = take_a ? a : b;
  for (size_t i = 0; i < out->data.size(); ++i) {
    const int64_t x = a.data[a.data.size() == 1 ? 0 : i], y = b.data[b.data.size() == 1 ? 0 : i];
    if ((op == "Div" || op == "Mod") && y == 0) return false;
    out->data[i] = ApplyIntOp(node, x, y);
  }
  return true;
}

// torch's expand(n, -1, ...) compares its sizes with -1.
bool EvalEqual(const ox::NodeProto&, const IntInputs& in, const InfoInputs&, IntValue* out) {
  if (!AllKnown(in, 2) || (in[0]->data.size() != in[1]->data.size() && in[1]->data.size() != 1)) {
    return false;
  }
  *out = *in[0];
  out->type = ox::TensorProto_DataType_BOOL;
  for (size_t i = 0; i < out->data.size(); ++i) {
    out->data[i] = in[0]->data[i] == in[1]->data[in[1]->data.size() == 1 ? 0 : i];
  }
  return true;
}

bool EvalWhere(const ox::NodeProto&, const IntInputs& in, const InfoInputs&, IntValue* out) {
  if (!AllKnown(in, 3)) return false;
  const size_t n = std::max({in[0]->data.size(), in[1]->data.size(), in[2]->data.size()});
  for (const IntValue* v : in) {
    if (v->data.size() != n && v->data.size() != 1) return false;
  }
  const IntValue* shape_from = in[0];
  for (const IntValue* v : in) {
    if (v->data.size() == n && v->dims.size() > shape_from->dims.size()) shape_from = v;
  }
  if (shape_from->data.size() != n) return false;
  out->dims = shape_from->dims;
  out->type = in[1]->type;
  out->data.resize(n);
  auto at = [](const IntValue* v, size_t i) { return v->data[v->data.size() == 1 ? 0 : i]; };
  for (size_t i = 0; i < n; ++i) out->data[i] = at(in[0], i) ? at(in[1], i) : at(in[2], i);
  return true;
}

// Unsqueeze and Squeeze of a scalar or a one-element vector.
bool EvalSqueeze(const ox::NodeProto& node, const IntInputs& in, const InfoInputs&, IntValue* out) {
  const bool unsqueeze = node.op_type() == "Unsqueeze";
  if (!AllKnown(in, 1) || in[0]->data.size() > 1) return false;
  out->data = in[0]->data;
  out->dims = unsqueeze ? std::vector<int64_t>{static_cast<int64_t>(out->data.size())}
                        : std::vector<int64_t>{};
  if (unsqueeze && !in[0]->dims.empty()) return false;
  return true;
}

bool EvalConcat(const ox::NodeProto&, const IntInputs& in, const InfoInputs&, IntValue* out) {
  out->data.clear();
  for (const IntValue* v : in) {
    if (!v || v->dims.size() != 1) return false;
    out->data.insert(out->data.end(), v->data.begin(), v->data.end());
  }
  out->dims = {static_cast<int64_t>(out->data.size())};
  return true;
}

bool EvalGather(const ox::NodeProto&, const IntInputs& in, const InfoInputs&, IntValue* out) {
  if (!AllKnown(in, 2) || in[0]->dims.size() != 1 || in[1]->dims.size() > 1) return false;
  const int64_t n = static_cast<int64_t>(in[0]->data.size());
  out->data.clear();
  for (int64_t idx : in[1]->data) {
    idx = NormAxis(idx, n);
    if (idx < 0 || idx >= n) return false;
    out->data.push_back(in[0]->data[idx]);
  }
  out->dims = in[1]->dims;
  return true;
}

// Slice along axis 0 with one start, end and (optional) step.
bool EvalSlice(const ox::NodeProto& node, const IntInputs& in, const InfoInputs&, IntValue* out) {
  for (int i = 3; i < node.input_size(); ++i) {
    if (!node.input(i).empty() && !in[i]) return false;
  }
  if (!AllKnown(in, 3) || in[0]->dims.empty() || in[1]->data.size() != 1 ||
      in[2]->data.size() != 1) {
    return false;
  }
  if (in.size() > 3 && in[3] &&
      (in[3]->data.size() != 1 || NormAxis(in[3]->data[0], in[0]->dims.size()) != 0)) {
    return false;
  }
  const int64_t step = in.size() > 4 && in[4] ? in[4]->data.at(0) : 1;
  const int64_t n = in[0]->dims[0];
  if (step == 0 || n == 0) return false;
  const int64_t inner = static_cast<int64_t>(in[0]->data.size()) / n;
  int64_t b = in[1]->data[0], e = in[2]->data[0];
  b = b < 0 ? std::max<int64_t>(b + n, 0) : b;
  e = e < 0 ? (e < -n ? -1 : e + n) : e;
  if (step > 0) {
    b = std::min(b, n);
    e = std::clamp<int64_t>(e, 0, n);
  } else {
    b = std::min(b, n - 1);
    e = std::clamp<int64_t>(e, -1, n - 1);
  }
  out->data.clear();
  int64_t rows = 0;
  for (int64_t r = b; step > 0 ? r < e : r > e; r += step, ++rows) {
    out->data.insert(out->data.end(), in[0]->data.begin() + r * inner,
                     in[0]->data.begin() + (r + 1) * inner);
  }
  out->dims = in[0]->dims;
  out->dims[0] = rows;
  return true;
}

bool EvalConstantOfShape(const ox::NodeProto& node, const IntInputs& in, const InfoInputs&,
                         IntValue* out) {
  if (!AllKnown(in, 1) || in[0]->dims.size() != 1) return false;
  IntValue fill;
  bool has_value = false;
  for (const auto& a : node.attribute()) {
    if (a.name() == "value" && a.has_t()) has_value = ReadIntTensor(a.t(), &fill);
  }
  if (!has_value || fill.data.size() != 1) return false;
  int64_t count = 1;
  for (int64_t d : in[0]->data) count *= d;
  if (count < 0 || count > kMaxFoldElements) return false;
  out->dims = in[0]->data;
  out->data.assign(count, fill.data[0]);
  out->type = fill.type;
  return true;
}

bool EvalReshape(const ox::NodeProto&, const IntInputs& in, const InfoInputs&, IntValue* out) {
  if (!AllKnown(in, 2)) return false;
  std::vector<int64_t> dims = in[1]->data;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && i < in[0]->dims.size()) dims[i] = in[0]->dims[i];
    if (dims[i] == -1) {
      infer = static_cast<int64_t>(i);
    } else {
      known *= dims[i];
    }
  }
  const int64_t total = static_cast<int64_t>(in[0]->data.size());
  if (infer >= 0) {
    if (known <= 0 || total % known != 0) return false;
    dims[infer] = total / known;
  } else if (known != total) {
    return false;
  }
  *out = *in[0];
  out->dims = dims;
  return true;
}

bool EvalTranspose(const ox::NodeProto& node, const IntInputs& in, const InfoInputs&,
                   IntValue* out) {
  if (!AllKnown(in, 1)) return false;
  const std::vector<int64_t>& d = in[0]->dims;
  const size_t r = d.size();
  std::vector<int64_t> perm = IntsAttr(node, "perm");
  if (perm.empty()) {
    for (size_t i = 0; i < r; ++i) perm.push_back(static_cast<int64_t>(r - 1 - i));
  }
  if (perm.size() != r) return false;
  std::vector<int64_t> stride(r, 1);
  for (size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * d[i];
  out->type = in[0]->type;
  out->dims.clear();
  for (int64_t p : perm) out->dims.push_back(d[p]);
  out->data.assign(in[0]->data.size(), 0);
  std::vector<int64_t> idx(r, 0);
  for (size_t flat = 0; flat < out->data.size(); ++flat) {
    int64_t src = 0;
    for (size_t k = 0; k < r; ++k) src += idx[k] * stride[perm[k]];
    out->data[flat] = in[0]->data[src];
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < out->dims[k]) break;
      idx[k] = 0;
    }
  }
  return true;
}

// Evaluates the integer shape arithmetic exporters emit (Shape → Gather → Add/Mod → Concat
// → Pad/Reshape; ConstantOfShape → Equal → Where → Expand for torch's expand(n, -1)) that
// ONNX's data propagation leaves open. False when not computable.
bool EvalIntNode(const ox::NodeProto& node, const IntInputs& in, const InfoInputs& in_info,
                 IntValue* out) {
  static const std::unordered_map<std::string, EvalIntFn> kEval = {
      {"Shape", EvalShape},       {"Identity", EvalCopy},
      {"Cast", EvalCopy},         {"Add", EvalArithmetic},
      {"Sub", EvalArithmetic},    {"Mul", EvalArithmetic},
      {"Div", EvalArithmetic},    {"Mod", EvalArithmetic},
      {"Max", EvalArithmetic},    {"Min", EvalArithmetic},
      {"Equal", EvalEqual},       {"Where", EvalWhere},
      {"Unsqueeze", EvalSqueeze}, {"Squeeze", EvalSqueeze},
      {"Concat", EvalConcat},     {"Gather", EvalGather},
      {"Slice", EvalSlice},       {"ConstantOfShape", EvalConstantOfShape},
      {"Reshape", EvalReshape},   {"Transpose", EvalTranspose}};
  auto it = kEval.find(node.op_type());
  return it != kEval.end() && it->second(node, in, in_info, out);
}

// Order of the graph's nodes for shape inference: topological (Kahn, stored order among the
// ready nodes); nodes on a cycle or reading an unknown tensor follow in stored order
// (Importer::SortNodes reports those).
std::vector<int> InferenceOrder(const ox::GraphProto& g) {
  const int n = g.node_size();
  std::unordered_map<std::string, int> made_by;
  for (int i = 0; i < n; ++i) {
    for (const std::string& out : g.node(i).output()) {
      if (!out.empty()) made_by.emplace(out, i);
    }
  }
  std::vector<std::vector<int>> succ(n);
  std::vector<int> indeg(n, 0);
  for (int i = 0; i < n; ++i) {
    for (const std::string& in : g.node(i).input()) {
      auto it = made_by.find(in);
      if (in.empty() || it == made_by.end() || it->second == i) continue;
      succ[it->second].push_back(i);
      ++indeg[i];
    }
  }
  std::set<int> ready;
  for (int i = 0; i < n; ++i) {
    if (indeg[i] == 0) ready.insert(i);
  }
  std::vector<int> order;
  std::vector<bool> placed(n, false);
  while (!ready.empty()) {
    const int v = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(v);
    placed[v] = true;
    for (int s : succ[v]) {
      if (--indeg[s] == 0) ready.insert(s);
    }
  }
  for (int i = 0; i < n; ++i) {
    if (!placed[i]) order.push_back(i);
  }
  return order;
}

// The TypeProto of a folded integer tensor.
ox::TypeProto TypeOfValue(const IntValue& v) {
  ox::TypeProto type;
  ox::TypeProto_Tensor* t = type.mutable_tensor_type();
  t->set_elem_type(v.type);
  ox::TensorShapeProto* shape = t->mutable_shape();
  for (int64_t d : v.dims) shape->add_dim()->set_dim_value(d);
  return type;
}

// A folded integer tensor as an ONNX initializer.
void FillTensor(const std::string& name, const IntValue& v, ox::TensorProto* t) {
  t->set_name(name);
  t->set_data_type(v.type);
  for (int64_t d : v.dims) t->add_dims(d);
  for (int64_t x : v.data) {
    if (v.type != ox::TensorProto_DataType_INT64) {  // int32 and bool use int32_data
      t->add_int32_data(static_cast<int32_t>(x));
    } else {
      t->add_int64_data(x);
    }
  }
}

// The value of a node's integer output when it can be computed from known inputs.
bool FoldNode(const ox::NodeProto& node,
              const std::function<const IntValue*(const std::string&)>& value_of,
              const std::function<const TensorInfo*(const std::string&)>& info_of, IntValue* out) {
  if (node.output_size() != 1 || node.output(0).empty()) return false;
  if (!(node.domain().empty() || node.domain() == "ai.onnx")) return false;
  if (node.op_type() == "Constant") {
    bool ok = false;
    for (const auto& a : node.attribute()) {
      if (a.name() == "value" && a.has_t()) ok = ReadIntTensor(a.t(), out);
    }
    return ok;
  }
  IntInputs in;
  InfoInputs in_info;
  for (const std::string& name : node.input()) {
    in.push_back(value_of(name));
    in_info.push_back(info_of(name));
  }
  return EvalIntNode(node, in, in_info, out);
}

// ONNX shape inference (with data propagation) in one pass over the nodes in topological
// order, folding integer shape arithmetic as soon as a node's inputs are known, so that each
// node is inferred once, with every folded input available as constant data. Linear in the
// model; the node-level steps are those of onnx/shape_inference/implementation.cc
// (non-strict: a node whose inference fails keeps unknown outputs).
class ShapePass {
 public:
  ShapePass(ox::ModelProto* model, const std::string& path) : model_(model), path_(path) {}

  /// Infers every tensor's type, writes them to the graph's value_info and returns, per node,
  /// whether it folded; `values` receives the folded tensors.
  StatusOr<std::vector<bool>> Run(std::unordered_map<std::string, IntValue>* values);

 private:
  void Seed();
  bool TryFold(const ox::NodeProto& node);
  Status Infer(ox::NodeProto& node);
  Status Update(const std::string& name, const ox::TypeProto& inferred);
  void WriteValueInfo();
  // Lists `name` for value_info (once; graph inputs and typed outputs keep their own entry).
  void Record(const std::string& name);
  const TensorInfo* InfoOf(const std::string& name);

  ox::ModelProto* model_;
  const std::string& path_;
  std::unordered_map<std::string, int> opsets_;
  std::unordered_map<std::string, ox::TypeProto> types_;
  std::unordered_map<std::string, ox::TypeProto*> type_ptrs_;  // what ONNX's contexts read
  std::vector<std::string> inferred_names_;  // value_info order: file's, then by node
  std::unordered_set<std::string> recorded_;
  std::unordered_set<std::string> not_value_info_;
  std::unordered_map<std::string, const ox::TensorProto*> data_;
  std::deque<ox::TensorProto> folded_data_;
  std::unordered_map<std::string, ox::TensorShapeProto> shape_data_;
  std::unordered_map<std::string, IntValue>* values_ = nullptr;
  std::unordered_map<std::string, TensorInfo> info_cache_;
};

StatusOr<std::vector<bool>> ShapePass::Run(std::unordered_map<std::string, IntValue>* values) {
  values_ = values;
  Seed();
  ox::GraphProto* g = model_->mutable_graph();
  std::vector<bool> folded(g->node_size(), false);
  for (int i : InferenceOrder(*g)) {
    ox::NodeProto* node = g->mutable_node(i);
    if (TryFold(*node)) {
      folded[i] = true;
      continue;
    }
    MCMPART_RETURN_IF_ERROR(Infer(*node));
  }
  WriteValueInfo();
  return folded;
}

void ShapePass::Seed() {
  for (const auto& op : model_->opset_import()) opsets_[op.domain()] = op.version();
  const ox::GraphProto& g = model_->graph();
  auto seed = [&](const ox::ValueInfoProto& vi, bool record) {
    if (!vi.has_type()) return;
    types_[vi.name()] = vi.type();
    type_ptrs_[vi.name()] = &types_[vi.name()];
    if (record) Record(vi.name());
  };
  for (const auto& vi : g.input()) {
    seed(vi, false);
    not_value_info_.insert(vi.name());
  }
  for (const auto& vi : g.output()) {
    seed(vi, false);
    if (vi.has_type()) not_value_info_.insert(vi.name());
  }
  for (const auto& vi : g.value_info()) seed(vi, true);
  for (const auto& init : g.initializer()) {
    data_[init.name()] = &init;
    IntValue v;
    if (ReadIntTensor(init, &v)) (*values_)[init.name()] = std::move(v);
    if (type_ptrs_.count(init.name())) continue;  // a graph input's own type has priority
    ox::TypeProto& type = types_[init.name()];
    type.mutable_tensor_type()->set_elem_type(init.data_type());
    ox::TensorShapeProto* shape = type.mutable_tensor_type()->mutable_shape();
    for (int64_t d : init.dims()) shape->add_dim()->set_dim_value(d);
    type_ptrs_[init.name()] = &type;
  }
  for (const auto& node : g.node()) {
    if (node.op_type() != "Constant" || node.output_size() != 1) continue;
    for (const auto& a : node.attribute()) {
      if (a.name() == "value" && a.has_t()) data_[node.output(0)] = &a.t();
    }
  }
}

const TensorInfo* ShapePass::InfoOf(const std::string& name) {
  auto cached = info_cache_.find(name);
  if (cached != info_cache_.end()) return &cached->second;
  auto it = type_ptrs_.find(name);
  if (it == type_ptrs_.end()) return nullptr;
  return &info_cache_.emplace(name, InfoFromType(*it->second)).first->second;
}

bool ShapePass::TryFold(const ox::NodeProto& node) {
  IntValue out;
  auto value_of = [&](const std::string& name) -> const IntValue* {
    auto v = values_->find(name);
    return v == values_->end() ? nullptr : &v->second;
  };
  auto info_of = [&](const std::string& name) { return InfoOf(name); };
  if (!FoldNode(node, value_of, info_of, &out)) return false;
  const std::string& name = node.output(0);
  Record(name);
  types_[name] = TypeOfValue(out);
  type_ptrs_[name] = &types_[name];
  info_cache_.erase(name);
  if (node.op_type() != "Constant") {
    folded_data_.emplace_back();
    FillTensor(name, out, &folded_data_.back());
    data_[name] = &folded_data_.back();
  }
  (*values_)[name] = std::move(out);
  return true;
}

Status ShapePass::Infer(ox::NodeProto& node) {
  auto dit = opsets_.find(node.domain());
  if (dit == opsets_.end() && node.domain().empty()) dit = opsets_.find("ai.onnx");
  if (dit == opsets_.end()) return Status::Ok();  // no opset: nothing to infer from
  const ox::OpSchema* schema =
      ox::OpSchemaRegistry::Instance()->GetSchema(node.op_type(), dit->second, node.domain());
  if (!schema) return Status::Ok();  // unknown op: outputs stay unknown
  ox::shape_inference::InferenceContextImpl ctx(node, type_ptrs_, data_, {}, &shape_data_);
  try {
    if (schema->has_type_and_shape_inference_function()) {
      schema->GetTypeAndShapeInferenceFunction()(ctx);
    } else if (schema->HasFunction()) {
      ox::ShapeInferenceOptions opts(false, 0, true);
      ox::shape_inference::InferShapeForFunctionNode(*schema->GetFunction(),
                                                     ox::OpSchemaRegistry::Instance(), ctx, opts,
                                                     {}, nullptr, &shape_data_);
    } else {
      return Status::Ok();
    }
  } catch (const ox::InferenceError&) {
    return Status::Ok();               // non-strict, as ONNX's own pass: the outputs stay unknown
  } catch (const std::exception& e) {  // e.g. a node with fewer outputs than its schema's
    return Status::Error(path_ + ": ONNX shape inference failed: " + e.what());
  }
  try {
    for (int i = 0; i < node.output_size(); ++i) {
      if (!node.output(i).empty())
        MCMPART_RETURN_IF_ERROR(Update(node.output(i), *ctx.getOutputType(i)));
    }
    if (schema->has_data_propagation_function()) {
      ox::shape_inference::DataPropagationContextImpl dp(node, type_ptrs_, data_, shape_data_);
      schema->GetDataPropagationFunction()(dp);
    }
  } catch (const std::exception& e) {
    return Status::Error(path_ + ": ONNX shape inference failed: node '" + node.name() + "' (" +
                         node.op_type() + "): " + e.what());
  }
  return Status::Ok();
}

Status ShapePass::Update(const std::string& name, const ox::TypeProto& inferred) {
  if (inferred.value_case() == ox::TypeProto::VALUE_NOT_SET) return Status::Ok();
  auto it = type_ptrs_.find(name);
  if (it == type_ptrs_.end()) {
    types_[name] = inferred;
    type_ptrs_[name] = &types_[name];
  } else {
    ox::shape_inference::mergeShapesAndTypes(inferred, it->second);
  }
  Record(name);
  info_cache_.erase(name);
  return Status::Ok();
}

void ShapePass::WriteValueInfo() {
  ox::GraphProto* g = model_->mutable_graph();
  google::protobuf::RepeatedPtrField<ox::ValueInfoProto> out;
  for (const std::string& name : inferred_names_) {
    ox::ValueInfoProto* vi = out.Add();
    vi->set_name(name);
    *vi->mutable_type() = types_[name];
  }
  g->mutable_value_info()->Swap(&out);
  for (auto& vi : *g->mutable_output()) {
    auto it = types_.find(vi.name());
    if (it != types_.end()) *vi.mutable_type() = it->second;
  }
}

void ShapePass::Record(const std::string& name) {
  if (!not_value_info_.count(name) && recorded_.insert(name).second) {
    inferred_names_.push_back(name);
  }
}

class Importer {
 public:
  Importer(const std::string& path, const OnnxImportOptions& options, OnnxImportReport* report)
      : path_(path), options_(options), report_(report) {}
  /// Imports `bytes` (the model already in memory) instead of reading the file `path`.
  void SetBytes(const std::string* bytes) { bytes_ = bytes; }

  StatusOr<Graph> Run();

 private:
  Status Load();
  // Names the graph after the file.
  Status SetGraphName();
  // One round of the whole-graph path: folds what the last inference made computable; false
  // when nothing folded.
  bool FoldIntegerSubgraphs();
  // Replaces the folded nodes by initializers (when any non-Constant node folded); true then.
  bool ReplaceFolded(const std::vector<bool>& folded,
                     const std::unordered_map<std::string, IntValue>& values);
  Status CollectTensorInfo();
  Status SortNodes();
  void ClassifyGraphInputs();
  Status Convert();
  // Fills report_->tensor_types from the inferred model.
  void RecordTensorTypes();
  // Picks `base`, or `base_1`, `base_2`, ... when taken, and marks it taken.
  std::string ClaimName(const std::string& base);
  Status ConvertNode(const ox::NodeProto& node, int index);
  // Folds a node whose inputs are all constants (or that reads only a static shape): its
  // outputs derive from its inputs' weights. False when the node stays.
  bool FoldConstant(const ox::NodeProto& node, bool standard);
  // Output sizes: output 0 always, other outputs when something reads them.
  Status SetOutputSizes(const ox::NodeProto& node, const std::string& where, Node* n);
  // Charges the weight tensors the node reads (directly or through folded constants).
  // With options_.weight_bytes, each weight element takes that many bytes.
  void ChargeWeights(const ox::NodeProto& node, Node* n);
  // Unknown op: an error in strict mode, otherwise one vector op per output element.
  Status SetFallbackCost(const std::string& where, Node* n);
  // Edges: bytes of every live tensor the node reads, summed per producer.
  Status AddInputEdges(const ox::NodeProto& node, const std::string& where, int id);
  Status SetCost(const ox::NodeProto& node, const std::string& where, Node* out);
  Status SetConvCost(const ox::NodeProto& node, const std::string& where, Node* n) const;
  Status SetGemmCost(const ox::NodeProto& node, const std::string& where, Node* n) const;
  Status SetMatMulCost(const ox::NodeProto& node, const std::string& where, Node* n) const;
  Status SetCopyCost(const ox::NodeProto& node, const std::string& where, Node* n) const;
  // MACs of a matmul or conv from its GEMM shape; other classes are left alone.
  Status SetMacs(const std::string& where, Node* n) const;
  Status GemmError(const std::string& where) const;
  StatusOr<TensorInfo> Input(const ox::NodeProto& node, int i, const std::string& where) const;
  StatusOr<TensorInfo> Shape(const std::string& tensor, const std::string& where) const;
  std::string NodeLabel(const ox::NodeProto& node, int index) const;

  const std::string path_;
  const std::string* bytes_ = nullptr;
  const OnnxImportOptions options_;
  OnnxImportReport* report_;
  OnnxImportReport own_report_;

  ox::ModelProto model_;
  std::unordered_map<std::string, TensorInfo> info_;
  std::unordered_set<std::string> initializers_;
  std::unordered_set<std::string> weight_inputs_;
  std::vector<int> order_;  // ONNX node indices in topological order
  std::unordered_map<std::string, std::vector<std::pair<int, int>>> consumers_;  // (node, slot)

  // Folded tensors; each maps to the weight tensors it derives from.
  std::unordered_map<std::string, std::vector<std::string>> const_weights_;
  std::unordered_map<std::string, int> producer_;  // live tensor → IR node
  std::unordered_set<std::string> used_names_;
  std::map<std::string, int> unknown_ops_;
  std::set<int64_t> weight_elem_bytes_;  // bytes per element of the charged weights
  Graph graph_;
};

StatusOr<Graph> Importer::Run() {
  if (!report_) report_ = &own_report_;
  MCMPART_RETURN_IF_ERROR(CheckWeightElementSize(options_.weight_bytes));
  MCMPART_RETURN_IF_ERROR(Load());
  MCMPART_RETURN_IF_ERROR(CollectTensorInfo());
  MCMPART_RETURN_IF_ERROR(SortNodes());
  ClassifyGraphInputs();
  MCMPART_RETURN_IF_ERROR(Convert());
  RecordTensorTypes();
  if (!unknown_ops_.empty()) {
    std::string list;
    for (const auto& [op, count] : unknown_ops_) {
      list += (list.empty() ? "" : ", ") + op + " x" + std::to_string(count);
    }
    report_->warnings.push_back(path_ + ": " + std::to_string(report_->unknown_nodes) +
                                " node(s) of unknown op types (" + list +
                                ") use the fallback cost: one vector op per output element");
  }
  if (report_ == &own_report_) {
    for (const std::string& w : own_report_.warnings) std::cerr << "warning: " << w << "\n";
  }
  // One element size for every weight: the graph states it (mixed sizes state none).
  if (options_.weight_bytes > 0) {
    graph_.weight_bytes_per_element = options_.weight_bytes;
  } else if (weight_elem_bytes_.size() == 1) {
    graph_.weight_bytes_per_element = static_cast<int>(*weight_elem_bytes_.begin());
  }
  Status st = graph_.Finalize();
  if (!st.ok()) return st.WithContext(path_);
  return std::move(graph_);
}

Status Importer::Load() {
  std::string bytes;
  if (bytes_) {
    bytes = *bytes_;
  } else {
    MCMPART_ASSIGN_OR_RETURN(bytes, ReadFile(path_));
  }
  if (bytes.empty()) return Status::Error(path_ + ": empty file (expected an ONNX model)");
  if (!model_.ParseFromString(bytes)) {
    return Status::Error(path_ +
                         ": not a valid ONNX model (protobuf parse failed: truncated, "
                         "corrupt or not an .onnx file)");
  }
  if (model_.ir_version() <= 0 || !model_.has_graph() || model_.graph().node_size() == 0) {
    return Status::Error(path_ + ": not an ONNX model (no ir_version or an empty graph)");
  }
  report_->onnx_nodes = model_.graph().node_size();
  MCMPART_RETURN_IF_ERROR(CheckInferenceAttributes(model_.graph(), path_));
  GuardUncheckedInference();
  if (!options_.whole_graph_inference) {
    std::unordered_map<std::string, IntValue> values;
    ShapePass pass(&model_, path_);
    MCMPART_ASSIGN_OR_RETURN(std::vector<bool> folded, pass.Run(&values));
    ReplaceFolded(folded, values);
    return SetGraphName();
  }
  // Shape inference, then fold integer shape arithmetic it left open into initializers and
  // infer again, until nothing more folds.
  for (int round = 0; round < 64; ++round) {
    if (round > 0) {
      // Drop shapes left symbolic so the next inference can replace them.
      google::protobuf::RepeatedPtrField<ox::ValueInfoProto> keep;
      for (const auto& vi : model_.graph().value_info()) {
        if (InfoFromType(vi.type()).static_shape) *keep.Add() = vi;
      }
      model_.mutable_graph()->mutable_value_info()->Swap(&keep);
    }
    try {
      ox::ShapeInferenceOptions opts(/*check_type_val=*/false, /*strict_mode_val=*/0,
                                     /*data_prop_val=*/true);
      ox::shape_inference::InferShapes(model_, ox::OpSchemaRegistry::Instance(), opts);
    } catch (const std::exception& e) {
      return Status::Error(path_ + ": ONNX shape inference failed: " + e.what());
    }
    if (!FoldIntegerSubgraphs()) break;
  }
  return SetGraphName();
}

Status Importer::SetGraphName() {
  graph_.name = path_;
  size_t slash = graph_.name.find_last_of('/');
  if (slash != std::string::npos) graph_.name = graph_.name.substr(slash + 1);
  if (graph_.name.size() > 5) graph_.name.resize(graph_.name.size() - 5);  // ".onnx"
  return Status::Ok();
}

bool Importer::FoldIntegerSubgraphs() {
  const ox::GraphProto& g = model_.graph();
  std::unordered_map<std::string, TensorInfo> info;
  for (const auto& vi : g.input()) info[vi.name()] = InfoFromType(vi.type());
  for (const auto& vi : g.value_info()) info[vi.name()] = InfoFromType(vi.type());
  std::unordered_map<std::string, IntValue> values;
  for (const auto& init : g.initializer()) {
    IntValue v;
    if (ReadIntTensor(init, &v)) values[init.name()] = std::move(v);
  }
  auto value_of = [&](const std::string& name) -> const IntValue* {
    auto v = values.find(name);
    return v == values.end() ? nullptr : &v->second;
  };
  auto info_of = [&](const std::string& name) -> const TensorInfo* {
    auto t = info.find(name);
    return t == info.end() ? nullptr : &t->second;
  };
  // Nodes are usually stored in topological order; a few sweeps cover the rest.
  std::vector<bool> folded(g.node_size(), false);
  for (int sweep = 0; sweep < 3; ++sweep) {
    bool progress = false;
    for (int i = 0; i < g.node_size(); ++i) {
      IntValue out;
      if (folded[i] || !FoldNode(g.node(i), value_of, info_of, &out)) continue;
      values[g.node(i).output(0)] = std::move(out);
      folded[i] = true;
      progress = true;
    }
    if (!progress) break;
  }
  return ReplaceFolded(folded, values);
}

bool Importer::ReplaceFolded(const std::vector<bool>& folded,
                             const std::unordered_map<std::string, IntValue>& values) {
  ox::GraphProto* g = model_.mutable_graph();
  bool any = false;
  for (int i = 0; i < g->node_size(); ++i) {
    any = any || (folded[i] && g->node(i).op_type() != "Constant");
  }
  if (!any) return false;
  // Replace folded nodes by initializers; keep Constant nodes nobody else folded from.
  std::unordered_set<std::string> consumed_by_live;
  for (int i = 0; i < g->node_size(); ++i) {
    if (folded[i]) continue;
    for (const std::string& in : g->node(i).input()) consumed_by_live.insert(in);
  }
  for (const auto& vi : g->output()) consumed_by_live.insert(vi.name());
  google::protobuf::RepeatedPtrField<ox::NodeProto> kept;
  for (int i = 0; i < g->node_size(); ++i) {
    const ox::NodeProto& node = g->node(i);
    if (!folded[i]) {
      *kept.Add() = node;
      continue;
    }
    ++report_->folded_nodes;
    if (!consumed_by_live.count(node.output(0))) continue;
    FillTensor(node.output(0), values.at(node.output(0)), g->add_initializer());
  }
  g->mutable_node()->Swap(&kept);
  return true;
}

Status Importer::CollectTensorInfo() {
  const ox::GraphProto& g = model_.graph();
  for (const auto& vi : g.input()) info_[vi.name()] = InfoFromType(vi.type());
  for (const auto& vi : g.value_info()) info_[vi.name()] = InfoFromType(vi.type());
  for (const auto& vi : g.output()) {
    if (!info_.count(vi.name()) || !info_[vi.name()].static_shape)
      info_[vi.name()] = InfoFromType(vi.type());
  }
  for (const auto& init : g.initializer()) {
    TensorInfo t;
    t.has_type = true;
    t.static_shape = true;
    t.elem_type = init.data_type();
    t.dims.assign(init.dims().begin(), init.dims().end());
    info_[init.name()] = t;
    initializers_.insert(init.name());
  }
  return Status::Ok();
}

std::string Importer::NodeLabel(const ox::NodeProto& node, int index) const {
  return "node " + std::to_string(index) + " '" + node.name() + "' (" + node.op_type() + ")";
}

Status Importer::SortNodes() {
  const ox::GraphProto& g = model_.graph();
  const int n = g.node_size();
  std::unordered_map<std::string, int> made_by;
  for (int i = 0; i < n; ++i) {
    for (const std::string& out : g.node(i).output()) {
      if (out.empty()) continue;
      if (!made_by.emplace(out, i).second) {
        return Status::Error(path_ + ": tensor '" + out + "' is produced by two nodes (" +
                             NodeLabel(g.node(made_by[out]), made_by[out]) + " and " +
                             NodeLabel(g.node(i), i) + ")");
      }
    }
  }
  std::unordered_set<std::string> sources(initializers_);
  for (const auto& vi : g.input()) sources.insert(vi.name());
  std::vector<std::vector<int>> succ(n);
  std::vector<int> indeg(n, 0);
  for (int i = 0; i < n; ++i) {
    const ox::NodeProto& node = g.node(i);
    std::set<int> preds;
    for (int s = 0; s < node.input_size(); ++s) {
      const std::string& in = node.input(s);
      if (in.empty()) continue;
      consumers_[in].emplace_back(i, s);
      auto it = made_by.find(in);
      if (it != made_by.end()) {
        preds.insert(it->second);
      } else if (!sources.count(in)) {
        return Status::Error(path_ + ": " + NodeLabel(node, i) + " reads tensor '" + in +
                             "', which no node, graph input or initializer provides");
      }
    }
    for (int p : preds) {
      succ[p].push_back(i);
      ++indeg[i];
    }
  }
  std::vector<int> ready;
  for (int i = n - 1; i >= 0; --i) {
    if (indeg[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    int v = ready.back();
    ready.pop_back();
    order_.push_back(v);
    for (int s : succ[v]) {
      if (--indeg[s] == 0) ready.push_back(s);
    }
  }
  if (static_cast<int>(order_.size()) != n) {
    for (int i = 0; i < n; ++i) {
      if (indeg[i] > 0) {
        return Status::Error(path_ + ": the ONNX graph has a cycle through " +
                             NodeLabel(g.node(i), i));
      }
    }
  }
  return Status::Ok();
}

void Importer::ClassifyGraphInputs() {
  const ox::GraphProto& g = model_.graph();
  bool first = true;
  for (const auto& vi : g.input()) {
    const std::string& name = vi.name();
    if (initializers_.count(name)) continue;
    const bool is_first = first;
    first = false;
    const bool integer = IsInteger(info_[name].elem_type);
    // Follow layout ops from the input to the slots that consume it.
    std::vector<std::string> frontier = {name};
    std::unordered_set<std::string> seen = {name};
    bool weight = false;
    while (!frontier.empty() && !weight) {
      std::string t = frontier.back();
      frontier.pop_back();
      for (const auto& [ni, slot] : consumers_[t]) {
        const ox::NodeProto& node = g.node(ni);
        const std::string& op = node.op_type();
        if (IsWeightSlot(op, slot) || (IsElementwiseOrConcat(op) && !is_first && !integer)) {
          weight = true;
          break;
        }
        if (IsLayout(op) && slot == 0) {
          for (const std::string& out : node.output()) {
            if (!out.empty() && seen.insert(out).second) frontier.push_back(out);
          }
        }
      }
    }
    if (weight) weight_inputs_.insert(name);
  }
}

StatusOr<TensorInfo> Importer::Shape(const std::string& tensor, const std::string& where) const {
  auto it = info_.find(tensor);
  if (it == info_.end() || !it->second.has_type) {
    return Status::Error(path_ + ": " + where + ": tensor '" + tensor +
                         "' has no inferred type or shape (export with fixed input sizes)");
  }
  if (!it->second.static_shape) {
    return Status::Error(
        path_ + ": " + where + ": tensor '" + tensor +
        "' has no static shape after ONNX shape inference" +
        (it->second.symbolic.empty() ? "" : " (symbolic dim '" + it->second.symbolic + "')") +
        "; export with fixed input sizes (no dynamic axes)");
  }
  if (it->second.elements() < 0 || it->second.elements() >= kMaxElements) {
    std::string dims;
    for (int64_t d : it->second.dims) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    return Status::Error(path_ + ": " + where + ": tensor '" + tensor + "' has shape [" + dims +
                         "], not a non-negative size below 2^40 elements");
  }
  if (ElementBytes(it->second.elem_type) == 0) {
    return Status::Error(path_ + ": " + where + ": tensor '" + tensor +
                         "' has an unsupported element type " +
                         std::to_string(it->second.elem_type));
  }
  return it->second;
}

Status Importer::Convert() {
  const ox::GraphProto& g = model_.graph();
  // Weights and constants.
  for (const auto& init : g.initializer()) const_weights_[init.name()] = {init.name()};
  for (const std::string& w : weight_inputs_) const_weights_[w] = {w};
  // Data inputs.
  for (const auto& vi : g.input()) {
    if (const_weights_.count(vi.name())) continue;
    MCMPART_ASSIGN_OR_RETURN(TensorInfo t, Shape(vi.name(), "graph input"));
    Node n;
    n.name = ClaimName(Utf8Name(vi.name()));
    n.op = "Input";
    n.op_class = OpClass::kInput;
    n.shape = t.dims;
    n.output_bytes = t.bytes();
    producer_[vi.name()] = graph_.AddNode(std::move(n));
  }
  for (int i : order_) MCMPART_RETURN_IF_ERROR(ConvertNode(g.node(i), i));
  report_->tensor_node = producer_;
  return Status::Ok();
}

void Importer::RecordTensorTypes() {
  const ox::GraphProto& g = model_.graph();
  ox::GraphProto types;
  for (const auto* list : {&g.input(), &g.value_info(), &g.output()}) {
    for (const ox::ValueInfoProto& vi : *list) {
      if (vi.has_type()) *types.add_value_info() = vi;
    }
  }
  for (const ox::TensorProto& init : g.initializer()) {
    ox::ValueInfoProto* vi = types.add_value_info();
    vi->set_name(init.name());
    ox::TypeProto_Tensor* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(init.data_type());
    ox::TensorShapeProto* shape = t->mutable_shape();
    for (int64_t d : init.dims()) shape->add_dim()->set_dim_value(d);
  }
  types.SerializeToString(&report_->tensor_types);
}

std::string Importer::ClaimName(const std::string& base) {
  std::string name = base;
  for (int k = 1; used_names_.count(name); ++k) name = base + "_" + std::to_string(k);
  used_names_.insert(name);
  return name;
}

Status Importer::ConvertNode(const ox::NodeProto& node, int index) {
  const std::string& op = node.op_type();
  const bool standard = node.domain().empty() || node.domain() == "ai.onnx";
  if (FoldConstant(node, standard)) return Status::Ok();

  const std::string where = NodeLabel(node, index);
  Node n;
  n.name =
      ClaimName(Utf8Name(node.name().empty() ? op + "_" + std::to_string(index) : node.name()));
  n.op = Utf8Name(standard ? op : node.domain() + "." + op);
  MCMPART_RETURN_IF_ERROR(SetOutputSizes(node, where, &n));
  ChargeWeights(node, &n);
  bool unknown = !standard;
  if (standard) {
    MCMPART_RETURN_IF_ERROR(SetCost(node, where, &n));
    unknown = n.moved_bytes < 0;
  }
  if (unknown) MCMPART_RETURN_IF_ERROR(SetFallbackCost(where, &n));
  const int id = graph_.AddNode(std::move(n));
  MCMPART_RETURN_IF_ERROR(AddInputEdges(node, where, id));
  for (const std::string& out : node.output()) {
    if (!out.empty()) producer_[out] = id;
  }
  return Status::Ok();
}

bool Importer::FoldConstant(const ox::NodeProto& node, bool standard) {
  const std::string& op = node.op_type();
  bool all_const = true, any_input = false;
  for (const std::string& in : node.input()) {
    if (in.empty()) continue;
    any_input = true;
    if (!const_weights_.count(in)) all_const = false;
  }
  bool fold = all_const;
  if (standard && (op == "Shape" || op == "Size") && node.input_size() > 0) {
    auto it = info_.find(node.input(0));
    fold = fold || (it != info_.end() && it->second.static_shape);
  }
  if (!fold) return false;
  std::vector<std::string> weights;
  if (!(op == "Shape" || op == "Size")) {
    for (const std::string& in : node.input()) {
      if (in.empty()) continue;
      for (const std::string& w : const_weights_[in]) weights.push_back(w);
    }
  }
  if (op == "Constant" && !any_input) {
    for (const std::string& out : node.output()) weights.push_back(out);
  }
  std::sort(weights.begin(), weights.end());
  weights.erase(std::unique(weights.begin(), weights.end()), weights.end());
  for (const std::string& out : node.output()) {
    if (!out.empty()) const_weights_[out] = weights;
  }
  ++report_->folded_nodes;
  return true;
}

Status Importer::SetOutputSizes(const ox::NodeProto& node, const std::string& where, Node* n) {
  for (int o = 0; o < node.output_size(); ++o) {
    const std::string& out = node.output(o);
    if (out.empty() || (o > 0 && consumers_[out].empty())) continue;
    MCMPART_ASSIGN_OR_RETURN(TensorInfo t, Shape(out, where));
    if (o == 0) n->shape = t.dims;
    n->output_bytes += t.bytes();
  }
  return Status::Ok();
}

void Importer::ChargeWeights(const ox::NodeProto& node, Node* n) {
  std::set<std::string> weights;
  for (const std::string& in : node.input()) {
    auto it = const_weights_.find(in);
    if (it == const_weights_.end()) continue;
    weights.insert(it->second.begin(), it->second.end());
  }
  for (const std::string& w : weights) {
    auto it = info_.find(w);
    if (it == info_.end() || !it->second.static_shape) continue;
    const TensorInfo& t = it->second;
    if (!IsFloatOr8Bit(t.elem_type) || t.elements() <= 1) continue;
    const int64_t elem_bytes =
        options_.weight_bytes > 0 ? options_.weight_bytes : ElementBytes(t.elem_type);
    n->weight_bytes += t.elements() * elem_bytes;
    weight_elem_bytes_.insert(elem_bytes);
  }
}

Status Importer::SetFallbackCost(const std::string& where, Node* n) {
  if (options_.strict) {
    return Status::Error(path_ + ": " + where + ": unknown op type '" + n->op +
                         "' (strict import; without --strict it gets the fallback cost)");
  }
  n->op_class = OpClass::kVector;
  n->vector_ops = OutputElements(*n);
  n->moved_bytes = 0;
  ++unknown_ops_[n->op];
  ++report_->unknown_nodes;
  return Status::Ok();
}

Status Importer::AddInputEdges(const ox::NodeProto& node, const std::string& where, int id) {
  std::map<int, int64_t> in_bytes;
  std::set<std::string> read;
  for (const std::string& in : node.input()) {
    if (in.empty() || const_weights_.count(in) || !read.insert(in).second) continue;
    auto it = producer_.find(in);
    assert(it != producer_.end() && "topological order puts producers first");
    MCMPART_ASSIGN_OR_RETURN(TensorInfo t, Shape(in, where));
    in_bytes[it->second] += t.bytes();
  }
  for (const auto& [src, bytes] : in_bytes) {
    Edge e;
    e.src = src;
    e.dst = id;
    e.bytes = bytes;
    graph_.edges.push_back(e);
  }
  return Status::Ok();
}

// Sets op_class and work. Unknown ops leave moved_bytes = -1 for the caller's fallback.
Status Importer::SetCost(const ox::NodeProto& node, const std::string& where, Node* n) {
  const std::string& op = node.op_type();
  const int64_t out_elems = OutputElements(*n);
  if (op == "Conv" || op == "ConvTranspose") {
    MCMPART_RETURN_IF_ERROR(SetConvCost(node, where, n));
  } else if (op == "Gemm") {
    MCMPART_RETURN_IF_ERROR(SetGemmCost(node, where, n));
  } else if (op == "MatMul" || op == "MatMulInteger") {
    MCMPART_RETURN_IF_ERROR(SetMatMulCost(node, where, n));
  } else if (VectorCost().count(op)) {
    n->op_class = OpClass::kVector;
    n->vector_ops = out_elems * VectorCost().at(op);
  } else if (ReduceCost().count(op)) {
    MCMPART_ASSIGN_OR_RETURN(TensorInfo x, Input(node, 0, where));
    n->op_class = OpClass::kVector;
    n->vector_ops = x.elements() * ReduceCost().at(op);
  } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
    n->op_class = OpClass::kVector;
    std::vector<int64_t> k = IntsAttr(node, "kernel_shape");
    n->vector_ops = SatMul(out_elems, Product(k, 0, k.size()));
  } else if (IsView(op)) {
    n->op_class = OpClass::kDataMovement;
  } else if (IsGatherLike(op)) {
    n->op_class = OpClass::kDataMovement;
    n->moved_bytes = 2 * n->output_bytes;
  } else if (IsCopy(op)) {
    MCMPART_RETURN_IF_ERROR(SetCopyCost(node, where, n));
  } else {
    n->moved_bytes = -1;  // unknown
    return Status::Ok();
  }
  return SetMacs(where, n);
}

StatusOr<TensorInfo> Importer::Input(const ox::NodeProto& node, int i,
                                     const std::string& where) const {
  return Shape(node.input(i), where);
}

Status Importer::GemmError(const std::string& where) const {
  return Status::Error(path_ + ": " + where + ": operand shapes do not form a matrix product");
}

Status Importer::SetConvCost(const ox::NodeProto& node, const std::string& where, Node* n) const {
  if (node.input_size() < 2) return GemmError(where);
  MCMPART_ASSIGN_OR_RETURN(TensorInfo x, Input(node, 0, where));
  MCMPART_ASSIGN_OR_RETURN(TensorInfo w, Input(node, 1, where));
  if (x.dims.size() < 3 || w.dims.size() != x.dims.size() || n->shape.size() != x.dims.size()) {
    return GemmError(where);
  }
  const int64_t groups = std::max<int64_t>(1, IntAttr(node, "group", 1));
  const int64_t kernel = Product(w.dims, 2, w.dims.size());
  n->op_class = OpClass::kConv;
  if (node.op_type() == "Conv") {
    // im2col: W is [Cout, Cin/groups, k...], Y is [N, Cout, spatial...].
    n->gemm = {groups, n->shape[0] * Product(n->shape, 2, n->shape.size()), w.dims[1] * kernel,
               w.dims[0] / groups};
  } else {
    // W is [Cin, Cout/groups, k...]: every input pixel scatters a k-window per output channel.
    n->gemm = {groups, x.dims[0] * Product(x.dims, 2, x.dims.size()), w.dims[0] / groups,
               w.dims[1] * kernel};
  }
  if (HasInput(node, 2)) n->vector_ops = OutputElements(*n);
  return Status::Ok();
}

Status Importer::SetGemmCost(const ox::NodeProto& node, const std::string& where, Node* n) const {
  if (node.input_size() < 2) return GemmError(where);
  MCMPART_ASSIGN_OR_RETURN(TensorInfo a, Input(node, 0, where));
  if (a.dims.size() != 2 || n->shape.size() != 2) return GemmError(where);
  const int64_t k = IntAttr(node, "transA", 0) ? a.dims[0] : a.dims[1];
  n->op_class = OpClass::kMatMul;
  n->gemm = {1, n->shape[0], k, n->shape[1]};
  if (HasInput(node, 2)) n->vector_ops = OutputElements(*n);
  return Status::Ok();
}

Status Importer::SetMatMulCost(const ox::NodeProto& node, const std::string& where, Node* n) const {
  MCMPART_ASSIGN_OR_RETURN(TensorInfo a, Input(node, 0, where));
  MCMPART_ASSIGN_OR_RETURN(TensorInfo b, Input(node, 1, where));
  std::vector<int64_t> ad = a.dims, bd = b.dims;
  if (ad.empty() || bd.empty()) return GemmError(where);
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t k = ad.back();
  if (bd[bd.size() - 2] != k) return GemmError(where);
  const int64_t nn = bd.back();
  n->op_class = OpClass::kMatMul;
  if (bd.size() == 2) {
    n->gemm = {1, Product(ad, 0, ad.size() - 1), k, nn};  // shared right operand: fold batch into m
  } else {
    const int64_t m = ad[ad.size() - 2];
    if (m * nn == 0) return GemmError(where);
    n->gemm = {OutputElements(*n) / (m * nn), m, k, nn};
  }
  return Status::Ok();
}

Status Importer::SetCopyCost(const ox::NodeProto& node, const std::string& where, Node* n) const {
  n->op_class = OpClass::kDataMovement;
  int64_t in_bytes = 0;
  for (int i = 0; i < node.input_size(); ++i) {
    if (!HasInput(node, i) || const_weights_.count(node.input(i))) continue;
    MCMPART_ASSIGN_OR_RETURN(TensorInfo t, Input(node, i, where));
    in_bytes += t.bytes();
  }
  n->moved_bytes = in_bytes + n->output_bytes;
  return Status::Ok();
}

Status Importer::SetMacs(const std::string& where, Node* n) const {
  if (n->op_class != OpClass::kMatMul && n->op_class != OpClass::kConv) return Status::Ok();
  const GemmShape& s = n->gemm;
  if (s.batch <= 0 || s.m <= 0 || s.k <= 0 || s.n <= 0) return GemmError(where);
  if (__builtin_mul_overflow(s.batch, s.m, &n->macs) ||
      __builtin_mul_overflow(n->macs, s.k, &n->macs) ||
      __builtin_mul_overflow(n->macs, s.n, &n->macs)) {
    return Status::Error(path_ + ": " + where + ": MAC count overflows (absurd shapes)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Graph> ImportOnnx(const std::string& path, const OnnxImportOptions& options,
                           OnnxImportReport* report) {
  return Importer(path, options, report).Run();
}

StatusOr<Graph> ImportOnnxFromBytes(const std::string& bytes, const std::string& source,
                                    const OnnxImportOptions& options, OnnxImportReport* report) {
  Importer importer(source, options, report);
  importer.SetBytes(&bytes);
  return importer.Run();
}

}  // namespace mcmpart::common
