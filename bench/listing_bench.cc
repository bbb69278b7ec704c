// Listing one directory of 10k entries (a large blob prefix directory or a
// big repository's revisions): storage::Store::ListDirectory against what the
// kernel alone costs (readdir, getdents64). Warm dentry cache: this measures
// the per-entry CPU cost, not the disk.
//
// Run: build/bench/regsweep_bench --benchmark_filter=List
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/store.h"

namespace regsweep::storage {
namespace {

constexpr int kEntries = 10000;
constexpr char kListed[] = "blobs";  // the listed directory, under the root

std::string Hex(uint64_t seed) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  uint64_t x = seed;
  while (hex.size() < 64) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 16; ++i) hex.push_back(kDigits[(z >> (4 * i)) & 15]);
  }
  return hex;
}

// A temporary root holding kListed/ with kEntries subdirectories named like
// blob directories (64 hex digits). Removed at exit.
class ListingFixture {
 public:
  ListingFixture() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "listing_bench.XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    root_ = pattern;
    const std::string listed = root_ + "/" + kListed;
    if (mkdir(listed.c_str(), 0755) != 0) {
      error_ = "mkdir failed";
      return;
    }
    for (int i = 0; i < kEntries; ++i) {
      const std::string path = listed + "/" + Hex(static_cast<uint64_t>(i));
      if (mkdir(path.c_str(), 0755) != 0) {
        error_ = "mkdir failed: " + path;
        return;
      }
    }
    Status status = OpenFileStore(root_, &store_);
    if (!status.ok()) error_ = status.ToString();
  }
  ~ListingFixture() {
    store_.reset();
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  const std::string& error() const { return error_; }
  std::string listed() const { return root_ + "/" + kListed; }
  Store* store() { return store_.get(); }

 private:
  std::string root_;
  std::string error_;
  std::unique_ptr<Store> store_;
};

ListingFixture& Fixture() {
  static ListingFixture fixture;
  return fixture;
}

void Finish(benchmark::State& state, size_t last_count) {
  if (last_count != kEntries) state.SkipWithError("wrong entry count");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kEntries);
}

void BM_List_StoreListDirectory(benchmark::State& state) {
  ListingFixture& fixture = Fixture();
  if (!fixture.error().empty()) {
    state.SkipWithError(fixture.error().c_str());
    return;
  }
  std::vector<ListEntry> entries;
  for (auto _ : state) {
    Status status = fixture.store()->List(kListed, &entries);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(entries.data());
  }
  Finish(state, entries.size());
}
BENCHMARK(BM_List_StoreListDirectory)->Unit(benchmark::kMicrosecond);

// opendir/readdir copying each name into a vector, as any caller that keeps
// the names must: the fair floor for ListDirectory's interface.
void BM_List_ReaddirCopy(benchmark::State& state) {
  ListingFixture& fixture = Fixture();
  if (!fixture.error().empty()) {
    state.SkipWithError(fixture.error().c_str());
    return;
  }
  const std::string listed = fixture.listed();
  std::vector<std::string> names;
  for (auto _ : state) {
    names.clear();
    DIR* dir = opendir(listed.c_str());
    if (dir == nullptr) {
      state.SkipWithError("opendir failed");
      return;
    }
    while (struct dirent* entry = readdir(dir)) {
      if (std::strcmp(entry->d_name, ".") == 0 ||
          std::strcmp(entry->d_name, "..") == 0) {
        continue;
      }
      names.emplace_back(entry->d_name);
    }
    closedir(dir);
    benchmark::DoNotOptimize(names.data());
  }
  Finish(state, names.size());
}
BENCHMARK(BM_List_ReaddirCopy)->Unit(benchmark::kMicrosecond);

// opendir/readdir counting only: the kernel and libc alone.
void BM_List_ReaddirCount(benchmark::State& state) {
  ListingFixture& fixture = Fixture();
  if (!fixture.error().empty()) {
    state.SkipWithError(fixture.error().c_str());
    return;
  }
  const std::string listed = fixture.listed();
  size_t count = 0;
  for (auto _ : state) {
    count = 0;
    DIR* dir = opendir(listed.c_str());
    if (dir == nullptr) {
      state.SkipWithError("opendir failed");
      return;
    }
    while (struct dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
  }
  Finish(state, count);
}
BENCHMARK(BM_List_ReaddirCount)->Unit(benchmark::kMicrosecond);

// getdents64 into a 64 KiB buffer, counting: fewer, larger system calls
// than glibc's readdir buffer (32 KiB).
void BM_List_Getdents64(benchmark::State& state) {
  ListingFixture& fixture = Fixture();
  if (!fixture.error().empty()) {
    state.SkipWithError(fixture.error().c_str());
    return;
  }
  const std::string listed = fixture.listed();
  std::vector<char> buffer(64 * 1024);
  size_t count = 0;
  for (auto _ : state) {
    count = 0;
    int fd = open(listed.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError("open failed");
      return;
    }
    for (;;) {
      long n = syscall(SYS_getdents64, fd, buffer.data(), buffer.size());
      if (n <= 0) break;
      for (long offset = 0; offset < n;) {
        auto* entry = reinterpret_cast<struct dirent64*>(buffer.data() + offset);
        if (entry->d_name[0] != '.') ++count;
        offset += entry->d_reclen;
      }
    }
    close(fd);
  }
  Finish(state, count);
}
BENCHMARK(BM_List_Getdents64)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace regsweep::storage
