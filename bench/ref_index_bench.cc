// RefIndex (RocksDB) costs per repository, in a temporary directory.
//
// The fixture models a repository as a gc pass records it: 12 image
// manifests, each naming a config, 3 layers of a shared base image (8 bases
// across the store, so base layers have many referrers) and 3 own layers,
// and 3 tags.
//
// Run: build/bench/regsweep_bench --benchmark_filter=RefIndex
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "index/ref_index.h"
#include "util/digest.h"

namespace regsweep::index {
namespace {

constexpr int kManifestsPerRepo = 12;
constexpr int kBases = 8;
constexpr int kLayersPerBase = 3;
constexpr int kOwnLayers = 3;
constexpr int kTagsPerRepo = 3;
// Repositories loaded before the read benchmarks run (~100k edges).
constexpr int kLoadedRepos = 1000;

// Roles as gc::ReferenceRole numbers them (the index does not care).
constexpr uint8_t kRoleConfig = 0;
constexpr uint8_t kRoleLayer = 1;

// A distinct digest per (space, n): 64 hex digits from splitmix64.
Digest D(uint64_t space, uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  uint64_t x = space * 0x100000000ULL + n;
  while (hex.size() < 64) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 16; ++i) hex.push_back(kDigits[(z >> (4 * i)) & 15]);
  }
  Digest digest;
  Digest::FromParts("sha256", hex, &digest);
  return digest;
}

enum Space : uint64_t { kManifest = 1, kConfig, kOwnLayer, kBaseLayer };

Digest BaseLayer(int base, int layer) {
  return D(kBaseLayer, static_cast<uint64_t>(base * kLayersPerBase + layer));
}

RepositorySnapshot Repository(int r) {
  RepositorySnapshot snapshot;
  snapshot.name.append("team").append(std::to_string(r % 10));
  snapshot.name.append("/app").append(std::to_string(r));
  snapshot.fingerprint = static_cast<uint64_t>(r);
  for (int j = 0; j < kManifestsPerRepo; ++j) {
    const uint64_t id = static_cast<uint64_t>(r * kManifestsPerRepo + j);
    ManifestRecord manifest;
    manifest.digest = D(kManifest, id);
    manifest.media_type = "application/vnd.oci.image.manifest.v1+json";
    manifest.kind = 1;
    manifest.edges.push_back({D(kConfig, id), kRoleConfig});
    const int base = (r + j) % kBases;
    for (int l = 0; l < kLayersPerBase; ++l) {
      manifest.edges.push_back({BaseLayer(base, l), kRoleLayer});
    }
    for (int l = 0; l < kOwnLayers; ++l) {
      manifest.edges.push_back(
          {D(kOwnLayer, id * kOwnLayers + static_cast<uint64_t>(l)),
           kRoleLayer});
    }
    snapshot.manifests.push_back(std::move(manifest));
  }
  for (int t = 0; t < kTagsPerRepo; ++t) {
    // Appends rather than `"v" + ...`: GCC 12 warns falsely (-Wrestrict).
    std::string tag = "latest";
    if (t > 0) tag.assign("v").append(std::to_string(t));
    snapshot.tags.push_back(TagRecord{tag, snapshot.manifests[t].digest, 1});
  }
  return snapshot;
}

int64_t EdgesPerRepository() {
  return kManifestsPerRepo * (1 + kLayersPerBase + kOwnLayers);
}

// A fresh index in a new temporary directory, removed on destruction.
class TempIndex {
 public:
  TempIndex() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ref_index_bench.XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
    if (!dir_.empty()) status_ = RefIndex::Open(dir_ + "/index", &index_);
  }
  ~TempIndex() {
    index_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // Empty when the index could not be made.
  std::string Error() const {
    if (dir_.empty()) return "mkdtemp failed";
    return status_.ok() ? "" : status_.ToString();
  }
  RefIndex* get() { return index_.get(); }

 private:
  std::string dir_;
  Status status_;
  std::unique_ptr<RefIndex> index_;
};

// The first pass over a store: every repository is new to the index.
void BM_RefIndex_PutRepository_New(benchmark::State& state) {
  TempIndex index;
  if (!index.Error().empty()) {
    state.SkipWithError(index.Error().c_str());
    return;
  }
  int r = 0;
  for (auto _ : state) {
    state.PauseTiming();
    RepositorySnapshot snapshot = Repository(r++);
    state.ResumeTiming();
    Status status = index.get()->PutRepository(snapshot);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["edges/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * EdgesPerRepository()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RefIndex_PutRepository_New)->Unit(benchmark::kMicrosecond);

// A later pass: each repository is rewritten with the same content, so the
// old state is read and every key overwritten.
void BM_RefIndex_PutRepository_Unchanged(benchmark::State& state) {
  TempIndex index;
  if (!index.Error().empty()) {
    state.SkipWithError(index.Error().c_str());
    return;
  }
  std::vector<RepositorySnapshot> snapshots;
  for (int r = 0; r < kLoadedRepos; ++r) {
    snapshots.push_back(Repository(r));
    index.get()->PutRepository(snapshots.back());
  }
  size_t i = 0;
  for (auto _ : state) {
    Status status = index.get()->PutRepository(snapshots[i++ % snapshots.size()]);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RefIndex_PutRepository_Unchanged)->Unit(benchmark::kMicrosecond);

// One index shared by the read benchmarks, loaded and flushed once, so the
// reads go through SST files as they would after a pass. A function-local
// static: its directory is removed at exit (after RocksDB's own statics,
// which Open constructed first and so are destroyed last).
RefIndex* LoadedIndex(std::string* error) {
  static TempIndex index;
  static const bool loaded = [] {
    if (!index.Error().empty()) return false;
    for (int r = 0; r < kLoadedRepos; ++r) {
      if (!index.get()->PutRepository(Repository(r)).ok()) return false;
    }
    return index.get()->Flush().ok();
  }();
  *error = !index.Error().empty() ? index.Error()
           : loaded               ? ""
                                  : "loading the index failed";
  return index.get();
}

// Arg 0: a layer named by one manifest; arg 1: a base layer named by
// kLoadedRepos * kManifestsPerRepo / kBases manifests (1500).
void BM_RefIndex_Referrers(benchmark::State& state) {
  std::string error;
  RefIndex* index = LoadedIndex(&error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const bool shared = state.range(0) == 1;
  std::vector<Digest> children;
  for (int i = 0; i < 256; ++i) {
    children.push_back(shared ? BaseLayer(i % kBases, i % kLayersPerBase)
                              : D(kOwnLayer, static_cast<uint64_t>(i * 37)));
  }
  size_t i = 0;
  size_t found = 0;
  std::vector<ReferrerRecord> referrers;
  for (auto _ : state) {
    Status status = index->Referrers(children[i++ % children.size()], &referrers);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    found += referrers.size();
  }
  state.counters["referrers"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RefIndex_Referrers)
    ->ArgName("shared")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);

void BM_RefIndex_GetRepository(benchmark::State& state) {
  std::string error;
  RefIndex* index = LoadedIndex(&error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<std::string> names;
  for (int r = 0; r < kLoadedRepos; r += 7) names.push_back(Repository(r).name);
  size_t i = 0;
  RepositorySnapshot snapshot;
  for (auto _ : state) {
    Status status = index->GetRepository(names[i++ % names.size()], &snapshot);
    if (!status.ok() || snapshot.manifests.size() != kManifestsPerRepo) {
      state.SkipWithError(status.ok() ? "wrong manifest count"
                                      : status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RefIndex_GetRepository)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace regsweep::index
