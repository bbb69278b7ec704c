#include "gc/incremental/change_stamp.h"

#include <xxhash.h>

namespace regsweep::gc {
namespace {

// The fields that move when an entry changes, in a fixed layout for hashing.
struct StampedEntry {
  uint64_t inode;
  uint64_t size;
  int64_t mtime_ns;
  int64_t ctime_ns;
  uint64_t kind;  // 0: absent; else 1 + storage::EntryType
};

}  // namespace

ChangeStamp StampOf(const std::vector<storage::FileInfo>& infos,
                    const std::vector<Status>& statuses,
                    int64_t trusted_before_ns) {
  ChangeStamp stamp;
  stamp.trusted = infos.size() == statuses.size();
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (size_t i = 0; i < infos.size() && i < statuses.size(); ++i) {
    StampedEntry entry{};
    if (statuses[i].ok()) {
      const storage::FileInfo& info = infos[i];
      entry = StampedEntry{info.inode, info.size, info.mtime_ns, info.ctime_ns,
                           1 + static_cast<uint64_t>(info.type)};
      if (info.mtime_ns >= trusted_before_ns ||
          info.ctime_ns >= trusted_before_ns) {
        stamp.trusted = false;
      }
    } else if (!statuses[i].IsNotFound()) {
      stamp.trusted = false;
    }
    XXH3_64bits_update(state, &entry, sizeof(entry));
  }
  stamp.hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return stamp;
}

}  // namespace regsweep::gc
