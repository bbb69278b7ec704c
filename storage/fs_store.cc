// The filesystem Store. Every path is opened relative to a descriptor of the
// root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so no symbolic
// link, in any component, can lead a read or a delete outside the store.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string_view>

#include <xxhash.h>

#include "storage/layout.h"
#include "storage/store.h"

namespace regsweep::storage {
namespace {

// Closes a file descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

EntryType TypeFromMode(mode_t mode) {
  if (S_ISREG(mode)) return EntryType::kFile;
  if (S_ISDIR(mode)) return EntryType::kDirectory;
  if (S_ISLNK(mode)) return EntryType::kSymlink;
  return EntryType::kOther;
}

int64_t Nanoseconds(const struct timespec& t) {
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// The fields that move when a file or directory changes, in a fixed layout
// for hashing into its version. The change time moves with every change
// (content, entries, times set by hand) and cannot be set back; the inode
// tells a file replaced by another.
struct VersionedFields {
  uint64_t inode;
  uint64_t size;
  int64_t mtime_ns;
  int64_t ctime_ns;
  uint64_t type;
};

ObjectInfo InfoFromStat(const struct stat& st) {
  ObjectInfo info;
  info.type = TypeFromMode(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ns = Nanoseconds(st.st_mtim);
  const int64_t ctime_ns = Nanoseconds(st.st_ctim);
  info.changed_ns = std::max(info.mtime_ns, ctime_ns);
  const VersionedFields fields{static_cast<uint64_t>(st.st_ino), info.size,
                               info.mtime_ns, ctime_ns,
                               1 + static_cast<uint64_t>(info.type)};
  info.version = XXH3_64bits(&fields, sizeof(fields));
  if (info.version == 0) info.version = 1;  // 0 means "no version"
  // A directory's link count is 2 plus its subdirectories on ext4, XFS and
  // tmpfs; btrfs (and ext4 past 65,000 subdirectories) says 1.
  if (info.type == EntryType::kDirectory && st.st_nlink >= 2) {
    info.subdirectories = static_cast<uint64_t>(st.st_nlink) - 2;
  }
  return info;
}

// "dir/name", or `name` at the root.
std::string Below(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

EntryType TypeFromDirent(unsigned char d_type) {
  switch (d_type) {
    case DT_REG:
      return EntryType::kFile;
    case DT_DIR:
      return EntryType::kDirectory;
    case DT_LNK:
      return EntryType::kSymlink;
    default:
      return EntryType::kOther;
  }
}

// A path is acceptable when it is relative and has no "." or ".." parts.
bool IsCleanPath(std::string_view path) {
  if (path.empty()) return true;  // the root itself
  if (path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// A directory an operator may have made a symbolic link (to grow a store
// onto another disk), opened once, through the link, when the store is
// opened. Whatever lies below it is opened beneath this descriptor, and
// never through any further link.
struct LinkedDir {
  std::string path;  // relative to the root
  int fd;
};

class FileStore final : public Store {
 public:
  FileStore(std::string root, int root_fd, std::vector<LinkedDir> linked)
      : root_(std::move(root)), root_fd_(root_fd), linked_(std::move(linked)) {}
  ~FileStore() override {
    close(root_fd_);
    for (const LinkedDir& dir : linked_) close(dir.fd);
  }

  Capabilities capabilities() const override {
    Capabilities c;
    c.directories = true;
    c.atomic_rename = true;
    c.object_versions_move = true;
    c.directory_versions_move = true;
    c.counts_subdirectories = true;
    return c;
  }
  Status List(const std::string& path, std::vector<ListEntry>* entries,
                       ObjectInfo* info = nullptr) override;
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override;
  Status Visit(const std::string& path, const EntryVisitor& visit,
                        ObjectInfo* info = nullptr) override;
  void DescribeBatch(const std::string& dir,
                     const std::vector<std::string>& names,
                     std::vector<ObjectInfo>* infos,
                     std::vector<Status>* statuses) override;
  void StatEach(
      const std::string& dir, const std::vector<std::string>& names,
      const std::function<int(int, const std::string&, struct stat*)>& describe,
      std::vector<ObjectInfo>* infos, std::vector<Status>* statuses);
  Status Read(const std::string& path, uint64_t max_bytes,
                  std::string* contents, ObjectInfo* info) override;
  void ReadBatch(const std::string& dir, const std::vector<std::string>& names,
                 uint64_t max_bytes, std::vector<ObjectContents>* files) override;
  Status ReadRange(const std::string& path, uint64_t offset,
                       uint64_t length, std::string* contents,
                       ObjectInfo* info) override;
  Status Stat(const std::string& path, ObjectInfo* info) override;
  void StatBatch(const std::string& dir, const std::vector<std::string>& names,
                 std::vector<ObjectInfo>* infos,
                 std::vector<Status>* statuses) override;
  void Delete(const std::string& dir, const std::vector<std::string>& names,
              std::vector<Status>* results) override;
  void DeleteTrees(const std::string& dir, const std::vector<std::string>& names,
                   const std::string& usual_file,
                   std::vector<Status>* results) override;
  Status Create(const std::string& path, std::string_view contents) override;
  void MoveTrees(const std::vector<TreeMove>& moves,
                 std::vector<Status>* results) override;
  Status CheckMovable(const std::string& from_dir,
                      const std::string& to_dir) override;
  Status CheckWritable(const std::string& path) override;
  std::string Identity() const override;
  std::string Describe(const std::string& path) const override {
    return path.empty() ? root_ : root_ + "/" + path;
  }

 private:
  // Opens `path` beneath the root (or beneath the linked directory that
  // holds it) without following any symbolic link. Returns the descriptor,
  // or -1 with errno set.
  int OpenBeneath(const std::string& path, int flags) const {
    std::string_view rest = path;
    int base = BaseOf(path, &rest);
    return OpenBelow(base, std::string(rest), flags);
  }
  // The descriptor `path` is to be opened beneath: that of the deepest
  // linked directory holding it (*rest: the path below it), else the root.
  int BaseOf(std::string_view path, std::string_view* rest) const;
  // The linked directory named exactly `path`, or null.
  const LinkedDir* LinkedAt(std::string_view path) const;
  // The same, beneath an open directory of the store.
  static int OpenBelow(int base_fd, const std::string& relative, int flags);
  // Reads the open regular file `fd` (named `path` in messages).
  Status ReadOpened(int fd, const std::string& path, uint64_t max_bytes,
                    std::string* contents, ObjectInfo* info) const;
  // Opens the directory that contains `path`; *leaf gets the last component.
  Status OpenParent(const std::string& path, ScopedFd* parent,
                    std::string* leaf) const;
  Status ErrnoStatus(const std::string& path, int error) const;
  // Opens directory `dir`, making it and its missing parents first.
  Status OpenOrMakeDir(const std::string& dir, ScopedFd* fd) const;
  Status RemoveTreeAt(int parent_fd, const std::string& leaf,
                      const std::string& path);
  Status ListAllAt(int dir_fd, const std::string& relative,
                   const std::string& path, const KeyVisitor& visit) const;
  static void RemoveUsualFile(int dir_fd, const std::string& name,
                              const std::string& file);
  // Why `from` may not move to `to` (InvalidArgument, NotSupported), or OK.
  Status CheckMove(const TreeMove& move) const;
  // One move. *parents keeps the previous move's open parent directories,
  // reused when this move's are the same (a batch of one blob prefix).
  struct OpenParents;
  Status MoveOne(const TreeMove& move, OpenParents* parents) const;
  // The device of `dir` or, when it does not exist, of its nearest parent.
  Status DeviceOf(const std::string& dir, dev_t* device) const;

  const std::string root_;
  const int root_fd_;
  const std::vector<LinkedDir> linked_;  // deepest first
};

int FileStore::BaseOf(std::string_view path, std::string_view* rest) const {
  for (const LinkedDir& dir : linked_) {
    if (path == dir.path) {
      *rest = std::string_view();
      return dir.fd;
    }
    if (path.size() > dir.path.size() && path.starts_with(dir.path) &&
        path[dir.path.size()] == '/') {
      *rest = path.substr(dir.path.size() + 1);
      return dir.fd;
    }
  }
  *rest = path;
  return root_fd_;
}

const LinkedDir* FileStore::LinkedAt(std::string_view path) const {
  for (const LinkedDir& dir : linked_) {
    if (path == dir.path) return &dir;
  }
  return nullptr;
}

int FileStore::OpenBelow(int base_fd, const std::string& relative, int flags) {
  struct open_how how;
  std::memset(&how, 0, sizeof(how));
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const char* name = relative.empty() ? "." : relative.c_str();
  return static_cast<int>(
      syscall(SYS_openat2, base_fd, name, &how, sizeof(how)));
}

Status FileStore::ErrnoStatus(const std::string& path, int error) const {
  std::string where = Describe(path);
  if (error == ENOENT) return Status::NotFound(where, "no such file");
  if (error == ELOOP || error == EXDEV) {
    return Status::IOError(where,
                           "refusing to follow a symbolic link in the store");
  }
  if (error == EACCES || error == EPERM || error == EROFS) {
    return Status::PermissionDenied(where, std::strerror(error));
  }
  return Status::IOError(where, std::strerror(error));
}

Status FileStore::OpenParent(const std::string& path, ScopedFd* parent,
                             std::string* leaf) const {
  if (path.empty() || !IsCleanPath(path)) {
    return Status::InvalidArgument(Describe(path), "not a path in the store");
  }
  size_t slash = path.rfind('/');
  std::string parent_path =
      slash == std::string::npos ? std::string() : path.substr(0, slash);
  *leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  int fd = OpenBeneath(parent_path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus(parent_path, errno);
  parent->reset(fd);
  return Status::OK();
}

Status FileStore::List(const std::string& path,
                                std::vector<ListEntry>* entries,
                                ObjectInfo* info) {
  entries->clear();
  return Visit(
      path,
      [entries](std::string_view name, EntryType type) {
        entries->push_back(ListEntry{std::string(name), type});
      },
      info);
}

Status FileStore::Visit(const std::string& path,
                                 const EntryVisitor& visit, ObjectInfo* info) {
  if (!IsCleanPath(path)) {
    return Status::InvalidArgument(Describe(path), "not a path in the store");
  }
  int fd = OpenBeneath(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus(path, errno);
  if (info != nullptr) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int error = errno;
      close(fd);
      return ErrnoStatus(path, error);
    }
    *info = InfoFromStat(st);
  }
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int error = errno;
    close(fd);
    return ErrnoStatus(path, error);
  }
  errno = 0;
  while (struct dirent* entry = readdir(dir)) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    EntryType type = TypeFromDirent(entry->d_type);
    if (entry->d_type == DT_UNKNOWN) {
      // Some filesystems do not fill d_type; only then pay for a stat.
      struct stat st;
      if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        type = TypeFromMode(st.st_mode);
      }
    }
    visit(name, type);
    errno = 0;
  }
  int error = errno;
  closedir(dir);
  if (error != 0) return ErrnoStatus(path, error);
  return Status::OK();
}

Status FileStore::Read(const std::string& path, uint64_t max_bytes,
                           std::string* contents, ObjectInfo* info) {
  contents->clear();
  if (!IsCleanPath(path) || path.empty()) {
    return Status::InvalidArgument(Describe(path), "not a path in the store");
  }
  int raw_fd = OpenBeneath(path, O_RDONLY);
  if (raw_fd < 0) return ErrnoStatus(path, errno);
  ScopedFd fd(raw_fd);
  return ReadOpened(fd.get(), path, max_bytes, contents, info);
}

void FileStore::ReadBatch(const std::string& dir,
                          const std::vector<std::string>& names,
                          uint64_t max_bytes, std::vector<ObjectContents>* files) {
  files->assign(names.size(), ObjectContents());
  int raw_fd = IsCleanPath(dir) ? OpenBeneath(dir, O_RDONLY | O_DIRECTORY) : -1;
  if (raw_fd < 0) {
    Status s = IsCleanPath(dir) ? ErrnoStatus(dir, errno)
                                : Status::InvalidArgument(Describe(dir),
                                                          "not a path in the store");
    for (ObjectContents& file : *files) file.status = s;
    return;
  }
  ScopedFd dir_fd(raw_fd);
  for (size_t i = 0; i < names.size(); ++i) {
    ObjectContents& file = (*files)[i];
    std::string path = dir + "/" + names[i];
    if (!IsCleanPath(names[i]) || names[i].empty()) {
      file.status = Status::InvalidArgument(Describe(path), "not a path in the store");
      continue;
    }
    int fd = OpenBelow(dir_fd.get(), names[i], O_RDONLY);
    if (fd < 0) {
      file.status = ErrnoStatus(path, errno);
      continue;
    }
    ScopedFd opened(fd);
    file.status = ReadOpened(fd, path, max_bytes, &file.contents, &file.info);
  }
}

Status FileStore::ReadOpened(int fd, const std::string& path,
                             uint64_t max_bytes, std::string* contents,
                             ObjectInfo* info) const {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::IOError(Describe(path), "not a regular file");
  }
  if (info != nullptr) *info = InfoFromStat(st);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::Corruption(Describe(path),
                              "file is larger than " +
                                  std::to_string(max_bytes) + " bytes");
  }
  contents->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < contents->size()) {
    ssize_t n = read(fd, contents->data() + done, contents->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path, errno);
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<size_t>(n);
  }
  contents->resize(done);
  return Status::OK();
}

Status FileStore::ReadRange(const std::string& path, uint64_t offset,
                                uint64_t length, std::string* contents,
                                ObjectInfo* info) {
  contents->clear();
  if (!IsCleanPath(path) || path.empty()) {
    return Status::InvalidArgument(Describe(path), "not a path in the store");
  }
  int raw_fd = OpenBeneath(path, O_RDONLY);
  if (raw_fd < 0) return ErrnoStatus(path, errno);
  ScopedFd fd(raw_fd);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::IOError(Describe(path), "not a regular file");
  }
  if (info != nullptr) *info = InfoFromStat(st);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset >= size) return Status::OK();
  contents->resize(static_cast<size_t>(std::min(length, size - offset)));
  size_t done = 0;
  while (done < contents->size()) {
    ssize_t n = pread(fd.get(), contents->data() + done,
                      contents->size() - done,
                      static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path, errno);
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<size_t>(n);
  }
  contents->resize(done);
  return Status::OK();
}

