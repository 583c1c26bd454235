// HDF5 run file: placeholder until the writer lands.
#include "learner/run_log.h"

namespace mcmpart::learner {

common::StatusOr<std::unique_ptr<RunLog>> RunLog::Create(const std::string& path, const RunMeta&,
                                                         const std::vector<const common::Graph*>&,
                                                         const RunLogOptions&) {
  return common::Status::Error(path + ": HDF5 run files are not supported yet");
}

}  // namespace mcmpart::learner
