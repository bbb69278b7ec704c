#include "testutil/manifest_mutator.h"

#include <initializer_list>
#include <iterator>
#include <utility>

#include "util/content_hash.h"
#include "util/digest.h"

namespace regsweep::testing {
namespace {

void Append(std::string* out, std::initializer_list<std::string_view> pieces) {
  for (std::string_view piece : pieces) out->append(piece);
}

std::string Sha512Digest(std::string_view label) {
  return HashOf(DigestAlgorithm::kSha512, label).str();
}

// Expands a manifest template: "@{label}" becomes TestDigest(label) and
// "@512{label}" a sha512 digest of the label, so that the JSON below reads
// as written while its digests are real hashes.
std::string Expand(std::string_view tmpl) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t at = tmpl.find('@', pos);
    if (at == std::string_view::npos) break;
    bool sha512 = tmpl.substr(at).starts_with("@512{");
    size_t open = at + (sha512 ? 4 : 1);
    size_t close = tmpl.find('}', open);
    if (open >= tmpl.size() || tmpl[open] != '{' ||
        close == std::string_view::npos) {
      out.append(tmpl.substr(pos, at + 1 - pos));
      pos = at + 1;
      continue;
    }
    std::string_view label = tmpl.substr(open + 1, close - open - 1);
    out.append(tmpl.substr(pos, at - pos));
    out.append(sha512 ? Sha512Digest(label) : TestDigest(label));
    pos = close + 1;
  }
  out.append(tmpl.substr(pos));
  return out;
}

// ---------------------------------------------------------------------------
// UTF-8 and escapes, as the mutations need them (not Go-exact: the oracle
// judges whatever comes out).

// The length of the character at text[pos], not past `end`: an escape, a
// well-formed UTF-8 sequence, or one byte.
size_t CharLength(std::string_view text, size_t pos, size_t end) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  size_t length = 1;
  if (text[pos] == '\\') {
    length = (pos + 1 < end && text[pos + 1] == 'u') ? 6 : 2;
  } else if (byte(pos) >= 0xC2 && byte(pos) <= 0xF4) {
    length = byte(pos) < 0xE0 ? 2 : byte(pos) < 0xF0 ? 3 : 4;
    for (size_t i = 1; i < length; ++i) {
      if (pos + i >= end || (byte(pos + i) & 0xC0) != 0x80) return 1;
    }
  }
  return pos + length > end ? end - pos : length;
}

// The code point of a well-formed UTF-8 sequence (from CharLength).
uint32_t CodePoint(std::string_view sequence) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(sequence[i]); };
  if (sequence.size() == 1) return byte(0);
  uint32_t rune = byte(0) & (0x7F >> sequence.size());
  for (size_t i = 1; i < sequence.size(); ++i) {
    rune = (rune << 6) | (byte(i) & 0x3F);
  }
  return rune;
}

void AppendUnit(uint32_t unit, bool upper, std::string* out) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  const char* digits = upper ? kUpper : kLower;
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) {
    out->push_back(digits[(unit >> shift) & 0xF]);
  }
}

// A code point as a JSON escape: \uXXXX, or a surrogate pair above U+FFFF.
void AppendEscape(uint32_t rune, bool upper, std::string* out) {
  if (rune < 0x10000) {
    AppendUnit(rune, upper, out);
    return;
  }
  rune -= 0x10000;
  AppendUnit(0xD800 + (rune >> 10), upper, out);
  AppendUnit(0xDC00 + (rune & 0x3FF), upper, out);
}

// Escapes the character `c` (from CharLength) when it is one that can be:
// an escape or a stray byte stays as written.
void AppendEscapedChar(std::string_view c, bool upper, std::string* out) {
  if (c[0] == '\\' ||
      (c.size() == 1 && static_cast<unsigned char>(c[0]) >= 0x80)) {
    out->append(c);
    return;
  }
  AppendEscape(CodePoint(c), upper, out);
}

}  // namespace

std::string TestDigest(std::string_view label) {
  return ::regsweep::Sha256Of(label).str();
}

