// How a run's report is shown: a human summary, distribution's lines, the
// problems, the JSON file.
#ifndef REGSWEEP_TOOLS_REGSWEEP_OUTPUT_H_
#define REGSWEEP_TOOLS_REGSWEEP_OUTPUT_H_

#include <string>

#include "gc/collection/collector.h"
#include "util/status.h"

namespace regsweep::cli {

// A few lines: what was marked, what is (or was) reclaimed, time per phase.
void PrintSummary(const std::string& store, const gc::GcReport& report);

// The summary's lines about quarantines: what was rescued and purged, and
// what every quarantine holds now.
void PrintQuarantineLines(const gc::QuarantineReport& quarantine);
// "1.3 MiB in 2 runs".
std::string QuarantineSpace(uint64_t bytes, uint64_t runs);

// distribution's garbage-collect output: "manifest eligible for deletion:",
// the "N blobs marked, ..." line, "blob eligible for deletion:".
void PrintDistributionLines(const gc::GcReport& report);

// Problems, fatal errors and failed deletions as log lines on stderr
// (tools/regsweep/log.h: warning, error, fatal), at most `limit` problems
// (the JSON report has them all).
void PrintProblems(const gc::GcReport& report, size_t limit);

// After a real run, the info lines distribution's garbage-collect logs for
// each deletion, in the configured log format:
//   deleting manifest tag reference: /docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/index/<alg>/<hex>
//   deleting manifest: /docker/registry/v2/repositories/<repo>/_manifests/revisions/<alg>/<hex>
//   Deleting blob: /docker/registry/v2/blobs/<alg>/<xx>/<hex>
// manifests first (each after its tag references), then blobs. A deletion
// that failed (named by an error of the sweep) has no line. Nothing on a
// dry run or a refused sweep.
void LogDeletions(const gc::GcReport& report);

// Writes the JSON report to `path` ("-" for stdout).
Status WriteJsonReport(const std::string& path, const gc::GcReport& report);

// "1.5 GiB".
std::string HumanBytes(uint64_t bytes);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_OUTPUT_H_