Status FileStore::Stat(const std::string& path, ObjectInfo* info) {
  const LinkedDir* linked = LinkedAt(path);
  if (path.empty() || linked != nullptr) {
    struct stat st;
    if (fstat(linked != nullptr ? linked->fd : root_fd_, &st) != 0) {
      return ErrnoStatus(path, errno);
    }
    // Removed since the store was opened: the descriptor outlives it.
    if (st.st_nlink == 0) return ErrnoStatus(path, ENOENT);
    *info = InfoFromStat(st);
    return Status::OK();
  }
  ScopedFd parent;
  std::string leaf;
  Status s = OpenParent(path, &parent, &leaf);
  if (!s.ok()) return s;
  struct stat st;
  if (fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(path, errno);
  }
  *info = InfoFromStat(st);
  return Status::OK();
}

// Opens `dir` once and describes each name below it with describe(dir fd,
// name, &st), which returns 0 or an errno. StatFiles and DescribeFiles
// differ only in that call.
void FileStore::StatEach(
    const std::string& dir, const std::vector<std::string>& names,
    const std::function<int(int, const std::string&, struct stat*)>& describe,
    std::vector<ObjectInfo>* infos, std::vector<Status>* statuses) {
  infos->assign(names.size(), ObjectInfo());
  statuses->assign(names.size(), Status::OK());
  int raw_fd = IsCleanPath(dir) ? OpenBeneath(dir, O_RDONLY | O_DIRECTORY) : -1;
  if (raw_fd < 0) {
    Status s = IsCleanPath(dir) ? ErrnoStatus(dir, errno)
                                : Status::InvalidArgument(Describe(dir),
                                                          "not a path in the store");
    statuses->assign(names.size(), s);
    return;
  }
  ScopedFd fd(raw_fd);
  for (size_t i = 0; i < names.size(); ++i) {
    if (!IsCleanPath(names[i]) || names[i].empty()) {
      (*statuses)[i] = Status::InvalidArgument(Describe(dir + "/" + names[i]),
                                               "not a path in the store");
      continue;
    }
    struct stat st;
    int error = describe(fd.get(), names[i], &st);
    if (error != 0) {
      (*statuses)[i] = ErrnoStatus(dir + "/" + names[i], error);
    } else {
      (*infos)[i] = InfoFromStat(st);
    }
  }
}