std::string EscapeEveryChar(std::string_view text) {
  std::string out;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = CharLength(text, pos, text.size());
    AppendEscapedChar(text.substr(pos, length), /*upper=*/false, &out);
    pos += length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Seeds.

namespace {

constexpr char kSchema1Signed[] = R"json({
   "schemaVersion": 1,
   "name": "library/busybox",
   "tag": "1.36",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "@{schema1/throwaway}"
      },
      {
         "blobSum": "@{schema1/rootfs}"
      },
      {
         "blobSum": "@{schema1/throwaway}"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"sh\"],\"Image\":\"@{schema1/image}\"},\"created\":\"2023-05-19T20:19:24.3Z\",\"id\":\"3451e3d470488ab6d0618a8682b5c75d73dd9403dd78021742d31d2e55517c31\",\"os\":\"linux\",\"parent\":\"355ab4d09e62e000191f7dfbadad7dbd4b5a322badcbba06f9a1dc25b54a56ea\",\"throwaway\":true}"
      },
      {
         "v1Compatibility": "{\"id\":\"355ab4d09e62e000191f7dfbadad7dbd4b5a322badcbba06f9a1dc25b54a56ea\",\"created\":\"2023-05-19T20:19:24.1Z\",\"container_config\":{\"Cmd\":[\"/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / \"]}}"
      },
      {
         "v1Compatibility": "{\"id\":\"e0bc9dcef0baa8a8200f16b524daa7fc94a7ea84acfe9ed625525dfc9cb21554\",\"created\":\"2023-05-19T20:19:23.9Z\",\"throwaway\":true}"
      }
   ],
   "signatures": [
      {
         "header": {
            "jwk": {
               "crv": "P-256",
               "kid": "QZXN:BE3B:ABRY:4ZTW:NOSF:5YDY:ZM2P:VU3V:5MOQ:XK6E:RZHW:AXMG",
               "kty": "EC",
               "x": "1Ho0zsZGSeWAkbJQWXvaY1DE-5ofKWcgH7eiW4I_-Io",
               "y": "qpdHLaNX6wvfYBJ3E9K5NubUoqPBVQdQ8Jt4iD7ilpk"
            },
            "alg": "ES256"
         },
         "signature": "zj8ETcmR1qqBFJZkoNt6hPdgFk4tjdrByLcD6hWpx6ifJP42rqNNqgb_xgZLL5Z9TiKN9-gwmdqLTH1NXc4wzA",
         "protected": "eyJmb3JtYXRMZW5ndGgiOjM2ODUsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAyMy0wNS0xOVQyMDoxOToyNloifQ"
      }
   ]
})json";

constexpr char kDockerSchema2[] = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": "@{schema2/config}"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 29124181,
         "digest": "@{schema2/layer0}"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar",
         "size": 1718332879,
         "digest": "@{schema2/foreign}",
         "urls": [
            "https://mcr.microsoft.com/v2/windows/servercore/blobs/@{schema2/foreign}"
         ]
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 16724,
         "digest": "@{schema2/layer2}"
      }
   ]
})json";

constexpr char kDockerManifestList[] = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "@{list/amd64}",
         "platform": {"architecture": "amd64", "os": "linux"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "@{list/arm-v7}",
         "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 1161,
         "digest": "@{list/windows}",
         "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.20348.2031"}
      }
   ]
})json";

// The base image named in an annotation is informative, not a reference;
// the description has non-ASCII text for the escape mutations.
constexpr char kOciImage[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "@{oci-image/config}",
    "size": 1470
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "@{oci-image/layer0}",
      "size": 3401613
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": "@512{oci-image/layer1}",
      "size": 812
    }
  ],
  "annotations": {
    "org.opencontainers.image.base.digest": "@{oci-image/base}",
    "org.opencontainers.image.base.name": "docker.io/library/alpine:3.18",
    "org.opencontainers.image.description": "Café au lait, shipped in a 🐳 container",
    "org.opencontainers.image.created": "2023-11-02T10:11:12Z"
  }
})json";

constexpr char kOciImageWithoutMediaType[] = R"json({
  "schemaVersion": 2,
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "@{oci-bare/config}",
    "size": 1469
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "@{oci-bare/layer0}",
      "size": 3370706
    }
  ]
})json";

constexpr char kOciIndex[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "@{oci-index/amd64}",
      "size": 1239,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "digest": "@{oci-index/nested}",
      "size": 856,
      "annotations": {"org.opencontainers.image.ref.name": "arm-variants"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "@{oci-index/attestation}",
      "size": 566,
      "annotations": {
        "vnd.docker.reference.digest": "@{oci-index/amd64}",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    }
  ]
})json";

constexpr char kOciArtifactManifest[] = R"json({
  "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
  "artifactType": "application/vnd.cncf.notary.signature",
  "blobs": [
    {
      "mediaType": "application/jose+json",
      "digest": "@{artifact/jws}",
      "size": 2105
    },
    {
      "mediaType": "application/cose",
      "digest": "@{artifact/cose}",
      "size": 1898
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "@{artifact/subject}",
    "size": 1149
  },
  "annotations": {
    "io.cncf.notary.x509chain.thumbprint#S256": "[\"216fd6cb14e7300a69766bb0aa570ecffc081dce9e477aa870313f5354f1049b\"]",
    "org.opencontainers.artifact.created": "2023-03-10T09:00:00Z"
  }
})json";

