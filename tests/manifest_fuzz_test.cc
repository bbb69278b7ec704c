// ParseManifest against an independent oracle: the references it finds in
// any bytes must include every digest a Go client (or any lenient reader)
// could find there (the property is spelled out in
// testutil/manifest_property.h, the oracle in testutil/go_json_oracle.h).
//
// RandomInputs is a short, deterministic fuzz run (fixed seed, at most
// kDefaultIterations inputs or kDefaultSeconds). For a long run:
//   REGSWEEP_FUZZ_SECONDS=600 REGSWEEP_FUZZ_SEED=7
//     build/tests/regsweep_tests --gtest_filter='ManifestFuzzTest.*'
// (one command line; REGSWEEP_FUZZ_ITERATIONS caps the count), or
// build-dir/bench/manifest_fuzz.
// Each hostile manifest the fuzzer starts from is also a test of its own.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "gc/collection/manifest.h"
#include "testutil/go_json_oracle.h"
#include "testutil/manifest_mutator.h"
#include "testutil/manifest_property.h"

namespace regsweep::testing {
namespace {

constexpr uint64_t kDefaultSeed = 20240611;
constexpr uint64_t kDefaultIterations = 50000;
constexpr double kDefaultSeconds = 10;
constexpr int kMaxFailures = 5;         // then stop: the first ones tell
constexpr size_t kMaxShown = 1200;      // input bytes printed per failure
constexpr size_t kShrinkChecks = 3000;  // parses spent shrinking one

// The environment variable `name` as a number, or `fallback` when unset.
double EnvNumber(const char* name, double fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtod(value, nullptr);
}

// Seeds are 64-bit: a double would round the large ones manifest_fuzz prints.
uint64_t EnvSeed() {
  const char* value = std::getenv("REGSWEEP_FUZZ_SEED");
  if (value == nullptr || *value == '\0') return kDefaultSeed;
  return std::strtoull(value, nullptr, 10);
}

bool EnvSet(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

TEST(ManifestFuzzTest, SeedsHoldTheProperty) {
  for (const NamedManifest& seed : SeedManifests()) {
    SCOPED_TRACE(seed.name);
    ManifestCheck check = CheckManifest(seed.bytes);
    // Realistic seeds are valid JSON that both sides read; the oracle
    // finds nothing only where no known member holds a descriptor.
    EXPECT_TRUE(check.oracle.go_valid);
    EXPECT_NE(check.ours.kind, gc::ManifestKind::kInvalid);
    EXPECT_FALSE(check.ours.references.empty());
    EXPECT_EQ(check.oracle.references.empty(),
              seed.name == "unknown-media-type");
    EXPECT_TRUE(check.misses.empty())
        << DescribeFailure(seed.bytes, check, kMaxShown);
  }
}

TEST(ManifestFuzzTest, MutatorIsDeterministic) {
  ManifestMutator a(kDefaultSeed);
  ManifestMutator b(kDefaultSeed);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(a.Next(), b.Next()) << "input " << i;
    ASSERT_EQ(a.recipe(), b.recipe());
  }
}

TEST(ManifestFuzzTest, RandomInputs) {
  uint64_t seed = EnvSeed();
  double seconds = EnvNumber("REGSWEEP_FUZZ_SECONDS", kDefaultSeconds);
  // A long run given in seconds is not also cut short by the count.
  double count_limit = EnvSet("REGSWEEP_FUZZ_SECONDS")
                           ? std::numeric_limits<double>::infinity()
                           : static_cast<double>(kDefaultIterations);
  double iterations = EnvNumber("REGSWEEP_FUZZ_ITERATIONS", count_limit);

  ManifestMutator mutator(seed);
  CrashReporter crash_reporter;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  int failures = 0;
  uint64_t checked = 0;
  for (uint64_t i = 0; static_cast<double>(i) < iterations &&
                       std::chrono::steady_clock::now() < deadline;
       ++i) {
    std::string input = mutator.Next();
    ++checked;
    crash_reporter.Watch(input);
    ManifestCheck check = CheckManifest(input);
    if (check.misses.empty()) continue;
    const Miss& miss = check.misses.front();
    std::string shrunk = Shrink(
        input,
        [&](const std::string& candidate) {
          crash_reporter.Watch(candidate);
          return StillMisses(candidate, miss);
        },
        kShrinkChecks);
    ADD_FAILURE() << "seed " << seed << ", input " << i << " ("
                  << mutator.recipe() << "; manifest_fuzz --replay " << seed
                  << ":" << i << " prints it whole):\n"
                  << DescribeFailure(input, check, kMaxShown)
                  << "  shrunk, still missing " << miss.digest << ":\n    \""
                  << Escaped(shrunk, kMaxShown) << "\"";
    if (++failures >= kMaxFailures) break;
  }
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("[ fuzz     ] seed %llu: %llu inputs in %.1f s (%.0f/s)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(checked), elapsed,
              elapsed > 0 ? static_cast<double>(checked) / elapsed : 0.0);
}

// ---------------------------------------------------------------------------
// The hostile manifests, one test each.

// First that the oracle reads what a Go client reads (or the check below
// would pass for nothing), then the property.
void CheckHostile(const HostileManifest& m) {
  OracleResult oracle = GoOracle(m.bytes);
  ASSERT_TRUE(oracle.go_valid) << "Go must accept " << m.name;
  for (const std::string& r : m.references) {
    ASSERT_TRUE(oracle.references.contains(r)) << "oracle lacks " << r;
  }
  for (const std::string& s : m.subjects) {
    ASSERT_TRUE(oracle.subjects.contains(s)) << "oracle lacks subject " << s;
  }
  ManifestCheck check = CheckManifest(m.bytes);
  EXPECT_TRUE(check.misses.empty())
      << m.name << ":\n"
      << DescribeFailure(m.bytes, check, kMaxShown);
}

// The triggers are what simdjson refuses; when a new simdjson accepts one,
// the tests built on it no longer reach ParseManifest's fallback, and need
// another trigger.
TEST(ManifestHostileTest, TriggersAreRefusedBySimdjsonOnly) {
  for (Trigger trigger : AllTriggers()) {
    SCOPED_TRACE(TriggerName(trigger));
    for (const HostileManifest& m :
         {EscapedLayerManifest(trigger), EscapedSubjectReferrer(trigger)}) {
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      EXPECT_NE(parser.parse(m.bytes).get(root), simdjson::SUCCESS);
      EXPECT_TRUE(GoJsonValid(m.bytes));
    }
  }
}

// Found by the fuzzer: "blobs" is optional in an OCI artifact manifest. A
// crash is looked for in a child process, so that it fails this test only.
TEST(ManifestHostileTest, ArtifactManifestWithoutBlobs) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string subject = TestDigest("no-blobs/subject");
  for (
      const std::string& input : {
          std::string(
              R"({"mediaType": "application/vnd.oci.artifact.manifest.v1+json"})"),
          R"({"mediaType": "application/vnd.oci.artifact.manifest.v1+json",
               "artifactType": "application/vnd.example.attestation.v1",
               "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": ")" +
              subject + R"(", "size": 1149}})",
      }) {
    EXPECT_EXIT(std::exit(CheckManifest(input).misses.empty() ? 0 : 1),
                ::testing::ExitedWithCode(0), "")
        << "crashed or missed a digest: " << input;
  }
}

