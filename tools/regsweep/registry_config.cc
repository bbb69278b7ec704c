#include "tools/regsweep/registry_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

namespace regsweep::cli {

Status ReadStorageRoot(const std::string& config_path, std::string* root) {
  YAML::Node config;
  try {
    config = YAML::LoadFile(config_path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument(config_path, "cannot read the config file");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path,
                                   std::string("not valid YAML: ") + e.what());
  }
  if (const char* env = std::getenv("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY");
      env != nullptr && *env != '\0') {
    *root = env;
    return Status::OK();
  }
  try {
    YAML::Node storage = config["storage"];
    if (!storage || !storage.IsMap()) {
      return Status::InvalidArgument(config_path, "has no storage section");
    }
    YAML::Node filesystem = storage["filesystem"];
    if (!filesystem) {
      return Status::InvalidArgument(
          config_path,
          "storage driver is not 'filesystem'; regsweep works on filesystem "
          "stores only");
    }
    YAML::Node directory = filesystem["rootdirectory"];
    // distribution's default root directory.
    *root = directory ? directory.as<std::string>() : "/var/lib/registry";
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(
        config_path,
        std::string("storage.filesystem.rootdirectory is not a string: ") +
            e.what());
  }
  return Status::OK();
}

}  // namespace regsweep::cli
