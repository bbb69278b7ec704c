// RepositorySnapshot conversions: what the mark stores in the reference
// index for one repository, and how an incremental pass takes it back
// instead of re-reading the repository's manifests.
//
// A snapshot may be reused only when the repository's fingerprint, taken
// from a fresh scan of its revision and tag links (their digests, their
// state and their modification times), equals the stored one. Manifests are
// content-addressed, so the same revisions mean the same manifests and the
// same edges. A repository whose mark depended on anything outside its own
// manifests (a missing or unreadable manifest, a child outside its
// revisions, a manifest we could not fully parse) is stored with
// kVolatileFingerprint and is re-read on every pass: when in doubt, re-read.
#ifndef REGSWEEP_GC_REPOSITORY_SNAPSHOT_H_
#define REGSWEEP_GC_REPOSITORY_SNAPSHOT_H_

#include <cstdint>

#include "gc/collection/manifest.h"
#include "index/ref_index.h"
#include "storage/registry.h"

namespace regsweep::gc {

// Never equal to a computed fingerprint.
inline constexpr uint64_t kVolatileFingerprint = 0;

// How an edge's role is stored in the index: the gc::ReferenceRole in the
// low bits; kEdgeHasUrls for a descriptor that lists `urls` (a foreign
// layer); kEdgeSubject for the manifest's `subject`, which is not a
// reference (a referrer does not keep its subject).
inline constexpr uint8_t kEdgeHasUrls = 0x80;
inline constexpr uint8_t kEdgeSubject = 0x40;
inline constexpr uint8_t kEdgeRoleMask = 0x3f;

// Fingerprint of a scan: revision and tag links, their states and times.
uint64_t ScanFingerprint(const storage::RepositoryInfo& info);

index::ManifestRecord ToRecord(const Digest& digest,
                               const ParsedManifest& parsed);
ParsedManifest FromRecord(const index::ManifestRecord& record);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_REPOSITORY_SNAPSHOT_H_
