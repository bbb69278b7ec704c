// Plan: the logical shape of a generated store, decided before a byte is
// written: which repositories exist, what each build pushed (format,
// platforms, layer ids), which tags moved where, what was deleted, which
// blobs are orphans and which uploads are in flight.
//
// A plan names layers by id and builds by index; digests only exist once the
// content is rendered (content.h) and written (repo_writer.h). All randomness
// of the shape lives here, drawn in one fixed order from the seed, so the
// same options give the same plan however many threads later write it.
#ifndef REGSWEEP_TOOLS_GEN_STORE_PLAN_H_
#define REGSWEEP_TOOLS_GEN_STORE_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/gen_store/options.h"

namespace regsweep::gen_store {

enum class Format : uint8_t {
  kSchema1,  // Docker schema1, stored unsigned as the registry stores it
  kDocker,   // Docker schema2 manifest / manifest list
  kOci,      // OCI image manifest / image index
};

enum class ReferrerKind : uint8_t { kNone, kSignature, kSbom };

// Where a layer comes from; decides its history line in the image config.
enum class LayerRole : uint8_t { kBase, kDeps, kApp, kOrphan };

struct Platform {
  const char* architecture;
  const char* os;
  const char* variant;  // "" when none
};
inline constexpr Platform kPlatforms[] = {
    {"amd64", "linux", ""}, {"arm64", "linux", "v8"}, {"arm", "linux", "v7"}};
inline constexpr uint8_t kPlatformCount = 3;

// One image manifest: a single-platform build or one child of an index.
struct ImagePlan {
  uint8_t platform = 0;          // index into kPlatforms
  std::vector<uint32_t> layers;  // layer ids, base first
};

struct BuildPlan {
  Format format = Format::kDocker;
  std::vector<ImagePlan> images;  // one image, or 2-3 children of an index
  bool is_index() const { return images.size() > 1; }
  ReferrerKind referrer = ReferrerKind::kNone;
  bool deleted = false;     // deleted by digest through the API after its push
  uint32_t deleted_after = 0;  // if deleted: the build whose push preceded it
  int64_t pushed_at = 0;    // Unix seconds
  std::string schema1_tag;  // the tag a schema1 manifest names inside it
};

// A tag alive at the end: what it points at now and every build it pointed
// at since it was (re)created, as its index/ directory records them.
struct TagPlan {
  std::string name;
  uint32_t current = 0;           // build index
  std::vector<uint32_t> history;  // build indexes, first push first
};

struct UploadPlan {
  std::string id;  // a UUID, as the registry names upload directories
  uint32_t size = 0;
  int64_t started_at = 0;
  uint64_t content_seed = 0;
};

struct RepoPlan {
  std::string name;
  std::vector<BuildPlan> builds;
  std::vector<TagPlan> tags;
  bool ever_tagged = false;  // _manifests/tags/ exists, even if now empty
  std::vector<uint32_t> orphan_links;  // orphan layers linked in _layers
  std::vector<uint32_t> untagged_by;   // deleted builds whose deletion
                                       // removed a tag
  std::vector<UploadPlan> uploads;
};

struct Plan {
  uint64_t seed = 0;
  std::vector<LayerRole> layers;  // by layer id; each is one blob
  std::vector<RepoPlan> repos;
};

struct PlanCounts {
  uint64_t repositories = 0;  // that have a directory (something to hold)
  uint64_t manifests = 0;     // image manifests, indexes and referrers
  uint64_t blobs = 0;         // every blob file, orphans included
};

// The plan for `options`. With options.target_blobs set, the repository
// count (or, with options.size_by_builds, the builds per repository) is
// scaled until the plan holds about that many blobs.
Plan MakePlan(const Options& options);

PlanCounts CountPlan(const Plan& plan);

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_PLAN_H_
