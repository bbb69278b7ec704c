// Collector: one garbage-collection run, mark then sweep, and its report.
//
// The run refuses to delete anything when the mark met an error that could
// hide a reference (GcReport::fatal is then non-empty and the store is
// untouched). Other problems are reported and the run goes on.
#ifndef REGSWEEP_GC_COLLECTOR_H_
#define REGSWEEP_GC_COLLECTOR_H_

#include <string>
#include <utility>
#include <vector>

#include "gc/options.h"
#include "gc/problem.h"
#include "gc/sweep.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::gc {

struct ManifestEligible {
  std::string repository;
  Digest digest;
};

struct GcReport {
  GcOptions options;
  // "full", or "incremental" when repositories unchanged since the last
  // complete pass with the same index were taken from it.
  std::string pass = "full";
  uint64_t repositories = 0;
  uint64_t repositories_reread = 0;
  uint64_t manifests_read = 0;
  uint64_t blobs_marked = 0;
  std::vector<ManifestEligible> manifests_eligible;
  SweepResult sweep;  // eligible blobs, what was deleted, failed deletions
  std::vector<Problem> problems;  // from the mark and the sweep
  std::vector<std::string> fatal;  // non-empty: nothing was deleted
  // Said to the operator, no effect on what is deleted (an index that could
  // not be reused, say).
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, double>> phases;  // name, seconds
};

// Runs a collection over `store`. Returns non-OK only when the run could
// not start (not a registry store, the index cannot be opened); otherwise
// OK, with everything that happened in *report.
Status RunGc(storage::Store* store, const GcOptions& options,
             GcProgress* progress, GcReport* report);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_COLLECTOR_H_
