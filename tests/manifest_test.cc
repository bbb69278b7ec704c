#include "gc/collection/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace regsweep::gc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kSchema1Type[] =
    "application/vnd.docker.distribution.manifest.v1+json";
constexpr char kOciManifestType[] =
    "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciIndexType[] = "application/vnd.oci.image.index.v1+json";

std::string RoleName(ReferenceRole role) {
  switch (role) {
    case ReferenceRole::kConfig:
      return "config";
    case ReferenceRole::kLayer:
      return "layer";
    case ReferenceRole::kChild:
      return "child";
    case ReferenceRole::kBlob:
      return "blob";
  }
  return "?";
}

// "layer sha256:...", "layer+urls sha256:...": one string per reference, so
// that a failure prints readably and a set of references compares exactly.
std::vector<std::string> Refs(const ParsedManifest& m) {
  std::vector<std::string> out;
  for (const Reference& r : m.references) {
    out.push_back(RoleName(r.role) + (r.has_urls ? "+urls " : " ") +
                  r.digest.str());
  }
  return out;
}

std::vector<std::string> Strings(const std::vector<Digest>& digests) {
  std::vector<std::string> out;
  for (const Digest& d : digests) out.push_back(d.str());
  return out;
}

std::string SubjectOf(const ParsedManifest& m) {
  return m.subject ? m.subject->str() : "(none)";
}

// ---------------------------------------------------------------------------
// Docker schema1.

TEST(ManifestTest, SignedSchema1) {
  // As Docker Hub served them: no mediaType, a JWS signature block, the
  // throwaway layer repeated, and history whose v1Compatibility mentions a
  // digest that is not a reference.
  constexpr char kManifest[] = R"json({
   "schemaVersion": 1,
   "name": "library/busybox",
   "tag": "1.36",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
      },
      {
         "blobSum": "sha256:55286abff5940329ba8dc0d7bfa26081d78dddbe1e3c8045c207470e79fa2d12"
      },
      {
         "blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
      },
      {
         "blobSum": "sha256:dbd3b58524eda59a8b65b7dc2e592954d7275cdaaec2c2eb2d38a2801b023718"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"sh\"],\"Image\":\"sha256:316c11cd67d00e47ae2715252653a1a5dcecc644ac23969cb5698860411ac2ba\"},\"created\":\"2023-05-19T20:19:24.3Z\",\"id\":\"3451e3d470488ab6d0618a8682b5c75d73dd9403dd78021742d31d2e55517c31\",\"os\":\"linux\",\"parent\":\"355ab4d09e62e000191f7dfbadad7dbd4b5a322badcbba06f9a1dc25b54a56ea\",\"throwaway\":true}"
      },
      {
         "v1Compatibility": "{\"id\":\"355ab4d09e62e000191f7dfbadad7dbd4b5a322badcbba06f9a1dc25b54a56ea\",\"created\":\"2023-05-19T20:19:24.1Z\",\"container_config\":{\"Cmd\":[\"/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / \"]}}"
      },
      {
         "v1Compatibility": "{\"id\":\"e0bc9dcef0baa8a8200f16b524daa7fc94a7ea84acfe9ed625525dfc9cb21554\",\"created\":\"2023-05-19T20:19:23.9Z\",\"throwaway\":true}"
      },
      {
         "v1Compatibility": "{\"id\":\"fc4236befc8f3e0973515831b6393de60631904f647f1c4b12b81885c83793eb\",\"created\":\"2023-05-19T20:19:23.5Z\"}"
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
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kSchema1);
  EXPECT_EQ(m.media_type, kSchema1Type);
  EXPECT_EQ(m.problem, "");
  EXPECT_FALSE(m.subject);
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "layer "
          "sha256:"
          "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
          "layer "
          "sha256:"
          "55286abff5940329ba8dc0d7bfa26081d78dddbe1e3c8045c207470e79fa2d12",
          "layer "
          "sha256:"
          "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
          "layer "
          "sha256:"
          "dbd3b58524eda59a8b65b7dc2e592954d7275cdaaec2c2eb2d38a2801b023718"));
}

TEST(ManifestTest, Schema1WithDeclaredMediaTypes) {
  for (std::string type :
       {"application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws"}) {
    SCOPED_TRACE(type);
    std::string manifest = R"({"schemaVersion": 1, "mediaType": ")" + type +
                           R"(", "name": "team/app", "tag": "v1",
      "fsLayers": [
        {"blobSum": "sha256:20909681c641437f8589bca7d49ed637e67de856eebfa263114b2e99ca8d684b"},
        {"blobSum": "sha256:b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b55"}
      ],
      "history": [{"v1Compatibility": "{}"}, {"v1Compatibility": "{}"}]})";
    ParsedManifest m = ParseManifest(manifest);
    EXPECT_EQ(m.kind, ManifestKind::kSchema1);
    EXPECT_EQ(m.media_type, type);
    EXPECT_EQ(m.problem, "");
    EXPECT_THAT(
        Refs(m),
        UnorderedElementsAre(
            "layer "
            "sha256:"
            "20909681c641437f8589bca7d49ed637e67de856eebfa263114b2e99ca8d684b",
            "layer "
            "sha256:"
            "b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b5"
            "5"));
  }
}

// ---------------------------------------------------------------------------
// Docker schema2 and OCI image manifests.

