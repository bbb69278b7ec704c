// What `regsweep tag rm` and `regsweep retain` share: their flags, removing
// the chosen tags with one log line each, the JSON report, and the
// optional collection afterwards (--then-gc).
#ifndef REGSWEEP_TOOLS_REGSWEEP_TAG_REMOVAL_H_
#define REGSWEEP_TOOLS_REGSWEEP_TAG_REMOVAL_H_

#include <boost/program_options.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "gc/collection/options.h"
#include "gc/collection/problem.h"
#include "gc/tag_policy/tag_catalog.h"
#include "storage/store.h"

namespace regsweep::cli {

struct RemovalFlags {
  bool dry_run = false;
  bool then_gc = false;
  bool quiet = false;
  std::string grace = "1h";
  int jobs = 0;
  std::string json_path;
  std::string wait = "0";
  std::string quarantine_for = "24h";
};

// --dry-run, --then-gc, --grace, --jobs, --json, --quiet, --wait,
// --quarantine-for.
void AddRemovalFlags(boost::program_options::options_description* desc,
                     RemovalFlags* flags);

// The collection --then-gc runs (delete-untagged). False, with a message on
// stderr, when a flag is malformed: check before removing anything.
bool MakeGcOptions(const RemovalFlags& flags, gc::GcOptions* options);

// Parses a subcommand's arguments against `visible` and `hidden` (the
// positional ones, left out of --help). Returns false when the command is
// done: *exit_code is then kExitOk after --help, kExitUsage after a bad
// argument (with the message and the options on stderr).
bool ParseSubcommandArgs(
    const std::vector<std::string>& args,
    const boost::program_options::options_description& visible,
    const boost::program_options::options_description& hidden,
    const boost::program_options::positional_options_description& positional,
    const char* synopsis, boost::program_options::variables_map* vm,
    int* exit_code);

// Prints "regsweep: <message>", the synopsis and the options; returns
// kExitUsage.
int UsageError(const std::string& message,
               const boost::program_options::options_description& desc,
               const char* synopsis);

// "2026-10-01T12:00:00Z"; "unknown" for 0.
std::string FormatPushTime(int64_t ns);

// Prints problems found while listing tags as warnings on stderr.
void PrintTagProblems(const std::vector<gc::Problem>& problems);

// The tags a command chose to remove, and what it met while choosing.
struct TagSelection {
  std::vector<gc::TagEntry> tags;
  std::vector<gc::Problem> problems;  // broken tags and the like
  std::vector<std::string> errors;    // what could not be examined at all
};

// Removes the selected tags from the store at `root` (dry run: removes
// nothing and says what would go) into a new quarantine run, unless
// --quarantine-for 0 (the run's record of the tags is written first; the
// --then-gc collection moves into the same run, so one restore undoes
// both), one log line each ("removed tag app:v1
// (sha256:..., pushed ...)"), then runs a delete-untagged collection when
// asked (a dry one over a view of the store without those tags when
// --dry-run). Writes the JSON report when asked: {"dry_run", "removed":
// [{"repository", "tag", "digest", "pushed"}], "errors", "problems", "gc":
// null or the gc report}. Problems and errors of the selection are
// reported and make the exit code at least 1. Returns the exit code.
int RemoveTagsAndReport(const std::string& root, storage::Store* store,
                        const TagSelection& selection,
                        const RemovalFlags& flags,
                        const gc::GcOptions& gc_options);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_TAG_REMOVAL_H_
