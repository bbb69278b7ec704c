// Store: where the registry's bytes live. The engine reads and deletes only
// through this interface, so it does not care whether the bytes sit on a
// local filesystem or (later) in an object store. Modeled on leveldb::Env.
//
// Paths are relative to the store's root, '/'-separated, without a leading
// slash (storage/layout.h builds them). A path never contains "." or ".."
// components; implementations refuse such paths with InvalidArgument.
//
// Symbolic links are never followed: not by listing, reading, stat or
// removal, and not in any component of a path (one documented exception:
// DescribeFiles, which only describes). A symbolic link inside the
// store is reported as an entry of type kSymlink and reading through it
// fails; so nothing outside the store is ever read or deleted.
//
// Every method is safe to call from several threads at once.
#ifndef REGSWEEP_STORAGE_STORE_H_
#define REGSWEEP_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace regsweep::storage {

enum class EntryType : uint8_t { kFile, kDirectory, kSymlink, kOther };

struct DirEntry {
  std::string name;
  EntryType type = EntryType::kOther;
};

struct FileInfo {
  EntryType type = EntryType::kOther;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // modification time, ns since the epoch
  // Status change time, ns since the epoch: moves with every change to the
  // file or directory (content, entries, times set by hand), and cannot be
  // set back, so it tells change more surely than mtime_ns.
  int64_t ctime_ns = 0;
  // Which file this is (device and inode on a filesystem): tells one store
  // from another even when they are reached by the same path.
  uint64_t device = 0;
  uint64_t inode = 0;
  // Hard links to it. For a directory on most local filesystems (ext4,
  // XFS, tmpfs) that is 2 plus its subdirectories, an exact count of them
  // without listing; where it is not (btrfs says 1, ext4 past 65,000
  // subdirectories too) callers must notice the mismatch and list.
  uint64_t links = 0;
};

// One file's outcome in a ReadFiles batch.
struct FileContents {
  Status status;
  std::string contents;
  FileInfo info;
};

class Store {
 public:
  virtual ~Store() = default;

  // Fills *entries with the entries of directory `path`, in no particular
  // order, without "." and "..". NotFound if `path` does not exist; IOError
  // (naming the path) if it cannot be read or is not a directory. When
  // `info` is not null it describes the directory itself, as it was before
  // its entries were read (one fstat of the open directory).
  virtual Status ListDirectory(const std::string& path,
                               std::vector<DirEntry>* entries,
                               FileInfo* info = nullptr) = 0;

  // ListDirectory without building the list: calls visit(name, type) for
  // each entry (the name is valid during the call only), for directories of
  // many thousand entries. This default lists through ListDirectory, so a
  // wrapper that filters ListDirectory filters this too.
  using EntryVisitor = std::function<void(std::string_view, EntryType)>;
  virtual Status VisitDirectory(const std::string& path,
                                const EntryVisitor& visit,
                                FileInfo* info = nullptr) {
    std::vector<DirEntry> entries;
    Status s = ListDirectory(path, &entries, info);
    for (const DirEntry& entry : entries) visit(entry.name, entry.type);
    return s;
  }

  // Reads the whole file `path` into *contents and, when `info` is not
  // null, describes it (one open, one fstat: no separate Stat needed).
  // NotFound if it does not exist; Corruption if it is larger than
  // `max_bytes` (nothing is read); IOError if it cannot be read
  // (permissions, EIO, a symlink, a directory).
  virtual Status ReadFile(const std::string& path, uint64_t max_bytes,
                          std::string* contents, FileInfo* info) = 0;

  // ReadFile for several paths below directory `dir` at once (relative
  // paths such as "<hex>/link"), opening `dir` once: a repository's links
  // are read this way. (*files)[i] belongs to names[i].
  virtual void ReadFiles(const std::string& dir,
                         const std::vector<std::string>& names,
                         uint64_t max_bytes,
                         std::vector<FileContents>* files) = 0;

  // Reads at most `length` bytes of file `path` from byte `offset` into
  // *contents (fewer at the end of the file; none at or past its end), and,
  // when `info` is not null, describes the file (its size says when to
  // stop). For streaming large files (verifying blob digests) in pieces
  // that stay in the CPU cache. NotFound / IOError as ReadFile.
  virtual Status ReadFileRange(const std::string& path, uint64_t offset,
                               uint64_t length, std::string* contents,
                               FileInfo* info) = 0;

  // Describes `path` itself (a symlink is described, not followed).
  // NotFound if it does not exist.
  virtual Status Stat(const std::string& path, FileInfo* info) = 0;

  // Describes several paths below directory `dir` at once (relative paths
  // such as "<hex>/data"), opening `dir` once; like Stat, never following a
  // symbolic link. (*statuses)[i] and (*infos)[i] belong to names[i].
  virtual void StatFiles(const std::string& dir,
                         const std::vector<std::string>& names,
                         std::vector<FileInfo>* infos,
                         std::vector<Status>* statuses) = 0;