TEST(ManifestTest, DockerSchema2) {
  constexpr char kManifest[] = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": "sha256:efac0fd30e8272286c230b46d7d4c2f61b802934f57aa6d67c9e4e968ea106cd"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 29124181,
         "digest": "sha256:e9b95ee8355e7ff82fd5af75d791f9810c0a752859ffeca3c58397a902d5aa66"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 16724,
         "digest": "sha256:88e92c7de403574854645b6786ccb76878a72549ddfe417043246e6672e89b79"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 73109,
         "digest": "sha256:9bfaff6656db433a84063db275038c811a682ee225030a9e3bbff571c155af6c"
      }
   ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.media_type,
            "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(m.problem, "");
  EXPECT_EQ(m.artifact_type, "");
  EXPECT_FALSE(m.subject);
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha256:"
          "efac0fd30e8272286c230b46d7d4c2f61b802934f57aa6d67c9e4e968ea106cd",
          "layer "
          "sha256:"
          "e9b95ee8355e7ff82fd5af75d791f9810c0a752859ffeca3c58397a902d5aa66",
          "layer "
          "sha256:"
          "88e92c7de403574854645b6786ccb76878a72549ddfe417043246e6672e89b79",
          "layer "
          "sha256:"
          "9bfaff6656db433a84063db275038c811a682ee225030a9e3bbff571c155af6c"));
}

// The annotation names the base image by digest: informative, not a
// reference.
constexpr char kOciImageBody[] = R"json(
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:6868fe3032aeffa9f66a28d2b8c6a9039b62f4dd74ab75ab5b8e5323bc6e4875",
    "size": 1470
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:61f16a911bfc4d969682dc286a9db297b3e6ad9b9b7f4ad0c1276e087844e09c",
      "size": 3401613
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": "sha256:db0b37f5a64b2b80ef2db39f4496e511038312c43aa87b69c753777636c51086",
      "size": 812
    }
  ],
  "annotations": {
    "org.opencontainers.image.base.digest": "sha256:5f86c190b9e2f21460cad5da6b134eabeaff3d2797553b6e76bc489f12fc48f5",
    "org.opencontainers.image.base.name": "docker.io/library/alpine:3.18",
    "org.opencontainers.image.created": "2023-11-02T10:11:12Z"
  }
})json";

TEST(ManifestTest, OciImageManifest) {
  std::string manifest = std::string(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",)") +
                         kOciImageBody;
  ParsedManifest m = ParseManifest(manifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.media_type, kOciManifestType);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha256:"
          "6868fe3032aeffa9f66a28d2b8c6a9039b62f4dd74ab75ab5b8e5323bc6e4875",
          "layer "
          "sha256:"
          "61f16a911bfc4d969682dc286a9db297b3e6ad9b9b7f4ad0c1276e087844e09c",
          "layer "
          "sha256:"
          "db0b37f5a64b2b80ef2db39f4496e511038312c43aa87b69c753777636c51086"));
}

TEST(ManifestTest, OciImageManifestWithoutMediaType) {
  std::string manifest =
      std::string(R"({ "schemaVersion": 2,)") + kOciImageBody;
  ParsedManifest m = ParseManifest(manifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.media_type, kOciManifestType);  // implied
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha256:"
          "6868fe3032aeffa9f66a28d2b8c6a9039b62f4dd74ab75ab5b8e5323bc6e4875",
          "layer "
          "sha256:"
          "61f16a911bfc4d969682dc286a9db297b3e6ad9b9b7f4ad0c1276e087844e09c",
          "layer "
          "sha256:"
          "db0b37f5a64b2b80ef2db39f4496e511038312c43aa87b69c753777636c51086"));
}

TEST(ManifestTest, ForeignLayersWithUrls) {
  // A Windows image: the base layers live on mcr.microsoft.com.
  constexpr char kManifest[] = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 3105,
      "digest": "sha256:1008506b050823f8bb773da9646136a259a084b2115a30689ec00d5a4bea3fff"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar",
         "size": 1718332879,
         "digest": "sha256:4f308b8b1c2ddc1d6501272b4f42843d52d75dbaad912d34930594de162298e2",
         "urls": [
            "https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:4f308b8b1c2ddc1d6501272b4f42843d52d75dbaad912d34930594de162298e2"
         ]
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar",
         "size": 944773154,
         "digest": "sha256:562839886a75cc83f4e136063befb3187fa54530ab283958f733a2304ab41357",
         "urls": [
            "https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:562839886a75cc83f4e136063befb3187fa54530ab283958f733a2304ab41357",
            "https://mirror.example.com/servercore/562839886a75.tar"
         ]
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 1231,
         "digest": "sha256:ba3ce4e0e5871cd24f482453eb3ff993e0dc54edf15efca4d988b594f77c266e",
         "urls": []
      }
   ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha256:"
          "1008506b050823f8bb773da9646136a259a084b2115a30689ec00d5a4bea3fff",
          "layer+urls "
          "sha256:"
          "4f308b8b1c2ddc1d6501272b4f42843d52d75dbaad912d34930594de162298e2",
          "layer+urls "
          "sha256:"
          "562839886a75cc83f4e136063befb3187fa54530ab283958f733a2304ab41357",
          "layer "
          "sha256:"
          "ba3ce4e0e5871cd24f482453eb3ff993e0dc54edf15efca4d988b594f77c266e"));
}

TEST(ManifestTest, ArtifactAsImageManifestWithSubject) {
  // An SBOM attached to an image (OCI 1.1 referrer): empty config, subject.
  constexpr char kManifest[] = R"json({
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
      "digest": "sha256:45047a9e32fd122c57cd6580da359aef3967787fc3b76f3d36e371cb288e6e9a",
      "size": 24718,
      "annotations": {"org.opencontainers.image.title": "sbom.spdx.json"}
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:ce725e03293748c78910e4ba0bb3c59880c3a408f6879d22e79a0240a0675564",
    "size": 1149
  },
  "annotations": {"org.opencontainers.image.created": "2024-02-01T08:00:00Z"}
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.media_type, kOciManifestType);
  EXPECT_EQ(m.artifact_type, "application/spdx+json");
  EXPECT_EQ(m.problem, "");
  EXPECT_EQ(SubjectOf(m),
            "sha256:"
            "ce725e03293748c78910e4ba0bb3c59880c3a408f6879d22e79a0240a0675564");
  // The subject is not a reference.
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha256:"
          "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
          "layer "
          "sha256:"
          "45047a9e32fd122c57cd6580da359aef3967787fc3b76f3d36e371cb288e6e9a"));
}

