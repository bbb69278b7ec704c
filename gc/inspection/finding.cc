#include "gc/inspection/finding.h"

#include <cstdio>
#include <iterator>
#include <tuple>

#include "util/rfc3339.h"

namespace regsweep::gc {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kMissingBlob:
      return "missing_blob";
    case FindingKind::kMissingManifest:
      return "missing_manifest";
    case FindingKind::kDigestMismatch:
      return "digest_mismatch";
    case FindingKind::kUnparseableManifest:
      return "unparseable_manifest";
    case FindingKind::kMalformedLink:
      return "malformed_link";
    case FindingKind::kUntrackedTag:
      return "untracked_tag";
    case FindingKind::kDanglingLayerLink:
      return "dangling_layer_link";
    case FindingKind::kUnreadable:
      return "unreadable";
    case FindingKind::kUnexpectedEntry:
      return "unexpected_entry";
    case FindingKind::kOrphanedBlob:
      return "orphaned_blob";
    case FindingKind::kStaleUpload:
      return "stale_upload";
    case FindingKind::kEmptyRepository:
      return "empty_repository";
  }
  return "unknown";
}

std::string_view FindingKindMeaning(FindingKind kind) {
  switch (kind) {
    case FindingKind::kMissingBlob:
      return "manifests that name a blob that does not exist: these images "
             "cannot be pulled";
    case FindingKind::kMissingManifest:
      return "revision or tag links to a manifest blob that does not exist";
    case FindingKind::kDigestMismatch:
      return "blobs whose content does not hash to their digest";
    case FindingKind::kUnparseableManifest:
      return "manifest blobs that are not a manifest regsweep can read";
    case FindingKind::kMalformedLink:
      return "link files whose content is not the digest they should hold";
    case FindingKind::kUntrackedTag:
      return "tags pointing at a manifest the repository has no revision of";
    case FindingKind::kDanglingLayerLink:
      return "_layers links to blobs that do not exist";
    case FindingKind::kUnreadable:
      return "files or directories that could not be read (not checked)";
    case FindingKind::kUnexpectedEntry:
      return "entries the layout does not expect (skipped)";
    case FindingKind::kOrphanedBlob:
      return "blobs no manifest references: gc deletes them";
    case FindingKind::kStaleUpload:
      return "uploads started more than a week ago";
    case FindingKind::kEmptyRepository:
      return "repositories with no tags and no manifests";
  }
  return "";
}

bool FindingLess(const Finding& a, const Finding& b) {
  return std::tie(a.kind, a.repository, a.digest, a.manifest, a.tag, a.path) <
         std::tie(b.kind, b.repository, b.digest, b.manifest, b.tag, b.path);
}

std::string FormatTime(int64_t ns) { return FormatRfc3339(ns); }

std::string FormatAge(int64_t ns) {
  long long s = ns > 0 ? ns / 1000000000LL : 0;
  // The largest unit, and the next one when it is not zero.
  struct Unit {
    long long seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  char text[48];
  for (size_t i = 0; i + 1 < std::size(kUnits); ++i) {
    if (s < kUnits[i].seconds) continue;
    long long rest = s % kUnits[i].seconds / kUnits[i + 1].seconds;
    if (rest == 0) {
      std::snprintf(text, sizeof(text), "%lld%s", s / kUnits[i].seconds,
                    kUnits[i].name);
    } else {
      std::snprintf(text, sizeof(text), "%lld%s %lld%s", s / kUnits[i].seconds,
                    kUnits[i].name, rest, kUnits[i + 1].name);
    }
    return text;
  }
  std::snprintf(text, sizeof(text), "%llds", s);
  return text;
}

}  // namespace regsweep::gc
