// Tag catalog: every tag of some repositories with the manifest it points
// at, when it was pushed, and (on request) how many bytes it holds.
//
// The push time is the modification time of the tag's current link: the
// registry rewrites that link on every push of the tag, and nothing else
// touches it.
//
// Thread safety: ListTagCatalog may be called from several threads at once;
// it runs its own parallel loop over repositories.
#ifndef REGSWEEP_GC_TAG_CATALOG_H_
#define REGSWEEP_GC_TAG_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gc/collection/problem.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::storage {
class Registry;
}  // namespace regsweep::storage

namespace regsweep::gc {

struct TagEntry {
  std::string repository;
  std::string tag;
  // What the current link says. Invalid when the link could not be read:
  // `link` then says why.
  Digest digest;
  Status link;
  // When the tag was last pushed, ns since the epoch; 0 when unknown (the
  // link is missing or unreadable).
  int64_t pushed_ns = 0;
  // Bytes on disk of the manifest, its config and its layers; for an index
  // also its children's, recursively. Each distinct blob counts once.
  // Referrers (signatures, SBOMs) are not counted. Filled only when sizes
  // were asked for; `size_complete` is false when a blob or manifest was
  // missing or unreadable (size then counts what was found).
  uint64_t size = 0;
  bool size_complete = false;
};

struct CatalogOptions {
  // Read each tagged manifest (and index children) and stat its blobs.
  bool with_sizes = false;
};

struct TagCatalog {
  // Sorted by repository, then tag name.
  std::vector<TagEntry> tags;
  // Broken tags (malformed, unreadable or missing current link) and store
  // content that is not a tag.
  std::vector<Problem> problems;
  // Repositories whose tags could not be listed: none of their tags is in
  // `tags`, so nothing may be decided about them.
  std::vector<Status> errors;
};

// Lists the tags of `repositories` (every repository in the store when
// empty). Returns non-OK only when the repositories themselves cannot be
// listed; per-repository failures go to catalog->errors.
Status ListTagCatalog(const storage::Registry& registry,
                      const std::vector<std::string>& repositories,
                      const CatalogOptions& options, TagCatalog* catalog);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_TAG_CATALOG_H_
