// QuarantineCatalog: what every run's quarantine holds, from its records:
// for `regsweep quarantine ls`, du, the purge and the rescue of blobs a
// kept manifest needs again (gc/quarantine/restore.h).
#ifndef REGSWEEP_GC_QUARANTINE_QUARANTINE_CATALOG_H_
#define REGSWEEP_GC_QUARANTINE_QUARANTINE_CATALOG_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/quarantine.h"
#include "util/status.h"

namespace regsweep::gc {

struct QuarantinedRun {
  std::string run;
  // Not OK: a record could not be read or decoded (the error names it):
  // what the run holds is unknown, so no run purges it on its own.
  Status readable;
  int64_t started_ns = 0;  // from its records; 0 when it has none
  std::string command;
  uint64_t records = 0;
  // Items by kind (storage::QuarantinedItem::Kind as index).
  std::array<uint64_t, 5> counts{};
  uint64_t bytes = 0;  // of its blobs' data
  // Every item, when the catalog was read with items.
  std::vector<storage::QuarantinedItem> items;

  uint64_t Count(storage::QuarantinedItem::Kind kind) const {
    return counts[static_cast<size_t>(kind)];
  }
};

// Reads every run's records, runs sorted by name (so by time). With
// `keep_items` each run keeps its items. Non-OK only when the runs cannot
// be listed; a run whose records cannot be read is listed with the error
// in its `readable`.
Status ReadQuarantineCatalog(const storage::Quarantine& quarantine,
                             bool keep_items,
                             std::vector<QuarantinedRun>* runs);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_QUARANTINE_QUARANTINE_CATALOG_H_
