// ChangeStamp: a hash of the change tokens (storage::ObjectInfo::version)
// of what a pass depended on, taken without reading it, so that an
// incremental pass can tell "unchanged since the last pass" from a few
// descriptions.
//
// A stamp is trusted only where the backend promises that its tokens move
// when what they cover changes (storage::Capabilities): every entry has a
// version; a directory's version counts only where directory versions
// move; an absent entry counts only where the backend has directories
// (on a store without them, a prefix with keys below it may be described
// as absent, and would stay "absent" while keys come and go below it).
// And every entry's last change lies before `trusted_before` (the pass's
// start minus kRacyMargin): a change made in the same tick of the
// backend's clock as our description could otherwise leave its token as
// it was ("racy" entries, as git calls them). An untrusted stamp makes the
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

// What decides whether a stamp is trusted: the backend's promises and the
// pass's racy bound.
struct StampTrust {
  storage::Capabilities promises;
  int64_t trusted_before_ns = 0;
};

struct ChangeStamp {
  uint64_t hash = 0;
  bool trusted = false;
};

// Stamps the outcome of Store::StatBatch (or Registry::StatRepository):
// infos[i] counts when statuses[i] is OK; NotFound counts as "absent";
// any other error makes the stamp untrusted, and so does anything
// `trust.promises` does not cover (see above).
ChangeStamp StampOf(const std::vector<storage::ObjectInfo>& infos,
                    const std::vector<Status>& statuses,
                    const StampTrust& trust);

// The same for one description.
ChangeStamp StampOf(const storage::ObjectInfo& info, const StampTrust& trust);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_CHANGE_STAMP_H_
