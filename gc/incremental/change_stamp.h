// ChangeStamp: a hash of what a set of files and directories look like
// (type, inode, size, modification and change times), taken without reading
// them, so that an incremental pass can tell "unchanged since the last
// pass" from a few stat calls.
//
// A stamp is only trusted when every time in it lies before `trusted_before`
// (the pass's start minus kRacyMargin): a change made in the same tick of
// the filesystem's clock as our stat would otherwise leave the times as they
// were ("racy" entries, as git calls them). An untrusted stamp makes the
// next pass re-read: when in doubt, re-read.
#ifndef REGSWEEP_GC_CHANGE_STAMP_H_
#define REGSWEEP_GC_CHANGE_STAMP_H_

#include <cstdint>
#include <vector>

#include "storage/store.h"
#include "util/status.h"

namespace regsweep::gc {

// Timestamps come from a coarse clock (one kernel tick, at most 10 ms on
// Linux; 2 s on FAT, and network filesystems take the server's clock), so
// a second is a wide margin.
inline constexpr int64_t kRacyMargin = 1000000000;

struct ChangeStamp {
  uint64_t hash = 0;
  bool trusted = false;
};

// Stamps the outcome of Store::StatFiles (or Registry::StatRepository):
// infos[i] counts when statuses[i] is OK; NotFound counts as "absent";
// any other error makes the stamp untrusted.
ChangeStamp StampOf(const std::vector<storage::FileInfo>& infos,
                    const std::vector<Status>& statuses,
                    int64_t trusted_before_ns);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_CHANGE_STAMP_H_
