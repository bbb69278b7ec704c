// MarkSet: the set of blobs a mark found referenced, keyed by the digest's
// 64-bit fingerprint (Digest::Fingerprint).
//
// Two phases: while marking, any number of threads Add() at once (each into
// its own buffer, no locking); then Seal() once, after which Contains() is a
// binary search. A fingerprint collision can only make Contains() answer
// true for a blob that is not marked, which keeps that blob: it can never
// make a marked blob look unmarked.
#ifndef REGSWEEP_GC_MARK_SET_H_
#define REGSWEEP_GC_MARK_SET_H_

#include <cstdint>
#include <vector>

#include <tbb/enumerable_thread_specific.h>

#include "util/digest.h"

namespace regsweep::gc {

class MarkSet {
 public:
  // Thread-safe before Seal(); must not be called after.
  void Add(const Digest& digest) { AddFingerprint(digest.Fingerprint()); }
  void AddFingerprint(uint64_t fingerprint) {
    buffers_.local().push_back(fingerprint);
  }

  // Merges the per-thread buffers. Call once, after every Add().
  void Seal();

  // Only after Seal(). Thread-safe.
  bool Contains(const Digest& digest) const;
  bool ContainsFingerprint(uint64_t fingerprint) const;

  // Number of distinct fingerprints marked (after Seal()).
  size_t size() const { return sorted_.size(); }

 private:
  // Fingerprints are uniform: the top kBucketBits bits pick a short run of
  // sorted_, where the search stays within a cache line or two.
  static constexpr int kBucketBits = 16;

  tbb::enumerable_thread_specific<std::vector<uint64_t>> buffers_;
  std::vector<uint64_t> sorted_;
  // bucket_starts_[b]: index in sorted_ of the first fingerprint whose top
  // bits are >= b; one more entry at the end.
  std::vector<uint32_t> bucket_starts_;
};

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_MARK_SET_H_
