// The machine-readable report of a run (`--json FILE`).
#ifndef REGSWEEP_GC_REPORT_H_
#define REGSWEEP_GC_REPORT_H_

#include <functional>
#include <string>
#include <string_view>

#include "gc/collection/collector.h"

namespace regsweep::gc {

// {"version", "store", "mode", "dry_run", "grace_seconds", "started_at",
//  "finished_at" (RFC 3339 UTC, null if the run did not finish), "pass",
//  "repositories", "manifests_read", "manifests_recalled", "blobs_marked",
//  "blobs_eligible": ["sha256:..."], "manifests_eligible": [{"repository",
//  "digest"}], "bytes_eligible", "blobs_kept_by_grace", "blobs_kept_odd",
//  "blobs_deleted",
//  "bytes_deleted", "manifests_deleted", "layer_links_deleted",
//  "problems": [{"kind", "path", "repository", "digest", "detail"}],
//  "fatal": null or the first fatal error, "fatal_errors": [...],
//  "errors": [...], "phases": {"mark": s, "plan": s, "delete": s},
//  "quarantine": {"run": the run this one's removals went to, or null
//  (deleted at once), "rescued_blobs": [{"digest", "run"}],
//  "rescued_links", "purged_runs": [...], "purged_bytes", "kept_runs":
//  ["<run>: why"], "runs_held", "bytes_held"}}
std::string ReportToJson(const GcReport& report);
// The same text, handed to `sink` in pieces as it is written, so that a
// report naming a million blobs is never held whole in memory.
void WriteReportJson(const GcReport& report,
                     const std::function<void(std::string_view)>& sink);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_REPORT_H_
