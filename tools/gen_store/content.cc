#include "tools/gen_store/content.h"

#include <openssl/evp.h>

#include <cmath>
#include <ctime>

#include "tools/gen_store/random.h"
#include "util/json_writer.h"

namespace regsweep::gen_store {
namespace {

// Indentation of the clients whose manifests we imitate: the docker engine
// uses json.MarshalIndent with three spaces, BuildKit two, cosign none.
constexpr int kDockerIndent = 3;
constexpr int kBuildKitIndent = 2;

// Salts that separate the random streams drawn from one (seed, id).
constexpr uint64_t kLayerSalt = 0x6c61796572;   // "layer"
constexpr uint64_t kDiffIdSalt = 0x6469666669;  // "diffi"

// A writer of JSON as Go's encoding/json writes it: `indent` spaces as
// json.MarshalIndent, or compact as json.Marshal; either way with '<', '>'
// and '&' escaped (docker's config history holds "&&").
JsonWriter GoJson(int indent = 0) {
  JsonWriter w(indent);
  w.SetEscapeHtml(true);
  return w;
}

std::string RandomHex(Rng* rng, size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(length, '0');
  for (char& c : hex) c = kHex[rng->Below(16)];
  return hex;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IsDockerStyle(Format format) { return format != Format::kOci; }

// Docker's distribution.Descriptor orders mediaType, size, digest; the OCI
// specs.Descriptor orders mediaType, digest, size.
void WriteDescriptor(JsonWriter* w, const Descriptor& d, bool docker_order) {
  w->BeginObject();
  w->Field("mediaType", d.media_type);
  if (docker_order) {
    w->FieldUint("size", d.size);
    w->Field("digest", d.digest.str());
  } else {
    w->Field("digest", d.digest.str());
    w->FieldUint("size", d.size);
  }
  if (!d.annotations.empty()) {
    w->Key("annotations");
    w->BeginObject();
    for (const auto& [key, value] : d.annotations) w->Field(key, value);
    w->EndObject();
  }
  if (d.platform != nullptr) {
    w->Key("platform");
    w->BeginObject();
    w->Field("architecture", d.platform->architecture);
    w->Field("os", d.platform->os);
    if (*d.platform->variant != '\0') w->Field("variant", d.platform->variant);
    w->EndObject();
  }
  w->EndObject();
}

std::string_view CreatedBy(LayerRole role, size_t index) {
  switch (role) {
    case LayerRole::kBase:
      return index == 0 ? "/bin/sh -c #(nop) ADD file:rootfs.tar.xz in / "
                        : "/bin/sh -c apt-get update && apt-get install -y "
                          "--no-install-recommends ca-certificates && rm -rf "
                          "/var/lib/apt/lists/*";
    case LayerRole::kDeps:
      return "RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt "
             "# buildkit";
    case LayerRole::kApp:
    case LayerRole::kOrphan:
      break;
  }
  return "COPY . /app # buildkit";
}

void WriteConfigSection(JsonWriter* w, std::string_view repository, Rng* rng) {
  w->Key("config");
  w->BeginObject();
  w->Key("Env");
  w->BeginArray();
  w->String(
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  w->String("APP_VERSION=" + std::to_string(rng->Below(100)) + "." +
            std::to_string(rng->Below(100)));
  w->EndArray();
  w->Key("Cmd");
  w->BeginArray();
  w->String("/app/server");
  w->EndArray();
  w->Field("WorkingDir", "/app");
  w->Key("Labels");
  w->BeginObject();
  w->Field("org.opencontainers.image.revision", RandomHex(rng, 40));
  w->Field("org.opencontainers.image.source",
           "https://git.example.com/" + std::string(repository));
  w->EndObject();
  w->EndObject();
}

}  // namespace

std::string_view ManifestMediaType(Format format) {
  switch (format) {
    case Format::kSchema1:
      return media_type::kSchema1;
    case Format::kDocker:
      return media_type::kDockerManifest;
    case Format::kOci:
      break;
  }
  return media_type::kOciManifest;
}

std::string_view IndexMediaType(Format format) {
  return IsDockerStyle(format) ? media_type::kDockerList
                               : media_type::kOciIndex;
}

std::string_view ConfigMediaType(Format format) {
  return IsDockerStyle(format) ? media_type::kDockerConfig
                               : media_type::kOciConfig;
}

std::string_view LayerMediaType(Format format) {
  return IsDockerStyle(format) ? media_type::kDockerLayer
                               : media_type::kOciLayer;
}

std::string LayerBytes(uint64_t seed, uint32_t layer_id) {
  Rng rng(Mix(seed ^ kLayerSalt, layer_id));
  // Log-uniform sizes: many small layers, fewer larger ones.
  const bool large = rng.Chance(0.03);
  const double lo = large ? 4096 : 200, hi = large ? 16384 : 4096;
  const auto size = static_cast<size_t>(lo * std::pow(hi / lo, rng.Unit()));
  std::string bytes(size, '\0');
  rng.Fill(bytes.data(), bytes.size());
  return bytes;
}

std::string DiffId(uint64_t seed, uint32_t layer_id) {
  Rng rng(Mix(seed ^ kDiffIdSalt, layer_id));
  return "sha256:" + RandomHex(&rng, 64);
}

std::string Rfc3339(int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string Rfc3339Nanos(int64_t unix_seconds, uint32_t nanos) {
  std::string text = Rfc3339(unix_seconds);
  char fraction[16];
  std::snprintf(fraction, sizeof(fraction), ".%09u", nanos % 1000000000u);
  text.insert(text.size() - 1, fraction);
  return text;
}

std::string ImageConfigJson(const ConfigInput& in) {
  Rng rng(in.stream);
  const std::string created =
      Rfc3339Nanos(in.created, static_cast<uint32_t>(rng.Below(1000000000)));
  JsonWriter w = GoJson();
  w.BeginObject();
  w.Field("architecture", in.platform->architecture);
  WriteConfigSection(&w, in.repository, &rng);
  w.Field("created", created);
  w.Key("history");
  w.BeginArray();
  for (size_t i = 0; i < in.roles.size(); ++i) {
    w.BeginObject();
    w.Field("created", created);
    w.Field("created_by", CreatedBy(in.roles[i], i));
    if (in.roles[i] != LayerRole::kBase)
      w.Field("comment", "buildkit.dockerfile.v0");
    w.EndObject();
  }
  // Metadata-only instructions leave history entries without layers.
  w.BeginObject();
  w.Field("created", created);
  w.Field("created_by", "CMD [\"/app/server\"]");
  w.Field("comment", "buildkit.dockerfile.v0");
  w.Key("empty_layer");
  w.Bool(true);
  w.EndObject();
  w.EndArray();
  w.Field("os", in.platform->os);
  w.Key("rootfs");
  w.BeginObject();
  w.Field("type", "layers");
  w.Key("diff_ids");
  w.BeginArray();
  for (const std::string& diff_id : in.diff_ids) w.String(diff_id);
  w.EndArray();
  w.EndObject();
  if (*in.platform->variant != '\0') w.Field("variant", in.platform->variant);
  w.EndObject();
  return w.Take();
}

std::string ImageManifestJson(Format format, const Descriptor& config,
                              const std::vector<Descriptor>& layers) {
  const bool docker = IsDockerStyle(format);
  JsonWriter w = GoJson(docker ? kDockerIndent : kBuildKitIndent);
  w.BeginObject();
  w.FieldInt("schemaVersion", 2);
  w.Field("mediaType", ManifestMediaType(format));
  w.Key("config");
  WriteDescriptor(&w, config, docker);
  w.Key("layers");
  w.BeginArray();
  for (const Descriptor& layer : layers) WriteDescriptor(&w, layer, docker);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string IndexJson(Format format, const std::vector<Descriptor>& children) {
  const bool docker = IsDockerStyle(format);
  JsonWriter w = GoJson(docker ? kDockerIndent : kBuildKitIndent);
  w.BeginObject();
  w.FieldInt("schemaVersion", 2);
  w.Field("mediaType", IndexMediaType(format));
  w.Key("manifests");
  w.BeginArray();
  for (const Descriptor& child : children) WriteDescriptor(&w, child, docker);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string Schema1ManifestJson(const Schema1Input& in) {
  Rng rng(in.stream);
  const size_t n = in.layers.size();
  // v1 image ids chain from the base: ids[i]'s parent is ids[i-1].
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(RandomHex(&rng, 64));
  JsonWriter w = GoJson(kDockerIndent);
  w.BeginObject();
  w.FieldInt("schemaVersion", 1);
  w.Field("name", in.repository);
  w.Field("tag", in.tag);
  w.Field("architecture", in.platform->architecture);
  w.Key("fsLayers");  // top layer first
  w.BeginArray();
  for (size_t i = n; i-- > 0;) {
    w.BeginObject();
    w.Field("blobSum", in.layers[i].str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("history");
  w.BeginArray();
  for (size_t i = n; i-- > 0;) {
    JsonWriter v1 = GoJson();
    v1.BeginObject();
    if (i == n - 1) {
      v1.Field("architecture", in.platform->architecture);
      WriteConfigSection(&v1, in.repository, &rng);
    }
    v1.Field("created",
             Rfc3339Nanos(in.created - static_cast<int64_t>(n - i),
                          static_cast<uint32_t>(rng.Below(1000000000))));
    v1.Field("id", ids[i]);
    if (i == n - 1) v1.Field("os", in.platform->os);
    if (i > 0) v1.Field("parent", ids[i - 1]);
    v1.EndObject();
    w.BeginObject();
    w.Field("v1Compatibility", v1.Take());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string ReferrerManifestJson(std::string_view artifact_type,
                                 const Descriptor& config,
                                 const Descriptor& layer,
                                 const Descriptor& subject, int64_t created) {
  JsonWriter w = GoJson();
  w.BeginObject();
  w.FieldInt("schemaVersion", 2);
  w.Field("mediaType", media_type::kOciManifest);
  w.Field("artifactType", artifact_type);
  w.Key("config");
  WriteDescriptor(&w, config, false);
  w.Key("layers");
  w.BeginArray();
  WriteDescriptor(&w, layer, false);
  w.EndArray();
  w.Key("subject");
  WriteDescriptor(&w, subject, false);
  w.Key("annotations");
  w.BeginObject();
  w.Field("org.opencontainers.image.created", Rfc3339(created));
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string SignaturePayloadJson(std::string_view repository,
                                 const Digest& subject) {
  JsonWriter w = GoJson();
  w.BeginObject();
  w.Key("critical");
  w.BeginObject();
  w.Key("identity");
  w.BeginObject();
  w.Field("docker-reference",
          "registry.example.com/" + std::string(repository));
  w.EndObject();
  w.Key("image");
  w.BeginObject();
  w.Field("docker-manifest-digest", subject.str());
  w.EndObject();
  w.Field("type", "cosign container image signature");
  w.EndObject();
  w.Key("optional");
  w.Null();
  w.EndObject();
  return w.Take();
}

std::string SignatureAnnotation(uint64_t stream) {
  Rng rng(stream);
  std::string der(70 + rng.Below(3), '\0');  // an ECDSA P-256 DER signature
  rng.Fill(der.data(), der.size());
  return Base64(der);
}

std::string SbomJson(std::string_view repository, const Digest& subject,
                     int64_t created, uint64_t stream) {
  Rng rng(stream);
  JsonWriter w = GoJson();
  w.BeginObject();
  w.Field("spdxVersion", "SPDX-2.3");
  w.Field("dataLicense", "CC0-1.0");
  w.Field("SPDXID", "SPDXRef-DOCUMENT");
  w.Field("name", std::string(repository) + "@" + subject.str());
  w.Field("documentNamespace",
          "https://sbom.example.com/" + RandomHex(&rng, 32));
  w.Key("creationInfo");
  w.BeginObject();
  w.Field("created", Rfc3339(created));
  w.Key("creators");
  w.BeginArray();
  w.String("Tool: syft-0.98.0");
  w.EndArray();
  w.EndObject();
  w.Key("packages");
  w.BeginArray();
  const uint64_t packages = rng.Between(3, 24);
  for (uint64_t i = 0; i < packages; ++i) {
    w.BeginObject();
    w.Field("name", "pkg-" + RandomHex(&rng, 6));
    w.Field("SPDXID", "SPDXRef-Package-" + std::to_string(i));
    w.Field("versionInfo", std::to_string(rng.Below(10)) + "." +
                               std::to_string(rng.Below(30)) + "." +
                               std::to_string(rng.Below(10)));
    w.Field("downloadLocation", "NOASSERTION");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string UploadBytes(uint64_t stream, uint32_t size) {
  Rng rng(stream);
  std::string bytes(size, '\0');
  rng.Fill(bytes.data(), bytes.size());
  return bytes;
}

std::string InitialSha256State() {
  // "sha\x03", the eight initial hash words (big-endian), an empty 64-byte
  // block buffer and a zero length: 108 bytes.
  static constexpr uint32_t kInitial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                           0xa54ff53a, 0x510e527f, 0x9b05688c,
                                           0x1f83d9ab, 0x5be0cd19};
  std::string state("sha\x03", 4);
  for (uint32_t word : kInitial) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      state.push_back(static_cast<char>((word >> shift) & 0xff));
    }
  }
  state.append(64 + 8, '\0');
  return state;
}

}  // namespace regsweep::gen_store
