// Content: the bytes of every kind of blob the generator writes, shaped like
// what real clients push (docker, BuildKit, cosign, syft), deterministic in
// their inputs. Nothing here touches the disk.
//
// Layers are random bytes, not tar archives: the registry never looks inside
// a layer and `skopeo copy` to a dir: destination only checks digests and
// sizes, so the config's diff_ids are random digests too.
#ifndef REGSWEEP_TOOLS_GEN_STORE_CONTENT_H_
#define REGSWEEP_TOOLS_GEN_STORE_CONTENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/gen_store/plan.h"
#include "util/digest.h"

namespace regsweep::gen_store {

namespace media_type {
inline constexpr std::string_view kSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex =
    "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig =
    "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciEmpty =
    "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kCosignSignature =
    "application/vnd.dev.cosign.artifact.sig.v1+json";
inline constexpr std::string_view kCosignSimpleSigning =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSpdx = "application/spdx+json";
}  // namespace media_type

// The empty JSON object blob OCI artifacts use as their config.
inline constexpr std::string_view kEmptyJson = "{}";

struct Descriptor {
  std::string_view media_type;
  Digest digest;
  uint64_t size = 0;
  const Platform* platform = nullptr;  // index entries only
  std::vector<std::pair<std::string, std::string>> annotations;
};

// The media types a build of `format` uses.
std::string_view ManifestMediaType(Format format);
std::string_view IndexMediaType(Format format);
std::string_view ConfigMediaType(Format format);
std::string_view LayerMediaType(Format format);

// A layer's bytes and its (random) uncompressed digest, from (seed, id).
// Sizes are skewed: mostly a few hundred bytes to 4 KiB, a few up to 16 KiB.
std::string LayerBytes(uint64_t seed, uint32_t layer_id);
std::string DiffId(uint64_t seed, uint32_t layer_id);

// "2024-03-01T12:00:00Z", or with nanoseconds when `nanos` is given.
std::string Rfc3339(int64_t unix_seconds);
std::string Rfc3339Nanos(int64_t unix_seconds, uint32_t nanos);

struct ConfigInput {
  const Platform* platform = nullptr;
  int64_t created = 0;
  std::string_view repository;
  uint64_t stream = 0;  // seeds the random parts (revision, timestamps)
  std::vector<std::string> diff_ids;  // base first
  std::vector<LayerRole> roles;       // same length as diff_ids
};
// An image config (docker and OCI share the format), compact as docker and
// BuildKit write it.
std::string ImageConfigJson(const ConfigInput& input);

// A schema2 or OCI image manifest.
std::string ImageManifestJson(Format format, const Descriptor& config,
                              const std::vector<Descriptor>& layers);
// A Docker manifest list or OCI image index; children carry platforms.
std::string IndexJson(Format format, const std::vector<Descriptor>& children);

struct Schema1Input {
  std::string_view repository;
  std::string_view tag;
  const Platform* platform = nullptr;
  int64_t created = 0;
  uint64_t stream = 0;
  std::vector<Digest> layers;  // base first
};
// A schema1 manifest as the registry stores it: the canonical payload
// without signatures (the registry signs it again on every GET).
std::string Schema1ManifestJson(const Schema1Input& input);

// An OCI 1.1 referrer: an image manifest with artifactType, the empty
// config, one layer and `subject`.
std::string ReferrerManifestJson(std::string_view artifact_type,
                                 const Descriptor& config,
                                 const Descriptor& layer,
                                 const Descriptor& subject, int64_t created);
// A cosign simple-signing payload for `subject`.
std::string SignaturePayloadJson(std::string_view repository,
                                 const Digest& subject);
// A random base64 signature, as cosign puts in the layer's annotations.
std::string SignatureAnnotation(uint64_t stream);
// A small SPDX document describing `subject`.
std::string SbomJson(std::string_view repository, const Digest& subject,
                     int64_t created, uint64_t stream);

// The contents of an upload: random bytes, and the hash state the registry
// stores at offset 0 (Go's crypto/sha256 MarshalBinary of a fresh hash).
std::string UploadBytes(uint64_t stream, uint32_t size);
std::string InitialSha256State();

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_CONTENT_H_
