#include "tools/gen_store/churn_repo.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "storage/layout.h"
#include "tools/gen_store/content.h"
#include "tools/gen_store/manifest_scan.h"
#include "tools/gen_store/random.h"

namespace regsweep::gen_store {
namespace {

namespace layout = storage::layout;

constexpr std::string_view kLatest = "latest";
// 2025-01-01T00:00:00Z: churned builds are made in the week after it, after
// every generated push (2023 and 2024), whatever the clock says.
constexpr int64_t kChurnEpoch = 1735689600;
constexpr int64_t kDay = 86400;
constexpr double kPreferTagged = 0.5;  // a deletion picks a tagged manifest
constexpr double kSecondTag = 0.5;     // a push moves a second tag too
constexpr double kNewTag = 0.4;        // that tag is a new one
constexpr double kReferrer = 0.2;      // a push gets a referrer
constexpr double kSignature = 0.7;     // which is a signature, not an SBOM

bool IsTopLevelKind(ManifestKind kind) {
  return kind == ManifestKind::kImage || kind == ManifestKind::kIndex ||
         kind == ManifestKind::kSchema1;
}

class RepoChurner {
 public:
  RepoChurner(const storage::Registry& registry, storage::Store* store,
              DiskWriter* disk, const RepoChurn& churn,
              const Digest& empty_config, ChurnCounts* counts)
      : registry_(registry),
        store_(store),
        churn_(churn),
        empty_config_(empty_config),
        counts_(counts),
        push_(disk, churn.name, &counts->written),
        rng_(0) {}  // seeded by Load

  Status Run();

 private:
  Status Load();
  Status DeleteManifest();
  Digest PickManifestToDelete();
  Status PushBuild();
  Status PushManifests(Descriptor* top);
  Status PushImage(Format format, size_t platform,
                   const std::vector<Digest>& base, Descriptor* out);
  Status Tag(const std::string& tag, const Digest& digest);
  Status DeleteTag();
  Status WriteOrphans();

  // The layers of each platform of the build "latest" (or else the first
  // tag) points at, base first, and its format; empty when there is none.
  std::vector<std::vector<Digest>> CurrentBuild(Format* format) const;
  ManifestScan Scan(const Digest& digest) const;
  std::vector<std::string> TagsButLatest() const;  // sorted

