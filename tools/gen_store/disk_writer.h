// DiskWriter: writes files of a new store with plain POSIX calls, relative to
// the storage root (so every path comes straight from storage/layout.h).
//
// Files are written without fsync: the generator makes test data, and a
// crash simply means generating again.
//
// Thread safety: every method may be called from several threads at once;
// callers must not write the same path concurrently with different bytes.
#ifndef REGSWEEP_TOOLS_GEN_STORE_DISK_WRITER_H_
#define REGSWEEP_TOOLS_GEN_STORE_DISK_WRITER_H_

#include <memory>
#include <string>
#include <string_view>

#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gen_store {

class DiskWriter {
 public:
  // Creates `root` if needed (mkdir -p) and opens it. Fails with
  // InvalidArgument when root already holds a store (docker/registry/v2):
  // the generator only writes fresh stores, so that a store is exactly what
  // its seed says.
  static Status Open(const std::string& root, std::unique_ptr<DiskWriter>* out);
  ~DiskWriter();
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // mkdir -p of a path relative to the root.
  Status MakeDirs(std::string_view dir);
  // Writes `bytes` to `path` (relative to the root), creating or replacing
  // the file and creating its directory (and parents) first. The directory
  // is created with one mkdir before the open because it is almost always
  // new: a blob or link directory per file.
  Status WriteFile(std::string_view path, std::string_view bytes);

  // A blob's data file, at layout::BlobDataPath(digest).
  Status WriteBlob(const Digest& digest, std::string_view bytes);
  // A link file at `link_path` holding digest.str() with no newline.
  Status WriteLink(std::string_view link_path, const Digest& digest);

 private:
  explicit DiskWriter(int root_fd) : root_fd_(root_fd) {}
  Status MakeDir(std::string_view dir);

  const int root_fd_;
};

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_DISK_WRITER_H_
