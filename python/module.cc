// The `mcmpart` Python module: graphs, hardware, checks, evaluators, repair, search and a
// Gymnasium-style environment over the same libraries as the command line.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/environment.h"
#include "actors/repair.h"
#include "common/config.h"
#include "common/graph_io.h"
#include "common/partition.h"
#include "hw/constraints.h"
#include "hw/evaluator.h"
#include "hw/hardware.h"
#include "learner/train.h"

namespace py = pybind11;

namespace mcmpart::python {
namespace {

using common::Graph;
using common::Partition;
using hw::Hardware;

// A failed Status becomes ValueError with its message.
void ThrowIfError(const common::Status& st) {
  if (!st.ok()) throw py::value_error(st.message());
}
template <typename T>
T ValueOrThrow(common::StatusOr<T> v) {
  ThrowIfError(v.status());
  return std::move(v).value();
}

py::object JsonToPython(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

void CheckShape(const Graph& graph, const Hardware& hw, const Partition& p, const char* what) {
  ThrowIfError(common::CheckPartitionShape(graph, hw.num_chips, p).WithContext(what));
}

std::shared_ptr<Graph> LoadGraph(const std::string& spec, int weight_bytes) {
  return std::make_shared<Graph>(ValueOrThrow(common::LoadGraph(spec, weight_bytes)));
}

Hardware LoadHardware(const std::string& spec, const std::shared_ptr<Graph>& graph) {
  return ValueOrThrow(hw::LoadHardware(spec, graph.get()));
}

std::vector<std::string> Check(const Graph& graph, const Hardware& hw, const Partition& p) {
  std::vector<std::string> out;
  for (const hw::Violation& v : hw::CheckPartition(graph, hw, p, /*max_violations=*/0)) {
    out.push_back(v.constraint + ": " + v.message);
  }
  return out;
}

common::RunConfig RunWithEvaluator(const std::string& evaluator) {
  common::RunConfig run;
  run.evaluator = ValueOrThrow(common::ParseEvaluatorSpec(evaluator, "evaluator"));
  return run;
}

py::object Simulate(const Graph& graph, const Hardware& hw, const Partition& p,
                    const std::string& evaluator) {
  CheckShape(graph, hw, p, "partition");
  const auto violations = hw::CheckPartition(graph, hw, p);
  if (!violations.empty()) throw py::value_error(hw::DescribeViolations(violations));
  auto eval = ValueOrThrow(hw::MakeEvaluator(RunWithEvaluator(evaluator), graph, hw));
  const hw::Metrics m = eval->Evaluate(p);
  ThrowIfError(eval->status());
  return JsonToPython(hw::MetricsToJsonString(m));
}

py::dict Repair(const Graph& graph, const Hardware& hw, const Partition& proposal,
                const std::optional<std::vector<double>>& weights) {
  CheckShape(graph, hw, proposal, "proposal");
  if (weights && static_cast<int>(weights->size()) != graph.num_nodes()) {
    throw py::value_error("weights has " + std::to_string(weights->size()) +
                          " entries, the graph " + std::to_string(graph.num_nodes()) + " nodes");
  }
  actors::Repairer repairer(graph, hw);
  actors::RepairResult r;
  {
    py::gil_scoped_release release;
    r = repairer.Repair(proposal, weights.value_or(std::vector<double>{}));
  }
  py::dict out;
  const bool infeasible = r.status == actors::RepairStatus::kInfeasible;
  out["partition"] = infeasible ? py::object(py::none()) : py::cast(r.partition);
  out["status"] = actors::RepairStatusName(r.status);
  out["changed_nodes"] = r.changed_nodes;
  return out;
}

py::dict Search(const Graph& graph, const Hardware& hw, const std::string& strategy, int64_t budget,
                int64_t seed, const std::string& evaluator) {
  ThrowIfError(learner::CheckSearchStrategy(strategy));
  learner::TrainInputs in;
  in.config.run = RunWithEvaluator(evaluator);
  in.config.run.budget = budget;
  in.config.run.seed = seed;
  in.config.run.progress_interval_s = 1e9;
  ThrowIfError(common::ValidateConfig(in.config));
  ThrowIfError(learner::CheckPartitionable(graph, hw));
  in.graphs = {&graph};
  in.hw = hw;
  common::StatusOr<learner::TrainSummary> summary = common::Status::Error("search did not run");
  {
    py::gil_scoped_release release;
    summary = learner::RunSearch(in, strategy, nullptr);
  }
  const learner::TrainSummary s = ValueOrThrow(std::move(summary));
  py::dict out;
  out["partition"] = s.best_partition;
  out["throughput"] = s.best_throughput;
  out["evaluations"] = s.evaluations;
  out["strategy"] = strategy;
  return out;
}

// One (graph, hardware) problem: an episode is one partition, repaired and evaluated.
class PartitionEnv {
 public:
  PartitionEnv(std::shared_ptr<Graph> graph, const Hardware& hw, const std::string& evaluator)
      : graph_(std::move(graph)), hw_(std::make_unique<Hardware>(hw)) {
    common::Config config;
    config.run = RunWithEvaluator(evaluator);
    ThrowIfError(learner::CheckPartitionable(*graph_, *hw_));
    env_ = ValueOrThrow(actors::Environment::Create(*graph_, *hw_, config));
  }

  py::tuple Reset(std::optional<int64_t> seed) {
    py::dict info;
    info["num_nodes"] = graph_->num_nodes();
    info["num_chips"] = hw_->num_chips;
    return py::make_tuple(Observation(), info);
  }

  py::tuple Step(const Partition& proposal) {
    CheckShape(*graph_, *hw_, proposal, "partition");
    actors::ScoreOutcome r;
    {
      py::gil_scoped_release release;
      r = env_->Score(proposal, {});
    }
    ThrowIfError(env_->evaluator().status());
    py::dict info;
    info["throughput"] = r.throughput;
    info["latency_s"] = r.latency_s;
    info["valid"] = r.valid;
    info["proposal_valid"] = r.proposal_valid;
    info["partition"] = r.valid ? py::cast(r.partition) : py::object(py::none());
    info["changed_nodes"] = r.changed_nodes;
    info["repair_status"] =
        actors::RepairStatusName(static_cast<actors::RepairStatus>(r.repair_status));
    return py::make_tuple(Observation(), r.reward, /*terminated=*/true, /*truncated=*/false, info);
  }

  int num_nodes() const { return graph_->num_nodes(); }
  int num_chips() const { return hw_->num_chips; }

 private:
  // Node features (N × F float32), edges (E × 2 int64), hardware features and the greedy
  // pipeline's chip per node, as numpy arrays.
  py::dict Observation() const {
    const actors::GraphFeatures& f = env_->features();
    const py::ssize_t n = f.num_nodes, e = static_cast<py::ssize_t>(f.edge_src.size());
    py::array_t<float> nodes({n, static_cast<py::ssize_t>(actors::GraphFeatures::kNodeFeatures)});
    std::copy(f.node.begin(), f.node.end(), nodes.mutable_data());
    py::array_t<int64_t> edges({e, static_cast<py::ssize_t>(2)});
    for (py::ssize_t i = 0; i < e; ++i) {
      edges.mutable_at(i, 0) = f.edge_src[i];
      edges.mutable_at(i, 1) = f.edge_dst[i];
    }
    py::dict obs;
    obs["node_features"] = nodes;
    obs["edges"] = edges;
    obs["hardware"] = py::array_t<float>(static_cast<py::ssize_t>(f.hw.size()), f.hw.data());
    obs["prior_chip"] = py::array_t<int64_t>(n, f.prior_chip.data());
    return obs;
  }

  std::shared_ptr<Graph> graph_;
  std::unique_ptr<Hardware> hw_;  // Environment keeps a reference: a stable address
  std::unique_ptr<actors::Environment> env_;
};

}  // namespace
}  // namespace mcmpart::python

PYBIND11_MODULE(mcmpart, m) {
  using namespace mcmpart;
  using namespace mcmpart::python;
  m.doc() = "mcmpart: partition ML graphs across the chiplets of a multi-chip module";

  py::class_<common::Graph, std::shared_ptr<common::Graph>>(m, "Graph")
      .def_readonly("name", &common::Graph::name)
      .def_property_readonly("num_nodes", &common::Graph::num_nodes)
      .def_property_readonly("num_edges", &common::Graph::num_edges)
      .def_property_readonly("total_weight_bytes", &common::Graph::TotalWeightBytes)
      .def_readonly("weight_bytes_per_element", &common::Graph::weight_bytes_per_element)
      .def("node_names",
           [](const common::Graph& g) {
             std::vector<std::string> names;
             for (const auto& n : g.nodes) names.push_back(n.name);
             return names;
           })
      .def("to_json", [](const common::Graph& g) { return common::WriteGraphJsonString(g); })
      .def("__repr__", [](const common::Graph& g) {
        return "<mcmpart.Graph '" + g.name + "' " + std::to_string(g.num_nodes()) + " nodes>";
      });
  py::class_<hw::Hardware>(m, "Hardware")
      .def_readonly("name", &hw::Hardware::name)
      .def_readonly("num_chips", &hw::Hardware::num_chips)
      .def("summary", &hw::Hardware::Summary)
      .def("to_toml", [](const hw::Hardware& h) { return hw::HardwareToToml(h); })
      .def("__repr__",
           [](const hw::Hardware& h) { return "<mcmpart.Hardware " + h.Summary() + ">"; });

  m.def("load_graph", &LoadGraph, py::arg("spec"), py::arg("weight_bytes") = 0,
        "A built-in name (bert-base, bert:layers=…, llama-7b, llama:…, synth:…), an .onnx file "
        "or a .json graph; weight_bytes (1, 2, 4 or 8) sets the bytes per weight element of an "
        "ONNX import or a built-in graph (0 = the source's own).");
  m.def("load_hardware", &LoadHardware, py::arg("spec"), py::arg("graph") = nullptr,
        "A preset (mcm8-ring, …, from-graph with `graph`) or a hardware .toml file.");
  m.def("check", &Check, py::arg("graph"), py::arg("hw"), py::arg("partition"),
        "The SPEC §2 violations of a partition, one message each; empty when it is valid.");
  m.def("simulate", &Simulate, py::arg("graph"), py::arg("hw"), py::arg("partition"),
        py::arg("evaluator") = "cycle",
        "Metrics of a valid partition as `mcmpart simulate --json` reports them.");
  m.def("repair", &Repair, py::arg("graph"), py::arg("hw"), py::arg("proposal"),
        py::arg("weights") = py::none(),
        "The nearest valid partition: dict with partition, status, changed_nodes.");
  m.def("search", &Search, py::arg("graph"), py::arg("hw"), py::arg("strategy") = "anneal",
        py::arg("budget") = 1024, py::arg("seed") = 1, py::arg("evaluator") = "cycle",
        "`mcmpart search` in this process: dict with partition and throughput of the best.");
  py::class_<PartitionEnv>(m, "PartitionEnv",
                           "Gymnasium-style environment: one step per episode, the proposal is "
                           "repaired and evaluated.")
      .def(py::init<std::shared_ptr<common::Graph>, const hw::Hardware&, const std::string&>(),
           py::arg("graph"), py::arg("hw"), py::arg("evaluator") = "cycle")
      .def("reset", &PartitionEnv::Reset, py::arg("seed") = py::none())
      .def("step", &PartitionEnv::Step, py::arg("partition"))
      .def_property_readonly("num_nodes", &PartitionEnv::num_nodes)
      .def_property_readonly("num_chips", &PartitionEnv::num_chips);
}
