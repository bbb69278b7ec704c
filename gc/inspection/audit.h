// Audit: checks a store without changing it (`regsweep audit`).
//
// A census (gc/inspection/census.h: a default-mode mark into a reference index, and
// every blob with its size and time), then checks on top of it:
//   - every revision, tag and _layers link: its content is a digest (the one
//     its directory names), and the manifest or blob it names exists;
//   - every manifest the index holds: each config, layer and child manifest
//     it names exists (descriptors with `urls`, foreign layers, excepted),
//     listing every tag that reaches a broken one;
//   - manifests the mark could not parse, blobs no manifest references,
//     uploads older than a week, repositories with no tags and no manifests;
//   - with verify_digests, every blob's content against its digest.
// Each finding says what to do (gc/inspection/finding.h). Existence checks are skipped
// when the blob listing was incomplete, and orphans are not reported when a
// manifest could not be read: both would be guesses; the errors are
// reported instead (kind "unreadable").
#ifndef REGSWEEP_GC_AUDIT_H_
#define REGSWEEP_GC_AUDIT_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gc/inspection/finding.h"
#include "gc/collection/options.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::gc {

struct AuditOptions {
  // Hash every blob and compare with its digest (reads every byte).
  bool verify_digests = false;
  // Keep the reference index (RocksDB) here; empty: in memory only.
  std::string index_dir;
  // Threads for listing and reading (0: max(16, 2 per core), as gc).
  int jobs = 0;
  // Threads for hashing large blobs (0: one per core); small blobs are
  // read on the `jobs` threads.
  int verify_threads = 0;
  // An upload that started longer ago than this is stale (distribution's
  // upload purging default: 168h).
  int64_t stale_upload_ns = 7 * 24 * 3600LL * 1000000000LL;
  // The time ages are measured from, ns since the epoch; 0 means now.
  int64_t now_ns = 0;
};

struct AuditSummary {
  int64_t now_ns = 0;  // the time ages were measured from
  uint64_t repositories = 0;
  uint64_t manifests_read = 0;
  uint64_t blobs = 0;  // blobs with data
  uint64_t bytes = 0;  // their total size
  uint64_t blobs_referenced = 0;
  uint64_t bytes_orphaned = 0;
  std::array<uint64_t, kFindingKindCount> counts{};  // per FindingKind
  bool verified = false;  // verify_digests ran
  uint64_t blobs_verified = 0;
  uint64_t bytes_verified = 0;
  double verify_seconds = 0;
  int verify_threads = 0;
  std::vector<std::pair<std::string, double>> phases;  // name, seconds
};

struct AuditReport {
  std::vector<Finding> findings;  // sorted (FindingLess), no duplicates
  AuditSummary summary;
};

// Audits the store. Non-OK only when the audit could not run (not a
// registry store, the index cannot be opened); everything found is in
// *report.
Status RunAudit(storage::Store* store, const AuditOptions& options,
                GcProgress* progress, AuditReport* report);

// {"findings": [{"kind", "digest", "repository", "tag", "path", "bytes",
//   "time", "age_seconds", "manifest", "tags", "detail"}, ...] (fields that
//   do not apply are left out), "summary": {"clean", "findings", "by_kind":
//   {kind: count, ...every kind}, "repositories", "manifests_read",
//   "blobs", "bytes", "blobs_referenced", "bytes_orphaned", "verify": null
//   or {"blobs", "bytes", "seconds", "threads", "bytes_per_second"},
//   "phases": {name: seconds}}}
std::string AuditToJson(const AuditReport& report);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_AUDIT_H_
