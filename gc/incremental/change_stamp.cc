#include "gc/incremental/change_stamp.h"

#include <xxhash.h>

namespace regsweep::gc {
namespace {

// What a stamp hashes of one entry, in a fixed layout.
struct StampedEntry {
  uint64_t version;
  uint64_t kind;  // 0: absent; else 1 + storage::EntryType
};

// Whether the backend's promises cover this description.
bool Covered(const storage::ObjectInfo& info, const StampTrust& trust) {
  if (info.version == 0 || info.changed_ns >= trust.trusted_before_ns) {
    return false;
  }
  return info.type == storage::EntryType::kDirectory
             ? trust.promises.directory_versions_move
             : trust.promises.object_versions_move;
}

}  // namespace

ChangeStamp StampOf(const std::vector<storage::ObjectInfo>& infos,
                    const std::vector<Status>& statuses,
                    const StampTrust& trust) {
  ChangeStamp stamp;
  stamp.trusted = infos.size() == statuses.size();
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (size_t i = 0; i < infos.size() && i < statuses.size(); ++i) {
    StampedEntry entry{};
    if (statuses[i].ok()) {
      entry = StampedEntry{infos[i].version,
                           1 + static_cast<uint64_t>(infos[i].type)};
      if (!Covered(infos[i], trust)) stamp.trusted = false;
    } else if (!statuses[i].IsNotFound() || !trust.promises.directories ||
               !trust.promises.directory_versions_move) {
      stamp.trusted = false;
    }
    XXH3_64bits_update(state, &entry, sizeof(entry));
  }
  stamp.hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return stamp;
}

ChangeStamp StampOf(const storage::ObjectInfo& info, const StampTrust& trust) {
  return StampOf({info}, {Status::OK()}, trust);
}

}  // namespace regsweep::gc
