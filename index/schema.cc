#include "index/schema.h"

#include "index/coding.h"

namespace regsweep::index::schema {
namespace {

constexpr char kSeparator = '\0';
// An edge is at least a sha256 digest (tag and 32 bytes) and a role byte.
constexpr size_t kMinEdgeSize = 1 + 32 + 1;

std::string Join(std::string_view a, std::string_view b) {
  std::string key;
  key.reserve(a.size() + 1 + b.size());
  key.append(a);
  key.push_back(kSeparator);
  key.append(b);
  return key;
}

}  // namespace

bool IsKeyPart(std::string_view part) {
  return !part.empty() && part.find(kSeparator) == std::string_view::npos;
}

std::string RepositoryPrefix(std::string_view repository) {
  return Join(repository, {});
}

std::string PrefixLimit(std::string_view prefix) {
  std::string limit(prefix);
  limit.back() = static_cast<char>(kSeparator + 1);
  return limit;
}

std::string ManifestKey(std::string_view repository, const Digest& digest) {
  return Join(repository, digest.str());
}

std::string TagKey(std::string_view repository, std::string_view tag) {
  return Join(repository, tag);
}

std::string EncodeManifest(const ManifestRecord& manifest) {
  std::string value;
  PutByte(&value, manifest.kind);
  PutLengthPrefixed(&value, manifest.media_type);
  PutVarint64(&value, manifest.edges.size());
  for (const EdgeRecord& edge : manifest.edges) {
    PutDigest(&value, edge.child);
    PutByte(&value, edge.role);
  }
  return value;
}

bool DecodeManifest(std::string_view value, ManifestRecord* manifest) {
  std::string_view media_type;
  uint64_t edge_count;
  if (!GetByte(&value, &manifest->kind) ||
      !GetLengthPrefixed(&value, &media_type) ||
      !GetVarint64(&value, &edge_count)) {
    return false;
  }
  manifest->media_type.assign(media_type);
  // Bound the count by the bytes left before reserving, so a damaged value
  // cannot ask for a huge allocation.
  if (edge_count > value.size() / kMinEdgeSize) return false;
  manifest->edges.clear();
  manifest->edges.reserve(edge_count);
  for (uint64_t i = 0; i < edge_count; i++) {
    EdgeRecord edge;
    if (!GetDigest(&value, &edge.child) || !GetByte(&value, &edge.role)) {
      return false;
    }
    manifest->edges.push_back(std::move(edge));
  }
  return value.empty();
}

std::string EncodeTag(const TagRecord& tag) {
  std::string value;
  PutDigest(&value, tag.digest);
  PutVarint64(&value, static_cast<uint64_t>(tag.pushed_ns));
  return value;
}

bool DecodeTag(std::string_view value, TagRecord* tag) {
  uint64_t pushed_ns;
  if (!GetDigest(&value, &tag->digest) || !GetVarint64(&value, &pushed_ns)) {
    return false;
  }
  tag->pushed_ns = static_cast<int64_t>(pushed_ns);
  return value.empty();
}

std::string EncodeRepository(uint64_t fingerprint, int64_t written_ns) {
  std::string value;
  PutFixed64(&value, fingerprint);
  PutVarint64(&value, static_cast<uint64_t>(written_ns));
  return value;
}

bool DecodeRepository(std::string_view value, uint64_t* fingerprint,
                      int64_t* written_ns) {
  uint64_t written;
  if (!GetFixed64(&value, fingerprint) || !GetVarint64(&value, &written)) {
    return false;
  }
  *written_ns = static_cast<int64_t>(written);
  return value.empty();
}

}  // namespace regsweep::index::schema