TEST(ManifestTest, CosignSignatureManifest) {
  // cosign's "sha256-<hex>.sig" tag: the signed payload is a layer, the
  // signature and Rekor bundle are annotations (with hex that is no digest).
  constexpr char kManifest[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "size": 233,
    "digest": "sha256:0ff0a7f78ba993ebe3ea1d1872fbcedf46bececd059d9ce1e2fb25b64f483646"
  },
  "layers": [
    {
      "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
      "size": 241,
      "digest": "sha256:08432c6b25f2e4e4bd1b85b3278ebb91437a6c306ad8917bc05ded8cc2e8b3c4",
      "annotations": {
        "dev.cosignproject.cosign/signature": "MEUCIQDvT2lzZ3pGp3GQ8W1x0Yd5m7hF3mQ+6Xy0nZ5z1dJbAgIgQ9dK1c2n",
        "dev.sigstore.cosign/bundle": "{\"SignedEntryTimestamp\":\"MEYCIQC1\",\"Payload\":{\"body\":\"eyJhcGlWZXJzaW9uIjoiMC4wLjEifQ==\",\"integratedTime\":1700000000,\"logIndex\":48213376,\"logID\":\"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d\"}}",
        "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\nMIICnDCCAiKgAwIBAgIU\n-----END CERTIFICATE-----\n"
      }
    }
  ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.problem, "");
  EXPECT_FALSE(m.subject);
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha256:"
          "0ff0a7f78ba993ebe3ea1d1872fbcedf46bececd059d9ce1e2fb25b64f483646",
          "layer "
          "sha256:"
          "08432c6b25f2e4e4bd1b85b3278ebb91437a6c306ad8917bc05ded8cc2e8b3c4"));
}

TEST(ManifestTest, Sha512Digests) {
  constexpr char kManifest[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha512:d377b5981678352d2ddd0b1a06e877a28d030cfa60e7ec48d6992ef06b62728e488283ac4f568b9ef725a3b486e4b91af93e7f4d8fd6b312e0a1bee4f9dd2081",
    "size": 1470
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha512:e152628d6ee411147be4b2c457dd5d6bd3d5756cbed8114b04f25f774ea48ab1c99e854a28e60cb7b23b983ea106a04a980eaf1d0395c298db299fb0127d7fef",
      "size": 3401613
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:0bc5f12aca8d9fa8fe052888323c196b79773bae100908b310deea56bb09fa14",
      "size": 1024
    }
  ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "config "
          "sha512:"
          "d377b5981678352d2ddd0b1a06e877a28d030cfa60e7ec48d6992ef06b62728e4882"
          "83ac4f568b9ef725a3b486e4b91af93e7f4d8fd6b312e0a1bee4f9dd2081",
          "layer "
          "sha512:"
          "e152628d6ee411147be4b2c457dd5d6bd3d5756cbed8114b04f25f774ea48ab1c99e"
          "854a28e60cb7b23b983ea106a04a980eaf1d0395c298db299fb0127d7fef",
          "layer "
          "sha256:"
          "0bc5f12aca8d9fa8fe052888323c196b79773bae100908b310deea56bb09fa14"));
}

// ---------------------------------------------------------------------------
// The deprecated OCI artifact manifest.

TEST(ManifestTest, OciArtifactManifest) {
  // A Notation signature as notation 1.0-rc pushed it.
  constexpr char kManifest[] = R"json({
  "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
  "artifactType": "application/vnd.cncf.notary.signature",
  "blobs": [
    {
      "mediaType": "application/jose+json",
      "digest": "sha256:22f9a4fe4c27f5d68b8e686a2bd2985a7aa0fa43a62d0e28743926e6e4e2cf01",
      "size": 2105
    },
    {
      "mediaType": "application/cose",
      "digest": "sha256:6f7b91f5d409ee6a1eb721be75113a69ea825b674bf29cf3e36eb7d4071049ef",
      "size": 1898
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:1d984ac9aa16ed26d73c3006c455fea01241c5ba1c936414dbb4bc0b74ed7ce5",
    "size": 1149
  },
  "annotations": {
    "io.cncf.notary.x509chain.thumbprint#S256": "[\"216fd6cb14e7300a69766bb0aa570ecffc081dce9e477aa870313f5354f1049b\"]",
    "org.opencontainers.artifact.created": "2023-03-10T09:00:00Z"
  }
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.media_type, "application/vnd.oci.artifact.manifest.v1+json");
  EXPECT_EQ(m.artifact_type, "application/vnd.cncf.notary.signature");
  EXPECT_EQ(m.problem, "");
  EXPECT_EQ(SubjectOf(m),
            "sha256:"
            "1d984ac9aa16ed26d73c3006c455fea01241c5ba1c936414dbb4bc0b74ed7ce5");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "blob "
          "sha256:"
          "22f9a4fe4c27f5d68b8e686a2bd2985a7aa0fa43a62d0e28743926e6e4e2cf01",
          "blob "
          "sha256:"
          "6f7b91f5d409ee6a1eb721be75113a69ea825b674bf29cf3e36eb7d4071049ef"));
}

// ---------------------------------------------------------------------------
// Docker manifest lists and OCI indexes.

