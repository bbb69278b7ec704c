// Parse throughput of gc/manifest for each kind of manifest a store holds.
//
// Run: build/bench/regsweep_bench --benchmark_filter=Manifest
#include <benchmark/benchmark.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "gc/collection/manifest.h"
#include "util/digest.h"

namespace regsweep::gc {
namespace {

// A reproducible, random-looking 64-digit hex string (splitmix64).
std::string Hex(uint64_t seed) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  uint64_t x = seed;
  while (hex.size() < 64) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 16; ++i) hex.push_back(kDigits[(z >> (4 * i)) & 15]);
  }
  return hex;
}

std::string Sha(uint64_t seed) { return "sha256:" + Hex(seed); }

// Appends every piece to *out. (Plain appends also keep GCC 12's false
// -Wrestrict warning on `"literal" + std::string` away.)
void Append(std::string* out, std::initializer_list<std::string_view> pieces) {
  for (std::string_view piece : pieces) out->append(piece);
}

void AppendDescriptor(std::string* out, std::string_view media_type,
                      uint64_t seed, std::string_view extra = "") {
  Append(out,
         {R"({"mediaType": ")", media_type, R"(", "digest": ")", Sha(seed),
          R"(", "size": )", std::to_string(1000 + seed * 7919), extra, "}"});
}

// A signed schema1 with 5 layers and a realistic history block.
std::string Schema1() {
  std::string s = R"({"schemaVersion": 1, "name": "library/app", "tag": "1.0",
    "architecture": "amd64", "fsLayers": [)";
  for (uint64_t i = 0; i < 5; ++i) {
    Append(&s, {i ? "," : "", R"({"blobSum": ")", Sha(i), R"("})"});
  }
  s += R"(], "history": [)";
  for (uint64_t i = 0; i < 5; ++i) {
    Append(&s,
           {i ? "," : "", R"({"v1Compatibility": "{\"id\":\")", Hex(100 + i),
            R"(\",\"parent\":\")", Hex(101 + i),
            R"(\",\"created\":\"2023-05-19T20:19:24.3Z\",)",
            R"(\"container_config\":{\"Cmd\":[\"/bin/sh -c #(nop) ADD file:)",
            Hex(200 + i), R"( in / \"]}}"})"});
  }
  s += R"(], "signatures": [{"header": {"jwk": {"crv": "P-256",
    "kid": "QZXN:BE3B:ABRY:4ZTW:NOSF:5YDY:ZM2P:VU3V:5MOQ:XK6E:RZHW:AXMG",
    "kty": "EC", "x": "1Ho0zsZGSeWAkbJQWXvaY1DE-5ofKWcgH7eiW4I_-Io",
    "y": "qpdHLaNX6wvfYBJ3E9K5NubUoqPBVQdQ8Jt4iD7ilpk"}, "alg": "ES256"},
    "signature": "zj8ETcmR1qqBFJZkoNt6hPdgFk4tjdrByLcD6hWpx6ifJP42rqNNqgb_xgZLL5Z9TiKN9-gwmdqLTH1NXc4wzA",
    "protected": "eyJmb3JtYXRMZW5ndGgiOjM2ODUsImZvcm1hdFRhaWwiOiJDbjAifQ"}]})";
  return s;
}

// An image manifest with a config and 5 layers.
std::string Image(std::string_view media_type, std::string_view config,
                  std::string_view layer) {
  std::string s;
  Append(&s, {R"({"schemaVersion": 2, "mediaType": ")", media_type,
              R"(", "config": )"});
  AppendDescriptor(&s, config, 10);
  s += R"(, "layers": [)";
  for (uint64_t i = 0; i < 5; ++i) {
    if (i > 0) s += ",";
    AppendDescriptor(&s, layer, 11 + i);
  }
  s += "]}";
  return s;
}

std::string Schema2() {
  return Image("application/vnd.docker.distribution.manifest.v2+json",
               "application/vnd.docker.container.image.v1+json",
               "application/vnd.docker.image.rootfs.diff.tar.gzip");
}

std::string OciImage() {
  return Image("application/vnd.oci.image.manifest.v1+json",
               "application/vnd.oci.image.config.v1+json",
               "application/vnd.oci.image.layer.v1.tar+gzip");
}

std::string OciIndex() {
  static constexpr std::string_view kArchitectures[] = {"amd64", "arm64", "arm",
                                                        "386", "ppc64le"};
  std::string s = R"({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [)";
  for (uint64_t i = 0; i < 10; ++i) {
    if (i > 0) s += ",";
    std::string platform;
    Append(&platform, {R"(, "platform": {"architecture": ")",
                       kArchitectures[i % 5], R"(", "os": "linux"})"});
    AppendDescriptor(&s, "application/vnd.oci.image.manifest.v1+json", 20 + i,
                     platform);
  }
  s += "]}";
  return s;
}

// An unknown type with descriptors nested two levels down.
std::string Unknown() {
  std::string s = R"({"schemaVersion": 2,
    "mediaType": "application/vnd.example.bundle.v1+json", "components": [)";
  for (uint64_t i = 0; i < 6; ++i) {
    Append(&s, {i ? "," : "", R"({"name": "part)", std::to_string(i),
                R"(", "descriptor": )"});
    AppendDescriptor(&s, "application/vnd.oci.image.manifest.v1+json", 40 + i);
    s += "}";
  }
  Append(&s, {R"(], "source": "registry.example.com/team/bundle@)", Sha(50),
              R"("})"});
  return s;
}

// An image manifest cut short: not JSON, so the scan runs.
std::string Invalid() {
  std::string s = OciImage();
  return s.substr(0, s.size() - 40);
}

void BM_ParseManifest(benchmark::State& state, const std::string& manifest) {
  // Checked once so that a broken fixture cannot measure the wrong path.
  if (ParseManifest(manifest).references.empty()) {
    state.SkipWithError("fixture has no references");
    return;
  }
  for (auto _ : state) {
    ParsedManifest m = ParseManifest(manifest);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(manifest.size()));
  state.counters["bytes"] = static_cast<double>(manifest.size());
}

BENCHMARK_CAPTURE(BM_ParseManifest, Schema1, Schema1());
BENCHMARK_CAPTURE(BM_ParseManifest, Schema2, Schema2());
BENCHMARK_CAPTURE(BM_ParseManifest, OciImage, OciImage());
BENCHMARK_CAPTURE(BM_ParseManifest, OciIndex10, OciIndex());
BENCHMARK_CAPTURE(BM_ParseManifest, Unknown, Unknown());
BENCHMARK_CAPTURE(BM_ParseManifest, Invalid, Invalid());

void BM_ScanForDigests(benchmark::State& state) {
  std::string text = Schema1();
  for (auto _ : state) {
    std::vector<Digest> digests = ScanForDigests(text);
    benchmark::DoNotOptimize(digests);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScanForDigests);

void BM_DigestParse(benchmark::State& state) {
  const std::string text = Sha(7);
  for (auto _ : state) {
    Digest digest;
    bool ok = Digest::Parse(text, &digest);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_DigestParse);

}  // namespace
}  // namespace regsweep::gc
