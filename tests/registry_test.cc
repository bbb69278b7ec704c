// The registry scanner over both backends (tests/testutil/test_store.h):
// listing, reading, deleting; and the filesystem Store's refusal to follow
// symbolic links, which only a filesystem has.
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
using regsweep::testing::Backend;
using regsweep::testing::TestStore;

class RegistryTest : public ::testing::TestWithParam<Backend> {
 protected:
  RegistryTest() : RegistryTest(GetParam()) {}
  explicit RegistryTest(Backend backend)
      : test_(backend),
        store_(test_.Open()),
        registry_(std::make_unique<Registry>(store_.get())) {}

  TestStore test_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
};

// What only a filesystem has: symbolic links, directories of their own.
class RegistryFileTest : public RegistryTest {
 protected:
  RegistryFileTest() : RegistryTest(Backend::kFile) {}
};

TEST_P(RegistryTest, FindsNestedRepositoriesAndSkipsUnderscoreDirectories) {
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

TEST_P(RegistryTest, ScansRevisionsTagsAndLayers) {
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

TEST_P(RegistryTest, DamagedLinksAreReportedNotFatal) {
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

TEST_P(RegistryTest, TagHistoryListsEveryManifestTheTagPointedAt) {
  Digest one = test_.PushImage("app", {"1"});
  Digest two = test_.PushImage("app", {"2"});
  test_.PutTag("app", "t", one);
  test_.PutTag("app", "t", two);
  std::vector<Digest> history;
  ASSERT_TRUE(registry_->ListTagHistory("app", "t", &history).ok());
  EXPECT_THAT(history, UnorderedElementsAre(one, two));
}

TEST_P(RegistryTest, ListsBlobsByPrefix) {
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

TEST_P(RegistryTest, RemoveBlobIsIdempotent) {
  Digest a = test_.PutBlob("a");
  Digest b = test_.PutBlob("b");
  // Something besides data (an interrupted copy's leftover) goes too.
  test_.WriteFile(layout::Join(layout::BlobDir(a), "leftover"), "x");
  ASSERT_TRUE(registry_->RemoveBlob(a).ok());
  // Nothing of it is left: no data, and (on a filesystem) no directory.
  EXPECT_FALSE(test_.Exists(layout::BlobDataPath(a)));
  if (GetParam() == Backend::kFile) {
    EXPECT_FALSE(std::filesystem::exists(test_.Path(layout::BlobDir(a))));
  } else {
    EXPECT_THAT(test_.memory()->Keys(layout::BlobDir(a)), ::testing::IsEmpty());
  }
  EXPECT_TRUE(test_.Exists(layout::BlobDataPath(b)));
  EXPECT_TRUE(registry_->RemoveBlob(a).ok());
  BlobInfo info;
  EXPECT_TRUE(registry_->StatBlob(a, &info).IsNotFound());
}

TEST_P(RegistryTest, CheckLayoutNamesTheMissingDirectory) {
  test_.PutBlob("a");
  EXPECT_TRUE(registry_->CheckLayout().ok());
  test_.RemovePath("docker");
  Status s = registry_->CheckLayout();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), ::testing::HasSubstr("not a registry store"));
}

// A store nothing was pushed to yet: on a filesystem its directories are
// there (TestStore makes them, as the registry does on start); an object
// store holds no key at all, so no v2/ prefix exists and it cannot be told
// from a wrong root.
TEST_P(RegistryTest, CheckLayoutOfAStoreNothingWasPushedTo) {
  Status s = registry_->CheckLayout();
  if (GetParam() == Backend::kFile) {
    EXPECT_TRUE(s.ok()) << s.ToString();
  } else {
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_THAT(s.message(), ::testing::HasSubstr("not a registry store"));
  }
}

TEST_F(RegistryFileTest, StoreNeverReadsOrDeletesThroughSymlinks) {
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

TEST_P(RegistryTest, StoreRefusesDotDotPaths) {
  std::string contents;
  EXPECT_TRUE(store_->Read("docker/../../etc/passwd", 100, &contents, nullptr)
                  .IsInvalidArgument());
  EXPECT_TRUE(store_->DeleteTree("..").IsInvalidArgument());
}

TEST_P(RegistryTest, ReadFileRefusesOversizedFiles) {
  Digest big = test_.PutBlob(std::string(2000, 'x'));
  std::string contents;
  Status s = store_->Read(layout::BlobDataPath(big), 1000, &contents, nullptr);
  EXPECT_TRUE(s.IsCorruption());
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep::storage