TEST(ManifestTest, DockerManifestList) {
  constexpr char kManifest[] = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:fed5a85c7f8ab122670395efb50eefee9012b359508bd07641a8f5dffcdd7d0f",
         "platform": {"architecture": "amd64", "os": "linux"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:c87d17dc2920317707f2b2220985baeae657df55dea4f7dc98424f91a6cc63a3",
         "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:e04ab8f0cc18a0e8ff105990b50b59575e99b845c93d026895a25b998f2fcc92",
         "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 1161,
         "digest": "sha256:9114ac06747ada5a9c08f8f7e492fd48b183f331241c0cc688f79f4c9a7d7659",
         "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.20348.2031"}
      }
   ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.media_type,
            "application/vnd.docker.distribution.manifest.list.v2+json");
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "child "
          "sha256:"
          "fed5a85c7f8ab122670395efb50eefee9012b359508bd07641a8f5dffcdd7d0f",
          "child "
          "sha256:"
          "c87d17dc2920317707f2b2220985baeae657df55dea4f7dc98424f91a6cc63a3",
          "child "
          "sha256:"
          "e04ab8f0cc18a0e8ff105990b50b59575e99b845c93d026895a25b998f2fcc92",
          "child "
          "sha256:"
          "9114ac06747ada5a9c08f8f7e492fd48b183f331241c0cc688f79f4c9a7d7659"));
}

TEST(ManifestTest, NestedOciIndexWithAttestation) {
  // A buildx index: an image, a nested index, and an attestation manifest
  // whose annotation repeats the image's digest (not a second reference).
  constexpr char kManifest[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:2e62fc02bd5e37a7d3f548f3369a70464a0b14b469144aa1fd2e04b6b0662de4",
      "size": 1239,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "digest": "sha256:1d038e50d1620c3cfa97260e5ef0fbf497c7b4f32351aec59b1070e51191dec4",
      "size": 856,
      "annotations": {"org.opencontainers.image.ref.name": "arm-variants"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:b19fcf56a05c8d1aef9f9461c820ea9d568376f9b710ba83b137f4d77c4d03ef",
      "size": 566,
      "annotations": {
        "vnd.docker.reference.digest": "sha256:2e62fc02bd5e37a7d3f548f3369a70464a0b14b469144aa1fd2e04b6b0662de4",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    }
  ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.media_type, kOciIndexType);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "child "
          "sha256:"
          "2e62fc02bd5e37a7d3f548f3369a70464a0b14b469144aa1fd2e04b6b0662de4",
          "child "
          "sha256:"
          "1d038e50d1620c3cfa97260e5ef0fbf497c7b4f32351aec59b1070e51191dec4",
          "child "
          "sha256:"
          "b19fcf56a05c8d1aef9f9461c820ea9d568376f9b710ba83b137f4d77c4d03ef"));
}

TEST(ManifestTest, IndexWithSubjectAndArtifactType) {
  constexpr char kManifest[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "artifactType": "application/vnd.example.signatures.v1",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:394f4c1621bd924e799684b1759b5f8c838453d1c192d041c081e7705b350f21",
      "size": 712,
      "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json"
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "digest": "sha256:00185349ce138321b4cc3751e2a1184166e853b66cece75ca6bb363874099a0e",
    "size": 1609
  }
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.artifact_type, "application/vnd.example.signatures.v1");
  EXPECT_EQ(m.problem, "");
  EXPECT_EQ(SubjectOf(m),
            "sha256:"
            "00185349ce138321b4cc3751e2a1184166e853b66cece75ca6bb363874099a0e");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "child "
          "sha256:"
          "394f4c1621bd924e799684b1759b5f8c838453d1c192d041c081e7705b350f21"));
}

TEST(ManifestTest, IndexWithoutMediaType) {
  constexpr char kManifest[] = R"json({
  "schemaVersion": 2,
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:202d465eb514f0c3df2f93eefe05ff30970491bed62792f42258a12759741ca8",
      "size": 1239,
      "platform": {"architecture": "s390x", "os": "linux"}
    }
  ]
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.media_type, kOciIndexType);  // implied
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "child "
          "sha256:"
          "202d465eb514f0c3df2f93eefe05ff30970491bed62792f42258a12759741ca8"));
}

TEST(ManifestTest, EmptyIndex) {
  ParsedManifest m = ParseManifest(
      R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []})");
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(Refs(m), IsEmpty());
}

// ---------------------------------------------------------------------------
// Unknown media types: every digest counts.

TEST(ManifestTest, UnknownMediaTypeWithNestedDescriptors) {
  constexpr char kManifest[] = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.example.bundle.v1+json",
  "components": [
    {
      "name": "web",
      "descriptor": {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": "sha256:55286abff5940329ba8dc0d7bfa26081d78dddbe1e3c8045c207470e79fa2d12",
        "size": 1609
      }
    },
    {
      "name": "db",
      "descriptor": {
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "digest": "sha256:dbd3b58524eda59a8b65b7dc2e592954d7275cdaaec2c2eb2d38a2801b023718",
        "size": 1570
      }
    }
  ],
  "assets": {
    "charts": [
      {
        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "digest": "sha256:316c11cd67d00e47ae2715252653a1a5dcecc644ac23969cb5698860411ac2ba",
        "size": 3652,
        "urls": ["https://charts.example.com/web-1.2.3.tgz"]
      }
    ],
    "config": {
      "mediaType": "application/vnd.example.bundle.config.v1+json",
      "digest": "sha256:3451e3d470488ab6d0618a8682b5c75d73dd9403dd78021742d31d2e55517c31",
      "size": 88
    }
  },
  "digest": "sha256:NOT-A-DIGEST",
  "checksum": "sha256:355ab4d09e62e000191f7dfbadad7dbd4b5a322badcbba06f9a1dc25b54a56ea",
  "source": "registry.example.com/team/bundle@sha256:e0bc9dcef0baa8a8200f16b524daa7fc94a7ea84acfe9ed625525dfc9cb21554",
  "size": 4242
})json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.media_type, "application/vnd.example.bundle.v1+json");
  EXPECT_THAT(m.problem, HasSubstr("unknown media type"));
  EXPECT_TRUE(m.unknown_media_type);
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "child "
          "sha256:"
          "55286abff5940329ba8dc0d7bfa26081d78dddbe1e3c8045c207470e79fa2d12",
          "child "
          "sha256:"
          "dbd3b58524eda59a8b65b7dc2e592954d7275cdaaec2c2eb2d38a2801b023718",
          "blob+urls "
          "sha256:"
          "316c11cd67d00e47ae2715252653a1a5dcecc644ac23969cb5698860411ac2ba",
          "blob "
          "sha256:"
          "3451e3d470488ab6d0618a8682b5c75d73dd9403dd78021742d31d2e55517c31",
          "blob "
          "sha256:"
          "355ab4d09e62e000191f7dfbadad7dbd4b5a322badcbba06f9a1dc25b54a56ea",
          "blob "
          "sha256:"
          "e0bc9dcef0baa8a8200f16b524daa7fc94a7ea84acfe9ed625525dfc9cb21554"));
}

