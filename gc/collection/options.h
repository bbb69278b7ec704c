// GcOptions: what a collection run is asked to do; GcProgress: how far it
// has got, for a progress line.
#ifndef REGSWEEP_GC_OPTIONS_H_
#define REGSWEEP_GC_OPTIONS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "storage/descriptor_cache.h"

namespace regsweep::gc {

class QuarantineWriter;  // gc/quarantine/quarantine_writer.h

struct GcOptions {
  // Report what would be deleted; delete nothing.
  bool dry_run = false;
  // Roots are the manifests tags point at (plus their index children and
  // referrers), not every revision: untagged manifests are deleted too.
  bool delete_untagged = false;
  // Never delete a blob or a revision whose file changed less than this
  // long ago (a push may still be in flight). 0 turns the protection off.
  int64_t grace_ns = 3600LL * 1000000000LL;
  // Worker threads; 0 means the default, max(16, 2 per core): most of
  // the work waits on I/O.
  int jobs = 0;
  // Where the persistent reference index lives; empty: no index is written.
  // An index from an earlier complete pass over the same store makes the
  // pass incremental: unchanged repositories are not re-read.
  std::string index_dir;
  // Re-read everything even when the index could be reused.
  bool full = false;
  // The time grace is measured from, ns since the epoch; 0 means now.
  int64_t now_ns = 0;
  // Fill ManifestEligible::tag_history: one listing of each tag's history
  // per repository with a manifest to delete. Only the drop-in's
  // per-deletion log lines need it, so other runs skip that I/O.
  bool record_tag_history = false;
  // The registry's blob-descriptor cache, when it has one outside its
  // process (Redis); not owned. A real sweep makes it forget what it
  // removes, chunk by chunk right after each deletion, so that the
  // registry stops answering that a deleted blob exists.
  storage::DescriptorCache* descriptor_cache = nullptr;
  // Where a real sweep puts what it removes; not owned. Null: it deletes
  // at once. Otherwise each batch is recorded, then moved into the run's
  // quarantine (storage/quarantine.h), and a batch whose record could not
  // be written is not touched.
  QuarantineWriter* quarantine = nullptr;
  // How long a quarantine is kept: a real run purges the quarantines of
  // runs that began longer ago than this (0: every one).
  int64_t quarantine_for_ns = 24 * 3600LL * 1000000000LL;
};

// Counters a run updates as it goes; another thread may read them at any
// time to draw a progress line. A total of 0: not known beforehand.
struct GcProgress {
  std::atomic<const char*> phase{"starting"};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> total{0};

  void Start(const char* name, uint64_t count) {
    done = 0;
    total = count;
    phase = name;
  }
};

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_OPTIONS_H_
