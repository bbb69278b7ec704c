// Reads the storage root from the registry's own config.yml, as
// `docker-registry` would: storage.filesystem.rootdirectory, overridden by
// the REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY environment variable.
#ifndef REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_
#define REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace regsweep::cli {

// InvalidArgument naming the file and the fix when the config cannot be
// read, is not YAML, or does not use the filesystem driver.
Status ReadStorageRoot(const std::string& config_path, std::string* root);

// The config's log section, as distribution 2.8 reads it for
// garbage-collect: log.level (error, warn, info, debug, in any case;
// default info), log.formatter (text, json, logstash, exactly; default
// text) and log.fields (added to every line; a value as Go's %v prints it:
// a list as "[a b]"). REGISTRY_LOG_LEVEL and REGISTRY_LOG_FORMATTER
// override the file, as distribution's environment does.
struct RegistryLog {
  std::string level = "info";
  std::string formatter = "text";
  std::vector<std::pair<std::string, std::string>> fields;  // sorted by key
};

// InvalidArgument naming the file and the setting when the config cannot
// be read or a log setting is one distribution refuses (it would not run).
Status ReadRegistryLog(const std::string& config_path, RegistryLog* log);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_
