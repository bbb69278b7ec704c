// DiskUsage: where a store's space goes (`regsweep du`).
//
// Per repository, the bytes of every blob its manifests reference (in
// default mode: every revision, with its config, layers and index
// children), split into bytes no other repository references (what
// deleting the repository, then running gc, would free) and bytes shared
// with others. And the total gc would reclaim now: blobs no manifest
// references, older than the grace period.
//
// Sizes are those of the blobs' data files; a blob counts once per
// repository however many of its manifests name it. Referenced blobs that
// do not exist count nothing (`regsweep audit` reports them).
#ifndef REGSWEEP_GC_DISK_USAGE_H_
#define REGSWEEP_GC_DISK_USAGE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gc/collection/options.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::gc {

struct DiskUsageOptions {
  // Keep the reference index (RocksDB) here; empty: in memory only.
  std::string index_dir;
  int jobs = 0;  // 0: max(16, 2 per core)
  // gc's grace period: younger unreferenced blobs are not reclaimable yet.
  int64_t grace_ns = 3600LL * 1000000000LL;
  int64_t now_ns = 0;  // 0: now
};

struct RepositoryUsage {
  std::string repository;
  uint64_t manifests = 0;  // manifests the mark read
  uint64_t tags = 0;
  uint64_t blobs = 0;  // distinct blobs referenced (that exist)
  uint64_t bytes = 0;
  uint64_t unique_blobs = 0;  // referenced by no other repository
  uint64_t unique_bytes = 0;
  uint64_t shared_blobs = 0;  // also referenced by another repository
  uint64_t shared_bytes = 0;
};

struct DiskUsageReport {
  // By unique bytes (largest first), then by name.
  std::vector<RepositoryUsage> repositories;
  uint64_t blobs = 0;  // every blob with data
  uint64_t bytes = 0;
  uint64_t referenced_blobs = 0;  // referenced by some repository's manifests
  uint64_t referenced_bytes = 0;
  uint64_t reclaimable_blobs = 0;  // gc (default mode) would delete now
  uint64_t reclaimable_bytes = 0;
  uint64_t grace_blobs = 0;  // unreferenced, but within the grace period
  uint64_t grace_bytes = 0;
  uint64_t missing_blobs = 0;  // referenced, but not in the store
  // What the quarantines hold (storage/quarantine.h): space a later run
  // frees when it purges them, or that a restore puts back. Not in `bytes`.
  uint64_t quarantine_runs = 0;
  uint64_t quarantine_bytes = 0;
  int64_t grace_ns = 0;
  // Why the figures may be off (a manifest the mark could not read: then gc
  // would delete nothing, and reclaimable is 0).
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, double>> phases;  // name, seconds
};

// Measures the store. Non-OK only when it could not run (not a registry
// store, the index cannot be opened).
Status MeasureDiskUsage(storage::Store* store, const DiskUsageOptions& options,
                        GcProgress* progress, DiskUsageReport* report);

// {"repositories": [{"repository", "manifests", "tags", "blobs", "bytes",
//   "unique_blobs", "unique_bytes", "shared_blobs", "shared_bytes"}],
//  "total": {"blobs", "bytes", "referenced_blobs", "referenced_bytes",
//  "reclaimable_blobs", "reclaimable_bytes", "grace_blobs", "grace_bytes",
//  "missing_blobs", "grace_seconds", "quarantine_runs", "quarantine_bytes"}, "warnings": [...], "phases": {...}}
std::string DiskUsageToJson(const DiskUsageReport& report);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_DISK_USAGE_H_