// An SBOM attached to an image (OCI 1.1), with the empty config every
// tool pushes (the sha256 of "{}").
constexpr char kOciReferrer[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "artifactType": "application/spdx+json",
  "config": {
    "mediaType": "application/vnd.oci.empty.v1+json",
    "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "size": 2,
    "data": "e30="
  },
  "layers": [
    {
      "mediaType": "application/spdx+json",
      "digest": "@{referrer/sbom}",
      "size": 24718,
      "annotations": {"org.opencontainers.image.title": "sbom.spdx.json"}
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "@{referrer/subject}",
    "size": 1149
  },
  "annotations": {"org.opencontainers.image.created": "2024-02-01T08:00:00Z"}
})json";

constexpr char kOciIndexWithSubject[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "artifactType": "application/vnd.example.signatures.v1",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "@{index-subject/sig}",
      "size": 712,
      "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json"
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "digest": "@{index-subject/subject}",
    "size": 1609
  }
})json";

constexpr char kUnknownType[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.example.bundle.v1+json",
  "components": [
    {
      "name": "web",
      "descriptor": {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": "@{bundle/web}",
        "size": 1609
      }
    },
    {
      "name": "db",
      "descriptor": {
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "digest": "@{bundle/db}",
        "size": 1570
      }
    }
  ],
  "assets": {
    "charts": [
      {
        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "digest": "@{bundle/chart}",
        "size": 3652,
        "urls": ["https://charts.example.com/web-1.2.3.tgz"]
      }
    ]
  },
  "source": "registry.example.com/team/bundle@@{bundle/source}",
  "size": 4242
})json";

}  // namespace

std::vector<NamedManifest> SeedManifests() {
  return {
      {"docker-schema1-signed", Expand(kSchema1Signed)},
      {"docker-schema2", Expand(kDockerSchema2)},
      {"docker-manifest-list", Expand(kDockerManifestList)},
      {"oci-image", Expand(kOciImage)},
      {"oci-image-no-media-type", Expand(kOciImageWithoutMediaType)},
      {"oci-index", Expand(kOciIndex)},
      {"oci-artifact-manifest", Expand(kOciArtifactManifest)},
      {"oci-referrer", Expand(kOciReferrer)},
      {"oci-index-with-subject", Expand(kOciIndexWithSubject)},
      {"unknown-media-type", Expand(kUnknownType)},
  };
}

// ---------------------------------------------------------------------------
// Hostile manifests.

const char* TriggerName(Trigger trigger) {
  switch (trigger) {
    case Trigger::kInvalidUtf8:
      return "invalid-utf8";
    case Trigger::kDeepNesting:
      return "deep-nesting";
    case Trigger::kHugeFloat:
      return "huge-float";
    case Trigger::kHugeInteger:
      return "huge-integer";
    case Trigger::kLoneSurrogate:
      return "lone-surrogate";
  }
  return "?";
}

std::vector<Trigger> AllTriggers() {
  return {Trigger::kInvalidUtf8, Trigger::kDeepNesting, Trigger::kHugeFloat,
          Trigger::kHugeInteger, Trigger::kLoneSurrogate};
}

namespace {

// Nesting simdjson refuses (its limit is 1024) and Go accepts (10000).
constexpr size_t kHostileDepth = 1500;

// A member, ending in a comma, that simdjson rejects and Go reads fine.
std::string TriggerMember(Trigger trigger) {
  switch (trigger) {
    case Trigger::kInvalidUtf8:
      // Latin-1 text, as a careless tool writes it.
      return "\"annotations\": {\"org.opencontainers.image.description\": "
             "\"caf\xE9 cr\xE8me\", \"org.opencontainers.image.vendor\": "
             "\"ACME\"},\n  ";
    case Trigger::kDeepNesting:
      return "\"x-build-graph\": " + std::string(kHostileDepth, '[') +
             std::string(kHostileDepth, ']') + ",\n  ";
    case Trigger::kHugeFloat:
      return "\"x-scale\": 1e400,\n  ";
    case Trigger::kHugeInteger:
      return "\"x-build-counter\": 123456789012345678901234567890,\n  ";
    case Trigger::kLoneSurrogate:
      return "\"annotations\": {\"org.example.note\": "
             "\"half a pair: \\ud83d here\"},\n  ";
  }
  return "";
}

// `digest` with its first hex digit escaped: "sha256:\u0061bc...".
std::string EscapeFirstHexDigit(const std::string& digest) {
  size_t colon = digest.find(':');
  return digest.substr(0, colon + 1) +
         EscapeEveryChar(digest.substr(colon + 1, 1)) +
         digest.substr(colon + 2);
}

}  // namespace

