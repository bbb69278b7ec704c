#include "tools/regsweep/registry_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <cstdlib>

namespace regsweep::cli {
namespace {

// Parses the registry's config.yml; a file that cannot be read says why
// (yaml-cpp's BadFile does not).
Status LoadConfig(const std::string& config_path, YAML::Node* config) {
  std::ifstream probe(config_path);
  if (!probe) {
    return Status::InvalidArgument(
        config_path,
        std::string("cannot read the config file: ") + std::strerror(errno));
  }
  try {
    *config = YAML::LoadFile(config_path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument(config_path, "cannot read the config file");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path,
                                   std::string("not valid YAML: ") + e.what());
  }
  return Status::OK();
}

}  // namespace

Status ReadStorageRoot(const std::string& config_path, std::string* root) {
  YAML::Node config;
  Status loaded = LoadConfig(config_path, &config);
  if (!loaded.ok()) return loaded;
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

namespace {

// Go's %v of what yaml.v2 decodes: scalars as written, a list as
// "[a b]", a map as "map[k:v]" (keys sorted, as fmt sorts them).
std::string GoValue(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  std::string out;
  if (node.IsSequence()) {
    out = "[";
    for (size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out += " ";
      out += GoValue(node[i]);
    }
    return out + "]";
  }
  if (node.IsMap()) {
    std::vector<std::pair<std::string, std::string>> items;
    for (const auto& item : node) {
      items.emplace_back(GoValue(item.first), GoValue(item.second));
    }
    std::sort(items.begin(), items.end());
    out = "map[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += " ";
      out += items[i].first + ":" + items[i].second;
    }
    return out + "]";
  }
  return "<nil>";
}

}  // namespace

Status ReadRegistryLog(const std::string& config_path, RegistryLog* log) {
  *log = RegistryLog();
  YAML::Node config;
  Status loaded = LoadConfig(config_path, &config);
  if (!loaded.ok()) return loaded;
  try {
    YAML::Node section = config["log"];
    if (section && section.IsMap()) {
      if (YAML::Node level = section["level"]; level && level.IsScalar()) {
        log->level = level.Scalar();
      }
      if (YAML::Node formatter = section["formatter"];
          formatter && formatter.IsScalar()) {
        log->formatter = formatter.Scalar();
      }
      if (YAML::Node fields = section["fields"]; fields && fields.IsMap()) {
        for (const auto& field : fields) {
          log->fields.emplace_back(field.first.as<std::string>(),
                                   GoValue(field.second));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path,
                                   std::string("log section: ") + e.what());
  }
  if (const char* env = std::getenv("REGISTRY_LOG_LEVEL");
      env != nullptr && *env != '\0') {
    log->level = env;
  }
  if (const char* env = std::getenv("REGISTRY_LOG_FORMATTER");
      env != nullptr && *env != '\0') {
    log->formatter = env;
  }
  std::string level = log->level;
  for (char& c : level) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (level.empty()) level = "info";
  if (level != "error" && level != "warn" && level != "info" &&
      level != "debug") {
    return Status::InvalidArgument(
        config_path, "log.level '" + log->level +
                         "' is not one of error, warn, info, debug");
  }
  log->level = level;
  if (log->formatter.empty()) log->formatter = "text";
  if (log->formatter != "text" && log->formatter != "json" &&
      log->formatter != "logstash") {
    return Status::InvalidArgument(
        config_path, "log.formatter '" + log->formatter +
                         "' is not one of text, json, logstash");
  }
  std::sort(log->fields.begin(), log->fields.end());
  return Status::OK();
}

}  // namespace regsweep::cli
