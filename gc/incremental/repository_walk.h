// RepositoryWalk: the walk of repositories/ carried between passes in the
// reference index (storage::RepositoryWalkMemo), so that an incremental
// pass describes each directory of the walk (one stat) instead of listing
// it. A directory is recalled only when its change stamp (gc/incremental/change_stamp.h)
// equals the stored one and was trusted when stored: a directory changed
// within the racy margin is listed again on the next pass too.
#ifndef REGSWEEP_GC_REPOSITORY_WALK_H_
#define REGSWEEP_GC_REPOSITORY_WALK_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gc/incremental/change_stamp.h"
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/status.h"

namespace regsweep::gc {

// Every repository name under repositories/, sorted, as
// storage::Registry::ListRepositories gives them, but with each directory
// of the walk a task of its own: on a store of many repositories the walk
// is a stat or a listing per directory, and on one thread it held up the
// whole mark. Problems come sorted by path. A directory that cannot be
// listed fails the walk (the error of the first such path, by name).
// `memo` may be null.
Status WalkRepositories(const storage::Registry& registry,
                        storage::RepositoryWalkMemo* memo,
                        std::vector<std::string>* names,
                        std::vector<storage::StoreProblem>* problems);

// Thread-safe: a walk recalls and remembers from several threads at once.
class RepositoryWalk : public storage::RepositoryWalkMemo {
 public:
  explicit RepositoryWalk(const StampTrust& trust) : trust_(trust) {}

  // Takes the directories the last pass stored in `index`. A missing or
  // undecodable value recalls nothing.
  void Load(index::RefIndex* index);
  // Stores the directories this walk recalled or remembered, replacing what
  // was there; writes nothing when the walk recalled every directory stored
  // and listed none.
  Status Save(index::RefIndex* index) const;

  bool Recall(const std::string& path, const storage::ObjectInfo& info,
              storage::RepositoryDirectory* dir) override;
  void Remember(const storage::RepositoryDirectory& dir) override;

  uint64_t recalled() const { return recalled_; }

 private:
  struct Entry {
    uint64_t stamp = 0;
    bool is_repository = false;
    std::vector<std::string> children;
  };

  const StampTrust trust_;
  std::mutex mu_;  // guards what follows, while a walk runs
  std::unordered_map<std::string, Entry> stored_;  // from the last pass
  std::unordered_map<std::string, Entry> walked_;  // for the next one
  uint64_t recalled_ = 0;
  bool remembered_ = false;  // some directory was listed
};

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_REPOSITORY_WALK_H_