void FileStore::DescribeBatch(const std::string& dir,
                              const std::vector<std::string>& names,
                              std::vector<ObjectInfo>* infos,
                              std::vector<Status>* statuses) {
  StatEach(dir, names,
           [](int dir_fd, const std::string& name, struct stat* st) {
             return fstatat(dir_fd, name.c_str(), st, AT_SYMLINK_NOFOLLOW) == 0
                        ? 0
                        : errno;
           },
           infos, statuses);
}

void FileStore::StatBatch(const std::string& dir,
                          const std::vector<std::string>& names,
                          std::vector<ObjectInfo>* infos,
                          std::vector<Status>* statuses) {
  StatEach(dir, names,
           [](int dir_fd, const std::string& name, struct stat* st) {
             // O_PATH with O_NOFOLLOW describes a final symlink instead of
             // failing; RESOLVE_NO_SYMLINKS refuses one on the way.
             int entry = OpenBelow(dir_fd, name, O_PATH);
             if (entry < 0) return errno;
             int error = fstat(entry, st) == 0 ? 0 : errno;
             close(entry);
             return error;
           },
           infos, statuses);
}

void FileStore::Delete(const std::string& dir,
                       const std::vector<std::string>& names,
                       std::vector<Status>* results) {
  results->assign(names.size(), Status::OK());
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = Below(dir, names[i]);
    ScopedFd parent;
    std::string leaf;
    Status s = OpenParent(key, &parent, &leaf);
    if (s.ok() && unlinkat(parent.get(), leaf.c_str(), 0) != 0) {
      s = ErrnoStatus(key, errno);
    }
    (*results)[i] = s;
  }
}

