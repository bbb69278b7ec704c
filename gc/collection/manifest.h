// Manifest parsing: from a manifest blob's bytes to the digests it keeps alive.
//
// Contract: ParseManifest never under-reports. For every input, the returned
// references include every digest a correct parse of a well-formed manifest
// of that type would name (config, layers, child manifests, artifact blobs).
// The references are a superset of what any JSON reader a registry client
// might use could find there, above all Go's encoding/json (member names
// matched case-insensitively, escapes decoded, any nesting, any number,
// invalid UTF-8 replaced rather than rejected). Where the input is not a
// manifest we fully understand it over-reports:
//   - a media type we do not know: every digest anywhere in the JSON, in any
//     string, key or value, counts (kind kUnknown);
//   - a known media type whose structure is wrong (a field of the wrong
//     type, a wanted member given twice, a member only another manifest type
//     has): handled as an unknown media type (kind kUnknown, with `problem`
//     saying what was wrong);
//   - bytes simdjson rejects (kind kInvalid): every digest in the decoded
//     text of every string literal (gc/collection/lenient_json.h) and every digest in
//     the raw bytes counts.
// A digest spelled with uppercase hex, which no client accepts, counts in
// its lowercase form. A referrer's `subject` is reported separately and is
// NOT a reference: a referrer does not keep its subject alive; the subject
// keeps its referrers. For a fallback parse (IsFallback) any reference may
// be a child manifest or a subject: callers that follow children or keep
// referrers must treat each one as both.
//
// Thread safety: ParseManifest is safe to call from several threads at once.
#ifndef REGSWEEP_GC_MANIFEST_H_
#define REGSWEEP_GC_MANIFEST_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/digest.h"

namespace regsweep::gc {

enum class ManifestKind {
  kSchema1,  // Docker schema1, signed or unsigned (fsLayers[].blobSum)
  kImage,    // Docker schema2 or OCI image manifest (config + layers), also
             // OCI artifacts expressed as image manifests (artifactType)
  kIndex,    // Docker manifest list or OCI image index (manifests[])
  kUnknown,  // valid JSON we do not understand; every digest counts
  kInvalid,  // not JSON to simdjson; every digest its strings or bytes
             // hold counts
};

enum class ReferenceRole {
  kConfig,  // the image config (schema2/OCI config descriptor)
  kLayer,   // a layer (schema1 blobSum, schema2/OCI layers[])
  kChild,   // a child manifest of an index; read it and keep what it names
  kBlob,    // OCI artifact blobs[], or any digest found by the fallbacks
};

struct Reference {
  Digest digest;
  ReferenceRole role = ReferenceRole::kBlob;
  // The descriptor lists download URLs (a foreign / non-distributable
  // layer): the registry may legitimately not hold the blob.
  bool has_urls = false;
};

struct ParsedManifest {
  ManifestKind kind = ManifestKind::kInvalid;
  // The "mediaType" field, or the media type implied by the structure
  // (schema1 has none: "application/vnd.docker.distribution.manifest.v1+json").
  std::string media_type;
  std::string artifact_type;       // OCI "artifactType", if any
  std::vector<Reference> references;
  std::optional<Digest> subject;   // OCI "subject.digest", if any
  // Empty when the manifest was understood completely; otherwise why not
  // (used in reports: "not valid JSON at byte 17", "layers is not an array").
  std::string problem;
  // Well-formed JSON whose only trouble is a media type we do not know
  // (kind kUnknown): no damage, new artifact types appear all the time.
  bool unknown_media_type = false;
};

// True for the kinds whose references come from a fallback rather than
// from a known structure: what each reference is to the manifest is unknown.
inline bool IsFallback(ManifestKind kind) {
  return kind == ManifestKind::kUnknown || kind == ManifestKind::kInvalid;
}

// Parses `bytes`. Never fails: see the contract above for what comes back
// when the input is not a well-formed manifest.
ParsedManifest ParseManifest(std::string_view bytes);

// Exposed for tests and the unknown-type fallback: every valid digest that
// occurs as a substring of `bytes`, in order of appearance (duplicates kept).
std::vector<Digest> ScanForDigests(std::string_view bytes);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_MANIFEST_H_