  const storage::Registry& registry_;
  storage::Store* const store_;
  const RepoChurn& churn_;
  const Digest& empty_config_;
  ChurnCounts* const counts_;
  Pusher push_;
  Rng rng_;
  // Sorted, so that picks from them depend only on the store.
  std::map<std::string, Digest> tags_;        // tags with a readable link
  std::map<Digest, ManifestScan> manifests_;  // revision-linked
  uint64_t layer_seed_ = 0;
  uint64_t orphan_seed_ = 0;
  uint64_t layers_made_ = 0;
  int64_t created_ = 0;  // the time the build being pushed was made
};

Status RepoChurner::Run() {
  Status s = Load();
  if (s.ok() && churn_.delete_manifest) s = DeleteManifest();
  if (s.ok() && churn_.delete_tag) s = DeleteTag();
  const uint64_t builds = rng_.Between(1, 3);
  for (uint64_t b = 0; s.ok() && b < builds; ++b) s = PushBuild();
  if (s.ok()) s = WriteOrphans();
  return s;
}

Status RepoChurner::Load() {
  storage::RepositoryInfo info;
  Status s = registry_.ScanRepository(churn_.name, &info);
  if (!s.ok()) return s;
  for (const Digest& digest : info.layers) push_.NoteLinked(digest);
  for (const storage::TagInfo& tag : info.tags) {
    if (tag.current.status.ok()) tags_[tag.name] = tag.current.target;
  }
  for (const storage::LinkInfo& link : info.revisions) {
    if (!link.status.ok()) continue;  // deleted: a directory without a link
    std::string bytes;
    s = registry_.ReadManifestBlob(link.target, &bytes);
    manifests_[link.target] = s.ok() ? ScanManifest(bytes) : ManifestScan();
  }
  // Every round of churn on a repository finds more revision directories
  // than the last: the same seed does not replay the same changes.
  rng_ = Rng(Mix(churn_.stream, info.revisions.size()));
  layer_seed_ = rng_.Next();
  orphan_seed_ = rng_.Next();
  created_ = kChurnEpoch + static_cast<int64_t>(rng_.Below(7 * kDay));
  return Status::OK();
}

// A manifest deleted through the API.
Status RepoChurner::DeleteManifest() {
  const Digest victim = PickManifestToDelete();
  if (!victim.valid()) return Status::OK();
  std::vector<Status> results;
  store_->Delete(layout::RevisionDir(churn_.name, victim),
                 {std::string(layout::kLinkFile)}, &results);
  Status s = results.front();
  if (!s.ok()) return s;
  manifests_.erase(victim);
  ++counts_->manifests_deleted;
  for (auto it = tags_.begin(); it != tags_.end();) {
    if (it->second != victim) {
      ++it;
      continue;
    }
    s = registry_.RemoveTag(churn_.name, it->first);
    if (!s.ok()) return s;
    ++counts_->tags_untagged;
    it = tags_.erase(it);
  }
  return Status::OK();
}

Status RepoChurner::PushBuild() {
  created_ += static_cast<int64_t>(rng_.Between(600, kDay));
  Descriptor top;
  Status s = PushManifests(&top);
  if (!s.ok()) return s;
  ++counts_->builds;
  s = Tag(std::string(kLatest), top.digest);
  if (s.ok() && rng_.Chance(kSecondTag)) {
    const std::vector<std::string> others = TagsButLatest();
    const bool fresh = others.empty() || rng_.Chance(kNewTag);
    s = Tag(fresh ? "v3." + std::to_string(rng_.Below(1000))
                  : others[rng_.Below(others.size())],
            top.digest);
  }
  if (s.ok() && rng_.Chance(kReferrer)) {
    const bool signature = rng_.Chance(kSignature);
    s = push_.PutReferrer(signature, top, empty_config_, created_, rng_.Next());
  }
  return s;
}

// The images of a build on top of the current one and, for several
// platforms, the index naming them; *top is what tags point at.
Status RepoChurner::PushManifests(Descriptor* top) {
  Format format = Format::kDocker;
  std::vector<std::vector<Digest>> bases = CurrentBuild(&format);
  if (bases.empty()) bases.emplace_back();  // one platform, from scratch
  std::vector<Descriptor> images(bases.size());
  for (size_t i = 0; i < bases.size(); ++i) {
    Status s = PushImage(format, i, bases[i], &images[i]);
    if (!s.ok()) return s;
    images[i].platform = &kPlatforms[i];
  }
  if (images.size() == 1) {
    *top = images.front();
    return Status::OK();
  }
  Status s = push_.PutManifest(IndexJson(format, images),
                               IndexMediaType(format), true, top);
  if (!s.ok()) return s;
  ManifestScan& scan = manifests_[top->digest];
  scan.kind = ManifestKind::kIndex;
  scan.format = format;
  for (const Descriptor& image : images) {
    scan.children.push_back(image.digest);
  }
  return Status::OK();
}

// One platform's image: the bottom layers of `base` kept (as long as their
// blobs are there), the top one or two replaced by one or two new ones.
Status RepoChurner::PushImage(Format format, size_t platform,
                              const std::vector<Digest>& base,
                              Descriptor* out) {
  const size_t replaced = std::min<size_t>(base.size(), rng_.Between(1, 2));
  ConfigInput config;
  config.platform = &kPlatforms[platform];
  config.created = created_;
  config.repository = churn_.name;
  config.stream = rng_.Next();
  std::vector<Descriptor> layers;
  for (size_t l = 0; l + replaced < base.size(); ++l) {
    storage::BlobInfo blob;
    if (!registry_.StatBlob(base[l], &blob).ok() || !blob.has_data) break;
    Descriptor& layer = layers.emplace_back();
    layer.media_type = LayerMediaType(format);
    layer.digest = base[l];
    layer.size = blob.size;
    config.roles.push_back(LayerRole::kBase);
  }
  const uint64_t fresh = rng_.Between(1, 2);
  for (uint64_t i = 0; i < fresh; ++i) {
    Descriptor& layer = layers.emplace_back();
    Status s = push_.PutBlob(LayerBytes(layer_seed_, layers_made_++),
                             LayerMediaType(format), &layer);
    if (!s.ok()) return s;
    config.roles.push_back(LayerRole::kApp);
  }
  ManifestScan scan;
  scan.kind = ManifestKind::kImage;
  scan.format = format;
  for (size_t l = 0; l < layers.size(); ++l) {
    config.diff_ids.push_back(DiffId(config.stream, static_cast<uint32_t>(l)));
    scan.layers.push_back(layers[l].digest);
  }
  Status s = push_.PutImage(format, config, layers, true, out);
  if (s.ok()) manifests_[out->digest] = std::move(scan);
  return s;
}

Status RepoChurner::Tag(const std::string& tag, const Digest& digest) {
  const bool created = tags_.insert_or_assign(tag, digest).second;
  ++(created ? counts_->tags_created : counts_->tags_moved);
  return push_.MoveTag(tag, digest);
}

// A tag other than "latest" if there is one: people clean up version and
// branch tags, rarely "latest".
Status RepoChurner::DeleteTag() {
  if (tags_.empty()) return Status::OK();
  std::vector<std::string> candidates = TagsButLatest();
  if (candidates.empty()) candidates.push_back(tags_.begin()->first);
  const std::string tag = candidates[rng_.Below(candidates.size())];
  Status s = registry_.RemoveTag(churn_.name, tag);
  if (!s.ok()) return s;
  tags_.erase(tag);
  ++counts_->tags_deleted;
  return Status::OK();
}

// A top-level manifest (no linked index names it), half the time one a tag
// points at; invalid when there is none.
Digest RepoChurner::PickManifestToDelete() {
  std::set<Digest> children;
  for (const auto& [digest, scan] : manifests_) {
    children.insert(scan.children.begin(), scan.children.end());
  }
  std::set<Digest> tagged;
  for (const auto& [tag, digest] : tags_) tagged.insert(digest);
  std::vector<Digest> candidates, tagged_candidates;
  for (const auto& [digest, scan] : manifests_) {
    if (!IsTopLevelKind(scan.kind) || children.count(digest) > 0) continue;
    candidates.push_back(digest);
    if (tagged.count(digest) > 0) tagged_candidates.push_back(digest);
  }
  if (candidates.empty()) return Digest();
  const std::vector<Digest>& pool =
      !tagged_candidates.empty() && rng_.Chance(kPreferTagged)
          ? tagged_candidates
          : candidates;
  return pool[rng_.Below(pool.size())];
}

std::vector<std::string> RepoChurner::TagsButLatest() const {
  std::vector<std::string> names;
  for (const auto& [tag, digest] : tags_) {
    if (tag != kLatest) names.push_back(tag);
  }
  return names;
}

Status RepoChurner::WriteOrphans() {
  const uint32_t n = churn_.linked_orphans + churn_.bare_orphans;
  for (uint32_t i = 0; i < n; ++i) {
    const std::string bytes = LayerBytes(orphan_seed_, i);
    Descriptor ignored;
    Status s =
        i < churn_.linked_orphans
            ? push_.PutBlob(bytes, media_type::kDockerLayer, &ignored)
            : push_.PutUnlinkedBlob(bytes, media_type::kDockerLayer, &ignored);
    if (!s.ok()) return s;
    ++counts_->orphans;
  }
  return Status::OK();
}

std::vector<std::vector<Digest>> RepoChurner::CurrentBuild(
    Format* format) const {
  auto tag = tags_.find(std::string(kLatest));
  if (tag == tags_.end()) tag = tags_.begin();
  if (tag == tags_.end()) return {};
  const ManifestScan top = Scan(tag->second);
  // A schema1 build is rebuilt as schema2, as a current client would.
  *format = top.format == Format::kOci ? Format::kOci : Format::kDocker;
  if (IsTopLevelKind(top.kind) && top.kind != ManifestKind::kIndex) {
    return {top.layers};
  }
  std::vector<std::vector<Digest>> platforms;
  for (const Digest& child : top.children) {
    if (platforms.size() == kPlatformCount) break;
    platforms.push_back(Scan(child).layers);
  }
  return platforms;
}

ManifestScan RepoChurner::Scan(const Digest& digest) const {
  const auto it = manifests_.find(digest);
  if (it != manifests_.end()) return it->second;
  std::string bytes;
  if (!registry_.ReadManifestBlob(digest, &bytes).ok()) return ManifestScan();
  return ScanManifest(bytes);
}

}  // namespace

Status ChurnRepository(const storage::Registry& registry, storage::Store* store,
                       DiskWriter* disk, const RepoChurn& churn,
                       const Digest& empty_config, ChurnCounts* counts) {
  return RepoChurner(registry, store, disk, churn, empty_config, counts).Run();
}

}  // namespace regsweep::gen_store
