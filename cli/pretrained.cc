// Finding the shipped pre-trained policy and adopting its network shape.
#include "cli/pretrained.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "learner/train.h"

namespace mcmpart::cli {
namespace {

constexpr const char* kFileName = "pretrained.ckpt";

bool Readable(const std::string& path) {
  return !path.empty() && std::filesystem::is_regular_file(path) && access(path.c_str(), R_OK) == 0;
}

// The folder of the running executable ("" when /proc is not there).
std::string ExecutableDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.parent_path().string();
}

}  // namespace

common::StatusOr<std::string> ResolveCheckpoint(const std::string& spec, const std::string& flag) {
  if (spec != kPretrainedName) return spec;
  if (const char* env = std::getenv("MCMPART_PRETRAINED"); env && *env) {
    if (Readable(env)) return std::string(env);
    return common::Status::Error(flag + " pretrained: MCMPART_PRETRAINED names '" +
                                 std::string(env) + "', which cannot be read");
  }
  std::vector<std::string> places;
  const std::string exe_dir = ExecutableDir();
  if (!exe_dir.empty()) places.push_back(exe_dir + "/../share/mcmpart/" + kFileName);
  places.push_back(std::string(MCMPART_INSTALL_DATA_DIR) + "/" + kFileName);
  places.push_back(std::string(MCMPART_SOURCE_MODELS_DIR) + "/" + kFileName);
  std::string looked;
  for (const std::string& p : places) {
    if (Readable(p)) return std::filesystem::path(p).lexically_normal().string();
    looked += (looked.empty() ? "" : ", ") + p;
  }
  return common::Status::Error(flag + " pretrained: no pre-trained policy found (looked at " +
                               looked + "; set MCMPART_PRETRAINED to a checkpoint)");
}

common::Status AdoptCheckpointPolicy(const std::string& path, common::Config* config) {
  MCMPART_ASSIGN_OR_RETURN(std::string text, learner::ReadCheckpointConfig(path));
  common::Config recorded;
  MCMPART_RETURN_IF_ERROR(common::ApplyConfigToml(text, path, &recorded));
  config->policy = recorded.policy;
  return common::Status::Ok();
}

common::Status ResolveCheckpointFlag(const std::string& flag, std::string* spec,
                                     common::Config* config) {
  if (*spec != kPretrainedName) return common::Status::Ok();
  MCMPART_ASSIGN_OR_RETURN(*spec, ResolveCheckpoint(*spec, flag));
  return AdoptCheckpointPolicy(*spec, config).WithContext(flag + " pretrained");
}

}  // namespace mcmpart::cli