HostileManifest EscapedLayerManifest(Trigger trigger) {
  HostileManifest m;
  m.name = std::string("escaped-layer+") + TriggerName(trigger);
  std::string config = TestDigest("hostile/config");
  std::string layer0 = TestDigest("hostile/layer0");
  std::string layer1 = TestDigest("hostile/layer1");
  m.references = {config, layer0, layer1};
  Append(&m.bytes, {R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  )",
                    TriggerMember(trigger), R"("config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")",
                    EscapeFirstHexDigit(config), R"(",
    "size": 1470
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")",
                    layer0, R"(",
      "size": 3401613
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")",
                    EscapeEveryChar(layer1), R"(",
      "size": 812
    }
  ]
})"});
  return m;
}

HostileManifest EscapedSubjectReferrer(Trigger trigger) {
  HostileManifest m;
  m.name = std::string("escaped-subject+") + TriggerName(trigger);
  std::string config = TestDigest("{}");
  std::string layer = TestDigest("hostile/bundle");
  std::string subject = TestDigest("hostile/subject");
  m.references = {config, layer};
  m.subjects = {subject};
  Append(&m.bytes, {R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
  )",
                    TriggerMember(trigger), R"("config": {
    "mediaType": "application/vnd.oci.empty.v1+json",
    "digest": ")",
                    config, R"(",
    "size": 2,
    "data": "e30="
  },
  "layers": [
    {
      "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
      "digest": ")",
                    layer, R"(",
      "size": 4567
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": ")",
                    EscapeEveryChar(subject), R"(",
    "size": 1149
  }
})"});
  return m;
}

HostileManifest DuplicateDigestLayer() {
  HostileManifest m;
  m.name = "duplicate-digest-member";
  std::string config = TestDigest("duplicate/config");
  std::string first = TestDigest("duplicate/first");
  std::string last = TestDigest("duplicate/last");
  m.references = {config, first, last};
  Append(&m.bytes, {R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")",
                    config, R"(",
    "size": 1470
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")",
                    first, R"(",
      "size": 3401613,
      "digest": ")",
                    last, R"("
    }
  ]
})"});
  return m;
}

HostileManifest OddCaseMembers() {
  HostileManifest m;
  m.name = "odd-case-members";
  std::string config = TestDigest("odd-case/config");
  std::string layer = TestDigest("odd-case/layer");
  std::string subject = TestDigest("odd-case/subject");
  m.references = {config, layer};
  m.subjects = {subject};
  // "Digeſt" and "ſubject" use U+017F, which Go folds to 's'.
  Append(&m.bytes, {R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "\u0043onfig": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "DIGEST": ")",
                    config, R"(",
    "size": 1470
  },
  "LAYERS": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "Dige\u017ft": ")",
                    layer, R"(",
      "size": 3401613
    }
  ],
  "ſubject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": ")",
                    subject, R"(",
    "size": 1149
  }
})"});
  return m;
}

HostileManifest ImageWithManifests() {
  HostileManifest m;
  m.name = "image-with-manifests";
  std::string config = TestDigest("image-with-manifests/config");
  std::string layer = TestDigest("image-with-manifests/layer");
  std::string child = TestDigest("image-with-manifests/child");
  m.references = {config, layer, child};
  // A client that reads this as an index (by the members present, or by a
  // mediaType it trusts less) pulls the child.
  Append(&m.bytes, {R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")",
                    config, R"(",
    "size": 1470
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")",
                    layer, R"(",
      "size": 3401613
    }
  ],
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")",
                    child, R"(",
      "size": 1239,
      "platform": {"architecture": "arm64", "os": "linux"}
    }
  ]
})"});
  return m;
}

std::vector<HostileManifest> HostileManifests() {
  std::vector<HostileManifest> all;
  for (Trigger trigger : AllTriggers()) {
    all.push_back(EscapedLayerManifest(trigger));
    all.push_back(EscapedSubjectReferrer(trigger));
  }
  all.push_back(DuplicateDigestLayer());
  all.push_back(OddCaseMembers());
  all.push_back(ImageWithManifests());
  return all;
}

// ---------------------------------------------------------------------------
// A lenient lexer: where the strings, keys, numbers and objects of a
// (possibly broken) document are, for the structure-aware mutations.

namespace {

struct StringLiteral {
  size_t begin;  // the opening quote
  size_t end;    // after the closing quote, or the end of the text
  size_t depth;  // containers open around it
  bool closed;   // has a closing quote
  bool key;      // followed by ':'

