#include "tools/gen_store/repo_writer.h"

#include <string>

#include "storage/layout.h"
#include "tools/gen_store/content.h"
#include "tools/gen_store/random.h"

namespace regsweep::gen_store {
namespace {

namespace layout = storage::layout;

// Salts of the random streams a build draws from (see RepoWriter::Stream).
constexpr uint64_t kConfigSalt = 0x100;  // + image index
constexpr uint64_t kSchema1Salt = 0x200;
constexpr uint64_t kReferrerSalt = 0x300;
constexpr uint64_t kRepositorySalt = 0x7265706f;  // "repo"

class RepoWriter {
 public:
  RepoWriter(const Plan& plan, size_t repo_index, const LayerTable& layers,
             const Digest& empty_config, const Timeline& timeline,
             DiskWriter* disk, WriteStats* stats)
      : plan_(plan),
        repo_index_(repo_index),
        repo_(plan.repos[repo_index]),
        name_(repo_.name),
        repo_stream_(Mix(plan.seed ^ kRepositorySalt, repo_index)),
        layers_(layers),
        empty_config_(empty_config),
        timeline_(timeline),
        disk_(disk),
        push_(disk, repo_.name, stats) {}

  Status Write();

 private:
  Status WriteBuild(uint32_t b, Descriptor* top);
  Status WriteImage(const BuildPlan& build, uint32_t b, size_t i, bool linked,
                    Descriptor* out);
  Status WriteSchema1(const BuildPlan& build, uint32_t b, Descriptor* out);
  Status WriteTags(const std::vector<Descriptor>& tops);
  Status WriteUploads();

  // An already written layer blob, as a manifest names it.
  Descriptor LayerDescriptor(uint32_t layer_id,
                             std::string_view media_type) const;
  // The time of the push being written: of every blob and link it adds.
  void SetTime(int64_t time) { push_.set_time(time); }

  uint64_t Stream(uint32_t build, uint64_t salt) const {
    return Mix(Mix(repo_stream_, build), salt);
  }

