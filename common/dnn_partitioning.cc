// dnn-partitioning benchmark format: placeholder until the importer lands.
#include "common/dnn_partitioning.h"

namespace mcmpart::common {

bool LooksLikeDnnPartitioning(const std::string& text) {
  return text.find("\"maxFPGAs\"") != std::string::npos;
}

StatusOr<Graph> ParseDnnPartitioning(const std::string& text, const std::string& source) {
  return Status::Error(source + ": dnn-partitioning graphs are not supported yet");
}

}  // namespace mcmpart::common
