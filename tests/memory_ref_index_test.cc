// The in-memory RefIndex answers as the RocksDB one does.
#include <gtest/gtest.h>

#include "index/memory_ref_index.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

using testing::Sha256Of;

TEST(MemoryRefIndexTest, PutGetReferrersReplace) {
  auto idx = index::NewMemoryRefIndex();
  Digest layer = Sha256Of("layer"), m1 = Sha256Of("m1"), m2 = Sha256Of("m2");
  index::RepositorySnapshot b{"b", 0, {{m2, "t", 1, {{layer, 1}}}}, {}};
  index::RepositorySnapshot a{
      "a", 0, {{m1, "t", 1, {{layer, 1}, {layer, 1}}}}, {{"latest", m1, 5}}};
  ASSERT_TRUE(idx->PutRepository(b).ok());
  ASSERT_TRUE(idx->PutRepository(a).ok());
  std::vector<index::ReferrerRecord> referrers;
  ASSERT_TRUE(idx->Referrers(layer, &referrers).ok());
  ASSERT_EQ(referrers.size(), 2u);  // one per (repository, parent)
  EXPECT_EQ(referrers[0].repository, "a");
  EXPECT_EQ(referrers[1].repository, "b");
  index::RepositorySnapshot got;
  ASSERT_TRUE(idx->GetRepository("a", &got).ok());
  EXPECT_EQ(got.tags.size(), 1u);
  EXPECT_TRUE(idx->GetRepository("c", &got).IsNotFound());
  index::IndexStats stats;
  ASSERT_TRUE(idx->Stats(&stats).ok());
  EXPECT_EQ(stats.repositories, 2u);
  EXPECT_EQ(stats.edges, 2u);
  EXPECT_EQ(stats.tags, 1u);
  // Replacing a repository drops what it no longer references.
  ASSERT_TRUE(idx->PutRepository({"b", 0, {}, {}}).ok());
  ASSERT_TRUE(idx->Referrers(layer, &referrers).ok());
  EXPECT_EQ(referrers.size(), 1u);
  ASSERT_TRUE(idx->DeleteRepository("a").ok());
  std::vector<std::string> names;
  ASSERT_TRUE(idx->ListRepositories(&names).ok());
  EXPECT_EQ(names, std::vector<std::string>{"b"});
  std::string value;
  EXPECT_TRUE(idx->GetMeta("pass_state", &value).IsNotFound());
  ASSERT_TRUE(idx->SetMeta("pass_state", "complete").ok());
  ASSERT_TRUE(idx->GetMeta("pass_state", &value).ok());
  EXPECT_EQ(value, "complete");
}

}  // namespace
}  // namespace regsweep
