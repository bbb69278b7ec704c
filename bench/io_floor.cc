// io_floor: the I/O a full garbage-collection pass cannot avoid, and nothing
// else, so that a collector's time can be compared with the floor under it.
//
// Over a distribution filesystem store it
//   - lists every blob prefix directory (blobs/<alg>/<xx>/), which names
//     every blob directory <hex>;
//   - walks repositories/ (names nest) and in each repository lists
//     _manifests/revisions/<alg>/, reads every revision link and the
//     manifest blob each link names, lists _manifests/tags/ and reads every
//     tag's current/link.
// It parses only what it needs to find the next path (the link's digest),
// never a manifest. Directories are read with getdents64 and files opened
// with openat relative to an already open directory, so path lookups cost
// as little as the kernel allows.
//
// Work is a queue of small tasks (one directory, or one batch of revisions)
// served by N threads: on a cold cache the number of I/Os in flight decides
// the time, so N may well exceed the core count.
//
// Usage: io_floor STORE [--threads N]
// Prints one line of key=value pairs: seconds (wall), threads and counts
// (missing: link or blob files that do not exist; errors: files or
// directories that could not be read for another reason). Exits 0 after a complete walk, 2 on bad usage.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr size_t kRevisionBatch = 64;  // revisions per task
constexpr size_t kDirentBuffer = 64 * 1024;
constexpr size_t kReadBuffer = 64 * 1024;

// An owned file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

struct Counts {
  std::atomic<uint64_t> dirs_listed{0};
  std::atomic<uint64_t> blob_prefixes{0};
  std::atomic<uint64_t> blobs{0};
  std::atomic<uint64_t> repositories{0};
  std::atomic<uint64_t> revision_links{0};
  std::atomic<uint64_t> tag_links{0};
  std::atomic<uint64_t> manifests{0};
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> missing{0};  // a revision without link, and such
  std::atomic<uint64_t> errors{0};
};

struct Entry {
  std::string name;
  bool is_dir = false;
};

// A task queue served by a fixed set of threads. Run() returns when the
// queue is empty and no task is running (tasks may push more tasks).
class WorkQueue {
 public:
  using Task = std::function<void()>;

  void Push(Task task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
      ++pending_;
    }
    cv_.notify_one();
  }

  void Run(int threads) {
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) workers.emplace_back([this] { Work(); });
    for (std::thread& t : workers) t.join();
  }

 private:
  void Work() {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !tasks_.empty() || pending_ == 0; });
        if (tasks_.empty()) return;  // pending_ == 0: everything is done
        // Newest first: depth-first keeps the queue (and memory) small.
        task = std::move(tasks_.back());
        tasks_.pop_back();
      }
      task();
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Task> tasks_;
  uint64_t pending_ = 0;  // queued + running
};

class Floor {
 public:
  Floor(int v2_fd, Counts* counts, WorkQueue* queue)
      : v2_fd_(v2_fd), counts_(counts), queue_(queue) {}

  void Start() {
    queue_->Push([this] { ListBlobAlgorithms(); });
    queue_->Push([this] { WalkRepositories("repositories"); });
  }

