#include "gc/incremental/blob_listing.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <string_view>
#include <unordered_set>

#include "gc/incremental/change_stamp.h"
#include "index/coding.h"
#include "util/clock.h"

namespace regsweep::gc {
namespace {

// Layout 1 had no flags, layout 2 no generation: they do not decode, so
// their prefixes are listed.
constexpr uint8_t kLayout = 3;
constexpr uint8_t kDeltaLayout = 'd';
constexpr uint8_t kStampTrusted = 1;
constexpr uint8_t kCounted = 2;

// A delta is written alone while it changes at most this share of its base.
constexpr size_t kMaxDeltaShare = 8;  // one blob in eight

// Never 0 (a listing of unknown generation) and, across processes, unlikely
// to repeat: a repeat could only apply a stale delta, whose blobs deleting
// finds gone or which keeps blobs it misses.
uint64_t NewGeneration() {
  static std::atomic<uint64_t> next{
      (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}() ^
      static_cast<uint64_t>(NowNs())};
  uint64_t generation = next.fetch_add(0x9e3779b97f4a7c15ULL);
  return generation == 0 ? 1 : generation;
}

// A short list of digests, for finding a listing's blobs in it: by the
// listing's precomputed fingerprints first, then by exact hash bytes, so a
// fingerprint collision never counts as a match.
class DigestLookup {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  explicit DigestLookup(const std::vector<Digest>& digests) : digests_(digests) {
    sorted_.reserve(digests.size());
    for (size_t k = 0; k < digests.size(); ++k) {
      sorted_.emplace_back(digests[k].Fingerprint(), k);
    }
    std::sort(sorted_.begin(), sorted_.end());
  }

  // Position in the list of the blob at position i of `blobs`, or kNone.
  size_t Find(const PrefixBlobs& blobs, size_t i) const {
    const uint64_t fingerprint = blobs.fingerprint(i);
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(),
                               std::make_pair(fingerprint, size_t{0}));
    for (; it != sorted_.end() && it->first == fingerprint; ++it) {
      if (blobs.Is(i, digests_[it->second])) return it->second;
    }
    return kNone;
  }

 private:
  const std::vector<Digest>& digests_;
  std::vector<std::pair<uint64_t, size_t>> sorted_;  // fingerprint, position
};

}  // namespace

void PrefixBlobs::Add(const Digest& digest) {
  AddHex(digest.algorithm_name(), digest.hex());
}

void PrefixBlobs::AddHex(std::string_view algorithm, std::string_view hex) {
  // Valid hex: lowercase, of even length.
  if (algorithm_.empty()) {
    algorithm_.assign(algorithm);
    raw_bytes_ = hex.size() / 2;
  }
  // The digest's text, "<alg>:<hex>", as Digest::Fingerprint hashes it,
  // built on the stack: no allocation per blob.
  char text[8 + 128];
  size_t length = algorithm.size() + 1 + hex.size();
  if (length > sizeof(text)) return;  // not a supported algorithm
  algorithm.copy(text, algorithm.size());
  text[algorithm.size()] = ':';
  hex.copy(text + algorithm.size() + 1, hex.size());
  fingerprints_.push_back(FingerprintOf(std::string_view(text, length)));
  index::PutHexAsBytes(&raw_, hex);
}

Digest PrefixBlobs::digest(size_t i) const {
  Digest digest;
  Digest::FromRaw(algorithm_ == "sha256" ? DigestAlgorithm::kSha256
                                         : DigestAlgorithm::kSha512,
                  std::string_view(raw_).substr(i * raw_bytes_, raw_bytes_),
                  &digest);
  return digest;
}

bool PrefixBlobs::Is(size_t i, const Digest& digest) const {
  if (digest.algorithm_name() != algorithm_) return false;
  std::string raw;
  index::PutHexAsBytes(&raw, digest.hex());
  return std::string_view(raw_).substr(i * raw_bytes_, raw_bytes_) == raw;
}

bool PrefixBlobs::Contains(const Digest& digest) const {
  const uint64_t fingerprint = digest.Fingerprint();
  for (size_t i = 0; i < fingerprints_.size(); ++i) {
    if (fingerprints_[i] == fingerprint && Is(i, digest)) return true;
  }
  return false;
}

bool PrefixBlobs::Append(const PrefixBlobs& other) {
  if (other.size() == 0) return true;
  if (size() == 0) {
    algorithm_ = other.algorithm_;
    raw_bytes_ = other.raw_bytes_;
  } else if (other.algorithm_ != algorithm_) {
    return false;
  }
  fingerprints_.insert(fingerprints_.end(), other.fingerprints_.begin(),
                       other.fingerprints_.end());
  raw_.append(other.raw_);
  return true;
}