TEST(ManifestTest, UnknownJsonWithoutMediaType) {
  ParsedManifest m = ParseManifest(R"({
    "schemaVersion": 2,
    "name": "team/app",
    "Digest": "sha256:fc4236befc8f3e0973515831b6393de60631904f647f1c4b12b81885c83793eb",
    "subject": {"digest": "sha256:20909681c641437f8589bca7d49ed637e67de856eebfa263114b2e99ca8d684b"}
  })");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.media_type, "");
  EXPECT_NE(m.problem, "");
  // In a document we do not understand, the subject is reported and kept.
  EXPECT_EQ(SubjectOf(m),
            "sha256:"
            "20909681c641437f8589bca7d49ed637e67de856eebfa263114b2e99ca8d684b");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "blob "
          "sha256:"
          "fc4236befc8f3e0973515831b6393de60631904f647f1c4b12b81885c83793eb",
          "blob "
          "sha256:"
          "20909681c641437f8589bca7d49ed637e67de856eebfa263114b2e99ca8d684b"));
}

TEST(ManifestTest, TopLevelArray) {
  ParsedManifest m = ParseManifest(R"([
    "sha256:b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b55",
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:efac0fd30e8272286c230b46d7d4c2f61b802934f57aa6d67c9e4e968ea106cd"}
  ])");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_THAT(m.problem, HasSubstr("not a JSON object"));
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          "blob "
          "sha256:"
          "b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b55",
          "child "
          "sha256:"
          "efac0fd30e8272286c230b46d7d4c2f61b802934f57aa6d67c9e4e968ea106cd"));
}

TEST(ManifestTest, JsonScalarIsUnknownWithNoReferences) {
  ParsedManifest m = ParseManifest("42");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_NE(m.problem, "");
  EXPECT_THAT(Refs(m), IsEmpty());
}

TEST(ManifestTest, DeeplyNestedDigests) {
  const std::string digest =
      "sha256:fc4236befc8f3e0973515831b6393de60631904f647f1c4b12b81885c83793eb";
  // Within simdjson's depth limit: the generic walk reaches the bottom.
  std::string nested = R"({"digest": ")" + digest + R"("})";
  for (int i = 0; i < 1000; ++i) nested = "[" + nested + "]";
  ParsedManifest m = ParseManifest(nested);
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_THAT(Refs(m), ElementsAre("blob " + digest));

  // Beyond it: not parsed, but the scan still finds the digest.
  for (int i = 0; i < 1000; ++i) nested = "[" + nested + "]";
  m = ParseManifest(nested);
  EXPECT_EQ(m.kind, ManifestKind::kInvalid);
  EXPECT_THAT(Refs(m), ElementsAre("blob " + digest));
}

// ---------------------------------------------------------------------------
// Known media types with a structure we cannot read: the generic walk.

constexpr char kConfigA[] =
    "sha256:e9b95ee8355e7ff82fd5af75d791f9810c0a752859ffeca3c58397a902d5aa66";
constexpr char kLayerA[] =
    "sha256:88e92c7de403574854645b6786ccb76878a72549ddfe417043246e6672e89b79";
constexpr char kLayerB[] =
    "sha256:9bfaff6656db433a84063db275038c811a682ee225030a9e3bbff571c155af6c";

// An OCI manifest whose members after schemaVersion/mediaType are `body`.
std::string OciManifest(const std::string& body) {
  return R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", )" +
         body + "}";
}

std::string ConfigMember() {
  return std::string(
             R"("config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")") +
         kConfigA + R"(", "size": 1469})";
}

std::string Layer(const char* digest) {
  return std::string(
             R"({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")") +
         digest + R"(", "size": 3370706})";
}

std::string Blob(const char* digest) { return std::string("blob ") + digest; }

TEST(ManifestTest, LayersNotAnArray) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "layers": )" + Layer(kLayerA) + R"(,
      "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "digest": "sha256:b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b55"})"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.media_type, kOciManifestType);
  EXPECT_EQ(m.problem, "layers is not an array");
  // Over-reports: the subject's digest counts as a reference too.
  EXPECT_EQ(SubjectOf(m),
            "sha256:"
            "b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b55");
  EXPECT_THAT(
      Refs(m),
      UnorderedElementsAre(
          Blob(kConfigA), Blob(kLayerA),
          "child "
          "sha256:"
          "b4fbc5b0c8e866bcbc36e189c8c2776f53eddea0bea3e1bc9c1cd71f388c1b55"));
}

