// QuarantineWriter: the records of one run that quarantines what it
// removes. Whoever removes (the sweep, tag rm, retain) hands it each batch
// of items before moving them, and moves them only if the record was
// written: so a run's records always list at least what it moved, and a
// restore finds every tree it must put back.
//
// Thread safety: Record may be called from several threads at once.
#ifndef REGSWEEP_GC_QUARANTINE_QUARANTINE_WRITER_H_
#define REGSWEEP_GC_QUARANTINE_QUARANTINE_WRITER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/quarantine.h"
#include "storage/registry.h"
#include "util/status.h"

namespace regsweep::gc {

class QuarantineWriter {
 public:
  // A new run's writer. `quarantine` is not owned and must outlive it.
  QuarantineWriter(const storage::Quarantine* quarantine, std::string run,
                   int64_t started_ns, std::string command);

  // A name for a run that begins at `now_ns`: its UTC time to the second,
  // then random hex ("20261207T204512Z-1a2b3c4d"), so names sort by time
  // and two runs never share one.
  static std::string NewRunName(int64_t now_ns);

  // Writes a record of `items`, removed because of `reason`, as the next
  // of this run's records. Not OK: the record is not in the store, and the
  // items must not be moved.
  Status Record(std::string reason,
                std::vector<storage::QuarantinedItem> items);

  const std::string& run() const { return run_; }
  // A Registry whose removals move into this run's area.
  storage::Registry Quarantining(const storage::Registry& registry) const {
    return registry.QuarantiningInto(run_);
  }

 private:
  const storage::Quarantine* quarantine_;
  const std::string run_;
  const int64_t started_ns_;
  const std::string command_;
  std::atomic<uint64_t> next_sequence_{1};
};

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_QUARANTINE_QUARANTINE_WRITER_H_
