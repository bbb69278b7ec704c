// Quarantine: where a run puts what it removes instead of deleting it, so
// that an operator can put it back (regsweep restore) until a later run
// purges it. Each run has its own area, named by the run
// (layout::QuarantineRunDir), beside the registry's v2/, holding the
// run's records (storage/quarantine_record.h) and, mirroring v2/, every
// tree the run moved. A Registry made with QuarantiningInto(run) moves
// instead of deleting (storage/registry.h); this class reads, restores and
// purges what it moved. It decides nothing: which runs to purge, what to
// restore and in what order is gc/'s business.
//
// Filesystem: a move is one rename within one filesystem (CheckUsable says
// when the store's parts lie on several). Object store: a server-side copy
// of each key, then a batch delete (storage/object_store.h).
//
// Thread safety: every method may be called from several threads at once.
#ifndef REGSWEEP_STORAGE_QUARANTINE_H_
#define REGSWEEP_STORAGE_QUARANTINE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/quarantine_record.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage {

class Quarantine {
 public:
  explicit Quarantine(Store* store) : store_(store) {}

  // A run's name: 1 to 64 of [A-Za-z0-9._-], not starting with '.'.
  static bool IsValidRunName(std::string_view run);

  // OK when what a run removes can be moved into the quarantine: the
  // blobs and the repositories lie where a move reaches the quarantine
  // area (Store::CheckMovable; NotSupported naming both otherwise).
  Status CheckUsable() const;

  // The runs that have an area, sorted (their names sort by time when
  // they begin with one, as gc's do). None: OK and empty.
  Status ListRuns(std::vector<std::string>* runs) const;

  // Writes record number `sequence` of `record.run`: Store::Create, so a
  // record is never half there and never overwritten (AlreadyExists).
  Status WriteRecord(uint64_t sequence, const QuarantineRecord& record) const;

  // Every record of `run`, in the order of their numbers. An unreadable
  // or undecodable record is an error naming its key (Corruption for one
  // that does not decode): what it lists cannot be known.
  Status ReadRecords(const std::string& run,
                     std::vector<QuarantineRecord>* records) const;

  // Moves items of `run` back where they were, side by side as the store
  // allows. (*results)[i] for items[i]: OK when put back; NotFound when
  // the quarantine does not hold it (never moved, or put back before);
  // AlreadyExists when the registry holds it again (nothing moved: what
  // is there stays, the quarantined copy waits for the purge); other
  // errors as Store::MoveTrees gives them. The caller orders the items
  // (blobs before the links that name them).
  void Restore(const std::string& run,
               const std::vector<QuarantinedItem>& items,
               std::vector<Status>* results) const;

  // Deletes `run`'s area: everything it holds and its records. OK when
  // it is gone already.
  Status Purge(const std::string& run) const;

  // Where items[i] lives in the registry, and where in `run`'s area.
  static std::string RegistryKey(const QuarantinedItem& item);
  static std::string QuarantinedKey(const std::string& run,
                                    const QuarantinedItem& item);

  std::string Describe(const std::string& run) const;

 private:
  Store* store_;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_QUARANTINE_H_
