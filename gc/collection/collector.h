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

#include "gc/collection/options.h"
#include "gc/collection/problem.h"
#include "gc/collection/sweep.h"
#include "gc/quarantine/purge.h"
#include "gc/quarantine/restore.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::gc {

// The regsweep version the JSON report names: CMakeLists.txt's project()
// VERSION, which `regsweep --version` prints (REGSWEEP_VERSION, defined for
// the binary only). tests/integration/test_dropin_lines.py checks that the
// two agree.
inline constexpr char kRegsweepVersion[] = "0.1.0";

// kIncremental: what had not changed since the last complete pass with
// the same index was taken from it (gc/incremental/); kFull: everything was
// read.
enum class PassKind { kFull, kIncremental };
// "full" or "incremental", as reports name it.
const char* PassKindName(PassKind kind);

struct ManifestEligible {
  std::string repository;
  Digest digest;
  // On a real run with options.record_tag_history, the tags whose history
  // (tags/<tag>/index/) named this
  // manifest when the sweep began: the entries it deletes with the
  // revision (distribution's "deleting manifest tag reference" lines).
  std::vector<std::string> tag_history;
};

// What a real run did with quarantines (storage/quarantine.h).
struct QuarantineReport {
  // The run this one's removals went to; empty when they were deleted.
  std::string run;
  // Blobs a kept manifest references, found in a quarantine and put back.
  RestoreOutcome rescued;
  // Quarantines older than GcOptions::quarantine_for_ns, deleted.
  PurgeOutcome purged;
  // What every quarantine holds after the run, this run's included.
  uint64_t runs_held = 0;
  uint64_t bytes_held = 0;
};

struct GcReport {
  std::string version = kRegsweepVersion;
  std::string store;  // the store's Describe(""): its root directory
  // Wall clock, ns since the epoch; finished_at_ns stays 0 when the run
  // could not start.
  int64_t started_at_ns = 0;
  int64_t finished_at_ns = 0;
  GcOptions options;
  PassKind pass = PassKind::kFull;
  uint64_t repositories = 0;
  uint64_t repositories_reread = 0;
  uint64_t manifests_read = 0;
  uint64_t manifests_recalled = 0;  // parses taken from the index instead
  uint64_t blobs_marked = 0;
  std::vector<ManifestEligible> manifests_eligible;
  SweepResult sweep;  // eligible blobs, what was deleted, failed deletions
  std::vector<Problem> problems;  // from the mark and the sweep
  std::vector<std::string> fatal;  // non-empty: nothing was deleted
  // Said to the operator, no effect on what is deleted (an index that could
  // not be reused, say).
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, double>> phases;  // name, seconds
  // Requests the store was sent, by kind, for stores that count them (on
  // S3: list, get, head, delete_objects, retries); empty otherwise. Filled
  // by whoever opened the store: RunGc knows no backend.
  std::vector<std::pair<std::string, uint64_t>> store_requests;
  QuarantineReport quarantine;
};

// Runs a collection over `store`. Returns non-OK only when the run could
// not start (not a registry store, the index cannot be opened); otherwise
// OK, with everything that happened in *report.
Status RunGc(storage::Store* store, const GcOptions& options,
             GcProgress* progress, GcReport* report);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_COLLECTOR_H_
