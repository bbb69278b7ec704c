// The reference index's on-disk schema: column family names, key layout and
// value encodings. Everything that decides what bytes RocksDB holds is here,
// so a format change touches one file (and kFormatVersion).
//
// Keys join their parts with a NUL byte. Repository names, tag names and
// digests never contain NUL (callers must check with IsKeyPart), so the
// prefix "repo\0" selects exactly one repository: neither "repo/sub" nor
// "repository" shares it. Digests are kept as text in keys so that keys read
// naturally in RocksDB's tools and sort like the names.
//
//   manifests  repo \0 digest          -> kind, media type, edges
//   tags       repo \0 tag             -> digest, push time
//   repos      repo                    -> fingerprint, write time
//   meta       key                     -> value (raw bytes)
//   marks      repo                    -> opaque (gc/incremental/repository_mark.h)
//   listings   alg/xx                  -> opaque (gc/incremental/blob_listing.h)
#ifndef REGSWEEP_INDEX_SCHEMA_H_
#define REGSWEEP_INDEX_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "index/ref_index.h"
#include "util/digest.h"

namespace regsweep::index::schema {

// Bump when the bytes above change meaning; Open refuses other versions.
inline constexpr std::string_view kFormatVersion = "3";
inline constexpr std::string_view kFormatVersionKey = "format_version";

inline constexpr char kManifests[] = "manifests";
inline constexpr char kTags[] = "tags";
inline constexpr char kRepos[] = "repos";
inline constexpr char kMeta[] = "meta";
// Opaque values (gc/ encodes them): repo -> bytes, "alg/xx" -> bytes.
inline constexpr char kMarks[] = "marks";
inline constexpr char kListings[] = "listings";

// True when `part` may be one part of a key: not empty, no NUL.
bool IsKeyPart(std::string_view part);

// "repo\0": the prefix of one repository's manifests and tags keys.
std::string RepositoryPrefix(std::string_view repository);
// The smallest key greater than every key starting with `prefix`, where
// `prefix` ends with the NUL separator: the same with its last byte 1.
std::string PrefixLimit(std::string_view prefix);

std::string ManifestKey(std::string_view repository, const Digest& digest);
std::string TagKey(std::string_view repository, std::string_view tag);


// Manifest values: the digest comes from the key, the rest from the value.
std::string EncodeManifest(const ManifestRecord& manifest);
bool DecodeManifest(std::string_view value, ManifestRecord* manifest);

// Tag values: the tag name comes from the key.
std::string EncodeTag(const TagRecord& tag);
bool DecodeTag(std::string_view value, TagRecord* tag);


// Repository values: the snapshot's fingerprint and when it was written.
std::string EncodeRepository(uint64_t fingerprint, int64_t written_ns);
bool DecodeRepository(std::string_view value, uint64_t* fingerprint,
                      int64_t* written_ns);

}  // namespace regsweep::index::schema

#endif  // REGSWEEP_INDEX_SCHEMA_H_