TEST(ManifestTest, LayerDigestNotAString) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) + R"(,
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": 12345},
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digests": [")" +
                  kLayerB + R"("]}])"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "layers[1] digest is not a string");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA),
                                            Blob(kLayerB)));
}

TEST(ManifestTest, ConfigMissing) {
  ParsedManifest m = ParseManifest(OciManifest(
      R"("layers": [)" + Layer(kLayerA) + "," + Layer(kLayerB) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "config is missing");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kLayerA), Blob(kLayerB)));
}

TEST(ManifestTest, LayersMissing) {
  ParsedManifest m = ParseManifest(OciManifest(ConfigMember()));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "layers is missing");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA)));
}

TEST(ManifestTest, ConfigWithoutDigest) {
  ParsedManifest m = ParseManifest(OciManifest(
      R"("config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2},
         "layers": [)" +
      Layer(kLayerA) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "config has no digest");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kLayerA)));
}

TEST(ManifestTest, UrlsNotAnArray) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "layers": [{"digest": ")" + kLayerA +
                  R"(", "urls": "https://example.com/layer.tar"}])"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "layers[0] urls is not an array");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA)));
}

TEST(ManifestTest, SubjectAndArtifactTypeOfTheWrongType) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) +
                  R"(], "subject": ")" + kLayerB + R"(")"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "subject is not an object");
  EXPECT_FALSE(m.subject);
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA),
                                            Blob(kLayerB)));

  m = ParseManifest(OciManifest(ConfigMember() + R"(, "layers": [)" +
                                Layer(kLayerA) + R"(], "artifactType": 7)"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "artifactType is not a string");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA)));
}

TEST(ManifestTest, MediaTypeNotAString) {
  ParsedManifest m = ParseManifest(
      std::string(
          R"({"schemaVersion": 2, "mediaType": ["application/vnd.oci.image.manifest.v1+json"], )") +
      ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) + "]}");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.media_type, "");
  EXPECT_EQ(m.problem, "mediaType is not a string");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA)));
}

TEST(ManifestTest, SchemaVersionDisagreesWithMediaType) {
  // distribution would read this as schema1, a client as schema2.
  ParsedManifest m = ParseManifest(
      std::string(
          R"({"schemaVersion": 1, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "fsLayers": [{"blobSum": ")") +
      kLayerB + R"("}], )" + ConfigMember() + R"(, "layers": [)" +
      Layer(kLayerA) + "]}");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_THAT(m.problem, HasSubstr("schemaVersion 1 does not match"));
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kLayerB), Blob(kConfigA),
                                            Blob(kLayerA)));
}

TEST(ManifestTest, Schema1FsLayersNotAnArray) {
  ParsedManifest m = ParseManifest(
      std::string(R"({"schemaVersion": 1, "name": "a/b", "tag": "x",
      "fsLayers": {"blobSum": ")") +
      kLayerA + R"("}, "history": []})");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "fsLayers is not an array");
  // The generic walk finds digests under any name, not only "digest".
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kLayerA)));
}

TEST(ManifestTest, Schema1BlobSumNotAString) {
  ParsedManifest m = ParseManifest(
      std::string(R"({"schemaVersion": 1, "fsLayers": [{"blobSum": ")") +
      kLayerA + R"("}, {"blobSum": [")" + kLayerB + R"("]}]})");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "fsLayers[1]: blobSum is not a string");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kLayerA), Blob(kLayerB)));
}

TEST(ManifestTest, IndexEntryNotAnObject) {
  ParsedManifest m = ParseManifest(
      std::string(
          R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
      "manifests": [")") +
      kLayerA +
      R"(", {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
      kLayerB + R"(", "size": 7}]})");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.media_type, kOciIndexType);
  EXPECT_EQ(m.problem, "manifests[0] is not an object");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kLayerA),
                                            std::string("child ") + kLayerB));
}

TEST(ManifestTest, AmbiguousWithoutMediaType) {
  ParsedManifest m = ParseManifest(
      std::string(R"({"schemaVersion": 2, )") + ConfigMember() +
      R"(, "layers": [], "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
      kLayerB + R"("}]})");
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_THAT(m.problem, HasSubstr("both manifests and config"));
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA),
                                            std::string("child ") + kLayerB));
}

// Go's encoding/json, which clients and distribution use, takes the last of
// two members with the same name; other parsers take the first.
TEST(ManifestTest, DuplicateMembersAreAmbiguous) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) +
                  R"(], "layers": [)" + Layer(kLayerB) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "\"layers\" appears more than once");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA),
                                            Blob(kLayerB)));

  m = ParseManifest(OciManifest(ConfigMember() +
                                R"(, "layers": [{"digest": ")" + kLayerA +
                                R"(", "digest": ")" + kLayerB + R"("}])"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_EQ(m.problem, "layers[0] \"digest\" appears more than once");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA),
                                            Blob(kLayerB)));
}

