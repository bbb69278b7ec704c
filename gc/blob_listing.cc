#include "gc/blob_listing.h"

#include "gc/change_stamp.h"
#include "index/coding.h"

namespace regsweep::gc {
namespace {

constexpr uint8_t kLayout = 1;

std::string PrefixKey(const storage::BlobPrefix& prefix) {
  return prefix.algorithm + "/" + prefix.prefix;
}

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
  std::string hex;
  hex.reserve(2 * raw_bytes_);
  index::AppendBytesAsHex(&hex,
                          std::string_view(raw_).substr(i * raw_bytes_, raw_bytes_));
  Digest digest;
  Digest::FromParts(algorithm_, hex, &digest);
  return digest;
}

std::string PrefixBlobs::Encode(uint64_t stamp) const {
  std::string out;
  index::PutByte(&out, kLayout);
  index::PutFixed64(&out, stamp);
  index::PutLengthPrefixed(&out, algorithm_);
  index::PutVarint64(&out, raw_bytes_);
  index::PutVarint64(&out, fingerprints_.size());
  for (uint64_t fingerprint : fingerprints_) index::PutFixed64(&out, fingerprint);
  out.append(raw_);
  return out;
}

bool PrefixBlobs::Decode(std::string_view in, uint64_t stamp) {
  uint8_t layout;
  uint64_t stored_stamp, raw_bytes, count;
  std::string_view algorithm;
  if (!index::GetByte(&in, &layout) || layout != kLayout ||
      !index::GetFixed64(&in, &stored_stamp) || stored_stamp != stamp ||
      !index::GetLengthPrefixed(&in, &algorithm) ||
      !index::GetVarint64(&in, &raw_bytes) || !index::GetVarint64(&in, &count) ||
      count > in.size() / 8 || in.size() != count * (8 + raw_bytes)) {
    return false;
  }
  bool known = (algorithm == "sha256" && raw_bytes == 32) ||
               (algorithm == "sha512" && raw_bytes == 64);
  if (count > 0 && !known) return false;
  algorithm_.assign(algorithm);
  raw_bytes_ = raw_bytes;
  fingerprints_.resize(count);
  for (uint64_t& fingerprint : fingerprints_) index::GetFixed64(&in, &fingerprint);
  raw_.assign(in);
  return true;
}

Status ListPrefix(const storage::Registry& registry,
                  const storage::BlobPrefix& prefix,
                  const ListingOptions& options, PrefixBlobs* blobs,
                  std::vector<storage::StoreProblem>* problems, bool* reused) {
  *reused = false;
  *blobs = PrefixBlobs();
  // The stamp comes before the listing: a change while we list makes the
  // stored stamp older than the directory, so the next pass lists again.
  ChangeStamp stamp;
  if (options.index != nullptr) {
    storage::FileInfo info;
    Status s = registry.StatBlobPrefix(prefix, &info);
    stamp = StampOf({info}, {s}, options.trusted_before_ns);
    stamp.trusted = stamp.trusted && s.ok();
  }
  std::string key = PrefixKey(prefix);
  if (options.reuse && stamp.trusted) {
    std::string value;
    if (options.index->GetBlobListing(key, &value).ok() &&
        blobs->Decode(value, stamp.hash)) {
      *reused = true;
      return Status::OK();
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
  bool reusable = stamp.trusted && problems->size() == problems_before;
  return options.index->PutBlobListing(key,
                                       reusable ? blobs->Encode(stamp.hash) : "");
}

}  // namespace regsweep::gc
