// Repository writer: turns one repository's plan into files, the way the
// registry leaves them after the pushes, tag moves and deletions the plan
// describes.
//
// For every build it writes the configs, manifests (and index, and
// referrer) as blobs, a _layers link for each layer and config the
// repository serves, a revision link for each manifest (a deleted manifest
// keeps its revision directory without the link, as registry 2.8 leaves it),
// then the tags' current and index links, the links of linked orphans and
// the in-progress uploads. Layer blobs themselves are written beforehand,
// once for the whole store (see generator.h). Every file gets its time from
// the timeline (see timeline.h). The files of a push are written through
// a Pusher (pusher.h).
//
// Thread safety: different repositories may be written concurrently; every
// blob written here is unique to its repository (configs carry the
// repository name, manifests their config's digest).
#ifndef REGSWEEP_TOOLS_GEN_STORE_REPO_WRITER_H_
#define REGSWEEP_TOOLS_GEN_STORE_REPO_WRITER_H_

#include <cstdint>
#include <vector>

#include "tools/gen_store/disk_writer.h"
#include "tools/gen_store/plan.h"
#include "tools/gen_store/pusher.h"
#include "tools/gen_store/timeline.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::gen_store {

// Digests and sizes of the layer blobs already written, by layer id.
struct LayerTable {
  std::vector<Digest> digest;
  std::vector<uint32_t> size;
};

// Writes repository `repo_index` of `plan`. `empty_config` is the digest of
// the (already written) "{}" blob that referrers use as config.
Status WriteRepository(const Plan& plan, size_t repo_index,
                       const LayerTable& layers, const Digest& empty_config,
                       const Timeline& timeline, DiskWriter* disk,
                       WriteStats* stats);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_REPO_WRITER_H_