  const Plan& plan_;
  const size_t repo_index_;
  const RepoPlan& repo_;
  const std::string& name_;
  const uint64_t repo_stream_;
  const LayerTable& layers_;
  const Digest& empty_config_;
  const Timeline& timeline_;
  DiskWriter* const disk_;
  Pusher push_;
};

Status RepoWriter::Write() {
  std::vector<Descriptor> tops(repo_.builds.size());
  for (uint32_t b = 0; b < repo_.builds.size(); ++b) {
    SetTime(timeline_.Push(repo_index_, b));
    Status s = WriteBuild(b, &tops[b]);
    if (!s.ok()) return s;
    if (repo_.builds[b].deleted) {  // its revision link went then
      disk_->NoteChange(layout::RevisionDir(name_, tops[b].digest),
                         timeline_.Deletion(repo_index_, b));
    }
  }
  Status s = WriteTags(tops);
  if (!s.ok()) return s;
  for (uint32_t id : repo_.orphan_links) {
    SetTime(timeline_.Layer(id));  // linked when its upload ended
    s = push_.Link(layers_.digest[id]);
    if (!s.ok()) return s;
  }
  return WriteUploads();
}

Status RepoWriter::WriteBuild(uint32_t b, Descriptor* top) {
  const BuildPlan& build = repo_.builds[b];
  if (build.format == Format::kSchema1) return WriteSchema1(build, b, top);
  Status s;
  if (!build.is_index()) {
    s = WriteImage(build, b, 0, !build.deleted, top);
  } else {
    // Children are pushed by digest (revision-linked, never tagged), then
    // the index by tag; deleting the index leaves the children.
    std::vector<Descriptor> children(build.images.size());
    for (size_t i = 0; s.ok() && i < build.images.size(); ++i) {
      s = WriteImage(build, b, i, true, &children[i]);
      children[i].platform = &kPlatforms[build.images[i].platform];
    }
    if (s.ok()) {
      s = push_.PutManifest(IndexJson(build.format, children),
                            IndexMediaType(build.format), !build.deleted, top);
    }
  }
  if (!s.ok() || build.referrer == ReferrerKind::kNone) return s;
  SetTime(timeline_.ReferrerPush(repo_index_, b));
  return push_.PutReferrer(build.referrer == ReferrerKind::kSignature, *top,
                           empty_config_, build.pushed_at,
                           Stream(b, kReferrerSalt));
}

Status RepoWriter::WriteImage(const BuildPlan& build, uint32_t b, size_t i,
                              bool linked, Descriptor* out) {
  const ImagePlan& image = build.images[i];
  ConfigInput config;
  config.platform = &kPlatforms[image.platform];
  config.repository = name_;
  config.stream = Stream(b, kConfigSalt + i);
  config.created = build.pushed_at - static_cast<int64_t>(config.stream % 900);
  std::vector<Descriptor> layers(image.layers.size());
  for (size_t l = 0; l < image.layers.size(); ++l) {
    const uint32_t id = image.layers[l];
    layers[l] = LayerDescriptor(id, LayerMediaType(build.format));
    config.diff_ids.push_back(DiffId(plan_.seed, id));
    config.roles.push_back(plan_.layers[id]);
  }
  return push_.PutImage(build.format, config, layers, linked, out);
}

Status RepoWriter::WriteSchema1(const BuildPlan& build, uint32_t b,
                                Descriptor* out) {
  const ImagePlan& image = build.images.front();
  Schema1Input input;
  input.repository = name_;
  input.tag = build.schema1_tag;
  input.platform = &kPlatforms[image.platform];
  input.created = build.pushed_at;
  input.stream = Stream(b, kSchema1Salt);
  for (uint32_t id : image.layers) {
    Status s = push_.Link(layers_.digest[id]);
    if (!s.ok()) return s;
    input.layers.push_back(layers_.digest[id]);
  }
  return push_.PutManifest(Schema1ManifestJson(input), media_type::kSchema1,
                           !build.deleted, out);
}

Status RepoWriter::WriteTags(const std::vector<Descriptor>& tops) {
  if (repo_.ever_tagged) {
    Status s = disk_->MakeDirs(layout::TagsDir(name_));
    if (!s.ok()) return s;
    disk_->NoteChange(layout::TagsDir(name_),
                       timeline_.TagRemoval(repo_index_));
  }
  for (const TagPlan& tag : repo_.tags) {
    for (uint32_t b : tag.history) {
      const Digest& digest = tops[b].digest;
      Status s =
          disk_->WriteLink(layout::TagIndexLinkPath(name_, tag.name, digest),
                           digest, timeline_.Push(repo_index_, b));
      if (!s.ok()) return s;
    }
    // Rewritten at every move: the time of the last one.
    const Digest& current = tops[tag.current].digest;
    Status s =
        disk_->WriteLink(layout::TagCurrentLinkPath(name_, tag.name), current,
                         timeline_.Push(repo_index_, tag.current));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// An upload as the registry leaves it after POST (and perhaps a PATCH that
// never completed): the start time, the bytes so far and the hash state at
// offset 0. Backdated, startedat says the backdated start: the registry
// purges uploads by what startedat says, not by file times.
Status RepoWriter::WriteUploads() {
  const std::string state = InitialSha256State();
  for (size_t u = 0; u < repo_.uploads.size(); ++u) {
    const UploadPlan& upload = repo_.uploads[u];
    const int64_t time = timeline_.Upload(repo_index_, u);
    const int64_t started = timeline_.enabled() ? time : upload.started_at;
    Status s = disk_->WriteFile(layout::UploadStartedAtPath(name_, upload.id),
                                Rfc3339(started), time);
    if (s.ok()) {
      s = disk_->WriteFile(layout::UploadDataPath(name_, upload.id),
                           UploadBytes(upload.content_seed, upload.size), time);
    }
    if (s.ok()) {
      s = disk_->WriteFile(
          layout::UploadHashStatePath(name_, upload.id, "sha256", 0), state,
          time);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Descriptor RepoWriter::LayerDescriptor(uint32_t layer_id,
                                       std::string_view media_type) const {
  Descriptor d;
  d.media_type = media_type;
  d.digest = layers_.digest[layer_id];
  d.size = layers_.size[layer_id];
  return d;
}

}  // namespace

Status WriteRepository(const Plan& plan, size_t repo_index,
                       const LayerTable& layers, const Digest& empty_config,
                       const Timeline& timeline, DiskWriter* disk,
                       WriteStats* stats) {
  return RepoWriter(plan, repo_index, layers, empty_config, timeline, disk,
                    stats)
      .Write();
}

}  // namespace regsweep::gen_store
