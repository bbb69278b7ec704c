// Reads a retention policy from a YAML file (`regsweep retain --policy`):
//
//   rules:
//     - repo: "team/*"              # a glob, or a list of globs
//       keep_last: 10
//       keep_tag: [latest, 'v[0-9]+\.[0-9]+\.[0-9]+']   # one or a list
//       older_than: 4w
//     - repo: ["base", "mirror/**"]
//       older_than: 90d
//
// Keys are the flag names, spelt with '_' or '-'. An unknown key is an
// error: in a deletion policy a misspelt keep condition must not pass
// unnoticed. What the values mean, and which rules are refused, is
// gc/tag_policy/retention.h's business.
#ifndef REGSWEEP_TOOLS_REGSWEEP_RETENTION_POLICY_FILE_H_
#define REGSWEEP_TOOLS_REGSWEEP_RETENTION_POLICY_FILE_H_

#include <string>
#include <vector>

#include "gc/tag_policy/retention.h"
#include "util/status.h"

namespace regsweep::cli {

// Appends the file's rules to *rules, each with origin "<path>: rule N".
// InvalidArgument naming the file (and the line) when it cannot be read, is
// not YAML, or does not have the shape above.
Status LoadRetentionPolicyFile(const std::string& path,
                               std::vector<gc::RetentionRule>* rules);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_RETENTION_POLICY_FILE_H_