TEST(ManifestHostileTest, EscapedLayerBesideInvalidUtf8) {
  CheckHostile(EscapedLayerManifest(Trigger::kInvalidUtf8));
}

TEST(ManifestHostileTest, EscapedLayerBesideDeepNesting) {
  CheckHostile(EscapedLayerManifest(Trigger::kDeepNesting));
}

TEST(ManifestHostileTest, EscapedLayerBesideHugeFloat) {
  CheckHostile(EscapedLayerManifest(Trigger::kHugeFloat));
}

TEST(ManifestHostileTest, EscapedLayerBesideHugeInteger) {
  CheckHostile(EscapedLayerManifest(Trigger::kHugeInteger));
}

TEST(ManifestHostileTest, EscapedLayerBesideLoneSurrogate) {
  CheckHostile(EscapedLayerManifest(Trigger::kLoneSurrogate));
}

TEST(ManifestHostileTest, EscapedSubjectBesideInvalidUtf8) {
  CheckHostile(EscapedSubjectReferrer(Trigger::kInvalidUtf8));
}

TEST(ManifestHostileTest, EscapedSubjectBesideDeepNesting) {
  CheckHostile(EscapedSubjectReferrer(Trigger::kDeepNesting));
}

TEST(ManifestHostileTest, EscapedSubjectBesideHugeFloat) {
  CheckHostile(EscapedSubjectReferrer(Trigger::kHugeFloat));
}

TEST(ManifestHostileTest, EscapedSubjectBesideHugeInteger) {
  CheckHostile(EscapedSubjectReferrer(Trigger::kHugeInteger));
}

TEST(ManifestHostileTest, EscapedSubjectBesideLoneSurrogate) {
  CheckHostile(EscapedSubjectReferrer(Trigger::kLoneSurrogate));
}

TEST(ManifestHostileTest, DuplicateDigestMemberKeepsBoth) {
  CheckHostile(DuplicateDigestLayer());
}

TEST(ManifestHostileTest, OddCaseMemberNames) {
  CheckHostile(OddCaseMembers());
}

TEST(ManifestHostileTest, ImageWithManifestsArray) {
  CheckHostile(ImageWithManifests());
}

}  // namespace
}  // namespace regsweep::testing
