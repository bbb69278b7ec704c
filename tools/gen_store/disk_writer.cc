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
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(root, errno);
  const std::string v2 = storage::layout::V2Root();
  struct stat st;
  if (::fstatat(fd, v2.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    ::close(fd);
    return Status::InvalidArgument(root, "already holds a store (" + v2 +
                                             " exists); give a new directory");
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

Status DiskWriter::WriteFile(std::string_view path, std::string_view bytes) {
  Status s = MakeDirs(Parent(path));
  if (!s.ok()) return s;
  const std::string p(path);
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
  if (::close(fd) != 0) return ErrnoStatus(p, errno);
  return Status::OK();
}

Status DiskWriter::WriteBlob(const Digest& digest, std::string_view bytes) {
  return WriteFile(storage::layout::BlobDataPath(digest), bytes);
}

Status DiskWriter::WriteLink(std::string_view link_path, const Digest& digest) {
  return WriteFile(link_path, digest.str());
}

}  // namespace regsweep::gen_store
