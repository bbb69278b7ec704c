// Purge: deleting quarantines once they have been kept long enough
// (GcOptions::quarantine_for_ns), for every real run and for `regsweep
// quarantine purge`.
#ifndef REGSWEEP_GC_QUARANTINE_PURGE_H_
#define REGSWEEP_GC_QUARANTINE_PURGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gc/quarantine/quarantine_catalog.h"
#include "storage/quarantine.h"
#include "util/status.h"

namespace regsweep::gc {

struct PurgeOutcome {
  std::vector<std::string> purged;  // the runs whose areas were deleted
  uint64_t bytes = 0;               // their blobs' data
  // Runs kept although old enough, with why: what they hold is not known
  // (a record that cannot be read, or none at all). `regsweep quarantine
  // purge RUN` removes one by name.
  std::vector<std::string> kept;
  std::vector<Status> errors;
};

// Purges every run of `runs` that began before `before_ns`. A run whose
// records cannot be read, or that has none, is kept and named in `kept`.
void PurgeExpired(const storage::Quarantine& quarantine,
                  const std::vector<QuarantinedRun>& runs, int64_t before_ns,
                  PurgeOutcome* outcome);

// Purges the run `run` whatever it holds.
void PurgeRun(const storage::Quarantine& quarantine, const QuarantinedRun& run,
              PurgeOutcome* outcome);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_QUARANTINE_PURGE_H_
