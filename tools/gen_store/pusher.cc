#include "tools/gen_store/pusher.h"

#include "storage/layout.h"
#include "util/content_hash.h"

namespace regsweep::gen_store {
namespace {

namespace layout = storage::layout;

constexpr std::string_view kCosignSignatureAnnotation =
    "dev.cosignproject.cosign/signature";

}  // namespace

Status Pusher::Link(const Digest& digest) {
  if (!linked_.insert(digest).second) return Status::OK();
  return disk_->WriteLink(layout::LayerLinkPath(repository_, digest), digest,
                          time_);
}

Status Pusher::PutBlob(const std::string& bytes, std::string_view media_type,
                       Descriptor* out) {
  Status s = PutUnlinkedBlob(bytes, media_type, out);
  if (!s.ok()) return s;
  return Link(out->digest);
}

Status Pusher::PutUnlinkedBlob(const std::string& bytes,
                               std::string_view media_type, Descriptor* out) {
  out->media_type = media_type;
  out->digest = Sha256Of(bytes);
  out->size = bytes.size();
  ++stats_->blobs;
  stats_->bytes += bytes.size();
  return disk_->WriteBlob(out->digest, bytes, time_);
}

Status Pusher::PutManifest(const std::string& bytes,
                           std::string_view media_type, bool linked,
                           Descriptor* out) {
  Status s = PutUnlinkedBlob(bytes, media_type, out);
  if (!s.ok()) return s;
  ++stats_->manifests;
  if (!linked) {
    return disk_->MakeDirs(layout::RevisionDir(repository_, out->digest));
  }
  return disk_->WriteLink(layout::RevisionLinkPath(repository_, out->digest),
                          out->digest, time_);
}

Status Pusher::PutImage(Format format, const ConfigInput& config,
                        const std::vector<Descriptor>& layers, bool linked,
                        Descriptor* out) {
  for (const Descriptor& layer : layers) {
    Status s = Link(layer.digest);
    if (!s.ok()) return s;
  }
  Descriptor config_descriptor;
  Status s = PutBlob(ImageConfigJson(config), ConfigMediaType(format),
                     &config_descriptor);
  if (!s.ok()) return s;
  return PutManifest(ImageManifestJson(format, config_descriptor, layers),
                     ManifestMediaType(format), linked, out);
}

Status Pusher::PutReferrer(bool signature, const Descriptor& subject,
                           const Digest& empty_config, int64_t created,
                           uint64_t stream) {
  Descriptor config;
  config.media_type = media_type::kOciEmpty;
  config.digest = empty_config;
  config.size = kEmptyJson.size();
  Status s = Link(empty_config);
  if (!s.ok()) return s;

  Descriptor layer;
  s = signature
          ? PutBlob(SignaturePayloadJson(repository_, subject.digest),
                    media_type::kCosignSimpleSigning, &layer)
          : PutBlob(SbomJson(repository_, subject.digest, created, stream),
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
      layer, subject_descriptor, created + 60);
  Descriptor ignored;
  return PutManifest(manifest, media_type::kOciManifest, true, &ignored);
}

Status Pusher::MoveTag(std::string_view tag, const Digest& digest) {
  Status s = disk_->WriteLink(
      layout::TagIndexLinkPath(repository_, tag, digest), digest, time_);
  if (!s.ok()) return s;
  return disk_->WriteLink(layout::TagCurrentLinkPath(repository_, tag), digest,
                          time_);
}

}  // namespace regsweep::gen_store