void PrefixBlobs::Truncate(size_t count) {
  if (count >= fingerprints_.size()) return;
  fingerprints_.resize(count);
  raw_.resize(count * raw_bytes_);
}

std::string PrefixBlobs::Encode(const ListingState& state) const {
  std::string out;
  index::PutByte(&out, kLayout);
  index::PutFixed64(&out, state.generation);
  index::PutFixed64(&out, state.stamp);
  index::PutByte(&out, (state.stamp_trusted ? kStampTrusted : 0) |
                           (state.counted ? kCounted : 0));
  index::PutLengthPrefixed(&out, algorithm_);
  index::PutVarint64(&out, raw_bytes_);
  index::PutVarint64(&out, fingerprints_.size());
  for (uint64_t fingerprint : fingerprints_) index::PutFixed64(&out, fingerprint);
  out.append(raw_);
  return out;
}

bool PrefixBlobs::Decode(std::string_view in, ListingState* state) {
  uint8_t layout, flags;
  uint64_t raw_bytes, count;
  std::string_view algorithm;
  if (!index::GetByte(&in, &layout) || layout != kLayout ||
      !index::GetFixed64(&in, &state->generation) ||
      !index::GetFixed64(&in, &state->stamp) || !index::GetByte(&in, &flags) ||
      !index::GetLengthPrefixed(&in, &algorithm) ||
      !index::GetVarint64(&in, &raw_bytes) || !index::GetVarint64(&in, &count) ||
      count > in.size() / 8 || in.size() != count * (8 + raw_bytes)) {
    return false;
  }
  bool known = (algorithm == "sha256" && raw_bytes == 32) ||
               (algorithm == "sha512" && raw_bytes == 64);
  if (count > 0 && !known) return false;
  state->stamp_trusted = (flags & kStampTrusted) != 0;
  state->counted = (flags & kCounted) != 0;
  algorithm_.assign(algorithm);
  raw_bytes_ = raw_bytes;
  fingerprints_.resize(count);
  for (uint64_t& fingerprint : fingerprints_) index::GetFixed64(&in, &fingerprint);
  raw_.assign(in);
  return true;
}

PrefixBlobs StoredListing::Current() const {
  StoredListing copy = *this;
  return copy.TakeCurrent();
}

PrefixBlobs StoredListing::TakeCurrent() {
  PrefixBlobs current = std::move(base);
  base = PrefixBlobs();
  if (removed.size() > 0) {
    std::vector<Digest> gone;
    for (size_t k = 0; k < removed.size(); ++k) gone.push_back(removed.digest(k));
    const DigestLookup lookup(gone);
    current.Filter([&](size_t i) {
      return lookup.Find(current, i) == DigestLookup::kNone;
    });
  }
  current.Append(added);
  return current;
}

void StoredListing::Add(const Digest& digest) {
  if (removed.Contains(digest)) {
    removed.Filter([&](size_t i) { return !removed.Is(i, digest); });
  } else {
    added.Add(digest);
  }
}

void StoredListing::Remove(const std::vector<Digest>& gone) {
  const DigestLookup lookup(gone);
  std::vector<bool> was_added(gone.size(), false);
  added.Filter([&](size_t i) {
    size_t k = lookup.Find(added, i);
    if (k == DigestLookup::kNone) return true;
    was_added[k] = true;
    return false;
  });
  for (size_t k = 0; k < gone.size(); ++k) {
    if (!was_added[k]) removed.Add(gone[k]);
  }
}

std::string ListingDeltaKey(const std::string& key) { return key + "+"; }

bool LoadStoredListing(index::RefIndex* index, const std::string& key,
                       StoredListing* stored) {
  *stored = StoredListing();
  std::string value;
  if (!index->GetBlobListing(key, &value).ok() ||
      !stored->base.Decode(value, &stored->state)) {
    return false;
  }
  std::string delta;
  if (!index->GetBlobListing(ListingDeltaKey(key), &delta).ok()) return true;
  std::string_view in(delta);
  uint8_t layout;
  uint64_t generation;
  std::string_view added, removed;
  StoredListing changed;
  ListingState removed_state;
  if (!index::GetByte(&in, &layout) || layout != kDeltaLayout ||
      !index::GetFixed64(&in, &generation) ||
      generation != stored->state.generation ||
      !index::GetLengthPrefixed(&in, &added) ||
      !index::GetLengthPrefixed(&in, &removed) || !in.empty() ||
      !changed.added.Decode(added, &changed.state) ||
      !changed.removed.Decode(removed, &removed_state)) {
    return true;  // the listing as stored whole, with its own state
  }
  auto fits = [&](const PrefixBlobs& part) {
    return part.size() == 0 || stored->base.size() == 0 ||
           part.algorithm() == stored->base.algorithm();
  };
  if (!fits(changed.added) || !fits(changed.removed)) return true;
  stored->added = std::move(changed.added);
  stored->removed = std::move(changed.removed);
  stored->state = changed.state;
  stored->state.generation = generation;
  return true;
}

