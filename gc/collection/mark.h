// Mark: find every blob the roots reach, in parallel over repositories.
//
// Roots: by default every revision of every repository (as distribution
// does). With delete_untagged, the manifests tags point at, plus revisions
// that changed within the grace period; then, within the repository and
// recursively, the children of kept indexes and the referrers (manifests
// whose subject is a kept manifest, and, for a manifest whose parse fell
// back, whose bytes name a kept manifest anywhere). Every other revision is
// to be deleted.
//
// A kept manifest marks itself and every reference its parse names (config,
// layers, children, blobs); children are read and marked in turn, through
// children without a revision of their own too, and a fallback parse's
// references are each read as a possible child. The walk keeps an explicit
// stack: no input depth reaches the call stack, and cycles end. A blob
// referenced from any repository is marked.
//
// Errors that could hide a reference (a revision directory that cannot be
// listed, a manifest that cannot be read) are collected in `fatal`; the
// caller must then delete nothing. Everything else is a Problem and the
// mark goes on.
#ifndef REGSWEEP_GC_MARK_H_
#define REGSWEEP_GC_MARK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gc/collection/mark_set.h"
#include "gc/collection/options.h"
#include "gc/collection/problem.h"
#include "gc/incremental/repository_snapshot.h"  // how edges are stored in the index
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/status.h"

namespace regsweep::gc {

// A revision the sweep deletes (delete_untagged only), with every tag of
// its repository, whose history entries for it go too (as distribution).
struct ManifestToDelete {
  std::string repository;
  Digest digest;
  // Shared by the repository's deletions (copies cost 50 MB at a million
  // blobs with -m).
  std::shared_ptr<const std::vector<std::string>> tags;
};

struct RepositoryLayers {
  std::string repository;
  std::vector<Digest> layers;  // the repository's _layers links
};

struct MarkResult {
  MarkSet marked;
  std::vector<ManifestToDelete> manifests_to_delete;  // sorted
  std::vector<RepositoryLayers> layer_links;
  std::vector<Problem> problems;
  std::vector<Status> fatal;  // non-empty: nothing may be deleted
  uint64_t repositories = 0;
  // Repositories whose links were read again (not taken from the index).
  uint64_t repositories_reread = 0;
  // In an incremental pass: every blob the re-read repositories link
  // (revisions and layers), where the blobs added since the last pass are
  // (see gc/incremental/blob_listing.h). Left empty when most repositories were re-read.
  std::vector<Digest> linked_by_reread;
  uint64_t manifests_read = 0;
  // Manifests of re-read repositories whose parse came from the index (by
  // digest: see gc/incremental/repository_memory.h) instead of a read.
  uint64_t manifests_recalled = 0;
};

// Marks `registry`. When `index` is not null, the pass remembers every
// repository in it (its manifests, edges and tags, and what its mark
// contributed), and repositories no longer in the store leave it; with
// `reuse_index` (an incremental pass), a repository is marked from what the
// last pass remembered wherever that still holds, instead of being read
// again (see gc/incremental/repository_memory.h). `progress` may be null.
void Mark(const storage::Registry& registry, const GcOptions& options,
          index::RefIndex* index, bool reuse_index, GcProgress* progress,
          MarkResult* result);

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_MARK_H_
