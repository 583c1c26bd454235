// Internal to the built-in generators (bert.cc, llama.cc): an op builder that fills in work and
// bytes, and the parser of "family:key=value,…" graph names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/graph.h"
#include "common/status.h"

namespace mcmpart::common::internal {

/// Vector operations per element of a softmax: max, subtract, exp, sum, divide.
constexpr int64_t kSoftmaxOps = 5;

/// Appends transformer ops to a graph with their MACs, vector work, weight and output bytes.
/// Activations take `act_bytes` per element, parameters `weight_bytes` per element.
class OpBuilder {
 public:
  OpBuilder(Graph* g, int act_bytes, int weight_bytes)
      : g_(g), act_(act_bytes), weight_(weight_bytes) {}

  /// Bytes per activation element.
  int64_t act_bytes() const { return act_; }

  /// A graph input of `elem_bytes` per element (token ids).
  int Input(const std::string& name, std::vector<int64_t> shape, int elem_bytes);

  /// y[batch, m, n] = x[batch, m, k] · W[k, n] (+ bias). `weight` false: both operands are
  /// activations (attention scores/context).
  int MatMul(const std::string& name, std::vector<int> inputs, int64_t batch, int64_t m, int64_t k,
             int64_t n, bool weight, bool bias, std::vector<int64_t> out_shape);

  /// Vector-unit op with `ops_per_element` operations per output element and `weight_elems`
  /// parameters (a normalisation's scale and shift).
  int Vector(const std::string& name, const std::string& op, std::vector<int> inputs,
             std::vector<int64_t> shape, int64_t ops_per_element, int64_t weight_elems = 0);

  /// Data movement (gather): reads rows of a resident table of `table_elems` parameters.
  int Gather(const std::string& name, std::vector<int> inputs, std::vector<int64_t> shape,
             int64_t table_elems);

  /// Adds `bytes` to the resident bytes of node `id` (state that must stay in SRAM next to
  /// the op, such as a KV cache, which is what SRAM constraints count as `weight_bytes`).
  void AddResidentBytes(int id, int64_t bytes) { g_->nodes[id].weight_bytes += bytes; }

  /// Product of the dimensions.
  static int64_t Elements(const std::vector<int64_t>& shape);

 private:
  int Connect(int id, const std::vector<int>& inputs);

  Graph* g_;
  int64_t act_;
  int64_t weight_;
};

/// One `key=value` of a generator name.
using NameField = std::pair<std::string, std::string>;

/// Splits the part of `name` after `prefix` ("llama:") at commas into key=value fields; the
/// error names `name` and the field that is not key=value.
StatusOr<std::vector<NameField>> ParseNameFields(const std::string& name,
                                                 const std::string& prefix);

/// The value of field `key` of built-in graph `name` as an integer in 1..2^20; the error names
/// the graph and the field.
StatusOr<int> ParsePositiveField(const std::string& name, const std::string& key,
                                 const std::string& value);

/// An integer field of a generator's config and its key in the graph name.
struct IntField {
  const char* key;
  int* target;
};

/// Parses each of `fields` (ParsePositiveField) into the target of its key; the error names an
/// unknown key and lists the known ones, then `other_keys` (keys the caller parses itself).
Status SetIntFields(const std::string& name, const std::vector<NameField>& fields,
                    const std::vector<IntField>& targets, const std::string& other_keys = "");

/// The error of built-in graph `name`: "built-in graph '<name>': <message>".
Status NameError(const std::string& name, const std::string& message);

}  // namespace mcmpart::common::internal
