#include "gc/mark_set.h"

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
  std::sort(sorted_.begin(), sorted_.end());
  sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
}

bool MarkSet::ContainsFingerprint(uint64_t fingerprint) const {
  return std::binary_search(sorted_.begin(), sorted_.end(), fingerprint);
}

bool MarkSet::Contains(const Digest& digest) const {
  return ContainsFingerprint(digest.Fingerprint());
}

}  // namespace regsweep::gc
