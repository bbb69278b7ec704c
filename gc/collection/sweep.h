// Sweep: find the blobs no mark reached and, unless this is a dry run,
// delete them, concurrently over blob prefixes.
//
// Order (so that an interrupted run never leaves a kept manifest pointing
// at a deleted blob, and a rerun finishes the job):
//   1. the revisions to delete (and their tag history entries): after this
//      no revision names a blob that step 2 deletes;
//   2. the unmarked blobs (only ever unmarked ones: kept manifests name
//      marked blobs only);
//   3. the _layers links whose blob was deleted or does not exist.
// A blob whose data changed within the grace period is never deleted.
// With options.descriptor_cache, each chunk of deletions is forgotten in
// the registry's cache right after it is made (a kill loses at most one
// chunk's worth); a failure to forget is a failed deletion.
// Before step 1, a sample of each kind of deletion is checked against the
// directories it changes: a process that may not write them deletes
// nothing (SweepResult::denied) rather than failing one by one.
#ifndef REGSWEEP_GC_SWEEP_H_
#define REGSWEEP_GC_SWEEP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gc/incremental/blob_listing.h"
#include "gc/collection/mark.h"
#include "gc/collection/options.h"
#include "gc/collection/problem.h"
#include "storage/registry.h"
#include "util/status.h"

namespace regsweep::gc {

struct EligibleBlob {
  Digest digest;
  uint64_t bytes = 0;
  // While the sweep chooses: the data's time, and whether the listing
  // described the data (an object store's listing gives size and time, so
  // the blob need not be looked up again).
  int64_t mtime_ns = 0;
  bool listed = false;
};

struct SweepResult {
  std::vector<EligibleBlob> blobs_eligible;  // sorted by digest
  uint64_t bytes_eligible = 0;
  uint64_t blobs_kept_by_grace = 0;
  // Unreferenced blobs kept because their data is not a regular file (each
  // also reported as a problem).
  uint64_t blobs_kept_odd = 0;
  uint64_t blobs_deleted = 0;
  uint64_t bytes_deleted = 0;
  uint64_t manifests_deleted = 0;
  uint64_t layer_links_deleted = 0;
  // Blob prefix directories whose listing came from the index.
  uint64_t prefixes_reused = 0;
  // Of those, the ones brought up to date from linked blobs (see
  // gc/incremental/blob_listing.h).
  uint64_t prefixes_extended = 0;
  uint64_t blobs_listed = 0;  // every blob directory the listing found
  std::vector<Problem> problems;
  // Deletions that failed. The run goes on with the next; a rerun retries.
  std::vector<Status> errors;
  // Not OK: a sample of the deletions could not be made by this process
  // (permissions, a read-only filesystem), so none was tried; the first
  // directory found so, with the reason. A rerun as another user can help,
  // a plain rerun cannot.
  Status denied;
  double plan_seconds = 0;
  // The three deletion steps, in order, and their sum.
  double delete_manifests_seconds = 0;
  double delete_blobs_seconds = 0;
  double delete_layer_links_seconds = 0;
  double delete_seconds = 0;
};

// Lists every blob (through gc/incremental/blob_listing.h with `listing`: from the
// index where a prefix did not change), finds those `mark` did not reach,
// and (unless options.dry_run) deletes as described above.
void Sweep(const storage::Registry& registry, const GcOptions& options,
           const MarkResult& mark, const ListingOptions& listing,
           GcProgress* progress, SweepResult* result);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_SWEEP_H_
