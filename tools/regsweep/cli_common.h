// What the regsweep subcommands share: parsing the command line with the
// usual --help and usage-error behaviour, opening the store (from its root
// or from the registry's config.yml), checking --grace and --jobs, and
// writing a report to a file or stdout.
#ifndef REGSWEEP_TOOLS_REGSWEEP_CLI_COMMON_H_
#define REGSWEEP_TOOLS_REGSWEEP_CLI_COMMON_H_

#include <boost/program_options.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gc/collection/options.h"
#include "storage/store.h"
#include "tools/regsweep/progress_line.h"
#include "util/status.h"

namespace regsweep::cli {

// Prints "regsweep: <message>", a blank line, "usage: <synopsis>" (as
// given: no newline is added) and, unless null, the options, all on
// stderr. Returns kExitUsage.
int PrintUsageError(const std::string& message, const std::string& synopsis,
                    const boost::program_options::options_description* desc);

// Parses `args` against `options` (which may hold more than `shown`, the
// options --help and usage errors list). Returns false when the command is
// done: *exit_code is then kExitOk after --help (usage on stdout),
// kExitUsage after a bad argument (PrintUsageError). `synopsis` is printed
// as given.
bool ParseCommandLine(
    const std::vector<std::string>& args,
    const boost::program_options::options_description& options,
    const boost::program_options::options_description& shown,
    const boost::program_options::positional_options_description& positional,
    const std::string& synopsis, boost::program_options::variables_map* vm,
    int* exit_code);

// When `problem` is empty, true. Otherwise false, after PrintUsageError
// with the options, with *exit_code set to kExitUsage.
bool NoUsageProblem(const std::string& problem, const std::string& synopsis,
                    const boost::program_options::options_description& desc,
                    int* exit_code);

// Prints "regsweep: <status message>" on stderr; returns kExitUsage, the
// exit code for "not a registry store" and other failures to start.
int FailToStart(const Status& status);

// Opens the filesystem store at `root`. False, after FailToStart, when it
// is not one.
bool OpenStore(const std::string& root,
               std::unique_ptr<storage::Store>* store);

// Opens the store at `root` and runs `pass(store, progress)` with a progress
// line on stderr when `show_progress`. False, after FailToStart, when the
// store does not open or `pass` fails.
template <typename Pass>
bool RunOnStore(const std::string& root, bool show_progress, Pass pass) {
  std::unique_ptr<storage::Store> store;
  if (!OpenStore(root, &store)) return false;
  gc::GcProgress progress;
  Status s;
  {
    ProgressLine line(&progress, show_progress);
    s = pass(store.get(), &progress);
  }
  if (!s.ok()) FailToStart(s);
  return s.ok();
}

// Reads the storage root from the registry's config.yml. False, after
// FailToStart, when it cannot.
bool RootFromConfig(const std::string& config, std::string* root);

// The most worker threads --jobs takes: far past what I/O in flight needs
// (each thread holds a stack and buffers).
constexpr int kMaxJobs = 1024;
// The problem with --jobs, or "" when it is from 0 to kMaxJobs.
std::string JobsProblem(int jobs);

// Whether a report can be written to `path` ("-", stdout, always can), as
// checked before a run deletes anything: the file is opened for writing
// (and removed again when this made it). IOError naming it and why.
Status CheckReportWritable(const std::string& path);

// What to do when the user may not change the store: the end of every
// message that says so.
inline constexpr char kRunAsOwnerHint[] =
    "Run as the user that owns the store (the registry's, e.g. sudo -u "
    "docker-registry regsweep ...), or fix that directory's permissions.";

// The effective user, "'name' (uid N)", for messages.
std::string CurrentUser();

// Prints that the sweep deleted nothing because this user may not delete
// in the directory `denied` names (gc::SweepResult::denied), or on an
// object store because the credentials may not; returns kExitUsage.
int ReportDenied(const Status& denied, bool object_store = false);

// Checks --grace (into *grace_ns) and --jobs as gc and the tag removals
// take them. False, with the message on stderr, when one is malformed.
bool ParseGraceAndJobs(const std::string& grace, int jobs, int64_t* grace_ns);

// The same check as the read-only commands (du, why) phrase it: the
// problem to report as a usage error, or "" when both are fine.
std::string GraceAndJobsProblem(const std::string& grace, int jobs,
                                int64_t* grace_ns);

// Writes `text` to the file `path` (replacing it), or to stdout for "-".
Status WriteText(const std::string& path, const std::string& text);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_CLI_COMMON_H_