// Go matches member names to fields case-insensitively, with Unicode simple
// folding: what a client reads as layers, we read as layers.
TEST(ManifestTest, MemberNamesMatchLikeGo) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "LAYERS": [)" + Layer(kLayerA) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(std::string("config ") + kConfigA,
                                            std::string("layer ") + kLayerA));

  // "layer\u017f": LATIN SMALL LETTER LONG S folds to 's'.
  m = ParseManifest(OciManifest(ConfigMember() + R"(, "layer\u017f": [)" +
                                Layer(kLayerA) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_EQ(m.problem, "");
  EXPECT_THAT(Refs(m), UnorderedElementsAre(std::string("config ") + kConfigA,
                                            std::string("layer ") + kLayerA));

  // Two spellings of one field: as ambiguous as a duplicate.
  m = ParseManifest(OciManifest(ConfigMember() + R"(, "layers": [)" +
                                Layer(kLayerA) + R"(], "Layers": [)" +
                                Layer(kLayerB) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kUnknown);
  EXPECT_THAT(Refs(m), UnorderedElementsAre(Blob(kConfigA), Blob(kLayerA),
                                            Blob(kLayerB)));

  // A near miss is just another member.
  m = ParseManifest(OciManifest(
      ConfigMember() + R"(, "layers": [], "layer": [)" + Layer(kLayerA) + "]"));
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_THAT(Refs(m), UnorderedElementsAre(std::string("config ") + kConfigA));
}

// ---------------------------------------------------------------------------
// Strings that are not digests in a known type: skipped and noted.

TEST(ManifestTest, InvalidDigestsInKnownTypeAreSkippedAndNoted) {
  ParsedManifest m = ParseManifest(OciManifest(
      ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) + "," +
      // uppercase hex
      Layer(
          "sha256:"
          "88E92C7DE403574854645B6786CCB76878A72549DDFE417043246E6672E89B79") +
      "," +
      // one hex digit too many
      Layer(
          "sha256:"
          "9bfaff6656db433a84063db275038c811a682ee225030a9e3bbff571c155af6c0") +
      "," + Layer("md5:9e107d9d372bb6826bd81d3542a419d6") +
      R"(], "subject": {"digest": "sha256:abc", "mediaType": "application/vnd.oci.image.manifest.v1+json"})"));
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_FALSE(m.unknown_media_type);
  EXPECT_THAT(m.problem, HasSubstr("layers[1].digest is not a valid digest"));
  EXPECT_THAT(m.problem, HasSubstr("layers[2].digest is not a valid digest"));
  EXPECT_THAT(m.problem, HasSubstr("layers[3].digest is not a valid digest"));
  EXPECT_THAT(m.problem, HasSubstr("subject.digest is not a valid digest"));
  EXPECT_THAT(m.problem, HasSubstr("the blob of its lowercase form is kept"));
  EXPECT_THAT(m.problem, HasSubstr("nothing is kept for it"));
  EXPECT_FALSE(m.subject);
  // The uppercase layer counts in its lowercase form, which is layer A's.
  EXPECT_THAT(Refs(m), UnorderedElementsAre(std::string("config ") + kConfigA,
                                            std::string("layer ") + kLayerA,
                                            std::string("layer ") + kLayerA));
}

// ---------------------------------------------------------------------------
// Not JSON: every digest-shaped substring counts.

TEST(ManifestTest, TruncatedManifestFindsDigestsBeforeTheCut) {
  // Cut in the middle of the third layer's digest.
  constexpr char kManifest[] = R"json({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": "sha256:efac0fd30e8272286c230b46d7d4c2f61b802934f57aa6d67c9e4e968ea106cd"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 29124181,
         "digest": "sha256:e9b95ee8355e7ff82fd5af75d791f9810c0a752859ffeca3c58397a902d5aa66"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 16724,
         "digest": "sha256:88e92c7de403574854645b6786ccb76878a72549ddfe417043246e6672e89b79"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 73109,
         "digest": "sha256:9bfaff6656db433a84063db2750)json";
  ParsedManifest m = ParseManifest(kManifest);
  EXPECT_EQ(m.kind, ManifestKind::kInvalid);
  EXPECT_EQ(m.media_type, "");
  EXPECT_THAT(m.problem, HasSubstr("not valid JSON"));
  EXPECT_THAT(
      Refs(m),
      ElementsAre(
          "blob "
          "sha256:"
          "efac0fd30e8272286c230b46d7d4c2f61b802934f57aa6d67c9e4e968ea106cd",
          "blob "
          "sha256:"
          "e9b95ee8355e7ff82fd5af75d791f9810c0a752859ffeca3c58397a902d5aa66",
          "blob "
          "sha256:"
          "88e92c7de403574854645b6786ccb76878a72549ddfe417043246e6672e89b79"));
}

TEST(ManifestTest, NotUtf8IsInvalid) {
  std::string manifest = std::string(R"({"note": "caf)") + "\xE9" +
                         R"(", "digest": ")" + kLayerA + R"("})";
  ParsedManifest m = ParseManifest(manifest);
  EXPECT_EQ(m.kind, ManifestKind::kInvalid);
  EXPECT_NE(m.problem, "");
  EXPECT_THAT(Refs(m), ElementsAre(Blob(kLayerA)));
}

TEST(ManifestTest, TrailingGarbageIsInvalid) {
  ParsedManifest m = ParseManifest(
      OciManifest(ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) + "]") +
      " }");
  EXPECT_EQ(m.kind, ManifestKind::kInvalid);
  EXPECT_THAT(Refs(m), ElementsAre(Blob(kConfigA), Blob(kLayerA)));
}

TEST(ManifestTest, EmptyInput) {
  for (std::string_view input :
       {std::string_view(""), std::string_view(" \n\t")}) {
    ParsedManifest m = ParseManifest(input);
    EXPECT_EQ(m.kind, ManifestKind::kInvalid);
    EXPECT_NE(m.problem, "");
    EXPECT_THAT(Refs(m), IsEmpty());
    EXPECT_FALSE(m.subject);
  }
}

// ---------------------------------------------------------------------------
// ScanForDigests.

constexpr char kHexA[] =
    "202d465eb514f0c3df2f93eefe05ff30970491bed62792f42258a12759741ca8";
constexpr char kHexB[] =
    "55286abff5940329ba8dc0d7bfa26081d78dddbe1e3c8045c207470e79fa2d12";
constexpr char kHex512[] =
    "41c88455438672cb2d18291ab51410542daa95d4ac17aed6c88f503b11e9bedc514f3684e"
    "48070c34a9a29471afbbe011be302439ce8061c36fa50c6fdd971e6";

