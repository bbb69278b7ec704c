#include "gc/quarantine/purge.h"

namespace regsweep::gc {

void PurgeRun(const storage::Quarantine& quarantine, const QuarantinedRun& run,
              PurgeOutcome* outcome) {
  Status s = quarantine.Purge(run.run);
  if (!s.ok()) {
    outcome->errors.push_back(s);
    return;
  }
  outcome->purged.push_back(run.run);
  outcome->bytes += run.bytes;
}

void PurgeExpired(const storage::Quarantine& quarantine,
                  const std::vector<QuarantinedRun>& runs, int64_t before_ns,
                  PurgeOutcome* outcome) {
  for (const QuarantinedRun& run : runs) {
    if (!run.readable.ok()) {
      outcome->kept.push_back(run.run + ": " + run.readable.ToString());
      continue;
    }
    if (run.records == 0) {
      outcome->kept.push_back(run.run + ": " + quarantine.Describe(run.run) +
                              " holds no record of what it holds");
      continue;
    }
    if (run.started_ns < before_ns) PurgeRun(quarantine, run, outcome);
  }
}

}  // namespace regsweep::gc
