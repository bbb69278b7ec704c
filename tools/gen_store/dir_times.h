// DirTimes: gives the directories of a written store backdated modification
// times that agree with the backdated times of their files.
//
// Writers note, for every change they make, the directory it changed and
// when (a file written, a link removed, a directory made). Apply then gives
// each noted directory, and every ancestor of one, the newest time noted in
// or below it: no directory is older than anything in it. Nothing is read
// back from the disk, so the cost is one utimensat per directory set here,
// whatever the size of the store.
//
// Directories that are not noted (a blob's or a link's own directory, which
// holds just that one file) are the writer's to set.
//
// Thread safety: Note may be called from several threads at once; Apply
// runs once, after every write (creating an entry would change its
// directory's time again).
#ifndef REGSWEEP_TOOLS_GEN_STORE_DIR_TIMES_H_
#define REGSWEEP_TOOLS_GEN_STORE_DIR_TIMES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/status.h"

namespace regsweep::gen_store {

class DirTimes {
 public:
  // Records a change of `dir` (relative to the root) at `time`, Unix
  // seconds. Several notes of one directory keep the newest.
  void Note(std::string_view dir, int64_t time);

  // Sets the times of every noted directory and of their ancestors up to
  // (not including) the root `root_fd`, with utimensat(AT_SYMLINK_NOFOLLOW),
  // on `threads` threads. Returns the first I/O error.
  Status Apply(int root_fd, uint32_t threads) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>()(s);
    }
  };
  using TimeByDir =
      std::unordered_map<std::string, int64_t, Hash, std::equal_to<>>;

  // Sharded by directory, so that writer threads rarely wait for each other.
  static constexpr size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    TimeByDir times;
  };
  mutable Shard shards_[kShards];
};

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_DIR_TIMES_H_
