// Finding: one thing `regsweep audit` found wrong (or worth knowing) in a
// store, with what to do about it.
#ifndef REGSWEEP_GC_FINDING_H_
#define REGSWEEP_GC_FINDING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace regsweep::gc {

// In the order reports list them: broken images first, clutter last.
enum class FindingKind {
  kMissingBlob,          // a manifest names a config, layer or child manifest
                         // that does not exist: the image cannot be pulled
  kMissingManifest,      // a revision or tag link points at a manifest blob
                         // that does not exist
  kDigestMismatch,       // (--verify-digests) a blob's content does not hash
                         // to its digest
  kUnparseableManifest,  // a manifest blob that is not a manifest we can read
  kMalformedLink,        // a link file whose content is not a digest (or not
                         // the digest its directory names)
  kUntrackedTag,         // a tag points at a manifest the repository holds no
                         // revision of: the registry cannot serve it
  kDanglingLayerLink,    // a _layers link to a blob that does not exist
  kUnreadable,           // a file or directory that could not be read: what
                         // it holds was not checked
  kUnexpectedEntry,      // a file, directory or symbolic link the layout does
                         // not expect (skipped, never followed)
  kOrphanedBlob,         // a blob no manifest references: gc deletes it
  kStaleUpload,          // an upload older than a week
  kEmptyRepository,      // a repository with no tags and no manifests
};
inline constexpr int kFindingKindCount = 12;

std::string_view FindingKindName(FindingKind kind);
// One line on what a kind means, for the terminal's group headers.
std::string_view FindingKindMeaning(FindingKind kind);

struct Finding {
  FindingKind kind = FindingKind::kUnexpectedEntry;
  std::string digest;      // the blob, manifest or link target concerned
  std::string repository;
  std::string tag;         // a tag link's tag
  std::string path;        // the file or directory, as the store describes it
  std::optional<uint64_t> bytes;
  // orphaned_blob: when its data was written; stale_upload: when it started.
  // 0: not applicable.
  int64_t time_ns = 0;
  std::string manifest;           // missing_blob: the manifest naming digest
  std::vector<std::string> tags;  // missing_blob: every tag reaching manifest
  std::string detail;             // what is wrong and what to do
};

// Orders findings for reports: by kind, repository, digest, manifest, tag,
// path.
bool FindingLess(const Finding& a, const Finding& b);

// "2024-06-24T10:00:00Z" (UTC) from ns since the epoch.
std::string FormatTime(int64_t ns);
// "3d 4h", "5h 12m", "42s" for a duration in ns (negative: "0s").
std::string FormatAge(int64_t ns);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_FINDING_H_
