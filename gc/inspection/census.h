// Census: what a store holds, as audit, du and why need it. A default-mode
// mark (every revision is a root, as `gc` without -m) that records every
// repository's manifests, edges and tags in a RefIndex, and every blob
// directory with its size and time.
//
// Nothing is deleted. The mark's fatal errors (a manifest that cannot be
// read) are kept in mark.fatal: the census is then incomplete and callers
// say so.
#ifndef REGSWEEP_GC_CENSUS_H_
#define REGSWEEP_GC_CENSUS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gc/collection/mark.h"
#include "gc/collection/options.h"
#include "gc/collection/problem.h"
#include "gc/incremental/repository_snapshot.h"
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gc {

struct BlobRecord {
  Digest digest;
  bool has_data = false;  // a blob directory without data is no blob to the
                          // registry (what an interrupted delete leaves)
  uint64_t size = 0;      // of its data
  int64_t mtime_ns = 0;   // of its data (or of the directory, without data)
};

struct Census {
  MarkResult mark;
  std::vector<std::string> repositories;  // sorted, as listed after the mark
  std::vector<BlobRecord> blobs;          // every blob directory, by digest
  std::vector<Problem> problems;          // unexpected entries among blobs
  // Blob directories that could not be listed or examined: `blobs` may lack
  // some, so "does not exist" answers are not to be trusted.
  std::vector<Status> errors;
  double mark_seconds = 0;
  double blobs_seconds = 0;

  // The blob directory named `digest`, or null. Exact (no fingerprints).
  const BlobRecord* Find(const Digest& digest) const;
  // True when the blob exists with data, as the registry would serve it.
  bool HasData(const Digest& digest) const {
    const BlobRecord* blob = Find(digest);
    return blob != nullptr && blob->has_data;
  }
};

// Opens the RocksDB index in `dir`, or, when `dir` is empty, an index in
// memory that goes away with *index.
Status OpenIndex(const std::string& dir, std::unique_ptr<index::RefIndex>* index);

// Marks `registry` in default mode into `index` (and *mark), reading every
// manifest (an audit checks everything; incremental reuse is gc's). The
// index's
// "pass_state" meta is "running" during the mark and "complete" after it
// when the mark had no fatal error (so a later `why --index DIR` may trust
// it). Non-OK only when the index cannot be written at all.
Status MarkIntoIndex(const storage::Registry& registry, index::RefIndex* index,
                     GcProgress* progress, MarkResult* mark);

// Takes the census of `registry` into *census: MarkIntoIndex, then every
// blob. Non-OK only when the store is not a registry store or the index
// cannot be written at all.
Status TakeCensus(const storage::Registry& registry, index::RefIndex* index,
                  GcProgress* progress, Census* census);

// Runs `body` with oneTBB limited to `jobs` threads (0: max(16, 2 per core),
// as RunGc: listing and stat wait on the disk).
void RunWithJobs(int jobs, const std::function<void()>& body);

// An index edge's role (as gc::Mark stores it, gc/incremental/repository_snapshot.h)
// for humans: "config", "layer", "manifest" (an index's child), "blob".
std::string_view EdgeRoleName(uint8_t role);
// True when the edge's descriptor lists `urls`: a foreign layer, which the
// registry may legitimately not hold.
inline bool EdgeHasUrls(uint8_t role) { return (role & kEdgeHasUrls) != 0; }
// False for a referrer's `subject` edge: the index records it, but it is
// no reference (a referrer does not keep its subject).
inline bool IsReference(uint8_t role) { return (role & kEdgeSubject) == 0; }

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_CENSUS_H_
