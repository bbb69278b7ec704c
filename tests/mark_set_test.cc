// MarkSet: membership after Seal, including fingerprints at the edges of
// its lookup buckets, and nothing marked that was not added.
#include "gc/collection/mark_set.h"

#include <gtest/gtest.h>
#include <tbb/parallel_for.h>

#include <random>
#include <set>

namespace regsweep::gc {
namespace {

TEST(MarkSetTest, HoldsExactlyWhatWasAdded) {
  MarkSet marked;
  std::mt19937_64 rng(7);
  std::set<uint64_t> added = {0, 1, ~uint64_t{0}, (uint64_t{1} << 48) - 1,
                              uint64_t{1} << 48, uint64_t{0xffff} << 48};
  for (int i = 0; i < 100000; ++i) added.insert(rng());
  std::vector<uint64_t> list(added.begin(), added.end());
  // From many threads, with duplicates.
  tbb::parallel_for(size_t{0}, list.size(), [&](size_t i) {
    marked.AddFingerprint(list[i]);
    if (i % 3 == 0) marked.AddFingerprint(list[i]);
  });
  marked.Seal();
  EXPECT_EQ(marked.size(), added.size());
  for (uint64_t fingerprint : added) {
    ASSERT_TRUE(marked.ContainsFingerprint(fingerprint)) << fingerprint;
  }
  for (int i = 0; i < 100000; ++i) {
    uint64_t probe = rng();
    EXPECT_EQ(marked.ContainsFingerprint(probe), added.count(probe) > 0);
  }
  for (uint64_t neighbour : {uint64_t{2}, ~uint64_t{0} - 1, uint64_t{1} << 47}) {
    EXPECT_EQ(marked.ContainsFingerprint(neighbour), added.count(neighbour) > 0);
  }
}

TEST(MarkSetTest, EmptySetHoldsNothing) {
  MarkSet marked;
  marked.Seal();
  EXPECT_EQ(marked.size(), 0u);
  EXPECT_FALSE(marked.ContainsFingerprint(0));
  EXPECT_FALSE(marked.ContainsFingerprint(~uint64_t{0}));
}

}  // namespace
}  // namespace regsweep::gc