Status SaveStoredListing(index::RefIndex* index, const std::string& key,
                         StoredListing* stored) {
  const size_t changes = stored->added.size() + stored->removed.size();
  if (stored->state.generation != 0 &&
      changes * kMaxDeltaShare <= stored->base.size()) {
    std::string delta;
    index::PutByte(&delta, kDeltaLayout);
    index::PutFixed64(&delta, stored->state.generation);
    index::PutLengthPrefixed(&delta, stored->added.Encode(stored->state));
    // The state travels once, with the added blobs.
    index::PutLengthPrefixed(&delta, stored->removed.Encode(ListingState()));
    return index->PutBlobListing(ListingDeltaKey(key), delta);
  }
  stored->base = stored->TakeCurrent();
  stored->added = PrefixBlobs();
  stored->removed = PrefixBlobs();
  stored->state.generation = NewGeneration();
  Status s = index->PutBlobListing(key, stored->base.Encode(stored->state));
  // Not needed for correctness (the generation differs), but it frees the
  // space.
  if (s.ok()) s = index->PutBlobListing(ListingDeltaKey(key), "");
  return s;
}

namespace {

// The blobs of `linked` (of one prefix) that `blobs` does not hold, once
// each.
std::vector<Digest> NotListed(const PrefixBlobs& blobs,
                              std::vector<Digest> linked) {
  std::sort(linked.begin(), linked.end());
  linked.erase(std::unique(linked.begin(), linked.end()), linked.end());
  const DigestLookup lookup(linked);
  std::vector<bool> listed(linked.size(), false);
  for (size_t i = 0; i < blobs.size(); ++i) {
    size_t k = lookup.Find(blobs, i);
    if (k != DigestLookup::kNone) listed[k] = true;
  }
  std::vector<Digest> missing;
  for (size_t k = 0; k < linked.size(); ++k) {
    if (!listed[k]) missing.push_back(std::move(linked[k]));
  }
  return missing;
}

// How many blob directories the prefix directory `dir` holds, by its own
// count, where the backend keeps one; kUnknownCount otherwise.
uint64_t CountedBlobs(const storage::ObjectInfo& dir,
                      const storage::Capabilities& promises) {
  return promises.counts_subdirectories ? dir.subdirectories
                                        : storage::ObjectInfo::kUnknownCount;
}

// Brings a stored listing up to date from the linked candidates when the
// prefix's count of subdirectories shows that they account for every blob
// added (see the header). False: the directory must be listed.
bool AddLinkedBlobs(const storage::Registry& registry,
                    const storage::BlobPrefix& prefix,
                    const storage::ObjectInfo& dir, const ListingState& stored,
                    const ListingOptions& options, PrefixBlobs* blobs) {
  const uint64_t subdirectories = CountedBlobs(dir, options.trust.promises);
  if (!stored.counted || subdirectories == storage::ObjectInfo::kUnknownCount ||
      subdirectories < blobs->size()) {
    return false;
  }
  const uint64_t added = subdirectories - blobs->size();
  std::vector<Digest> candidates;
  auto it = options.linked->find(prefix.Key());
  if (it != options.linked->end()) candidates = NotListed(*blobs, it->second);
  if (candidates.size() < added) return false;
  std::vector<std::string> hexes;
  for (const Digest& digest : candidates) hexes.emplace_back(digest.hex());
  std::vector<storage::ObjectInfo> infos;
  std::vector<Status> statuses;
  registry.StatBlobDirs(prefix, hexes, &infos, &statuses);
  uint64_t found = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) return false;
    if (statuses[i].ok() && infos[i].type != storage::EntryType::kDirectory) {
      return false;  // a full listing would report it: let it
    }
    if (statuses[i].ok()) {
      blobs->Add(candidates[i]);
      ++found;
    }
  }
  return found == added;
}

// Records in `stored` how a fresh listing, `now`, differs from what the
// stored listing held, `before` (exact hash bytes decide).
void RecordChanges(const PrefixBlobs& before, const PrefixBlobs& now,
                   StoredListing* stored) {
  std::unordered_set<std::string_view> before_raw, now_raw;
  for (size_t i = 0; i < before.size(); ++i) before_raw.insert(before.raw(i));
  for (size_t i = 0; i < now.size(); ++i) now_raw.insert(now.raw(i));
  std::vector<Digest> gone;
  for (size_t i = 0; i < before.size(); ++i) {
    if (!now_raw.count(before.raw(i))) gone.push_back(before.digest(i));
  }
  stored->Remove(gone);
  for (size_t i = 0; i < now.size(); ++i) {
    if (!before_raw.count(now.raw(i))) stored->Add(now.digest(i));
  }
}

}  // namespace