Status FileStore::RemoveTreeAt(int parent_fd, const std::string& leaf,
                               const std::string& path) {
  // Most trees we remove are already empty directories (a blob directory
  // after its data went) or single files: try the cheap calls first.
  if (unlinkat(parent_fd, leaf.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) {
    return Status::OK();
  }
  if (errno == ENOTDIR) {
    if (unlinkat(parent_fd, leaf.c_str(), 0) == 0 || errno == ENOENT) {
      return Status::OK();
    }
    return ErrnoStatus(path, errno);
  }
  if (errno != ENOTEMPTY && errno != EEXIST) return ErrnoStatus(path, errno);
  int fd = openat(parent_fd, leaf.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int error = errno;
    close(fd);
    return ErrnoStatus(path, error);
  }
  std::vector<ListEntry> children;
  while (struct dirent* entry = readdir(dir)) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    children.push_back(ListEntry{std::string(name), TypeFromDirent(entry->d_type)});
  }
  Status result;
  for (const ListEntry& child : children) {
    std::string child_path = path + "/" + child.name;
    // Files (the usual case: data, link) go with one unlink; anything
    // else takes the general route.
    if (child.type == EntryType::kFile || child.type == EntryType::kSymlink) {
      if (unlinkat(dirfd(dir), child.name.c_str(), 0) != 0 && errno != ENOENT) {
        result = ErrnoStatus(child_path, errno);
      }
    } else {
      result = RemoveTreeAt(dirfd(dir), child.name, child_path);
    }
    if (!result.ok()) break;
  }
  closedir(dir);
  if (!result.ok()) return result;
  if (unlinkat(parent_fd, leaf.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoStatus(path, errno);
  }
  return Status::OK();
}

void FileStore::DeleteTrees(const std::string& dir,
                            const std::vector<std::string>& names,
                            const std::string& usual_key,
                            std::vector<Status>* results) {
  results->assign(names.size(), Status::OK());
  int raw_fd = IsCleanPath(dir) ? OpenBeneath(dir, O_RDONLY | O_DIRECTORY) : -1;
  if (raw_fd < 0) {
    Status s = IsCleanPath(dir)
                   ? ErrnoStatus(dir, errno)
                   : Status::InvalidArgument(Describe(dir), "not a path in the store");
    if (!s.IsNotFound()) results->assign(names.size(), s);
    return;
  }
  ScopedFd fd(raw_fd);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty() || name.find('/') != std::string::npos || name == "." ||
        name == "..") {
      (*results)[i] = Status::InvalidArgument(Describe(Below(dir, name)),
                                              "not an entry name");
      continue;
    }
    if (!usual_key.empty()) RemoveUsualFile(fd.get(), name, usual_key);
    (*results)[i] = RemoveTreeAt(fd.get(), name, Below(dir, name));
  }
}

