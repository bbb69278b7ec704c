// ManifestScan: the little churn needs to know of a manifest already in the
// store (what kind it is, its layers or children), read from its JSON text.
//
// gen_store links no JSON parser, and needs none: it only ever scans
// manifests it wrote itself. The scan reads the top-level object's
// "mediaType", "layers", "fsLayers", "manifests" and "subject" and skips
// everything else; text it cannot follow gives kUnknown, which churn
// treats as a manifest to build nothing on and never to delete.
#ifndef REGSWEEP_TOOLS_GEN_STORE_MANIFEST_SCAN_H_
#define REGSWEEP_TOOLS_GEN_STORE_MANIFEST_SCAN_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "tools/gen_store/plan.h"
#include "util/digest.h"

namespace regsweep::gen_store {

enum class ManifestKind : uint8_t {
  kUnknown,
  kSchema1,
  kImage,     // schema2 or OCI image manifest
  kIndex,     // Docker manifest list or OCI image index
  kReferrer,  // an image manifest with a subject
};

struct ManifestScan {
  ManifestKind kind = ManifestKind::kUnknown;
  Format format = Format::kDocker;  // kOci for OCI media types
  std::vector<Digest> layers;       // kImage, kSchema1: base layer first
  std::vector<Digest> children;     // kIndex: in the index's order
};

ManifestScan ScanManifest(std::string_view json);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_MANIFEST_SCAN_H_
