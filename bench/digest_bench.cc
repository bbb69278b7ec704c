// Digest parsing and fingerprinting: what the walk pays per link file and
// the mark pays per reference.
//
// Run: build/bench/regsweep_bench --benchmark_filter=Digest
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/digest.h"

namespace regsweep {
namespace {

// A reproducible, random-looking hex string of `length` digits (splitmix64).
std::string Hex(uint64_t seed, size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  uint64_t x = seed;
  while (hex.size() < length) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 16 && hex.size() < length; ++i) {
      hex.push_back(kDigits[(z >> (4 * i)) & 15]);
    }
  }
  return hex;
}

// Many distinct inputs, so the branch predictor cannot learn one string.
constexpr size_t kInputs = 1024;

std::vector<std::string> Texts(std::string_view algorithm, size_t hex_length,
                               std::string_view suffix = "") {
  std::vector<std::string> texts;
  texts.reserve(kInputs);
  for (size_t i = 0; i < kInputs; ++i) {
    std::string text(algorithm);
    text += ':';
    text += Hex(i, hex_length);
    text += suffix;
    texts.push_back(std::move(text));
  }
  return texts;
}

void ReportBytes(benchmark::State& state, const std::string& sample) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(sample.size()));
}

void BM_Digest_Parse(benchmark::State& state, std::string_view algorithm,
                     size_t hex_length) {
  const std::vector<std::string> texts = Texts(algorithm, hex_length);
  size_t i = 0;
  for (auto _ : state) {
    Digest digest;
    bool ok = Digest::Parse(texts[i++ % kInputs], &digest);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(digest);
  }
  ReportBytes(state, texts[0]);
}
BENCHMARK_CAPTURE(BM_Digest_Parse, Sha256, "sha256", 64);
BENCHMARK_CAPTURE(BM_Digest_Parse, Sha512, "sha512", 128);

// A string that is not a digest (uppercase hex): the rejection path the
// invalid-JSON scanner takes for most candidates.
void BM_Digest_ParseInvalid(benchmark::State& state) {
  std::string text = "sha256:" + Hex(3, 64);
  text[40] = 'G';
  for (auto _ : state) {
    Digest digest;
    bool ok = Digest::Parse(text, &digest);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Digest_ParseInvalid);

// Link files as distribution writes them (no newline) and as a hand edit
// might leave them (trailing newline).
void BM_Digest_ParseLink(benchmark::State& state, std::string_view suffix) {
  const std::vector<std::string> texts = Texts("sha256", 64, suffix);
  size_t i = 0;
  for (auto _ : state) {
    Digest digest;
    bool ok = Digest::ParseLink(texts[i++ % kInputs], &digest);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(digest);
  }
  ReportBytes(state, texts[0]);
}
BENCHMARK_CAPTURE(BM_Digest_ParseLink, Plain, "");
BENCHMARK_CAPTURE(BM_Digest_ParseLink, TrailingNewline, "\n");

// The walk builds digests from path components: <alg> and <hex>.
void BM_Digest_FromParts(benchmark::State& state) {
  std::vector<std::string> hexes;
  for (size_t i = 0; i < kInputs; ++i) hexes.push_back(Hex(i, 64));
  size_t i = 0;
  for (auto _ : state) {
    Digest digest;
    bool ok = Digest::FromParts("sha256", hexes[i++ % kInputs], &digest);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Digest_FromParts);

void BM_Digest_Fingerprint(benchmark::State& state) {
  std::vector<Digest> digests(kInputs);
  const std::vector<std::string> texts = Texts("sha256", 64);
  for (size_t i = 0; i < kInputs; ++i) {
    if (!Digest::Parse(texts[i], &digests[i])) {
      state.SkipWithError("fixture is not a digest");
      return;
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    uint64_t fingerprint = digests[i++ % kInputs].Fingerprint();
    benchmark::DoNotOptimize(fingerprint);
  }
  ReportBytes(state, texts[0]);
}
BENCHMARK(BM_Digest_Fingerprint);

void BM_Digest_FingerprintOf(benchmark::State& state) {
  const std::vector<std::string> texts = Texts("sha256", 64);
  size_t i = 0;
  for (auto _ : state) {
    uint64_t fingerprint = FingerprintOf(texts[i++ % kInputs]);
    benchmark::DoNotOptimize(fingerprint);
  }
  ReportBytes(state, texts[0]);
}
BENCHMARK(BM_Digest_FingerprintOf);

}  // namespace
}  // namespace regsweep