// Best effort: unlinks <name>/<file> without following a symbolic link at
// <name>. Whatever it leaves, RemoveTreeAt removes.
void FileStore::RemoveUsualFile(int dir_fd, const std::string& name,
                                const std::string& file) {
  int entry_fd = openat(dir_fd, name.c_str(),
                        O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (entry_fd < 0) return;
  unlinkat(entry_fd, file.c_str(), 0);
  close(entry_fd);
}

Status FileStore::ListAll(const std::string& prefix, const KeyVisitor& visit) {
  if (!IsCleanPath(prefix)) {
    return Status::InvalidArgument(Describe(prefix), "not a path in the store");
  }
  int fd = OpenBeneath(prefix, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus(prefix, errno);
  return ListAllAt(fd, "", prefix, visit);
}

// Walks the open directory `dir_fd` (closing it), whose key relative to the
// listed prefix is `relative` and whose own key is `path`: depth first,
// every entry described with one fstatat, never through a symbolic link.
Status FileStore::ListAllAt(int dir_fd, const std::string& relative,
                            const std::string& path,
                            const KeyVisitor& visit) const {
  DIR* dir = fdopendir(dir_fd);
  if (dir == nullptr) {
    int error = errno;
    close(dir_fd);
    return ErrnoStatus(path, error);
  }
  std::vector<std::string> subdirectories;
  Status result;
  errno = 0;
  while (struct dirent* entry = readdir(dir)) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result = ErrnoStatus(Below(path, name), errno);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      subdirectories.emplace_back(name);
    } else {
      visit(Below(relative, name), InfoFromStat(st));
    }
    errno = 0;
  }
  if (result.ok() && errno != 0) result = ErrnoStatus(path, errno);
  for (size_t i = 0; result.ok() && i < subdirectories.size(); ++i) {
    const std::string& name = subdirectories[i];
    int fd = OpenBelow(dirfd(dir), name, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
      result = ErrnoStatus(Below(path, name), errno);
      break;
    }
    result = ListAllAt(fd, Below(relative, name), Below(path, name), visit);
  }
  closedir(dir);
  return result;
}

