// Deterministic pseudo-random numbers for the store generator.
//
// The standard library's distributions are implementation-defined, so a store
// generated with them could differ between compilers; everything here is
// fully specified: the same seed gives the same numbers everywhere.
//
// Thread safety: an Rng is a plain value; give each thread its own.
#ifndef REGSWEEP_TOOLS_GEN_STORE_RANDOM_H_
#define REGSWEEP_TOOLS_GEN_STORE_RANDOM_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace regsweep::gen_store {

// SplitMix64 step: advances *state and returns a well-mixed value.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Combines two values into a seed for an independent stream, so that an
// object's content depends only on (seed, its id) and not on the order in
// which threads happen to produce it.
inline uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t state = a ^ (b * 0xd1b54a32d192ed03ULL);
  SplitMix64(&state);
  return SplitMix64(&state);
}

// xoshiro256** seeded through SplitMix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(&seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n == 0 gives 0. The modulo bias is below n / 2^64,
  // far beneath anything a test store could notice.
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  // Uniform in [lo, hi] (inclusive); requires lo <= hi.
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }

  // Fills `out` with `n` random bytes.
  void Fill(char* out, size_t n) {
    while (n >= 8) {
      uint64_t word = Next();
      std::memcpy(out, &word, 8);
      out += 8;
      n -= 8;
    }
    if (n > 0) {
      uint64_t word = Next();
      std::memcpy(out, &word, n);
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Picks an index in [0, n) with probability proportional to 1 / (i+1)^s: a
// few popular items and a long tail, like base images in a real registry.
class ZipfPicker {
 public:
  ZipfPicker(size_t n, double s) : cumulative_(n) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      total += 1.0 / std::pow(static_cast<double>(i + 1), s);
      cumulative_[i] = total;
    }
    for (double& c : cumulative_) c /= total;
  }

  // Requires n > 0.
  size_t Pick(Rng* rng) const {
    const double u = rng->Unit();
    size_t lo = 0, hi = cumulative_.size() - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (cumulative_[mid] > u) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

 private:
  std::vector<double> cumulative_;
};

// How many of `n` items a fraction selects: at least one when the fraction
// is positive, so every requested feature appears even in tiny stores.
inline size_t Quota(double fraction, size_t n) {
  if (fraction <= 0 || n == 0) return 0;
  const auto count = static_cast<size_t>(std::llround(fraction * n));
  return std::clamp<size_t>(count, 1, n);
}

// `count` items of `candidates` chosen uniformly (a partial shuffle), in
// the order drawn.
template <typename T>
std::vector<T> ChooseRandom(Rng* rng, std::vector<T> candidates, size_t count) {
  count = std::min(count, candidates.size());
  for (size_t i = 0; i < count; ++i) {
    std::swap(candidates[i], candidates[i + rng->Below(candidates.size() - i)]);
  }
  candidates.resize(count);
  return candidates;
}

}  // namespace regsweep::gen_store

#endif  // REGSWEEP_TOOLS_GEN_STORE_RANDOM_H_
