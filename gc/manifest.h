// Manifest parsing: from a manifest blob's bytes to the digests it keeps alive.
//
// Contract: ParseManifest never under-reports. For every input, the returned
// references include every digest a correct parse of a well-formed manifest
// of that type would name (config, layers, child manifests, artifact blobs).
// Where the input is not a manifest we fully understand it over-reports:
//   - a media type we do not know: every "digest" string anywhere in the
//     JSON that is a valid digest counts (kind kUnknown);
//   - a known media type whose structure is wrong (a field of the wrong
//     type, say): handled as an unknown media type (kind kUnknown, with
//     `problem` saying what was wrong);
//   - bytes that are not valid JSON: every "<alg>:<hex>" substring that is a
//     valid digest counts (kind kInvalid).
// A referrer's `subject` is reported separately and is NOT a reference: a
// referrer does not keep its subject alive; the subject keeps its referrers.
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
  kInvalid,  // not JSON; every digest-shaped string counts
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
};

// Parses `bytes`. Never fails: see the contract above for what comes back
// when the input is not a well-formed manifest.
ParsedManifest ParseManifest(std::string_view bytes);

// Exposed for tests and the unknown-type fallback: every valid digest that
// occurs as a substring of `bytes`, in order of appearance (duplicates kept).
std::vector<Digest> ScanForDigests(std::string_view bytes);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_MANIFEST_H_
