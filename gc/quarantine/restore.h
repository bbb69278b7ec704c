// Restore: putting back what runs moved into their quarantines
// (storage/quarantine.h), for `regsweep restore` and for the rescue a pass
// makes when a kept manifest references a quarantined blob.
//
// Order, so that a restore cut short never shows the registry a link to
// something that is not back: every blob first, then layer links, then
// revisions, then tag history entries, then tags.
#ifndef REGSWEEP_GC_QUARANTINE_RESTORE_H_
#define REGSWEEP_GC_QUARANTINE_RESTORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gc/quarantine/quarantine_catalog.h"
#include "storage/quarantine.h"
#include "storage/registry.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gc {

struct RestoreOutcome {
  // Put back, by kind (storage::QuarantinedItem::Kind as index).
  std::array<uint64_t, 5> restored{};
  uint64_t bytes_restored = 0;
  // The registry held the item again (pushed since): left as it is.
  uint64_t already_present = 0;
  // The quarantine did not hold it (never moved, or put back before).
  uint64_t not_held = 0;
  // Blobs put back (for reports), with the run each came from.
  std::vector<std::pair<Digest, std::string>> blobs;
  std::vector<Status> errors;
  // The run's area was removed: everything was back.
  bool area_removed = false;

  uint64_t Restored() const;
};

// Puts back every item `run` (read with its items) holds, then removes its
// area when every item is back or was back already.
void RestoreRun(const storage::Quarantine& quarantine,
                const QuarantinedRun& run, RestoreOutcome* outcome);

// Puts back what `run` holds of `digests` and what they need, recursively:
// of a blob, the blob and its layer links; of a manifest also its
// revisions, tag history entries and the removed tags that pointed at it,
// and every blob and child manifest the manifest references that the run
// holds (read from the manifest once it is back). Referrers of a manifest
// (signatures, SBOMs: they name it, not it them) are not followed: name
// them too. The area stays (other items may remain).
void RestoreDigests(const storage::Quarantine& quarantine,
                    const storage::Registry& registry,
                    const QuarantinedRun& run,
                    const std::vector<Digest>& digests,
                    RestoreOutcome* outcome);

// The rescue: every blob of `runs` (read with items) for which `needed`
// is true and that the registry does not hold is put back, with its layer
// links from the same run. `needed` may say true for more blobs than a
// kept manifest references (a fingerprint collision): that only restores.
void RescueNeeded(const storage::Quarantine& quarantine,
                  const storage::Registry& registry,
                  const std::vector<QuarantinedRun>& runs,
                  const std::function<bool(const Digest&)>& needed,
                  RestoreOutcome* outcome);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_QUARANTINE_RESTORE_H_