 private:
  // Lists directory `path` under `dir_fd`. False (counted) on error.
  bool List(int dir_fd, const std::string& path, std::vector<Entry>* entries) {
    entries->clear();
    Fd fd(openat(dir_fd, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.ok()) return Failed(errno == ENOENT);
    thread_local std::vector<char> buffer(kDirentBuffer);
    for (;;) {
      long n = syscall(SYS_getdents64, fd.get(), buffer.data(), buffer.size());
      if (n < 0) return Failed(false);
      if (n == 0) break;
      for (long offset = 0; offset < n;) {
        auto* d = reinterpret_cast<struct dirent64*>(buffer.data() + offset);
        offset += d->d_reclen;
        std::string_view name(d->d_name);
        if (name == "." || name == "..") continue;
        entries->push_back(Entry{std::string(name), IsDir(fd.get(), d)});
      }
    }
    counts_->dirs_listed.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  static bool IsDir(int dir_fd, const struct dirent64* d) {
    if (d->d_type != DT_UNKNOWN) return d->d_type == DT_DIR;
    struct stat st;
    return fstatat(dir_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISDIR(st.st_mode);
  }

  // Reads the whole file `path` under `dir_fd` into *out. A missing file
  // is counted apart from errors: a store has some (distribution deletes a
  // revision's link and leaves its directory).
  bool Read(int dir_fd, const std::string& path, std::string* out) {
    out->clear();
    Fd fd(openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.ok()) {
      if (errno == ENOENT) counts_->missing.fetch_add(1);
      return Failed(errno == ENOENT);
    }
    thread_local std::vector<char> buffer(kReadBuffer);
    for (;;) {
      ssize_t n = read(fd.get(), buffer.data(), buffer.size());
      if (n < 0) return Failed(false);
      out->append(buffer.data(), static_cast<size_t>(n));
      // A short read of a regular file is its end: one read per small
      // file, not two.
      if (static_cast<size_t>(n) < buffer.size()) break;
    }
    counts_->bytes_read.fetch_add(out->size(), std::memory_order_relaxed);
    return true;
  }

  // A missing optional directory is not an error.
  bool Failed(bool missing_is_fine) {
    if (!missing_is_fine) counts_->errors.fetch_add(1);
    return false;
  }

  void ListBlobAlgorithms() {
    std::vector<Entry> algorithms;
    if (!List(v2_fd_, "blobs", &algorithms)) return;
    for (const Entry& alg : algorithms) {
      if (!alg.is_dir) continue;
      std::vector<Entry> prefixes;
      const std::string alg_path = "blobs/" + alg.name;
      if (!List(v2_fd_, alg_path, &prefixes)) continue;
      for (const Entry& prefix : prefixes) {
        if (!prefix.is_dir) continue;
        std::string path = alg_path + "/" + prefix.name;
        queue_->Push([this, path] { ListBlobPrefix(path); });
      }
    }
  }

  void ListBlobPrefix(const std::string& path) {
    std::vector<Entry> blobs;
    if (!List(v2_fd_, path, &blobs)) return;
    counts_->blob_prefixes.fetch_add(1, std::memory_order_relaxed);
    uint64_t n = 0;
    for (const Entry& blob : blobs) n += blob.is_dir ? 1 : 0;
    counts_->blobs.fetch_add(n, std::memory_order_relaxed);
  }

  // `path` is a directory under repositories/: a repository if it holds
  // _manifests, and possibly the parent of nested repositories.
  void WalkRepositories(const std::string& path) {
    std::vector<Entry> entries;
    if (!List(v2_fd_, path, &entries)) return;
    for (const Entry& entry : entries) {
      if (!entry.is_dir) continue;
      std::string child = path + "/" + entry.name;
      if (entry.name == "_manifests") {
        counts_->repositories.fetch_add(1, std::memory_order_relaxed);
        queue_->Push([this, child] { ListRevisionAlgorithms(child); });
        queue_->Push([this, child] { ReadTags(child); });
      } else if (entry.name[0] != '_') {
        queue_->Push([this, child] { WalkRepositories(child); });
      }
    }
  }

  void ListRevisionAlgorithms(const std::string& manifests) {
    std::vector<Entry> algorithms;
    const std::string revisions = manifests + "/revisions";
    if (!List(v2_fd_, revisions, &algorithms)) return;
    for (const Entry& alg : algorithms) {
      if (!alg.is_dir) continue;
      std::string alg_path = revisions + "/" + alg.name;
      std::vector<Entry> hexes;
      if (!List(v2_fd_, alg_path, &hexes)) continue;
      // Batches, so one big repository spreads over all threads.
      for (size_t i = 0; i < hexes.size(); i += kRevisionBatch) {
        std::vector<std::string> batch;
        for (size_t j = i; j < hexes.size() && j < i + kRevisionBatch; ++j) {
          if (hexes[j].is_dir) batch.push_back(std::move(hexes[j].name));
        }
        queue_->Push([this, alg_path, batch = std::move(batch)] {
          ReadRevisions(alg_path, batch);
        });
      }
    }
  }

  // Reads each revision's link, then the manifest blob it names.
  void ReadRevisions(const std::string& alg_path,
                     const std::vector<std::string>& hexes) {
    Fd dir(openat(v2_fd_, alg_path.c_str(),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.ok()) {
      Failed(false);
      return;
    }
    std::string link;
    std::string manifest;
    for (const std::string& hex : hexes) {
      if (!Read(dir.get(), hex + "/link", &link)) continue;
      counts_->revision_links.fetch_add(1, std::memory_order_relaxed);
      std::string data_path;
      if (!BlobDataPath(link, &data_path)) {
        Failed(false);
        continue;
      }
      if (Read(v2_fd_, data_path, &manifest)) {
        counts_->manifests.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  // "sha256:<hex>" -> "blobs/sha256/<xx>/<hex>/data". Only as much checking
  // as keeps the path inside blobs/.
  static bool BlobDataPath(std::string_view link, std::string* path) {
    while (!link.empty() && (link.back() == '\n' || link.back() == ' ')) {
      link.remove_suffix(1);
    }
    size_t colon = link.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view alg = link.substr(0, colon);
    std::string_view hex = link.substr(colon + 1);
    if (hex.size() < 2 || alg.empty() ||
        link.find_first_of("/.") != std::string_view::npos) {
      return false;
    }
    path->assign("blobs/").append(alg).append("/").append(hex.substr(0, 2));
    path->append("/").append(hex).append("/data");
    return true;
  }

  void ReadTags(const std::string& manifests) {
    std::vector<Entry> tags;
    const std::string tags_path = manifests + "/tags";
    if (!List(v2_fd_, tags_path, &tags)) return;
    Fd dir(openat(v2_fd_, tags_path.c_str(),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.ok()) {
      Failed(false);
      return;
    }
    std::string link;
    for (const Entry& tag : tags) {
      if (!tag.is_dir) continue;
      if (Read(dir.get(), tag.name + "/current/link", &link)) {
        counts_->tag_links.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  const int v2_fd_;
  Counts* const counts_;
  WorkQueue* const queue_;
};

int Usage() {
  std::fprintf(stderr, "usage: io_floor STORE [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store;
  int threads = 16;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "-h" || arg == "--help") {
      Usage();
      return 0;
    } else if (store.empty() && !arg.starts_with("-")) {
      store = argv[i];
    } else {
      return Usage();
    }
  }
  if (store.empty() || threads < 1) return Usage();

  const std::string v2 = store + "/docker/registry/v2";
  Fd v2_fd(open(v2.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!v2_fd.ok()) {
    std::fprintf(stderr, "io_floor: %s: %s\n", v2.c_str(), std::strerror(errno));
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  Counts counts;
  WorkQueue queue;
  Floor floor(v2_fd.get(), &counts, &queue);
  floor.Start();
  queue.Run(threads);
  const std::chrono::duration<double> wall =
      std::chrono::steady_clock::now() - start;

  std::printf(
      "seconds=%.3f threads=%d dirs_listed=%llu blob_prefixes=%llu "
      "blobs=%llu repositories=%llu revision_links=%llu manifests=%llu "
      "tag_links=%llu bytes_read=%llu missing=%llu errors=%llu\n",
      wall.count(), threads,
      static_cast<unsigned long long>(counts.dirs_listed.load()),
      static_cast<unsigned long long>(counts.blob_prefixes.load()),
      static_cast<unsigned long long>(counts.blobs.load()),
      static_cast<unsigned long long>(counts.repositories.load()),
      static_cast<unsigned long long>(counts.revision_links.load()),
      static_cast<unsigned long long>(counts.manifests.load()),
      static_cast<unsigned long long>(counts.tag_links.load()),
      static_cast<unsigned long long>(counts.bytes_read.load()),
      static_cast<unsigned long long>(counts.missing.load()),
      static_cast<unsigned long long>(counts.errors.load()));
  // Files that could not be read are counted, not fatal: the floor is the
  // cost of trying.
  return 0;
}
