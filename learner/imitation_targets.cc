// --imitate-from: a partition JSON or a manifest of them, matched to the run's graphs.
#include "learner/imitation_targets.h"

#include <cassert>
#include <nlohmann/json.hpp>

#include "common/graph_io.h"
#include "hw/constraints.h"

namespace mcmpart::learner {
namespace {

using json = nlohmann::json;

// Reads the partition JSON `file` of `graph` and checks it on `hw`; errors name `source`.
common::StatusOr<common::Partition> ReadTarget(const std::string& file, const std::string& source,
                                               const common::Graph& graph, const hw::Hardware& hw) {
  auto p = common::ReadPartitionJson(file, graph);
  if (!p.ok()) return p.status().WithContext(source);
  MCMPART_RETURN_IF_ERROR(
      common::CheckPartitionShape(graph, hw.num_chips, *p).WithContext(source + " '" + file + "'"));
  const std::vector<hw::Violation> violations = hw::CheckPartition(graph, hw, *p, 4);
  if (!violations.empty()) {
    return common::Status::Error(source + " '" + file + "' is not a valid partition of graph '" +
                                 graph.name + "' on hardware '" + hw.name +
                                 "': " + hw::DescribeViolations(violations));
  }
  return p;
}

// The folder of `path` with its trailing '/', or "" for a bare file name.
std::string FolderOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

}  // namespace

common::StatusOr<std::vector<common::Partition>> LoadImitationTargets(
    const std::string& path, const std::vector<std::string>& specs,
    const std::vector<const common::Graph*>& graphs, const std::vector<const hw::Hardware*>& hws) {
  assert(specs.size() == graphs.size() && graphs.size() == hws.size());
  const std::string where = "--imitate-from '" + path + "'";
  auto text = common::ReadFile(path);
  if (!text.ok()) return text.status().WithContext("--imitate-from");
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return common::Status::Error(where + ": expected a JSON object");
  }
  std::vector<common::Partition> targets(graphs.size());
  if (!doc.contains("targets")) {  // one partition JSON for a one-graph run
    if (graphs.size() != 1) {
      return common::Status::Error(
          where + " is a partition file, which serves a run of one graph; this run trains on " +
          std::to_string(graphs.size()) + " (give a manifest {\"targets\": [...]}, see README)");
    }
    MCMPART_ASSIGN_OR_RETURN(targets[0], ReadTarget(path, "--imitate-from", *graphs[0], *hws[0]));
    return targets;
  }
  const json& list = doc["targets"];
  if (!list.is_array()) return common::Status::Error(where + ": 'targets' must be an array");
  for (size_t t = 0; t < list.size(); ++t) {
    const std::string entry = where + " targets[" + std::to_string(t) + "]";
    const json& e = list[t];
    if (!e.is_object() || !e.contains("graph") || !e["graph"].is_string() ||
        !e.contains("partition") || !e["partition"].is_string()) {
      return common::Status::Error(entry +
                                   ": expected {\"graph\": SPEC, \"partition\": FILE} (strings)");
    }
    const std::string spec = e["graph"].get<std::string>();
    size_t i = 0;
    while (i < specs.size() && specs[i] != spec) ++i;
    if (i == specs.size()) {
      return common::Status::Error(entry + ": graph '" + spec +
                                   "' is not an entry of --graph (spell it as given there)");
    }
    if (!targets[i].empty()) {
      return common::Status::Error(entry + ": graph '" + spec + "' has a target already");
    }
    std::string file = e["partition"].get<std::string>();
    if (!file.empty() && file[0] != '/') file = FolderOf(path) + file;
    MCMPART_ASSIGN_OR_RETURN(targets[i], ReadTarget(file, entry, *graphs[i], *hws[i]));
  }
  return targets;
}

}  // namespace mcmpart::learner