Status ListPrefix(const storage::Registry& registry,
                  const storage::BlobPrefix& prefix,
                  const ListingOptions& options, PrefixBlobs* blobs,
                  std::vector<storage::StoreProblem>* problems,
                  ListingSource* source,
                  std::vector<storage::BlobInfo>* listed_data) {
  *source = ListingSource::kListed;
  *blobs = PrefixBlobs();
  if (listed_data != nullptr) listed_data->clear();
  // The stamp comes before the listing: a change while we list makes the
  // stored stamp older than the directory, so the next pass looks again.
  // Where a directory's version does not move with its entries (an object
  // store, whose "directories" are only prefixes) the stat could never be
  // trusted, and would cost a request per prefix: it is not made.
  ChangeStamp stamp;
  storage::ObjectInfo dir;
  Status dir_status;
  if (options.index != nullptr &&
      options.trust.promises.directory_versions_move) {
    dir_status = registry.StatBlobPrefix(prefix, &dir);
    stamp = StampOf({dir}, {dir_status}, options.trust);
    stamp.trusted = stamp.trusted && dir_status.ok();
  }
  const std::string key = prefix.Key();
  StoredListing stored;
  bool have_stored = false;
  PrefixBlobs before;  // what the stored listing held, when we list anyway
  if (options.reuse && dir_status.ok()) {
    if (LoadStoredListing(options.index, key, &stored)) {
      have_stored = true;
      if (stored.state.stamp_trusted && stamp.trusted &&
          stored.state.stamp == stamp.hash) {
        *source = ListingSource::kStored;
        *blobs = stored.TakeCurrent();
        return Status::OK();
      }
      *blobs = stored.Current();
      const size_t known = blobs->size();
      if (options.linked != nullptr &&
          AddLinkedBlobs(registry, prefix, dir, stored.state, options, blobs)) {
        *source = ListingSource::kStoredPlusLinked;
        for (size_t i = known; i < blobs->size(); ++i) stored.Add(blobs->digest(i));
        stored.state = {stamp.hash, stamp.trusted, true, stored.state.generation};
        return SaveStoredListing(options.index, key, &stored);
      }
      blobs->Truncate(known);  // without the linked blobs it found
      before = std::move(*blobs);
    }
    *blobs = PrefixBlobs();
  }
  size_t problems_before = problems->size();
  Status s = registry.VisitBlobs(
      prefix,
      [&](std::string_view hex, const storage::BlobInfo* data) {
        const size_t before = blobs->size();
        blobs->AddHex(prefix.algorithm, hex);
        if (listed_data == nullptr || blobs->size() == before) return;
        listed_data->resize(blobs->size());
        if (data != nullptr) listed_data->back() = *data;
      },
      problems);
  if (listed_data != nullptr) listed_data->resize(blobs->size());
  if (!s.ok()) return s;
  if (options.index == nullptr) return Status::OK();
  // Not reusable: an empty value never decodes.
  if (!dir_status.ok() || problems->size() != problems_before) {
    return options.index->PutBlobListing(key, "");
  }
  // The count is taken before the listing: when blobs came or went while we
  // listed, it differs and the next pass lists again.
  ListingState state{stamp.hash, stamp.trusted,
                     CountedBlobs(dir, options.trust.promises) == blobs->size()};
  if (have_stored) {
    // Stored as a change of the listing the index holds: a small one goes
    // into its delta.
    RecordChanges(before, *blobs, &stored);
    state.generation = stored.state.generation;
    stored.state = state;
    return SaveStoredListing(options.index, key, &stored);
  }
  StoredListing listed;
  listed.base = *blobs;
  listed.state = state;
  return SaveStoredListing(options.index, key, &listed);  // whole
}

Status ForgetDeletedBlobs(index::RefIndex* index,
                          const storage::BlobPrefix& prefix,
                          const std::vector<Digest>& deleted, bool all_gone) {
  const std::string key = prefix.Key();
  StoredListing stored;
  if (!all_gone || !LoadStoredListing(index, key, &stored)) {
    return index->PutBlobListing(key, "");
  }
  stored.Remove(deleted);
  // The deletions moved the prefix's version: only its count can tell
  // the next pass that nothing else changed.
  stored.state.stamp_trusted = false;
  return SaveStoredListing(index, key, &stored);
}

}  // namespace regsweep::gc
