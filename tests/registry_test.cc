// The filesystem Store and the registry scanner: listing, reading, deleting,
// and refusing to follow symbolic links.
#include "storage/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using regsweep::testing::TestStore;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(OpenFileStore(test_.root(), &store_).ok());
    registry_ = std::make_unique<Registry>(store_.get());
  }

  TestStore test_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, FindsNestedRepositoriesAndSkipsUnderscoreDirectories) {
  Digest d = test_.PushImage("a/b", {"x"});
  test_.PushImage("a/b/c", {"y"});
  test_.PutLayerLink("layers-only", d);
  test_.WriteFile(layout::UploadsDir("a/b") + "/uuid/data", "partial");
  test_.WriteFile(layout::RepositoryDir("empty-dir") + "/.keep", "");
  std::vector<std::string> names;
  std::vector<StoreProblem> problems;
  ASSERT_TRUE(registry_->ListRepositories(&names, &problems).ok());
  EXPECT_THAT(names, ElementsAre("a/b", "a/b/c", "layers-only"));
}

TEST_F(RegistryTest, ScansRevisionsTagsAndLayers) {
  std::vector<Digest> blobs;
  Digest image = test_.PushImage("app", {"l1", "l2"}, &blobs);
  test_.PutTag("app", "latest", image);
  RepositoryInfo info;
  ASSERT_TRUE(registry_->ScanRepository("app", &info).ok());
  ASSERT_EQ(info.revisions.size(), 1u);
  EXPECT_TRUE(info.revisions[0].status.ok());
  EXPECT_EQ(info.revisions[0].target, image);
  EXPECT_EQ(info.revisions[0].named, image);
  EXPECT_GT(info.revisions[0].mtime_ns, 0);
  ASSERT_EQ(info.tags.size(), 1u);
  EXPECT_EQ(info.tags[0].name, "latest");
  EXPECT_EQ(info.tags[0].current.target, image);
  EXPECT_THAT(info.layers, UnorderedElementsAre(blobs[0], blobs[1], blobs[2]));
}

TEST_F(RegistryTest, DamagedLinksAreReportedNotFatal) {
  Digest image = test_.PushImage("app", {"l"});
  test_.WriteFile(layout::RevisionLinkPath("app", image), "not a digest");
  test_.WriteFile(layout::TagDir("app", "broken") + "/current/link", "");
  test_.WriteFile(layout::RevisionsDir("app") + "/sha256/stray-file", "x");
  test_.WriteFile(layout::TagsDir("app") + "/link.tmp", "x");
  RepositoryInfo info;
  ASSERT_TRUE(registry_->ScanRepository("app", &info).ok());
  ASSERT_EQ(info.revisions.size(), 1u);
  EXPECT_TRUE(info.revisions[0].status.IsCorruption());
  EXPECT_EQ(info.revisions[0].named, image);
  ASSERT_EQ(info.tags.size(), 1u);
  EXPECT_TRUE(info.tags[0].current.status.IsCorruption());
  EXPECT_THAT(info.tags[0].current.status.message(),
              ::testing::HasSubstr("empty"));
  EXPECT_EQ(info.problems.size(), 1u);  // the stray file; *.tmp is ignored
}

TEST_F(RegistryTest, TagHistoryListsEveryManifestTheTagPointedAt) {
  Digest one = test_.PushImage("app", {"1"});
  Digest two = test_.PushImage("app", {"2"});
  test_.PutTag("app", "t", one);
  test_.PutTag("app", "t", two);
  std::vector<Digest> history;
  ASSERT_TRUE(registry_->ListTagHistory("app", "t", &history).ok());
  EXPECT_THAT(history, UnorderedElementsAre(one, two));
}

TEST_F(RegistryTest, ListsBlobsByPrefix) {
  Digest a = test_.PutBlob("a");
  Digest b = test_.PutBlob("b");
  test_.WriteFile(layout::BlobPrefixDir("sha256", "zz") + "/not-a-digest/data", "");
  std::vector<BlobPrefix> prefixes;
  std::vector<StoreProblem> problems;
  ASSERT_TRUE(registry_->ListBlobPrefixes(&prefixes, &problems).ok());
  std::vector<Digest> all;
  for (const BlobPrefix& prefix : prefixes) {
    std::vector<Digest> digests;
    ASSERT_TRUE(registry_->ListBlobs(prefix, &digests, &problems).ok());
    all.insert(all.end(), digests.begin(), digests.end());
  }
  EXPECT_THAT(all, UnorderedElementsAre(a, b));
  EXPECT_EQ(problems.size(), 1u);
}

TEST_F(RegistryTest, RemoveBlobIsIdempotent) {
  Digest a = test_.PutBlob("a");
  ASSERT_TRUE(registry_->RemoveBlob(a).ok());
  EXPECT_FALSE(std::filesystem::exists(test_.Path(layout::BlobDir(a))));
  EXPECT_TRUE(registry_->RemoveBlob(a).ok());
  BlobInfo info;
  EXPECT_TRUE(registry_->StatBlob(a, &info).IsNotFound());
}

TEST_F(RegistryTest, CheckLayoutNamesTheMissingDirectory) {
  EXPECT_TRUE(registry_->CheckLayout().ok());
  test_.RemovePath("docker");
  Status s = registry_->CheckLayout();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), ::testing::HasSubstr("not a registry store"));
}

TEST_F(RegistryTest, StoreNeverReadsOrDeletesThroughSymlinks) {
  TestStore outside;
  Digest victim = outside.PutBlob("secret");
  std::filesystem::create_directory_symlink(
      outside.Path(layout::BlobDir(victim)),
      test_.Path("docker/registry/v2/link-out"));
  std::string contents;
  Status s = store_->Read("docker/registry/v2/link-out/data", 100,
                              &contents, nullptr);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_THAT(s.message(), ::testing::HasSubstr("symbolic link"));
  EXPECT_TRUE(store_->DeleteTree("docker/registry/v2/link-out/data").IsIOError());
  // Removing the link itself removes only the link.
  EXPECT_TRUE(store_->DeleteTree("docker/registry/v2/link-out").ok());
  EXPECT_TRUE(std::filesystem::exists(outside.Path(layout::BlobDataPath(victim))));
}

TEST_F(RegistryTest, StoreRefusesDotDotPaths) {
  std::string contents;
  EXPECT_TRUE(store_->Read("docker/../../etc/passwd", 100, &contents, nullptr)
                  .IsInvalidArgument());
  EXPECT_TRUE(store_->DeleteTree("..").IsInvalidArgument());
}

TEST_F(RegistryTest, ReadFileRefusesOversizedFiles) {
  Digest big = test_.PutBlob(std::string(2000, 'x'));
  std::string contents;
  Status s = store_->Read(layout::BlobDataPath(big), 1000, &contents, nullptr);
  EXPECT_TRUE(s.IsCorruption());
}

}  // namespace
}  // namespace regsweep::storage
