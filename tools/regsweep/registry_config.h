// Reads the storage root from the registry's own config.yml, as
// `docker-registry` would: storage.filesystem.rootdirectory, overridden by
// the REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY environment variable.
#ifndef REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_
#define REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_

#include <string>

#include "util/status.h"

namespace regsweep::cli {

// InvalidArgument naming the file and the fix when the config cannot be
// read, is not YAML, or does not use the filesystem driver.
Status ReadStorageRoot(const std::string& config_path, std::string* root);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_