  // StatFiles for change detection only, at one system call per name: the
  // one exception to "never follow a symbolic link". The last component of
  // a name is never followed (a link there is described as a link), but a
  // middle one may be, by the kernel, so the description may be of a file
  // outside the store. Nothing is read or changed, and a caller that also
  // describes each middle directory's parent sees a link put there as a
  // change (Registry::StatRepository does). This default calls StatFiles.
  virtual void DescribeFiles(const std::string& dir,
                             const std::vector<std::string>& names,
                             std::vector<FileInfo>* infos,
                             std::vector<Status>* statuses) {
    StatFiles(dir, names, infos, statuses);
  }

  // Removes the file `path`. NotFound if it does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;

  // Removes `path` and everything below it. Removing something that does
  // not exist is OK (a rerun after an interrupted sweep finishes the job).
  virtual Status RemoveTree(const std::string& path) = 0;

  // Removes the entries `names` of directory `dir`, each with everything
  // below it, opening `dir` once (the sweep deletes thousands of entries of
  // one blob prefix directory). `usual_file`, if not empty, is a file each
  // entry usually holds ("data", "link"): it is unlinked first, which
  // usually leaves an empty directory and spares reading it. (*results)[i]
  // is the outcome for names[i], as RemoveTree would give it; if `dir`
  // cannot be opened every result is that error (NotFound: OK).
  virtual void RemoveTrees(const std::string& dir,
                           const std::vector<std::string>& names,
                           const std::string& usual_file,
                           std::vector<Status>* results) = 0;

  // Whether this process may add and remove entries of the directory
  // `path`: OK, or IOError naming it with the system's reason (permission
  // denied, a read-only filesystem); NotFound when it does not exist. A
  // backend that cannot tell answers OK, and its deletions then report
  // their own errors.
  virtual Status CheckWritable(const std::string& path) {
    (void)path;
    return Status::OK();
  }

  // A human-readable name for `path` (for a filesystem, the absolute path),
  // used in messages so an operator can find the file.
  virtual std::string Describe(const std::string& path) const = 0;

  // A name no other store shares, the same however this one is reached (a
  // relative path, a symbolic link): what an index built for one store is
  // matched against, so that it is never reused for another. Filesystem:
  // "<device>:<inode>" of the registry's v2 directory (of the root when the
  // store has none yet), so a copy of a store is another store. Empty when
  // it cannot be told; an index is then never reused.
  virtual std::string Identity() const = 0;
};

// Opens the filesystem store rooted at `root`. IOError naming `root` if it
// is not a readable directory. Each of `linked_dirs` (paths relative to the
// root, parents first) that exists is opened once, now, following a
// symbolic link in its place: an operator may move a store's parts to
// another disk that way. Below them, as below the root, no symbolic link is
// ever followed.
Status OpenFileStore(const std::string& root,
                     const std::vector<std::string>& linked_dirs,
                     std::unique_ptr<Store>* store);
// The same with the registry's: docker/, docker/registry/, its v2/, and
// v2's blobs/ and repositories/ (storage/layout.h).
Status OpenFileStore(const std::string& root, std::unique_ptr<Store>* store);

// Forwards every call to another Store: subclass it and override a few
// calls to inject faults or count calls in tests.
class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store* target) : target_(target) {}

  Status ListDirectory(const std::string& path, std::vector<DirEntry>* entries,
                       FileInfo* info = nullptr) override {
    return target_->ListDirectory(path, entries, info);
  }
  Status ReadFile(const std::string& path, uint64_t max_bytes,
                  std::string* contents, FileInfo* info) override {
    return target_->ReadFile(path, max_bytes, contents, info);
  }
  void ReadFiles(const std::string& dir, const std::vector<std::string>& names,
                 uint64_t max_bytes, std::vector<FileContents>* files) override {
    target_->ReadFiles(dir, names, max_bytes, files);
  }
  Status ReadFileRange(const std::string& path, uint64_t offset,
                       uint64_t length, std::string* contents,
                       FileInfo* info) override {
    return target_->ReadFileRange(path, offset, length, contents, info);
  }
  Status Stat(const std::string& path, FileInfo* info) override {
    return target_->Stat(path, info);
  }
  void StatFiles(const std::string& dir, const std::vector<std::string>& names,
                 std::vector<FileInfo>* infos,
                 std::vector<Status>* statuses) override {
    target_->StatFiles(dir, names, infos, statuses);
  }
  Status RemoveFile(const std::string& path) override {
    return target_->RemoveFile(path);
  }
  Status RemoveTree(const std::string& path) override {
    return target_->RemoveTree(path);
  }
  void RemoveTrees(const std::string& dir, const std::vector<std::string>& names,
                   const std::string& usual_file,
                   std::vector<Status>* results) override {
    target_->RemoveTrees(dir, names, usual_file, results);
  }
  Status CheckWritable(const std::string& path) override {
    return target_->CheckWritable(path);
  }
  std::string Describe(const std::string& path) const override {
    return target_->Describe(path);
  }
  std::string Identity() const override { return target_->Identity(); }

 private:
  Store* target_;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_STORE_H_
