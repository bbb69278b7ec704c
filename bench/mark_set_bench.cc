// MarkSet at the size of a large store: 1M marked blobs.
//
// Add+Seal is what the mark pays to record every reference (one fingerprint
// per reference, then one sort); Contains is what the plan pays per blob
// found on disk.
//
// Run: build/bench/regsweep_bench --benchmark_filter=MarkSet
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include "gc/collection/mark_set.h"
#include "util/digest.h"

namespace regsweep::gc {
namespace {

constexpr size_t kEntries = 1'000'000;

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

// Built once: 2M distinct digests, the first half marked, the second half
// only used as misses. (Building them takes longer than the benchmark.)
const std::vector<Digest>& Digests() {
  static const std::vector<Digest>* digests = [] {
    auto* v = new std::vector<Digest>(2 * kEntries);
    tbb::parallel_for(size_t{0}, v->size(), [v](size_t i) {
      Digest::FromParts("sha256", Hex(i), &(*v)[i]);
    });
    return v;
  }();
  return *digests;
}

// Adds digests [0, count) from up to `threads` threads (no sealing).
void AddRange(MarkSet* set, size_t count, int threads) {
  const std::vector<Digest>& digests = Digests();
  if (threads == 1) {
    for (size_t i = 0; i < count; ++i) set->Add(digests[i]);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<size_t>(0, count, 4096),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t i = r.begin(); i != r.end(); ++i) {
                        set->Add(digests[i]);
                      }
                    });
}

// Args: threads, and how many times each blob is referenced (a base layer
// is named by many manifests, and each reference is one Add).
void BM_MarkSet_AddSeal(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const size_t refs_per_blob = static_cast<size_t>(state.range(1));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(threads));
  Digests();
  for (auto _ : state) {
    auto set = std::make_unique<MarkSet>();
    for (size_t r = 0; r < refs_per_blob; ++r) {
      AddRange(set.get(), kEntries, threads);
    }
    set->Seal();
    if (set->size() != kEntries) state.SkipWithError("lost entries");
    state.PauseTiming();
    set.reset();  // freeing is not part of the cost we care about
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kEntries * refs_per_blob));
}
BENCHMARK(BM_MarkSet_AddSeal)
    ->ArgNames({"threads", "refs_per_blob"})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({2, 4})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Arg: 1 looks up marked digests (hits), 0 unmarked ones (misses).
void BM_MarkSet_Contains(benchmark::State& state) {
  static MarkSet* set = [] {
    auto* s = new MarkSet;
    AddRange(s, kEntries, 2);
    s->Seal();
    return s;
  }();
  const std::vector<Digest>& digests = Digests();
  const bool hits = state.range(0) == 1;
  const size_t base = hits ? 0 : kEntries;
  // A stride through the digests so consecutive lookups hit different
  // cache lines, as the sweep's lookups do.
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    found += set->Contains(digests[base + i]) ? 1 : 0;
    i += 7919;
    if (i >= kEntries) i -= kEntries;
  }
  benchmark::DoNotOptimize(found);
  if (found != (hits ? static_cast<size_t>(state.iterations()) : 0)) {
    state.SkipWithError("unexpected lookup result");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MarkSet_Contains)->ArgName("hit")->Arg(1)->Arg(0);

// The same lookups with the fingerprint already computed: the binary search
// alone.
void BM_MarkSet_ContainsFingerprint(benchmark::State& state) {
  MarkSet set;
  std::vector<uint64_t> fingerprints;
  fingerprints.reserve(kEntries);
  for (size_t i = 0; i < kEntries; ++i) {
    fingerprints.push_back(Digests()[i].Fingerprint());
  }
  AddRange(&set, kEntries, 2);
  set.Seal();
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    found += set.ContainsFingerprint(fingerprints[i]) ? 1 : 0;
    i += 7919;
    if (i >= kEntries) i -= kEntries;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MarkSet_ContainsFingerprint);

}  // namespace
}  // namespace regsweep::gc