  size_t content_begin() const { return begin + 1; }
  size_t content_end() const { return closed ? end - 1 : end; }
};

struct Span {
  size_t begin;
  size_t end;
};

struct Lexed {
  std::vector<StringLiteral> strings;
  std::vector<Span> numbers;    // number-like runs outside strings
  std::vector<size_t> objects;  // each '{' outside strings
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t SkipSpace(std::string_view text, size_t pos) {
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  return pos;
}

// After the string literal opening at text[open], or the end of the text.
size_t StringEnd(std::string_view text, size_t open, bool* closed) {
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      *closed = true;
      return i + 1;
    }
  }
  *closed = false;
  return text.size();
}

size_t ScalarEnd(std::string_view text, size_t pos) {
  while (pos < text.size() &&
         std::string_view(",:{}[]\" \t\r\n").find(text[pos]) ==
             std::string_view::npos) {
    ++pos;
  }
  return pos;
}

// After the value starting at text[pos]: a string, a balanced container
// (or the end of the text when it is not closed), or a scalar.
size_t ValueEnd(std::string_view text, size_t pos) {
  if (pos >= text.size()) return pos;
  bool closed;
  if (text[pos] == '"') return StringEnd(text, pos, &closed);
  if (text[pos] != '{' && text[pos] != '[') return ScalarEnd(text, pos);
  size_t depth = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      i = StringEnd(text, i, &closed) - 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return text.size();
}

Lexed Lex(std::string_view text) {
  Lexed out;
  size_t depth = 0;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"') {
      StringLiteral s{i, 0, depth, false, false};
      s.end = StringEnd(text, i, &s.closed);
      size_t next = SkipSpace(text, s.end);
      s.key = next < text.size() && text[next] == ':';
      out.strings.push_back(s);
      i = s.end;
    } else if (c == '-' || IsDigit(c)) {
      size_t end = ScalarEnd(text, i);
      out.numbers.push_back({i, end});
      i = end;
    } else {
      if (c == '{') out.objects.push_back(i);
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && depth > 0) --depth;
      ++i;
    }
  }
  return out;
}

// The value of the member whose key is `key`, when there is one.
bool MemberValue(std::string_view text, const StringLiteral& key, Span* value) {
  size_t colon = SkipSpace(text, key.end);
  if (colon >= text.size() || text[colon] != ':') return false;
  value->begin = SkipSpace(text, colon + 1);
  value->end = ValueEnd(text, value->begin);
  return value->begin < text.size();
}

// Places between the characters of a string's content, where bytes can go
// without splitting an escape or a UTF-8 sequence.
std::vector<size_t> CharBoundaries(std::string_view text,
                                   const StringLiteral& s) {
  std::vector<size_t> out;
  size_t end = s.content_end();
  for (size_t pos = s.content_begin(); pos < end;) {
    out.push_back(pos);
    pos += CharLength(text, pos, end);
  }
  out.push_back(end);
  return out;
}

// ---------------------------------------------------------------------------
// Mutations. Each changes *text in place, or leaves it when it finds
// nothing to work on.

using Bases = std::vector<NamedManifest>;

// A string literal (a member name when keys_only), half the time one that
// looks like it holds a digest, plain or escaped.
const StringLiteral* PickString(Rng& rng, std::string_view text,
                                const Lexed& lexed, bool keys_only = false) {
  std::vector<const StringLiteral*> all;
  std::vector<const StringLiteral*> digests;
  for (const StringLiteral& s : lexed.strings) {
    if (keys_only && !s.key) continue;
    all.push_back(&s);
    std::string_view content =
        text.substr(s.content_begin(), s.content_end() - s.content_begin());
    if (content.find("sha") != std::string_view::npos ||
        content.find("\\u0073") != std::string_view::npos) {
      digests.push_back(&s);
    }
  }
  const std::vector<const StringLiteral*>& from =
      (!keys_only && !digests.empty() && rng.OneIn(2)) ? digests : all;
  if (from.empty()) return nullptr;
  return from[rng.Below(from.size())];
}

// Escapes characters of a string as \uXXXX (surrogate pairs above U+FFFF):
// all of them, about half, an eighth, or one.
void EscapeChars(Rng& rng, const Bases&, std::string* text) {
  Lexed lexed = Lex(*text);
  const StringLiteral* s = PickString(rng, *text, lexed);
  if (s == nullptr) return;
  std::vector<size_t> bounds = CharBoundaries(*text, *s);
  size_t mode = rng.Below(4);
  size_t only = rng.Below(bounds.size() - 1);
  bool upper = rng.OneIn(3);
  std::string content;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    std::string_view c =
        std::string_view(*text).substr(bounds[i], bounds[i + 1] - bounds[i]);
    bool escape = mode == 0 || (mode == 1 && rng.OneIn(2)) ||
                  (mode == 2 && rng.OneIn(8)) || (mode == 3 && i == only);
    if (escape) {
      AppendEscapedChar(c, upper, &content);
    } else {
      content.append(c);
    }
  }
  text->replace(s->content_begin(), s->content_end() - s->content_begin(),
                content);
}

