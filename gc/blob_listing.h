// Blob listing for the sweep: which blobs a prefix directory
// (blobs/<alg>/<xx>) holds, listed fresh or, in an incremental pass, taken
// from the reference index when the directory has not changed since the
// last pass.
//
// Adding or removing a blob directory gives its prefix directory new
// modification and change times, so a prefix whose stamp (gc/change_stamp.h)
// equals the stored one, and was trusted when stored, holds the same blobs.
// A prefix that held anything unexpected is never stored (it is listed,
// and its problems reported, on every pass).
#ifndef REGSWEEP_GC_BLOB_LISTING_H_
#define REGSWEEP_GC_BLOB_LISTING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gc {

// The blobs of one prefix directory, packed: a fingerprint and the raw hash
// bytes per blob, so that a million blobs cost no million strings; Digest()
// builds one only for the blobs the sweep names.
class PrefixBlobs {
 public:
  size_t size() const { return fingerprints_.size(); }
  uint64_t fingerprint(size_t i) const { return fingerprints_[i]; }
  Digest digest(size_t i) const;

  void Add(const Digest& digest);
  // Adds the blob `algorithm`:`hex` (hex valid for the algorithm, as
  // Registry::VisitBlobs gives it) without building a Digest.
  void AddHex(std::string_view algorithm, std::string_view hex);
  std::string Encode(uint64_t stamp) const;
  // False when `value` is not a whole encoding made with `stamp` (then
  // *this is unspecified).
  bool Decode(std::string_view value, uint64_t stamp);

 private:
  std::vector<uint64_t> fingerprints_;
  std::string raw_;  // the hash bytes, raw_bytes_ per blob
  std::string algorithm_;
  size_t raw_bytes_ = 0;
};

struct ListingOptions {
  index::RefIndex* index = nullptr;  // null: list, store nothing
  bool reuse = false;                // take unchanged prefixes from index
  int64_t trusted_before_ns = 0;     // see gc/change_stamp.h
};

// Lists `prefix` into *blobs (problems as Registry::ListBlobs gives them);
// *reused says whether it came from the index. Non-OK as ListBlobs, or when
// the index cannot be written.
Status ListPrefix(const storage::Registry& registry,
                  const storage::BlobPrefix& prefix,
                  const ListingOptions& options, PrefixBlobs* blobs,
                  std::vector<storage::StoreProblem>* problems, bool* reused);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_BLOB_LISTING_H_
