// What a sweep costs on a store without directories (the memory store, a
// faithful stand-in for S3's requests): candidates are described by the
// blob listing, not looked up one by one, and deletions fill each
// DeleteObjects request across directories and repositories.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gc/collection/collector.h"
#include "storage/memory_store.h"
#include "testutil/test_store.h"

namespace regsweep::gc {
namespace {

using regsweep::testing::Backend;
using regsweep::testing::TestStore;

GcReport Collect(const TestStore& store, bool delete_untagged, bool dry_run) {
  GcOptions options;
  options.delete_untagged = delete_untagged;
  options.dry_run = dry_run;
  options.grace_ns = 0;
  GcReport report;
  Status s = RunGc(store.Open().get(), options, nullptr, &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.fatal.empty());
  return report;
}

// A tagged image, `untagged` images without tags and `orphans` blobs no
// manifest references, spread over many prefix directories.
void Fill(TestStore* store, int untagged, int orphans) {
  Digest kept = store->PushImage("app", {"base", "kept"});
  store->PutTag("app", "latest", kept);
  store->PutTag("app", "stable", kept);
  for (int i = 0; i < untagged; ++i) {
    const std::string repo = "repo-" + std::to_string(i % 7);
    Digest old = store->PushImage(repo, {"base", "old " + std::to_string(i)});
    store->PutTag(repo, "build", old);  // its history keeps the entry...
    store->PutTag(repo, "build", kept);  // ...after the tag moved on
    store->PutRevision(repo, kept);
  }
  for (int i = 0; i < orphans; ++i) store->PutBlob("orphan " + std::to_string(i));
}

TEST(SweepRequestsTest, CandidatesAreDescribedByTheListingNotLookedUp) {
  TestStore few(Backend::kMemory), many(Backend::kMemory);
  Fill(&few, 2, 3);
  Fill(&many, 40, 300);
  const uint64_t few_before = few.memory()->head_requests();
  GcReport small = Collect(few, true, true);
  const uint64_t few_heads = few.memory()->head_requests() - few_before;
  const uint64_t many_before = many.memory()->head_requests();
  GcReport large = Collect(many, true, true);
  const uint64_t many_heads = many.memory()->head_requests() - many_before;
  EXPECT_GT(large.sweep.blobs_eligible.size(), 340u);
  EXPECT_LT(small.sweep.blobs_eligible.size(), 10u);
  // Grace still works from what the listing gave: every candidate's size.
  EXPECT_GT(large.sweep.bytes_eligible, 300u * 8);
  EXPECT_EQ(many_heads, few_heads);
}

TEST(SweepRequestsTest, DeletionsFillEachDeleteRequestAcrossDirectories) {
  TestStore store(Backend::kMemory);
  Fill(&store, 40, 300);
  const uint64_t before = store.memory()->delete_requests();
  GcReport report = Collect(store, true, false);
  const uint64_t deletes = store.memory()->delete_requests() - before;
  EXPECT_TRUE(report.sweep.errors.empty());
  EXPECT_GT(report.sweep.blobs_deleted, 340u);
  EXPECT_EQ(report.sweep.manifests_deleted, 40u);
  // Tag histories, revisions, blobs, layer links: one request each, for
  // some 40 revisions, 40 history entries, 380 blobs and 80 layer links
  // in 8 repositories and more than 200 prefix directories.
  EXPECT_LE(deletes, 4u);
  GcReport again = Collect(store, true, true);
  EXPECT_TRUE(again.sweep.blobs_eligible.empty());
  EXPECT_TRUE(again.manifests_eligible.empty());
}

}  // namespace
}  // namespace regsweep::gc