std::string FileStore::Identity() const {
  struct stat st;
  const LinkedDir* v2 = LinkedAt(layout::V2Root());
  if (fstat(v2 != nullptr ? v2->fd : root_fd_, &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

Status FileStore::OpenOrMakeDir(const std::string& dir, ScopedFd* fd) const {
  fd->reset(OpenBeneath(dir, O_RDONLY | O_DIRECTORY));
  if (fd->get() >= 0) return Status::OK();
  if (errno != ENOENT || dir.empty()) return ErrnoStatus(dir, errno);
  ScopedFd parent;
  std::string leaf;
  Status s = OpenParent(dir, &parent, &leaf);
  if (s.IsNotFound()) {
    size_t slash = dir.rfind('/');
    s = OpenOrMakeDir(slash == std::string::npos ? "" : dir.substr(0, slash),
                      &parent);
  }
  if (!s.ok()) return s;
  if (mkdirat(parent.get(), leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoStatus(dir, errno);
  }
  fd->reset(OpenBeneath(dir, O_RDONLY | O_DIRECTORY));
  return fd->get() >= 0 ? Status::OK() : ErrnoStatus(dir, errno);
}

// Written whole under a name of its own, then hard-linked into place:
// link(2) fails with EEXIST when the name is taken, so the creation is
// atomic (on NFS too) and nobody reads a half-written file.
Status FileStore::Create(const std::string& path, std::string_view contents) {
  if (path.empty() || !IsCleanPath(path)) {
    return Status::InvalidArgument(Describe(path), "not a path in the store");
  }
  size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? std::string() : path.substr(0, slash);
  const std::string leaf =
      slash == std::string::npos ? path : path.substr(slash + 1);
  ScopedFd parent;
  Status s = OpenOrMakeDir(dir, &parent);
  if (!s.ok()) return s;
  static std::atomic<uint64_t> temporaries{0};
  const std::string temporary = "." + leaf + "." + std::to_string(getpid()) +
                                "." + std::to_string(++temporaries) + ".tmp";
  ScopedFd file(openat(parent.get(), temporary.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                       0644));
  if (file.get() < 0) return ErrnoStatus(Below(dir, temporary), errno);
  size_t written = 0;
  int error = 0;
  while (written < contents.size() && error == 0) {
    ssize_t n = write(file.get(), contents.data() + written,
                      contents.size() - written);
    if (n < 0 && errno != EINTR) error = errno;
    if (n > 0) written += static_cast<size_t>(n);
  }
  if (error == 0 && fsync(file.get()) != 0) error = errno;
  if (error == 0 && linkat(parent.get(), temporary.c_str(), parent.get(),
                           leaf.c_str(), 0) != 0) {
    error = errno;
  }
  unlinkat(parent.get(), temporary.c_str(), 0);
  if (error == EEXIST) {
    return Status::AlreadyExists(Describe(path), "the file exists");
  }
  if (error != 0) return ErrnoStatus(path, error);
  fsync(parent.get());  // the name itself survives a crash
  return Status::OK();
}

// A linked directory (or one holding it) never moves: the link would move
// instead of what it leads to, or the move would span two filesystems.
Status FileStore::CheckMove(const TreeMove& move) const {
  for (const std::string* key : {&move.from, &move.to}) {
    if (key->empty() || !IsCleanPath(*key)) {
      return Status::InvalidArgument(Describe(*key), "not a path in the store");
    }
  }
  auto inside = [](const std::string& outer, const std::string& inner) {
    return inner == outer || inner.starts_with(outer + "/");
  };
  if (inside(move.from, move.to) || inside(move.to, move.from)) {
    return Status::InvalidArgument(Describe(move.to),
                                   "cannot move " + move.from + " into itself");
  }
  for (const LinkedDir& dir : linked_) {
    if (inside(move.from, dir.path)) {
      return Status::NotSupported(Describe(move.from),
                                  "holds a directory the store was opened "
                                  "through (" + dir.path + ")");
    }
  }
  return Status::OK();
}

struct FileStore::OpenParents {
  std::string from_dir, to_dir;
  ScopedFd from, to;
};

Status FileStore::MoveOne(const TreeMove& move, OpenParents* parents) const {
  Status s = CheckMove(move);
  if (!s.ok()) return s;
  auto split = [](const std::string& key, std::string* dir, std::string* leaf) {
    const size_t slash = key.rfind('/');
    *dir = slash == std::string::npos ? std::string() : key.substr(0, slash);
    *leaf = slash == std::string::npos ? key : key.substr(slash + 1);
  };
  std::string from_dir, from_leaf, to_dir, to_leaf;
  split(move.from, &from_dir, &from_leaf);
  split(move.to, &to_dir, &to_leaf);
  if (parents->from.get() < 0 || parents->from_dir != from_dir) {
    parents->from.reset(OpenBeneath(from_dir, O_RDONLY | O_DIRECTORY));
    parents->from_dir = from_dir;
    if (parents->from.get() < 0) return ErrnoStatus(from_dir, errno);
  }
  if (parents->to.get() < 0 || parents->to_dir != to_dir) {
    parents->to_dir = to_dir;
    s = OpenOrMakeDir(to_dir, &parents->to);
    if (!s.ok()) return s;
  }
  if (renameat2(parents->from.get(), from_leaf.c_str(), parents->to.get(),
                to_leaf.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::OK();
  }
  const int error = errno;
  if (error == EEXIST || error == ENOTEMPTY) {
    return Status::AlreadyExists(Describe(move.to), "it exists");
  }
  if (error == EXDEV) {
    return Status::NotSupported(Describe(move.from),
                                "lies on another filesystem than " +
                                    Describe(move.to));
  }
  return ErrnoStatus(error == ENOENT ? move.from : move.to, error);
}

// renameat2 moves a directory with everything in it at once; a symbolic
// link is renamed, not followed. RENAME_NOREPLACE makes AlreadyExists
// exact: nothing is ever overwritten.
void FileStore::MoveTrees(const std::vector<TreeMove>& moves,
                          std::vector<Status>* results) {
  results->clear();
  OpenParents parents;
  for (const TreeMove& move : moves) results->push_back(MoveOne(move, &parents));
}

Status FileStore::DeviceOf(const std::string& dir, dev_t* device) const {
  std::string at = dir;
  for (;;) {
    if (!IsCleanPath(at)) {
      return Status::InvalidArgument(Describe(at), "not a path in the store");
    }
    ScopedFd fd(OpenBeneath(at, O_RDONLY | O_DIRECTORY));
    struct stat st;
    if (fd.get() >= 0 && fstat(fd.get(), &st) == 0) {
      *device = st.st_dev;
      return Status::OK();
    }
    if (errno != ENOENT || at.empty()) return ErrnoStatus(at, errno);
    const size_t slash = at.rfind('/');
    at = slash == std::string::npos ? std::string() : at.substr(0, slash);
  }
}

Status FileStore::CheckMovable(const std::string& from_dir,
                               const std::string& to_dir) {
  dev_t from_device = 0, to_device = 0;
  Status s = DeviceOf(from_dir, &from_device);
  if (s.ok()) s = DeviceOf(to_dir, &to_device);
  if (!s.ok()) return s;
  if (from_device != to_device) {
    return Status::NotSupported(
        Describe(from_dir),
        "lies on another filesystem than " + Describe(to_dir) +
            ", so a move would be a copy");
  }
  return Status::OK();
}

Status FileStore::CheckWritable(const std::string& path) {
  if (!IsCleanPath(path)) {
    return Status::InvalidArgument(Describe(path), "not a path in the store");
  }
  ScopedFd fd(OpenBeneath(path, O_RDONLY | O_DIRECTORY));
  if (fd.get() < 0) return ErrnoStatus(path, errno);
  // The effective ids, as unlink and rmdir will use them.
  if (faccessat(fd.get(), ".", W_OK | X_OK, AT_EACCESS) != 0) {
    return ErrnoStatus(path, errno);
  }
  return Status::OK();
}

// Opens each of `dirs` (parents before children) that exists, following a
// symbolic link at its last component, beneath what is already open.
Status OpenLinkedDirs(const std::string& root, int root_fd,
                      const std::vector<std::string>& dirs,
                      std::vector<LinkedDir>* linked) {
  for (const std::string& dir : dirs) {
    int base = root_fd;
    std::string_view rest = dir;
    for (const LinkedDir& open_dir : *linked) {
      if (dir.starts_with(open_dir.path + "/")) {
        base = open_dir.fd;
        rest = std::string_view(dir).substr(open_dir.path.size() + 1);
      }
    }
    int fd = openat(base, std::string(rest).c_str(),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) continue;  // an empty store has none
    if (fd < 0) {
      return Status::IOError(root + "/" + dir,
                             std::string("cannot open: ") + std::strerror(errno));
    }
    linked->push_back(LinkedDir{dir, fd});
  }
  // Deepest first, so that BaseOf finds the innermost.
  std::reverse(linked->begin(), linked->end());
  return Status::OK();
}

}  // namespace

Status OpenFileStore(const std::string& root,
                     const std::vector<std::string>& linked_dirs,
                     std::unique_ptr<Store>* store) {
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IOError(root, std::string("cannot open the store: ") +
                                     std::strerror(errno));
  }
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  std::vector<LinkedDir> linked;
  Status s = OpenLinkedDirs(clean, fd, linked_dirs, &linked);
  if (!s.ok()) {
    close(fd);
    for (const LinkedDir& dir : linked) close(dir.fd);
    return s;
  }
  store->reset(new FileStore(clean, fd, std::move(linked)));
  return Status::OK();
}

Status OpenFileStore(const std::string& root, std::unique_ptr<Store>* store) {
  return OpenFileStore(root, layout::DirsOperatorsLink(), store);
}

}  // namespace regsweep::storage
