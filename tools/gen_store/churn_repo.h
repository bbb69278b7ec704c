// Repository churn: what a few days of use do to one repository of an
// existing store, done to its files the way distribution 2.8 does them.
//
// In this order:
//   - with `delete_manifest`, a manifest is deleted through the API: a
//     top-level one (an image, index or schema1 manifest no linked index
//     names), half the time one a tag points at. Distribution removes its
//     revision link file only (the empty <hex> directory stays) and every
//     tag whose current link names it (the whole tags/<tag> directory);
//   - with `delete_tag`, a tag is deleted (its directory removed): one
//     other than "latest" if there is one;
//   - 1 to 3 builds are pushed, each on top of the one "latest" points at
//     (or any tag's, or nothing): for each platform of that build its
//     bottom layers are kept and the top one or two replaced by new layer
//     blobs, with a new config and manifest (and index, for a multi-arch
//     build), _layers links for what the repository did not link yet and
//     revision links. "latest" moves to it (a new entry in the tag's
//     index/, current/link rewritten in place), half the time another tag
//     too, an existing one or a new one; now and then the build is signed
//     or gets an SBOM (a referrer);
//   - orphan blobs are written: `linked_orphans` linked in _layers (an
//     upload whose manifest never came), `bare_orphans` linked nowhere.
// A manifest that cannot be read or parsed is neither built on nor deleted.
//
// Everything random is drawn from `stream` and the number of the
// repository's revision directories, so the same store and stream give the
// same changes, and a second round on the changed store other ones. Content
// (config times included) never depends on the clock; file times are those
// of writing.
//
// Thread safety: different repositories may be churned concurrently, as
// long as the "{}" blob referrers use as config exists beforehand.
#ifndef REGSWEEP_TOOLS_GEN_STORE_CHURN_REPO_H_
#define REGSWEEP_TOOLS_GEN_STORE_CHURN_REPO_H_

#include <cstdint>
#include <string>

#include "storage/registry.h"
#include "storage/store.h"
#include "tools/gen_store/disk_writer.h"
#include "tools/gen_store/pusher.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gen_store {

struct RepoChurn {
  std::string name;
  uint64_t stream = 0;
  bool delete_manifest = false;
  bool delete_tag = false;
  uint32_t linked_orphans = 0;
  uint32_t bare_orphans = 0;
};

struct ChurnCounts {
  uint64_t builds = 0;
  uint64_t manifests_deleted = 0;
  uint64_t tags_moved = 0;  // an existing tag pointed at a new build
  uint64_t tags_created = 0;
  uint64_t tags_deleted = 0;   // deleted by name
  uint64_t tags_untagged = 0;  // removed with the manifest they named
  uint64_t orphans = 0;
  WriteStats written;

  void Add(const ChurnCounts& o) {
    builds += o.builds;
    manifests_deleted += o.manifests_deleted;
    tags_moved += o.tags_moved;
    tags_created += o.tags_created;
    tags_deleted += o.tags_deleted;
    tags_untagged += o.tags_untagged;
    orphans += o.orphans;
    written.Add(o.written);
  }
};

// Churns repository `churn.name`: reads it through `registry`, removes
// through `store` (the same store), writes through `disk`. `empty_config`
// is the digest of the "{}" blob. Adds what it did to *counts. Stops at
// the first error and returns it (changes made so far stay).
Status ChurnRepository(const storage::Registry& registry, storage::Store* store,
                       DiskWriter* disk, const RepoChurn& churn,
                       const Digest& empty_config, ChurnCounts* counts);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_CHURN_REPO_H_
