// The machine-readable report of a run (`--json FILE`).
#ifndef REGSWEEP_GC_REPORT_H_
#define REGSWEEP_GC_REPORT_H_

#include <string>

#include "gc/collector.h"

namespace regsweep::gc {

// {"mode", "dry_run", "repositories", "manifests_read", "blobs_marked",
//  "blobs_eligible": ["sha256:..."], "manifests_eligible": [{"repository",
//  "digest"}], "bytes_eligible", "blobs_kept_by_grace", "blobs_deleted",
//  "bytes_deleted", "manifests_deleted", "layer_links_deleted",
//  "problems": [{"kind", "path", "repository", "digest", "detail"}],
//  "fatal": null or the first fatal error, "fatal_errors": [...],
//  "errors": [...], "phases": {"mark": s, "plan": s, "delete": s}}
std::string ReportToJson(const GcReport& report);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_REPORT_H_
