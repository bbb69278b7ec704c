// Manifest inputs for fuzzing ParseManifest: realistic manifests of every
// media type, hostile manifests built to get past a parser's guard, and a
// mutator that derives new inputs from both.
//
// Contract: everything here is deterministic. For a given seed,
// ManifestMutator returns the same sequence of inputs on every run and
// every platform (its own PRNG; no std:: distributions, no clock).
//
// Thread safety: a ManifestMutator is used by one thread at a time.
#ifndef REGSWEEP_TESTS_TESTUTIL_MANIFEST_MUTATOR_H_
#define REGSWEEP_TESTS_TESTUTIL_MANIFEST_MUTATOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace regsweep::testing {

// "sha256:" and the hex sha256 of `label`: a realistic, reproducible digest.
std::string TestDigest(std::string_view label);

// `text` with every character written as a \uXXXX escape (lowercase hex),
// so that no byte of the original remains visible to a raw scan.
std::string EscapeEveryChar(std::string_view text);

struct NamedManifest {
  std::string name;
  std::string bytes;
};

// Realistic manifests, one or more per media type: Docker schema1 (signed),
// schema2, manifest list; OCI image, index, artifact manifest, an image
// manifest used as a referrer, an index with a subject; an unknown type.
std::vector<NamedManifest> SeedManifests();

// What makes simdjson reject bytes that Go's encoding/json accepts.
enum class Trigger {
  kInvalidUtf8,    // an annotation value that is not UTF-8
  kDeepNesting,    // an unknown member nested deeper than 1024
  kHugeFloat,      // 1e400 in an unknown member
  kHugeInteger,    // an integer above 2^64 in an unknown member
  kLoneSurrogate,  // "\ud800" in an annotation value
};
const char* TriggerName(Trigger trigger);
std::vector<Trigger> AllTriggers();

// A hostile input and the digests a Go client reads from it (a subset of
// what GoOracle must find, so that a test can check the oracle too).
struct HostileManifest {
  std::string name;
  std::string bytes;
  std::vector<std::string> references;
  std::vector<std::string> subjects;
};

// An OCI image manifest whose layer digest is fully \u-escaped (and the
// config's first hex digit), with `trigger` in an unknown member.
HostileManifest EscapedLayerManifest(Trigger trigger);
// A referrer (an OCI image manifest with subject and artifactType) whose
// subject digest is fully \u-escaped, with `trigger` in an unknown member.
HostileManifest EscapedSubjectReferrer(Trigger trigger);
// A layer descriptor with two "digest" members.
HostileManifest DuplicateDigestLayer();
// Member names in odd case: "LAYERS", "Digeſt" (U+017F), "\u0043onfig".
HostileManifest OddCaseMembers();
// An image manifest that also carries a "manifests" array.
HostileManifest ImageWithManifests();
// All of the above.
std::vector<HostileManifest> HostileManifests();

// A small, fast PRNG (splitmix64): the same numbers on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n); 0 when n is 0.
  size_t Below(size_t n) {
    return n == 0 ? 0 : static_cast<size_t>(Next() % n);
  }
  bool OneIn(size_t n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

// Derives inputs from the seeds and hostile manifests: each is a base
// input (or two spliced) with zero to four random mutations applied.
class ManifestMutator {
 public:
  explicit ManifestMutator(uint64_t seed);

  std::string Next();

  // How the last input was made, e.g. "oci-image | escape-chars | truncate".
  const std::string& recipe() const { return recipe_; }

  // Inputs never grow past this: a larger one gets no further growth.
  static constexpr size_t kMaxSize = size_t{1} << 20;

 private:
  Rng rng_;
  std::vector<NamedManifest> seeds_;
  std::vector<NamedManifest> hostile_;
  std::string recipe_;
};

}  // namespace regsweep::testing

#endif  // REGSWEEP_TESTS_TESTUTIL_MANIFEST_MUTATOR_H_