TEST(ScanForDigestsTest, FindsDigestsInOrderWithDuplicates) {
  std::string text = std::string("x sha256:") + kHexB +
                     " then sha512:" + kHex512 + "\n and sha256:" + kHexA +
                     ",sha256:" + kHexB;
  EXPECT_THAT(Strings(ScanForDigests(text)),
              ElementsAre(std::string("sha256:") + kHexB,
                          std::string("sha512:") + kHex512,
                          std::string("sha256:") + kHexA,
                          std::string("sha256:") + kHexB));
}

TEST(ScanForDigestsTest, DigestsBackToBackAndAtTheEdges) {
  std::string text = std::string("sha256:") + kHexA + "sha256:" + kHexB;
  EXPECT_THAT(Strings(ScanForDigests(text)),
              ElementsAre(std::string("sha256:") + kHexA,
                          std::string("sha256:") + kHexB));
  // Anything may precede: over-reporting is safe.
  EXPECT_THAT(Strings(ScanForDigests(std::string("shasha256:") + kHexA)),
              ElementsAre(std::string("sha256:") + kHexA));
}

// No client accepts uppercase hex, but one that lowercased it would fetch
// the lowercase form's blob: the scan keeps that one.
TEST(ScanForDigestsTest, UppercaseHexCountsInItsLowercaseForm) {
  std::string upper(kHexA);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_THAT(Strings(ScanForDigests("sha256:" + upper)),
              ElementsAre(std::string("sha256:") + kHexA));
  std::string mixed(kHexA);
  mixed[10] = 'F';
  std::string lowered = mixed;
  lowered[10] = 'f';
  EXPECT_THAT(Strings(ScanForDigests("sha256:" + mixed)),
              ElementsAre("sha256:" + lowered));
  // The algorithm's name is not folded: "SHA256" is no algorithm.
  EXPECT_THAT(ScanForDigests(std::string("SHA256:") + kHexA), IsEmpty());
}

TEST(ScanForDigestsTest, ExtraHexIsNotADigest) {
  EXPECT_THAT(ScanForDigests(std::string("sha256:") + kHexA + "0"), IsEmpty());
  EXPECT_THAT(ScanForDigests(std::string("sha256:") + kHexA + "A"), IsEmpty());
  // 128 hex digits after sha256: a sha512's length, not a sha256 digest.
  EXPECT_THAT(ScanForDigests(std::string("sha256:") + kHex512), IsEmpty());
  // A non-hex letter ends the digest.
  EXPECT_THAT(Strings(ScanForDigests(std::string("sha256:") + kHexA + "g")),
              ElementsAre(std::string("sha256:") + kHexA));
}

TEST(ScanForDigestsTest, WrongLengthsAndAlgorithms) {
  std::string hex(kHexA);
  EXPECT_THAT(ScanForDigests("sha256:" + hex.substr(0, 63)), IsEmpty());
  EXPECT_THAT(ScanForDigests("sha512:" + hex), IsEmpty());
  EXPECT_THAT(ScanForDigests("sha384:" + hex + hex.substr(0, 32)), IsEmpty());
  EXPECT_THAT(ScanForDigests("md5:" + hex.substr(0, 32)), IsEmpty());
  EXPECT_THAT(ScanForDigests("sha256 :" + hex), IsEmpty());
  EXPECT_THAT(ScanForDigests("sha256:"), IsEmpty());
  EXPECT_THAT(ScanForDigests("sh"), IsEmpty());
  EXPECT_THAT(ScanForDigests(""), IsEmpty());
}

// ---------------------------------------------------------------------------
// Size and threads.

TEST(ManifestTest, LargeIndex) {
  // Larger than the parser keeps between calls (distribution's 4 MiB limit).
  constexpr int kChildren = 30000;
  std::string manifest =
      R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [)";
  std::vector<std::string> expected;
  for (int i = 0; i < kChildren; ++i) {
    char hex[65];
    std::snprintf(hex, sizeof(hex), "%064x", i);
    std::string digest = std::string("sha256:") + hex;
    if (i > 0) manifest += ",";
    manifest +=
        R"({"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1234, "digest": ")" +
        digest + R"(", "platform": {"architecture": "amd64", "os": "linux"}})";
    expected.push_back("child " + digest);
  }
  manifest += "]}";
  ASSERT_GT(manifest.size(), size_t{4} << 20);
  ParsedManifest m = ParseManifest(manifest);
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.problem, "");
  EXPECT_EQ(Refs(m), expected);

  // The parser is still usable after being replaced.
  m = ParseManifest(OciManifest(ConfigMember() + R"(, "layers": [])"));
  EXPECT_EQ(m.kind, ManifestKind::kImage);
  EXPECT_THAT(Refs(m), ElementsAre(std::string("config ") + kConfigA));
}

TEST(ManifestTest, ConcurrentParsesAgree) {
  std::vector<std::string> inputs = {
      OciManifest(ConfigMember() + R"(, "layers": [)" + Layer(kLayerA) + "," +
                  Layer(kLayerB) + "]"),
      OciManifest(ConfigMember() + R"(, "layers": {})"),
      std::string(R"({"schemaVersion": 1, "fsLayers": [{"blobSum": ")") +
          kLayerA + R"("}]})",
      "{\"truncated\": \"" + std::string(kLayerB),
  };
  std::vector<std::vector<std::string>> expected;
  for (const std::string& input : inputs) {
    expected.push_back(Refs(ParseManifest(input)));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        size_t which = static_cast<size_t>(i + t) % inputs.size();
        if (Refs(ParseManifest(inputs[which])) != expected[which]) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace regsweep::gc
