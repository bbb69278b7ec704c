// RepositoryMemory: what an incremental pass remembers of each repository
// between passes, kept in the reference index, and the one interface
// through which the mark (gc/collection/mark.cc) recalls and remembers it.
//
// What is remembered, and when it is recalled (when in doubt, re-read):
//   - A repository's whole mark (gc/incremental/repository_mark.h): taken
//     back by Recall, without listing or reading anything of the
//     repository, when its change stamp (gc/incremental/change_stamp.h)
//     was trusted when stored and equals a fresh one, and the mark was made
//     with the same mode and grace period and is still valid now. A mark
//     that reported anything, depended on anything outside the
//     repository's own manifests, or whose stamp was racy, is remembered as
//     not reusable: the next pass re-reads the repository.
//   - Its manifests (gc/incremental/repository_snapshot.h): taken back by
//     RecallManifests, instead of reading the manifest blobs. All of them
//     when the fingerprint of a fresh scan equals the stored one and the
//     snapshot holds exactly the revisions asked for; otherwise each
//     revision the stored snapshot holds, by digest (a manifest's bytes
//     never change for its digest, so neither does its parse: after a push
//     only the new manifests are read, which on object storage is most of
//     what a pass costs). A snapshot whose mark depended on anything
//     outside its own manifests, or reported a parse that fell short,
//     stores a fingerprint nothing equals, and none of its manifests is
//     taken back (their problems are reported again on every pass).
//   - The walk of repositories/ (gc/incremental/repository_walk.h).
// Nothing is recalled unless the pass reuses the index (an incremental
// pass); a pass with an index remembers all the same, for the next one.
// Without an index (Open with a null one) nothing is recalled or
// remembered, and every call costs nothing.
//
// Errors: SaveWalk, Remember and ForgetVanished report index writes that
// failed; the caller must then delete nothing (they go to the mark's fatal
// list). A read of the index that fails recalls nothing.
//
// Thread safety: Recall, RecallManifests, CollectLinked and Remember are
// called from many threads at once, one repository per call, each
// repository by one thread; within a pass, a repository's Remember follows
// its Recall. walk(), SaveWalk and ForgetVanished are called by one thread,
// before and after the repositories are marked.
#ifndef REGSWEEP_GC_REPOSITORY_MEMORY_H_
#define REGSWEEP_GC_REPOSITORY_MEMORY_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gc/collection/manifest.h"
#include "gc/collection/options.h"
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gc {

// What an unchanged repository contributed to the last pass.
struct RecalledMark {
  std::vector<uint64_t> marked;   // fingerprints of the blobs it marked
  std::vector<Digest> to_delete;  // revisions -m deletes
  std::vector<std::string> tags;  // every tag: their histories go too
  std::vector<Digest> layers;     // its _layers links; none in a dry run
};

// A manifest a repository's mark read, as its snapshot stores it.
struct ManifestRead {
  const Digest* digest = nullptr;
  const ParsedManifest* parsed = nullptr;
};

// One repository's mark, for Remember.
struct MarkToRemember {
  // The scan the mark came from. Remember may take its tags out of the
  // shape (storage::LeaveTagsOut) where no tag decided anything.
  storage::RepositoryInfo* scan = nullptr;
  // Every revision whose manifest was read, with its parse. Not stored
  // again when they came from RecallManifests.
  std::vector<ManifestRead> manifests;
  bool manifests_recalled = false;
  // The mark depended on something outside the repository's own manifests
  // (a missing manifest, a child outside its revisions, a parse that fell
  // short): neither its snapshot nor its mark may be reused.
  bool depends_outside = false;
  // It reported a problem or failed: the next pass re-reads it.
  bool reported = false;
  // What it contributed to the pass: the fingerprints it marked (in any
  // order, repeated or not), the revisions it deletes and its layer links.
  std::vector<uint64_t> marked;
  std::vector<Digest> to_delete;
  const std::vector<Digest>* layers = nullptr;
  // With -m and a grace period: until when the choice of kept revisions
  // holds.
  int64_t valid_until_ns = std::numeric_limits<int64_t>::max();
};

class RepositoryMemory {
 public:
  // The memory of one pass over `registry`, kept in `index` (may be null:
  // a memory that holds nothing). With `reuse`, what the last pass stored
  // may be recalled, and the walk's memo is loaded now. `registry` and
  // `index` must outlive it.
  static std::unique_ptr<RepositoryMemory> Open(
      const storage::Registry& registry, const GcOptions& options,
      index::RefIndex* index, bool reuse);

  RepositoryMemory() = default;
  RepositoryMemory(const RepositoryMemory&) = delete;
  RepositoryMemory& operator=(const RepositoryMemory&) = delete;
  virtual ~RepositoryMemory() = default;

  // For WalkRepositories, then SaveWalk once the walk succeeded. Null when
  // there is nothing to remember the walk in.
  virtual storage::RepositoryWalkMemo* walk() = 0;
  virtual Status SaveWalk() = 0;

  // True, with *mark filled, when the repository `name` stands as the last
  // pass left it (see above): it need not be scanned.
  virtual bool Recall(const std::string& name, RecalledMark* mark) = 0;

  // Takes back what it can of the parse of each of `revisions` (see
  // above): (*recalled)[i] says whether (*parsed)[i] is revisions[i]'s.
  // True when all were, from a snapshot of exactly this scan (it need not
  // be stored again).
  virtual bool RecallManifests(const storage::RepositoryInfo& scan,
                               const std::vector<Digest>& revisions,
                               std::vector<ParsedManifest>* parsed,
                               std::vector<bool>* recalled) = 0;

  // Appends every blob a re-read repository links (revisions and layers),
  // where the sweep looks for blobs added since the last pass
  // (gc/incremental/blob_listing.h). Nothing unless the pass reuses.
  virtual void CollectLinked(const storage::RepositoryInfo& scan,
                             std::vector<Digest>* linked) = 0;

  // Stores the repository's snapshot (unless its manifests were recalled)
  // and its mark, reusable or not (see above), for the next pass. Appends
  // each index write that failed to *fatal.
  virtual void Remember(MarkToRemember* mark, std::vector<Status>* fatal) = 0;

  // Removes from the index every repository not in `names` (sorted): the
  // store no longer has it.
  virtual Status ForgetVanished(const std::vector<std::string>& names) = 0;
};

}  // namespace regsweep::gc

#endif  // REGSWEEP_GC_REPOSITORY_MEMORY_H_
