#include "tools/regsweep/retention_policy_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "util/duration.h"

namespace regsweep::cli {
namespace {

// "<path>: line N" for messages (yaml-cpp counts lines from 0).
std::string Where(const std::string& path, const YAML::Node& node) {
  return path + ": line " + std::to_string(node.Mark().line + 1);
}

std::string KeyName(const YAML::Node& key) {
  std::string name = key.IsScalar() ? key.Scalar() : "?";
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// A scalar or a list of scalars.
Status ReadStrings(const std::string& where, const std::string& key,
                   const YAML::Node& value, std::vector<std::string>* out) {
  if (value.IsScalar()) {
    out->push_back(value.Scalar());
    return Status::OK();
  }
  if (value.IsSequence()) {
    for (const YAML::Node& item : value) {
      if (!item.IsScalar()) {
        return Status::InvalidArgument(where,
                                       key + ": every item must be a string");
      }
      out->push_back(item.Scalar());
    }
    return Status::OK();
  }
  return Status::InvalidArgument(where,
                                 key + " must be a string or a list of them");
}

Status ReadValue(const std::string& where, const std::string& key,
                 const YAML::Node& value, gc::RetentionRule* rule) {
  if (key == "repo") return ReadStrings(where, key, value, &rule->repositories);
  if (key == "keep_tag") return ReadStrings(where, key, value, &rule->keep_tags);
  if (!value.IsScalar()) {
    return Status::InvalidArgument(where, key + " must be a single value");
  }
  if (key == "keep_last") {
    try {
      rule->keep_last = value.as<int64_t>();
    } catch (const YAML::Exception&) {
      return Status::InvalidArgument(where, "keep_last '" + value.Scalar() +
                                                "' is not a whole number");
    }
    return Status::OK();
  }
  if (key == "older_than") {
    int64_t ns = 0;
    if (!ParseDuration(value.Scalar(), &ns)) {
      return Status::InvalidArgument(
          where, "older_than '" + value.Scalar() +
                     "' is not a duration (say 12h, 7d, 4w, 1w3d)");
    }
    rule->older_than_ns = ns;
    return Status::OK();
  }
  return Status::InvalidArgument(
      where, "unknown key '" + key +
                 "' (a rule has repo, keep_last, keep_tag, older_than)");
}

Status ReadRule(const std::string& path, const YAML::Node& node, size_t number,
                gc::RetentionRule* rule) {
  rule->origin = path + ": rule " + std::to_string(number);
  if (!node.IsMap()) {
    return Status::InvalidArgument(Where(path, node),
                                   "a rule must be a map (repo: ..., ...)");
  }
  for (const auto& entry : node) {
    Status s = ReadValue(Where(path, entry.first), KeyName(entry.first),
                         entry.second, rule);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Status LoadRetentionPolicyFile(const std::string& path,
                               std::vector<gc::RetentionRule>* rules) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument(path, "cannot read the policy file");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path,
                                   std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap()) {
    return Status::InvalidArgument(path, "must be a map with a 'rules' list");
  }
  for (const auto& entry : root) {
    if (KeyName(entry.first) != "rules") {
      return Status::InvalidArgument(Where(path, entry.first),
                                     "unknown key '" + KeyName(entry.first) +
                                         "' (the policy has only 'rules')");
    }
  }
  YAML::Node list = root["rules"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    return Status::InvalidArgument(path, "'rules' must be a non-empty list");
  }
  size_t number = 0;
  for (const YAML::Node& node : list) {
    gc::RetentionRule rule;
    Status s = ReadRule(path, node, ++number, &rule);
    if (!s.ok()) return s;
    rules->push_back(std::move(rule));
  }
  return Status::OK();
}

}  // namespace regsweep::cli