// Inserts one of `pieces` into a string, between two of its characters.
void InsertIntoString(Rng& rng, std::initializer_list<std::string_view> pieces,
                      std::string* text) {
  Lexed lexed = Lex(*text);
  const StringLiteral* s = PickString(rng, *text, lexed);
  if (s == nullptr) return;
  std::vector<size_t> bounds = CharBoundaries(*text, *s);
  std::string_view piece = pieces.begin()[rng.Below(pieces.size())];
  text->insert(bounds[rng.Below(bounds.size())], piece);
}

void InsertInvalidUtf8(Rng& rng, const Bases&, std::string* text) {
  InsertIntoString(
      rng,
      {"\xFF", "\xFE", "\x80", "\xC3", "\xC0\x80", "\xE2\x82", "\xED\xA0\x80",
       "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xE9t\xE9"},
      text);
}

void InsertLoneSurrogate(Rng& rng, const Bases&, std::string* text) {
  InsertIntoString(rng,
                   {"\\ud800", "\\uDFFF", "\\ud83d", "\\ud83d\\u0041",
                    "\\udc00\\ud800", "\\ud83d\\ud83d\\ude00"},
                   text);
}

// Valid non-ASCII text, which the escape mutation then writes as \u
// escapes and surrogate pairs.
void InsertUnicode(Rng& rng, const Bases&, std::string* text) {
  InsertIntoString(rng,
                   {"\xC3\xA9", "\xC5\xBF", "\xE2\x84\xAA", "\xF0\x9F\x90\xB3",
                    "\xEF\xBB\xBF", "\xE2\x80\xA8"},
                   text);
}

// Inserts `member` (without a comma) as the first member of the object
// whose '{' is at text[brace].
void InsertMember(size_t brace, std::string_view member, std::string* text) {
  size_t next = SkipSpace(*text, brace + 1);
  bool empty = next < text->size() && (*text)[next] == '}';
  text->insert(brace + 1, std::string(member) + (empty ? "" : ", "));
}

bool InsertMemberAnywhere(Rng& rng, std::string_view member,
                          std::string* text) {
  Lexed lexed = Lex(*text);
  if (lexed.objects.empty()) return false;
  InsertMember(lexed.objects[rng.Below(lexed.objects.size())], member, text);
  return true;
}

size_t PickDepth(Rng& rng) {
  switch (rng.Below(8)) {
    case 0:
    case 1:
    case 2:
      return 1 + rng.Below(8);
    case 3:
    case 4:
      return 1000 + rng.Below(100);  // about simdjson's 1024
    case 5:
    case 6:
      return 1100 + rng.Below(2000);
    default:
      return 9990 + rng.Below(20);  // about Go's 10000
  }
}

// A fresh digest, written plainly, escaped, or as a descriptor.
std::string FreshDigestValue(Rng& rng) {
  std::string digest = TestDigest("fresh/" + std::to_string(rng.Next()));
  switch (rng.Below(3)) {
    case 0:
      return "\"" + digest + "\"";
    case 1:
      return "\"" + EscapeEveryChar(digest) + "\"";
    default:
      return R"({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
             digest + "\"}";
  }
}

// Wraps a member's value in deep arrays, objects or both, or adds a member
// holding a deeply nested value.
void DeepNest(Rng& rng, const Bases&, std::string* text) {
  size_t depth = PickDepth(rng);
  if (text->size() + depth * 8 > ManifestMutator::kMaxSize) return;
  size_t shape = rng.Below(3);  // arrays, objects, alternating
  std::string open;
  std::string close;
  for (size_t i = 0; i < depth; ++i) {
    bool array = shape == 0 || (shape == 2 && i % 2 == 0);
    open.append(array ? "[" : "{\"n\":");
    close.push_back(array ? ']' : '}');
  }
  Lexed lexed = Lex(*text);
  const StringLiteral* key = PickString(rng, *text, lexed, /*keys_only=*/true);
  Span value;
  if (rng.OneIn(2) && key != nullptr && MemberValue(*text, *key, &value)) {
    text->insert(value.end, close);
    text->insert(value.begin, open);
    return;
  }
  std::string inner = rng.OneIn(2) ? "null" : FreshDigestValue(rng);
  InsertMemberAnywhere(rng, "\"x-nest\": " + open + inner + close, text);
}

