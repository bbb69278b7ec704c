// Blob listing for the sweep: which blobs a prefix directory
// (blobs/<alg>/<xx>) holds, listed fresh or, in an incremental pass, taken
// from the reference index.
//
// A stored listing is taken as it is when the prefix's stamp
// (gc/incremental/change_stamp.h) equals the stored one and was trusted
// when stored: only a backend whose directory versions move (adding or
// removing a blob gives the prefix a new version) gets trusted stamps; on
// any other the prefix is listed on every pass.
//
// When the stamp moved, the listing can still be brought up to date
// without listing the directory. Every blob the registry writes comes with
// a link in the repository it was pushed to, so the blobs that the
// repositories an incremental pass re-read link, and that the stored
// listing lacks, are the candidates for new blobs; each is looked up.
// Where the backend counts a directory's subdirectories
// (Capabilities::counts_subdirectories; ext4, XFS and tmpfs do), the
// listing is complete when the stored blobs and the new ones found add up
// to that count. Anything else (a blob written with no link, a backend or
// filesystem that does not count, a count that does not add up) lists the
// prefix.
//
// What the count cannot tell: blobs removed outside regsweep while as many
// others are added without links, in the same prefix. Then the listing
// names a blob that is gone (deleting it finds nothing) and misses one that
// is there (so it is kept). Nothing is lost; `--full` lists everything.
// A prefix that held anything unexpected is never stored (it is listed,
// and its problems reported, on every pass).
//
// A listing is stored whole, then changed by a small delta (the blobs added
// and removed since) for as long as the delta stays small beside it: at a
// million blobs, rewriting every listing that gained or lost a blob wrote
// 40 MB into the index on every pass. The delta names the generation of the
// listing it changes; a listing stored whole gets a new one, so an older
// delta is never applied to it.
#ifndef REGSWEEP_GC_BLOB_LISTING_H_
#define REGSWEEP_GC_BLOB_LISTING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gc/incremental/change_stamp.h"
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gc {

// What a stored listing says about the directory it was taken from.
struct ListingState {
  uint64_t stamp = 0;          // of the prefix directory (see above)
  bool stamp_trusted = false;  // not racy when stored
  // The prefix's own count of subdirectories equalled the blobs listed: its
  // count can tell whether blobs were added since.
  bool counted = false;
  // Of the listing stored whole that this state's listing is or changes.
  uint64_t generation = 0;
};

// The blobs of one prefix directory, packed: a fingerprint and the raw hash
// bytes per blob, so that a million blobs cost no million strings; Digest()
// builds one only for the blobs the sweep names.
class PrefixBlobs {
 public:
  size_t size() const { return fingerprints_.size(); }
  const std::string& algorithm() const { return algorithm_; }
  uint64_t fingerprint(size_t i) const { return fingerprints_[i]; }
  Digest digest(size_t i) const;

  void Add(const Digest& digest);
  // Adds the blob `algorithm`:`hex` (hex valid for the algorithm, as
  // Registry::VisitBlobs gives it) without building a Digest.
  void AddHex(std::string_view algorithm, std::string_view hex);
  // Whether the blob at position i is `digest` (exact, not by fingerprint).
  bool Is(size_t i, const Digest& digest) const;
  // Whether `digest` is among the blobs (a scan: for short lists).
  bool Contains(const Digest& digest) const;
  // Adds `other`'s blobs after these. False, changing nothing, when they
  // are of another algorithm.
  bool Append(const PrefixBlobs& other);
  // Keeps the first `count` blobs.
  void Truncate(size_t count);
  // The hash bytes of the blob at position i.
  std::string_view raw(size_t i) const {
    return std::string_view(raw_).substr(i * raw_bytes_, raw_bytes_);
  }
  // Keeps the blobs for which keep(i) is true, in order.
  template <typename Keep>
  void Filter(Keep keep);

  std::string Encode(const ListingState& state) const;
  // False when `value` is not a whole encoding (then *this and *state are
  // unspecified).
  bool Decode(std::string_view value, ListingState* state);

 private:
  std::vector<uint64_t> fingerprints_;
  std::string raw_;  // the hash bytes, raw_bytes_ per blob
  std::string algorithm_;
  size_t raw_bytes_ = 0;
};

// A prefix's listing as the index holds it: stored whole (`base`), and the
// blobs `added` and `removed` since. Only ListPrefix and ForgetDeletedBlobs
// write it; it is public for tests.
struct StoredListing {
  PrefixBlobs base;
  PrefixBlobs added;    // not in base
  PrefixBlobs removed;  // in base
  ListingState state;   // of the whole, changes included

  // base without `removed`, then `added`.
  PrefixBlobs Current() const;
  // The same, moving `base` out rather than copying it (base is left empty).
  PrefixBlobs TakeCurrent();
  // Records that `digest` (not already among Current()) came.
  void Add(const Digest& digest);
  // Records that `gone` (each among Current()) went.
  void Remove(const std::vector<Digest>& gone);
};

// The index key of the delta of the listing stored under `key`.
std::string ListingDeltaKey(const std::string& key);
// False when no listing decodes under `key`. A delta that does not decode,
// or that changes another generation, is not applied.
bool LoadStoredListing(index::RefIndex* index, const std::string& key,
                       StoredListing* stored);
// Writes the delta alone while it is small beside the base, else the whole
// listing under a new generation (and an empty delta).
Status SaveStoredListing(index::RefIndex* index, const std::string& key,
                         StoredListing* stored);

// Blobs that may be new to the stored listings, by prefix directory
// (storage::BlobPrefix::Key): what the re-read repositories link.
using LinkedBlobs = std::unordered_map<std::string, std::vector<Digest>>;

struct ListingOptions {
  index::RefIndex* index = nullptr;  // null: list, store nothing
  bool reuse = false;                // take unchanged prefixes from index
  StampTrust trust;                  // see gc/incremental/change_stamp.h
  // With reuse: candidates for blobs added since the last pass. Null: a
  // prefix whose stamp moved is listed.
  const LinkedBlobs* linked = nullptr;
};

// How ListPrefix came by a prefix's blobs.
enum class ListingSource { kListed, kStored, kStoredPlusLinked };

// Lists `prefix` into *blobs (problems as Registry::ListBlobs gives them);
// *source says where they came from. When `listed_data` is not null and
// the prefix was listed from the store, (*listed_data)[i] is what the
// listing said of blob i's data (has_data false: nothing, as on a
// filesystem); when taken from the index it is empty. Non-OK as ListBlobs,
// or when the index cannot be written.
Status ListPrefix(const storage::Registry& registry,
                  const storage::BlobPrefix& prefix,
                  const ListingOptions& options, PrefixBlobs* blobs,
                  std::vector<storage::StoreProblem>* problems,
                  ListingSource* source,
                  std::vector<storage::BlobInfo>* listed_data = nullptr);

// After a sweep deleted `deleted` (all of prefix `prefix`, sorted), takes
// them out of its stored listing, so that the next pass need not list the
// prefix again. With `all_gone` false (a deletion failed) the stored
// listing is dropped instead.
Status ForgetDeletedBlobs(index::RefIndex* index,
                          const storage::BlobPrefix& prefix,
                          const std::vector<Digest>& deleted, bool all_gone);

template <typename Keep>
void PrefixBlobs::Filter(Keep keep) {
  size_t kept = 0;
  for (size_t i = 0; i < fingerprints_.size(); ++i) {
    if (!keep(i)) continue;
    fingerprints_[kept] = fingerprints_[i];
    raw_.replace(kept * raw_bytes_, raw_bytes_, raw_, i * raw_bytes_,
                 raw_bytes_);
    ++kept;
  }
  fingerprints_.resize(kept);
  raw_.resize(kept * raw_bytes_);
}

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_BLOB_LISTING_H_
