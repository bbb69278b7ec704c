#include "gc/blob_listing.h"

#include <algorithm>

#include "gc/change_stamp.h"
#include "index/coding.h"

namespace regsweep::gc {
namespace {

// Layout 1 had no flags: it does not decode, so its prefixes are listed.
constexpr uint8_t kLayout = 2;
constexpr uint8_t kStampTrusted = 1;
constexpr uint8_t kCounted = 2;

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

std::string PrefixBlobs::Encode(const ListingState& state) const {
  std::string out;
  index::PutByte(&out, kLayout);
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

namespace {

// The blobs of `linked` (of one prefix) that `blobs` does not hold, once
// each.
std::vector<Digest> NotListed(const PrefixBlobs& blobs,
                              const std::vector<Digest>& linked) {
  std::vector<std::pair<uint64_t, const Digest*>> wanted;
  wanted.reserve(linked.size());
  for (const Digest& digest : linked) {
    wanted.emplace_back(digest.Fingerprint(), &digest);
  }
  std::sort(wanted.begin(), wanted.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && *a.second < *b.second);
  });
  wanted.erase(std::unique(wanted.begin(), wanted.end(),
                           [](const auto& a, const auto& b) {
                             return *a.second == *b.second;
                           }),
               wanted.end());
  std::vector<bool> listed(wanted.size(), false);
  for (size_t i = 0; i < blobs.size(); ++i) {
    auto it = std::lower_bound(
        wanted.begin(), wanted.end(), blobs.fingerprint(i),
        [](const auto& entry, uint64_t fp) { return entry.first < fp; });
    // Exact digests: a fingerprint collision must not hide a new blob.
    for (; it != wanted.end() && it->first == blobs.fingerprint(i); ++it) {
      if (blobs.Is(i, *it->second)) listed[it - wanted.begin()] = true;
    }
  }
  std::vector<Digest> missing;
  for (size_t k = 0; k < wanted.size(); ++k) {
    if (!listed[k]) missing.push_back(*wanted[k].second);
  }
  return missing;
}

// Brings a stored listing up to date from the linked candidates when the
// prefix directory's link count shows that they account for every blob
// added (see the header). False: the directory must be listed.
bool AddLinkedBlobs(const storage::Registry& registry,
                    const storage::BlobPrefix& prefix,
                    const storage::FileInfo& dir, const ListingState& stored,
                    const ListingOptions& options, PrefixBlobs* blobs) {
  if (!stored.counted || dir.links < 2 || dir.links - 2 < blobs->size()) {
    return false;
  }
  const uint64_t added = dir.links - 2 - blobs->size();
  std::vector<Digest> candidates;
  auto it = options.linked->find(prefix.Key());
  if (it != options.linked->end()) candidates = NotListed(*blobs, it->second);
  if (candidates.size() < added) return false;
  std::vector<std::string> hexes;
  for (const Digest& digest : candidates) hexes.emplace_back(digest.hex());
  std::vector<storage::FileInfo> infos;
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

}  // namespace

Status ListPrefix(const storage::Registry& registry,
                  const storage::BlobPrefix& prefix,
                  const ListingOptions& options, PrefixBlobs* blobs,
                  std::vector<storage::StoreProblem>* problems,
                  ListingSource* source) {
  *source = ListingSource::kListed;
  *blobs = PrefixBlobs();
  // The stamp comes before the listing: a change while we list makes the
  // stored stamp older than the directory, so the next pass looks again.
  ChangeStamp stamp;
  storage::FileInfo dir;
  Status dir_status;
  if (options.index != nullptr) {
    dir_status = registry.StatBlobPrefix(prefix, &dir);
    stamp = StampOf({dir}, {dir_status}, options.trusted_before_ns);
    stamp.trusted = stamp.trusted && dir_status.ok();
  }
  const std::string key = prefix.Key();
  if (options.reuse && dir_status.ok()) {
    std::string value;
    ListingState stored;
    if (options.index->GetBlobListing(key, &value).ok() &&
        blobs->Decode(value, &stored)) {
      if (stored.stamp_trusted && stamp.trusted && stored.stamp == stamp.hash) {
        *source = ListingSource::kStored;
        return Status::OK();
      }
      if (options.linked != nullptr &&
          AddLinkedBlobs(registry, prefix, dir, stored, options, blobs)) {
        *source = ListingSource::kStoredPlusLinked;
        return options.index->PutBlobListing(
            key, blobs->Encode({stamp.hash, stamp.trusted, true}));
      }
    }
    *blobs = PrefixBlobs();
  }
  size_t problems_before = problems->size();
  Status s = registry.VisitBlobs(
      prefix,
      [&](std::string_view hex) { blobs->AddHex(prefix.algorithm, hex); },
      problems);
  if (!s.ok()) return s;
  if (options.index == nullptr) return Status::OK();
  // Not reusable: an empty value never decodes.
  if (!dir_status.ok() || problems->size() != problems_before) {
    return options.index->PutBlobListing(key, "");
  }
  // The count is taken before the listing: when blobs came or went while we
  // listed, it differs and the next pass lists again.
  ListingState state{stamp.hash, stamp.trusted,
                     dir.links >= 2 && dir.links - 2 == blobs->size()};
  return options.index->PutBlobListing(key, blobs->Encode(state));
}

Status ForgetDeletedBlobs(index::RefIndex* index,
                          const storage::BlobPrefix& prefix,
                          const std::vector<Digest>& deleted, bool all_gone) {
  const std::string key = prefix.Key();
  std::string value;
  PrefixBlobs blobs;
  ListingState state;
  if (!all_gone || !index->GetBlobListing(key, &value).ok() ||
      !blobs.Decode(value, &state)) {
    return index->PutBlobListing(key, "");
  }
  // Fingerprints first, so that the blobs that stay build no digest; exact
  // digests decide, so a collision cannot take a blob out.
  std::vector<std::pair<uint64_t, const Digest*>> gone;
  for (const Digest& digest : deleted) gone.emplace_back(digest.Fingerprint(), &digest);
  std::sort(gone.begin(), gone.end());
  blobs.Filter([&](size_t i) {
    auto it = std::lower_bound(gone.begin(), gone.end(),
                               std::make_pair(blobs.fingerprint(i),
                                              static_cast<const Digest*>(nullptr)));
    for (; it != gone.end() && it->first == blobs.fingerprint(i); ++it) {
      if (blobs.Is(i, *it->second)) return false;
    }
    return true;
  });
  // The deletions moved the directory's times: only its count can tell
  // the next pass that nothing else changed.
  state.stamp_trusted = false;
  return index->PutBlobListing(key, blobs.Encode(state));
}

}  // namespace regsweep::gc
