#include "tools/gen_store/dir_times.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "tools/gen_store/parallel.h"

namespace regsweep::gen_store {
namespace {

// Directories set per work item: enough to make handing out items cheap.
constexpr size_t kChunk = 512;

std::string_view Parent(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view()
                                         : path.substr(0, slash);
}

}  // namespace

void DirTimes::Note(std::string_view dir, int64_t time) {
  Shard& shard = shards_[Hash()(dir) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  const auto it = shard.times.find(dir);
  if (it == shard.times.end()) {
    shard.times.emplace(std::string(dir), time);
  } else {
    it->second = std::max(it->second, time);
  }
}

Status DirTimes::Apply(int root_fd, uint32_t threads) const {
  // Every noted directory's time goes up to each of its ancestors.
  TimeByDir all;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (const auto& [dir, time] : shard.times) {
      for (std::string_view d = dir; !d.empty(); d = Parent(d)) {
        const auto [it, inserted] = all.emplace(std::string(d), time);
        if (!inserted) {
          if (it->second >= time) break;  // and so are its ancestors
          it->second = time;
        }
      }
    }
  }
  const std::vector<std::pair<std::string, int64_t>> dirs(all.begin(),
                                                          all.end());
  return ParallelFor(
      (dirs.size() + kChunk - 1) / kChunk, threads,
      [&](size_t chunk, uint32_t) {
        const size_t end = std::min(dirs.size(), (chunk + 1) * kChunk);
        for (size_t i = chunk * kChunk; i < end; ++i) {
          const auto& [dir, time] = dirs[i];
          const struct timespec times[2] = {{static_cast<time_t>(time), 0},
                                            {static_cast<time_t>(time), 0}};
          if (::utimensat(root_fd, dir.c_str(), times, AT_SYMLINK_NOFOLLOW) !=
              0) {
            return Status::IOError(dir, std::strerror(errno));
          }
        }
        return Status::OK();
      });
}

}  // namespace regsweep::gen_store