std::string HugeNumber(Rng& rng) {
  static constexpr std::string_view kHuge[] = {
      "1e400",
      "-1e400",
      "1E+999999999",
      "0.5e-400",
      "18446744073709551616",
      "18446744073709551615",
      "-9223372036854775809",
      "123456789012345678901234567890.5e10",
      "-0.0e-0",
  };
  if (rng.OneIn(3)) {
    std::string digits(20 + rng.Below(400), '7');
    digits[0] = '9';
    if (rng.OneIn(2)) digits.append(".5");
    return digits;
  }
  return std::string(kHuge[rng.Below(std::size(kHuge))]);
}

// Replaces a number with one beyond double or 64-bit range, or adds a
// member holding one.
void InsertHugeNumber(Rng& rng, const Bases&, std::string* text) {
  std::string huge = HugeNumber(rng);
  Lexed lexed = Lex(*text);
  if (!lexed.numbers.empty() && rng.OneIn(2)) {
    const Span& n = lexed.numbers[rng.Below(lexed.numbers.size())];
    text->replace(n.begin, n.end - n.begin, huge);
    return;
  }
  InsertMemberAnywhere(rng, "\"x-big\": " + huge, text);
}

// Repeats a member right after itself: with the same value, a fresh digest
// or a value of another type.
void DuplicateKey(Rng& rng, const Bases&, std::string* text) {
  Lexed lexed = Lex(*text);
  const StringLiteral* key = PickString(rng, *text, lexed, /*keys_only=*/true);
  Span value;
  if (key == nullptr || !MemberValue(*text, *key, &value)) return;
  std::string copy;
  switch (rng.Below(4)) {
    case 0:
    case 1:
      copy = text->substr(value.begin, value.end - value.begin);
      break;
    case 2:
      copy = FreshDigestValue(rng);
      break;
    default:
      copy = rng.OneIn(2) ? "null" : "[]";
      break;
  }
  std::string member =
      ", " + text->substr(key->begin, key->end - key->begin) + ": " + copy;
  text->insert(value.end, member);
}

// Rewrites a member name in another case, some 's' as U+017F and 'k' as
// U+212A (raw or escaped): the same name to Go.
void ChangeKeyCase(Rng& rng, const Bases&, std::string* text) {
  Lexed lexed = Lex(*text);
  const StringLiteral* key = PickString(rng, *text, lexed, /*keys_only=*/true);
  if (key == nullptr) return;
  std::string name;
  for (size_t pos = key->content_begin(); pos < key->content_end();) {
    size_t length = CharLength(*text, pos, key->content_end());
    char c = (*text)[pos];
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (length == 1 && lower == 's' && rng.OneIn(4)) {
      name.append(rng.OneIn(2) ? "\xC5\xBF" : "\\u017f");
    } else if (length == 1 && lower == 'k' && rng.OneIn(2)) {
      name.append(rng.OneIn(2) ? "\xE2\x84\xAA" : "\\u212A");
    } else if (length == 1 && lower >= 'a' && lower <= 'z' && rng.OneIn(2)) {
      name.push_back(static_cast<char>(c ^ 0x20));
    } else {
      name.append(*text, pos, length);
    }
    pos += length;
  }
  text->replace(key->content_begin(), key->content_end() - key->content_begin(),
                name);
}

// Replaces a member's value with one of another type, or wraps it.
void ChangeType(Rng& rng, const Bases&, std::string* text) {
  Lexed lexed = Lex(*text);
  const StringLiteral* key = PickString(rng, *text, lexed, /*keys_only=*/true);
  Span value;
  if (key == nullptr || !MemberValue(*text, *key, &value)) return;
  std::string old = text->substr(value.begin, value.end - value.begin);
  std::string replacement;
  switch (rng.Below(6)) {
    case 0:
      replacement = "null";
      break;
    case 1:
      replacement = "7";
      break;
    case 2:
      replacement = "{}";
      break;
    case 3:
      replacement = "\"x\"";
      break;
    case 4:
      replacement = "[" + old + "]";
      break;
    default:
      replacement = "{\"digest\": " + old + "}";
      break;
  }
  text->replace(value.begin, value.end - value.begin, replacement);
}

char InterestingByte(Rng& rng) {
  static constexpr char kBytes[] = "\"\\{}[],: \n0e-u\xFF\x80\xC5";
  if (rng.OneIn(4)) return static_cast<char>(rng.Below(256));
  return kBytes[rng.Below(sizeof(kBytes) - 1)];
}

void FlipBit(Rng& rng, const Bases&, std::string* text) {
  if (text->empty()) return;
  (*text)[rng.Below(text->size())] ^= static_cast<char>(1 << rng.Below(8));
}

void SetByte(Rng& rng, const Bases&, std::string* text) {
  if (text->empty()) return;
  (*text)[rng.Below(text->size())] = InterestingByte(rng);
}

