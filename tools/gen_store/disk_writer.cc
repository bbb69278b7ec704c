#include "tools/gen_store/disk_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/layout.h"

namespace regsweep::gen_store {
namespace {

constexpr mode_t kDirMode = 0755;
constexpr mode_t kFileMode = 0644;

Status ErrnoStatus(std::string_view what, int error) {
  return Status::IOError(what, std::strerror(error));
}

std::string_view Parent(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view()
                                         : path.substr(0, slash);
}

// mkdir -p on an absolute or cwd-relative path, for the root itself.
Status MakeRootDirs(const std::string& path) {
  if (path.empty() || ::mkdir(path.c_str(), kDirMode) == 0 || errno == EEXIST) {
    return Status::OK();
  }
  if (errno != ENOENT) return ErrnoStatus(path, errno);
  Status s = MakeRootDirs(std::string(Parent(path)));
  if (!s.ok()) return s;
  if (::mkdir(path.c_str(), kDirMode) == 0 || errno == EEXIST) {
    return Status::OK();
  }
  return ErrnoStatus(path, errno);
}

}  // namespace

Status DiskWriter::Open(const std::string& root,
                        std::unique_ptr<DiskWriter>* out) {
  Status s = MakeRootDirs(root);
  if (!s.ok()) return s;
  return OpenRoot(root, /*want_store=*/false, out);
}

Status DiskWriter::OpenExisting(const std::string& root,
                                std::unique_ptr<DiskWriter>* out) {
  return OpenRoot(root, /*want_store=*/true, out);
}

Status DiskWriter::OpenRoot(const std::string& root, bool want_store,
                            std::unique_ptr<DiskWriter>* out) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(root, errno);
  const std::string v2 = storage::layout::V2Root();
  struct stat st;
  const bool has_store =
      ::fstatat(fd, v2.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (has_store != want_store) {
    ::close(fd);
    return Status::InvalidArgument(
        root, has_store ? "already holds a store (" + v2 +
                              " exists); give a new directory"
                        : "holds no store (" + v2 + " is missing)");
  }
  out->reset(new DiskWriter(fd));
  return Status::OK();
}

DiskWriter::~DiskWriter() { ::close(root_fd_); }

// One mkdir in the common case; walks up only when a parent is missing.
Status DiskWriter::MakeDirs(std::string_view dir) {
  if (dir.empty()) return Status::OK();  // the root itself
  Status s = MakeDir(dir);
  if (s.ok() || !s.IsNotFound()) return s;
  s = MakeDirs(Parent(dir));
  if (!s.ok()) return s;
  return MakeDir(dir);
}

Status DiskWriter::MakeDir(std::string_view dir) {
  const std::string path(dir);
  if (::mkdirat(root_fd_, path.c_str(), kDirMode) == 0 || errno == EEXIST) {
    return Status::OK();
  }
  if (errno == ENOENT) return Status::NotFound(path, "parent missing");
  return ErrnoStatus(path, errno);
}

Status DiskWriter::WriteFile(std::string_view path, std::string_view bytes,
                             int64_t mtime) {
  return Write(path, bytes, mtime, /*own_dir=*/false);
}

Status DiskWriter::WriteBlob(const Digest& digest, std::string_view bytes,
                             int64_t mtime) {
  return Write(storage::layout::BlobDataPath(digest), bytes, mtime,
               /*own_dir=*/true);
}

Status DiskWriter::WriteLink(std::string_view link_path, const Digest& digest,
                             int64_t mtime) {
  return Write(link_path, digest.str(), mtime, /*own_dir=*/true);
}

void DiskWriter::NoteChange(std::string_view dir, int64_t time) {
  if (time != kWriteTime) dir_times_.Note(dir, time);
}

Status DiskWriter::SetDirectoryTimes(uint32_t threads) {
  return dir_times_.Apply(root_fd_, threads);
}

Status DiskWriter::Write(std::string_view path, std::string_view bytes,
                         int64_t mtime, bool own_dir) {
  std::string_view dir = Parent(path);
  Status s = MakeDirs(dir);
  if (s.ok()) s = WriteBytes(std::string(path), bytes, mtime);
  if (!s.ok() || mtime == kWriteTime) return s;
  if (own_dir) {
    // Final already (nothing else goes there), and its inode is still warm:
    // set now rather than with the other directories at the end.
    const std::string d(dir);
    const struct timespec times[2] = {{static_cast<time_t>(mtime), 0},
                                      {static_cast<time_t>(mtime), 0}};
    if (::utimensat(root_fd_, d.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(d, errno);
    }
    dir = Parent(dir);
  }
  dir_times_.Note(dir, mtime);
  return Status::OK();
}

Status DiskWriter::WriteBytes(const std::string& p, std::string_view bytes,
                              int64_t mtime) {
  const int fd = ::openat(root_fd_, p.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode);
  if (fd < 0) return ErrnoStatus(p, errno);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(p, error);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (mtime != kWriteTime) {
    // futimens on the descriptor just written: the same as utimensat on the
    // path, without a second path lookup.
    const struct timespec times[2] = {{static_cast<time_t>(mtime), 0},
                                      {static_cast<time_t>(mtime), 0}};
    if (::futimens(fd, times) != 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(p, error);
    }
  }
  if (::close(fd) != 0) return ErrnoStatus(p, errno);
  return Status::OK();
}

}  // namespace regsweep::gen_store
