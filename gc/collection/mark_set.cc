#include "gc/collection/mark_set.h"

#include <tbb/parallel_sort.h>

#include <algorithm>

namespace regsweep::gc {

void MarkSet::Seal() {
  size_t total = sorted_.size();
  for (const auto& buffer : buffers_) total += buffer.size();
  sorted_.reserve(total);
  for (auto& buffer : buffers_) {
    sorted_.insert(sorted_.end(), buffer.begin(), buffer.end());
    std::vector<uint64_t>().swap(buffer);
  }
  // Millions of fingerprints (each repository adds its own, shared layers
  // included) between the parallel mark and the parallel sweep: the one
  // serial sort would idle every other core.
  tbb::parallel_sort(sorted_.begin(), sorted_.end());
  sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
  bucket_starts_.assign((size_t{1} << kBucketBits) + 1, 0);
  size_t i = 0;
  for (size_t bucket = 0; bucket < (size_t{1} << kBucketBits); ++bucket) {
    bucket_starts_[bucket] = static_cast<uint32_t>(i);
    while (i < sorted_.size() && (sorted_[i] >> (64 - kBucketBits)) == bucket) ++i;
  }
  bucket_starts_.back() = static_cast<uint32_t>(sorted_.size());
}

bool MarkSet::ContainsFingerprint(uint64_t fingerprint) const {
  if (bucket_starts_.empty()) return false;  // not sealed, or nothing marked
  size_t bucket = fingerprint >> (64 - kBucketBits);
  auto begin = sorted_.begin() + bucket_starts_[bucket];
  auto end = sorted_.begin() + bucket_starts_[bucket + 1];
  return std::binary_search(begin, end, fingerprint);
}

bool MarkSet::Contains(const Digest& digest) const {
  return ContainsFingerprint(digest.Fingerprint());
}

}  // namespace regsweep::gc
