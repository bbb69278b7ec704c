#include "tools/gen_store/repo_writer.h"

#include <string>
#include <unordered_set>

#include "storage/layout.h"
#include "tools/gen_store/content.h"
#include "tools/gen_store/random.h"
#include "util/content_hash.h"

namespace regsweep::gen_store {
namespace {

namespace layout = storage::layout;

// Salts of the random streams a build draws from (see RepoWriter::Stream).
constexpr uint64_t kConfigSalt = 0x100;  // + image index
constexpr uint64_t kSchema1Salt = 0x200;
constexpr uint64_t kReferrerSalt = 0x300;
constexpr uint64_t kRepositorySalt = 0x7265706f;  // "repo"

constexpr std::string_view kCosignSignatureAnnotation =
    "dev.cosignproject.cosign/signature";

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
        stats_(stats) {}

  Status Write();

 private:
  Status WriteBuild(uint32_t b, Descriptor* top);
  Status WriteImage(const BuildPlan& build, uint32_t b, size_t i, bool linked,
                    Descriptor* out);
  Status WriteSchema1(const BuildPlan& build, uint32_t b, Descriptor* out);
  Status WriteReferrer(const BuildPlan& build, uint32_t b,
                       const Descriptor& subject);
  Status WriteTags(const std::vector<Descriptor>& tops);
  Status WriteUploads();

  // A manifest blob and its revision link; a manifest deleted through the
  // API keeps only its revision directory (registry 2.8 removes the link
  // file, not the directory).
  Status PutManifest(const std::string& bytes, std::string_view media_type,
                     bool linked, Descriptor* out);
  // A non-layer blob (config, referrer layer) and its _layers link.
  Status PutBlob(const std::string& bytes, std::string_view media_type,
                 Descriptor* out);
  // Links an already written blob into _layers, once per repository.
  Status LinkLayer(uint32_t layer_id, std::string_view media_type,
                   Descriptor* out);
  Status LinkOnce(const Digest& digest);
  Status WriteBlobCounted(const Digest& digest, const std::string& bytes);

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
  WriteStats* const stats_;
  std::unordered_set<Digest> linked_;
  // The time of the push being written: of every blob and link it adds.
  int64_t time_ = kWriteTime;
};

Status RepoWriter::Write() {
  std::vector<Descriptor> tops(repo_.builds.size());
  for (uint32_t b = 0; b < repo_.builds.size(); ++b) {
    time_ = timeline_.Push(repo_index_, b);
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
    Descriptor ignored;
    time_ = timeline_.Layer(id);  // linked when its upload ended
    s = LinkLayer(id, media_type::kDockerLayer, &ignored);
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
      s = PutManifest(IndexJson(build.format, children),
                      IndexMediaType(build.format), !build.deleted, top);
    }
  }
  if (!s.ok() || build.referrer == ReferrerKind::kNone) return s;
  time_ = timeline_.ReferrerPush(repo_index_, b);
  return WriteReferrer(build, b, *top);
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
    Status s = LinkLayer(id, LayerMediaType(build.format), &layers[l]);
    if (!s.ok()) return s;
    config.diff_ids.push_back(DiffId(plan_.seed, id));
    config.roles.push_back(plan_.layers[id]);
  }
  Descriptor config_descriptor;
  Status s = PutBlob(ImageConfigJson(config), ConfigMediaType(build.format),
                     &config_descriptor);
  if (!s.ok()) return s;
  return PutManifest(ImageManifestJson(build.format, config_descriptor, layers),
                     ManifestMediaType(build.format), linked, out);
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
    Descriptor layer;
    Status s = LinkLayer(id, media_type::kDockerLayer, &layer);
    if (!s.ok()) return s;
    input.layers.push_back(layer.digest);
  }
  return PutManifest(Schema1ManifestJson(input), media_type::kSchema1,
                     !build.deleted, out);
}

// A cosign signature or an SBOM attached to the build's top manifest.
// Pushed by digest: revision-linked, never tagged.
Status RepoWriter::WriteReferrer(const BuildPlan& build, uint32_t b,
                                 const Descriptor& subject) {
  const uint64_t stream = Stream(b, kReferrerSalt);
  Descriptor config;
  config.media_type = media_type::kOciEmpty;
  config.digest = empty_config_;
  config.size = kEmptyJson.size();
  Status s = LinkOnce(empty_config_);
  if (!s.ok()) return s;

  const bool signature = build.referrer == ReferrerKind::kSignature;
  Descriptor layer;
  s = signature
          ? PutBlob(SignaturePayloadJson(name_, subject.digest),
                    media_type::kCosignSimpleSigning, &layer)
          : PutBlob(SbomJson(name_, subject.digest, build.pushed_at, stream),
                    media_type::kSpdx, &layer);
  if (!s.ok()) return s;
  if (signature) {
    layer.annotations.emplace_back(kCosignSignatureAnnotation,
                                   SignatureAnnotation(stream));
  }
  Descriptor subject_descriptor;
  subject_descriptor.media_type = subject.media_type;
  subject_descriptor.digest = subject.digest;
  subject_descriptor.size = subject.size;
  const std::string manifest = ReferrerManifestJson(
      signature ? media_type::kCosignSignature : media_type::kSpdx, config,
      layer, subject_descriptor, build.pushed_at + 60);
  Descriptor ignored;
  return PutManifest(manifest, media_type::kOciManifest, true, &ignored);
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

Status RepoWriter::PutManifest(const std::string& bytes,
                               std::string_view media_type, bool linked,
                               Descriptor* out) {
  out->media_type = media_type;
  out->digest = Sha256Of(bytes);
  out->size = bytes.size();
  Status s = WriteBlobCounted(out->digest, bytes);
  if (!s.ok()) return s;
  ++stats_->manifests;
  if (!linked) return disk_->MakeDirs(layout::RevisionDir(name_, out->digest));
  return disk_->WriteLink(layout::RevisionLinkPath(name_, out->digest),
                          out->digest, time_);
}

Status RepoWriter::PutBlob(const std::string& bytes,
                           std::string_view media_type, Descriptor* out) {
  out->media_type = media_type;
  out->digest = Sha256Of(bytes);
  out->size = bytes.size();
  Status s = WriteBlobCounted(out->digest, bytes);
  if (!s.ok()) return s;
  return LinkOnce(out->digest);
}

Status RepoWriter::LinkLayer(uint32_t layer_id, std::string_view media_type,
                             Descriptor* out) {
  out->media_type = media_type;
  out->digest = layers_.digest[layer_id];
  out->size = layers_.size[layer_id];
  return LinkOnce(out->digest);
}

Status RepoWriter::LinkOnce(const Digest& digest) {
  if (!linked_.insert(digest).second) return Status::OK();
  return disk_->WriteLink(layout::LayerLinkPath(name_, digest), digest, time_);
}

Status RepoWriter::WriteBlobCounted(const Digest& digest,
                                    const std::string& bytes) {
  ++stats_->blobs;
  stats_->bytes += bytes.size();
  return disk_->WriteBlob(digest, bytes, time_);
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
