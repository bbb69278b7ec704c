#include "gc/inspection/verify.h"

#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "util/content_hash.h"

namespace regsweep::gc {
namespace {

// Pieces large enough that the per-call cost of EVP_DigestUpdate vanishes,
// small enough to stay in the CPU cache while hashed (measured: 1 MiB beat
// 64 KiB, 256 KiB and 4 MiB).
constexpr size_t kChunkBytes = 1 << 20;

class Verifier {
 public:
  Verifier(const storage::Registry& registry,
           const std::vector<BlobRecord>& blobs, GcProgress* progress,
           VerifyResult* result)
      : registry_(registry),
        blobs_(blobs),
        progress_(progress),
        result_(result) {}

  // Hashes blobs_[order[k]] for every k, on the current arena's threads.
  void HashAll(const std::vector<size_t>& order) {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, order.size(), 1),
        [&](const tbb::blocked_range<size_t>& range) {
          for (size_t k = range.begin(); k != range.end(); ++k) {
            Hash(blobs_[order[k]]);
          }
        },
        tbb::simple_partitioner());
  }

  void Finish() {
    result_->blobs = hashed_blobs_;
    result_->bytes = hashed_bytes_;
    std::sort(result_->mismatches.begin(), result_->mismatches.end(),
              [](const DigestMismatch& a, const DigestMismatch& b) {
                return a.digest < b.digest;
              });
  }

 private:
  void Hash(const BlobRecord& blob) {
    ContentHasher hasher(blob.digest.algorithm());
    uint64_t size = 0;
    Status s = registry_.ReadBlobChunks(
        blob.digest, kChunkBytes,
        [&](std::string_view piece) {
          hasher.Update(piece);
          return Status::OK();
        },
        &size);
    if (progress_ != nullptr) ++progress_->done;
    if (s.IsNotFound()) return;  // deleted since the listing
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      result_->errors.push_back(s);
      return;
    }
    ++hashed_blobs_;
    hashed_bytes_ += size;
    Digest actual = hasher.Finish();
    if (actual == blob.digest) return;
    std::lock_guard<std::mutex> lock(mu_);
    result_->mismatches.push_back(
        DigestMismatch{blob.digest, std::move(actual), size});
  }

  const storage::Registry& registry_;
  const std::vector<BlobRecord>& blobs_;
  GcProgress* progress_;
  VerifyResult* result_;
  std::mutex mu_;
  std::atomic<uint64_t> hashed_blobs_{0};
  std::atomic<uint64_t> hashed_bytes_{0};
};

}  // namespace

void VerifyBlobs(const storage::Registry& registry,
                 const std::vector<BlobRecord>& blobs, int cpu_threads,
                 GcProgress* progress, VerifyResult* result) {
  if (cpu_threads <= 0) {
    cpu_threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  result->threads = cpu_threads;
  std::vector<size_t> large, small;
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (!blobs[i].has_data) continue;
    (blobs[i].size >= kLargeBlobBytes ? large : small).push_back(i);
  }
  std::stable_sort(large.begin(), large.end(), [&](size_t a, size_t b) {
    return blobs[a].size > blobs[b].size;
  });
  if (progress != nullptr) {
    progress->Start("verify digests", large.size() + small.size());
  }
  auto start = std::chrono::steady_clock::now();
  Verifier verifier(registry, blobs, progress, result);
  tbb::task_arena cpu(cpu_threads);
  cpu.execute([&] { verifier.HashAll(large); });
  verifier.HashAll(small);
  verifier.Finish();
  result->seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
}

}  // namespace regsweep::gc