void InsertBytes(Rng& rng, const Bases&, std::string* text) {
  size_t pos = rng.Below(text->size() + 1);
  size_t count = 1 + rng.Below(4);
  for (size_t i = 0; i < count; ++i) {
    text->insert(text->begin() + pos, InterestingByte(rng));
  }
}

void DeleteRange(Rng& rng, const Bases&, std::string* text) {
  if (text->empty()) return;
  size_t pos = rng.Below(text->size());
  text->erase(pos, 1 + rng.Below(16));
}

void DuplicateRange(Rng& rng, const Bases&, std::string* text) {
  if (text->empty() || text->size() > ManifestMutator::kMaxSize / 2) return;
  size_t pos = rng.Below(text->size());
  std::string range = text->substr(pos, 1 + rng.Below(64));
  text->insert(rng.Below(text->size() + 1), range);
}

void Truncate(Rng& rng, const Bases&, std::string* text) {
  text->resize(rng.Below(text->size() + 1));
}

// The head of this input and the tail of another.
void SpliceBytes(Rng& rng, const Bases& bases, std::string* text) {
  const std::string& other = bases[rng.Below(bases.size())].bytes;
  text->resize(rng.Below(text->size() + 1));
  text->append(other, rng.Below(other.size() + 1));
}

// Copies a top-level member of another input into this one's top level:
// an image gains "manifests", an index "layers", schema1 "subject".
void SpliceMember(Rng& rng, const Bases& bases, std::string* text) {
  const std::string& other = bases[rng.Below(bases.size())].bytes;
  Lexed theirs = Lex(other);
  std::vector<const StringLiteral*> root_keys;
  for (const StringLiteral& s : theirs.strings) {
    if (s.key && s.depth == 1) root_keys.push_back(&s);
  }
  Lexed ours = Lex(*text);
  if (root_keys.empty() || ours.objects.empty()) return;
  const StringLiteral* key = root_keys[rng.Below(root_keys.size())];
  Span value;
  if (!MemberValue(other, *key, &value)) return;
  InsertMember(
      ours.objects.front(),
      std::string_view(other).substr(key->begin, value.end - key->begin), text);
}

struct Mutation {
  const char* name;
  void (*apply)(Rng& rng, const Bases& bases, std::string* text);
  size_t weight;
};

// Weighted towards what gets past a parser's guard: escapes, bad strings,
// numbers and nesting, and structures that mix manifest types.
constexpr Mutation kMutations[] = {
    {"escape-chars", EscapeChars, 8},
    {"invalid-utf8", InsertInvalidUtf8, 3},
    {"lone-surrogate", InsertLoneSurrogate, 2},
    {"unicode", InsertUnicode, 2},
    {"deep-nest", DeepNest, 2},
    {"huge-number", InsertHugeNumber, 3},
    {"duplicate-key", DuplicateKey, 3},
    {"key-case", ChangeKeyCase, 3},
    {"change-type", ChangeType, 2},
    {"flip-bit", FlipBit, 2},
    {"set-byte", SetByte, 1},
    {"insert-bytes", InsertBytes, 2},
    {"delete-range", DeleteRange, 2},
    {"duplicate-range", DuplicateRange, 1},
    {"truncate", Truncate, 2},
    {"splice-bytes", SpliceBytes, 1},
    {"splice-member", SpliceMember, 4},
};

const Mutation& PickMutation(Rng& rng) {
  size_t total = 0;
  for (const Mutation& m : kMutations) total += m.weight;
  size_t pick = rng.Below(total);
  for (const Mutation& m : kMutations) {
    if (pick < m.weight) return m;
    pick -= m.weight;
  }
  return kMutations[0];
}

}  // namespace

ManifestMutator::ManifestMutator(uint64_t seed)
    : rng_(seed), seeds_(SeedManifests()) {
  for (HostileManifest& h : HostileManifests()) {
    hostile_.push_back({std::move(h.name), std::move(h.bytes)});
  }
}

std::string ManifestMutator::Next() {
  // Mostly realistic manifests, often enough the hostile ones; splices
  // draw from both.
  const std::vector<NamedManifest>& from = rng_.OneIn(3) ? hostile_ : seeds_;
  const NamedManifest& base = from[rng_.Below(from.size())];
  std::string text = base.bytes;
  recipe_ = base.name;
  size_t count = rng_.OneIn(16) ? 0 : 1 + rng_.Below(4);
  const std::vector<NamedManifest>& splice_from =
      rng_.OneIn(2) ? hostile_ : seeds_;
  for (size_t i = 0; i < count; ++i) {
    const Mutation& m = PickMutation(rng_);
    if (text.size() > kMaxSize) break;
    m.apply(rng_, splice_from, &text);
    Append(&recipe_, {" | ", m.name});
  }
  return text;
}

}  // namespace regsweep::testing
