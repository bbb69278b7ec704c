// DiskWriter: writes files of a new store with plain POSIX calls, relative to
// the storage root (so every path comes straight from storage/layout.h).
//
// Files are written without fsync: the generator makes test data, and a
// crash simply means generating again.
//
// Times (gen_store --age) are Unix seconds; kWriteTime leaves the time of
// writing. A file gets its time as it is written, and so does the own
// directory of a blob or link (nothing else ever goes there). Every other
// directory gets the newest time of the writes and changes below it from
// SetDirectoryTimes, once everything is written.
//
// Thread safety: every method may be called from several threads at once;
// callers must not write the same path concurrently with different bytes.
#ifndef REGSWEEP_TOOLS_GEN_STORE_DISK_WRITER_H_
#define REGSWEEP_TOOLS_GEN_STORE_DISK_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tools/gen_store/dir_times.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gen_store {

// A file time meaning "whenever it was written": nothing is backdated.
inline constexpr int64_t kWriteTime = -1;

class DiskWriter {
 public:
  // Creates `root` if needed (mkdir -p) and opens it. Fails with
  // InvalidArgument when root already holds a store (docker/registry/v2):
  // the generator only writes fresh stores, so that a store is exactly what
  // its seed says.
  static Status Open(const std::string& root, std::unique_ptr<DiskWriter>* out);
  // Opens a store that exists already (gen_store --churn changes one).
  // InvalidArgument when root holds no store.
  static Status OpenExisting(const std::string& root,
                             std::unique_ptr<DiskWriter>* out);
  ~DiskWriter();
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // mkdir -p of a path relative to the root.
  Status MakeDirs(std::string_view dir);
  // Writes `bytes` to `path` (relative to the root), creating or replacing
  // the file and creating its directory (and parents) first, and gives it
  // modification (and access) time `mtime`. The directory is created with
  // one mkdir before the open because it is almost always new: a blob or
  // link directory per file.
  Status WriteFile(std::string_view path, std::string_view bytes,
                   int64_t mtime);

  // A blob's data file, at layout::BlobDataPath(digest), alone in its
  // directory.
  Status WriteBlob(const Digest& digest, std::string_view bytes, int64_t mtime);
  // A link file at `link_path` holding digest.str() with no newline, alone
  // in its directory.
  Status WriteLink(std::string_view link_path, const Digest& digest,
                   int64_t mtime);

  // Records a change of `dir` at `time` that no write shows: an entry
  // removed (a deleted manifest's revision link), or the directory made
  // empty at `time`. kWriteTime: ignored.
  void NoteChange(std::string_view dir, int64_t time);
  // After the last write: sets the time of every directory written to or
  // noted, and of their ancestors (see dir_times.h).
  Status SetDirectoryTimes(uint32_t threads);

 private:
  explicit DiskWriter(int root_fd) : root_fd_(root_fd) {}
  // Opens the directory `root`; InvalidArgument unless it holds a store
  // exactly when `want_store`.
  static Status OpenRoot(const std::string& root, bool want_store,
                         std::unique_ptr<DiskWriter>* out);
  Status MakeDir(std::string_view dir);
  // WriteFile; with `own_dir`, `path` is alone in its directory, which then
  // gets `mtime` too.
  Status Write(std::string_view path, std::string_view bytes, int64_t mtime,
               bool own_dir);
  Status WriteBytes(const std::string& path, std::string_view bytes,
                    int64_t mtime);

  const int root_fd_;
  DirTimes dir_times_;
};

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_DISK_WRITER_H_
