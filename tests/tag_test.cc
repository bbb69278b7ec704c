// Tags one at a time: name checks, reading and removing one tag (and only
// that tag), the tag catalog (digest, push time, size), and what a following
// gc --delete-untagged reclaims. On both backends (tests/testutil/
// test_store.h), but for symbolic links, which only a filesystem has.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "gc/collection/collector.h"
#include "gc/tag_policy/tag_catalog.h"
#include "storage/layout.h"
#include "storage/registry.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace fs = std::filesystem;
namespace layout = storage::layout;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using storage::Registry;
using testing::Backend;
using testing::TestStore;

class TagTest : public ::testing::TestWithParam<Backend> {
 protected:
  TagTest() : TagTest(GetParam()) {}
  explicit TagTest(Backend backend)
      : test_(backend),
        store_(test_.Open()),
        registry_(std::make_unique<Registry>(store_.get())) {}

  // Whether anything is at `relative`, as written (not through the Store
  // under test): a file, a directory or a symbolic link; on the memory
  // backend an object or a prefix with keys below it.
  bool Exists(const std::string& relative) const {
    if (test_.backend() == Backend::kMemory) {
      return test_.memory()->Has(relative) ||
             !test_.memory()->Keys(relative).empty();
    }
    return fs::exists(fs::symlink_status(test_.Path(relative)));
  }

  gc::TagCatalog Catalog(std::vector<std::string> repositories = {},
                         bool with_sizes = true) {
    gc::TagCatalog catalog;
    gc::CatalogOptions options;
    options.with_sizes = with_sizes;
    Status s = gc::ListTagCatalog(*registry_, repositories, options, &catalog);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return catalog;
  }

  // As written, not as the Store under test describes it.
  uint64_t BlobSize(const Digest& d) const {
    const std::string key = layout::BlobDataPath(d);
    return test_.backend() == Backend::kMemory
               ? test_.memory()->Get(key).value().size()
               : fs::file_size(test_.Path(key));
  }

  TestStore test_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Registry> registry_;
};

// Symbolic links: a filesystem's alone.
class TagFileTest : public TagTest {
 protected:
  TagFileTest() : TagTest(Backend::kFile) {}
};

TEST(TagNameTest, FollowsDockersTagGrammar) {
  for (const char* good : {"v1", "latest", "_x", "A.b-c_d", "1.2.3", "x.tmp"}) {
    EXPECT_TRUE(Registry::IsValidTagName(good)) << good;
  }
  EXPECT_TRUE(Registry::IsValidTagName(std::string(128, 'a')));
  EXPECT_FALSE(Registry::IsValidTagName(std::string(129, 'a')));
  for (const char* bad : {"", ".", "..", ".x", "-x", "a/b", "../x", "a:b",
                          "a b", "a@b", "\xc3\xa9"}) {
    EXPECT_FALSE(Registry::IsValidTagName(bad)) << bad;
  }
}

TEST(RepositoryNameTest, FollowsDistributionsGrammar) {
  for (const char* good : {"app", "team/app", "a.b", "a_b", "a__b", "a---b",
                           "a/b/c", "0", "x-1/y.2"}) {
    EXPECT_TRUE(Registry::IsValidRepositoryName(good)) << good;
  }
  for (const char* bad : {"", "App", "a//b", "/a", "a/", "../a", "a/..", ".",
                          "_manifests", "a/_layers", "a..b", "a___b", "-a",
                          "a-", "a b", "a:b"}) {
    EXPECT_FALSE(Registry::IsValidRepositoryName(bad)) << bad;
  }
  EXPECT_FALSE(Registry::IsValidRepositoryName(std::string(256, 'a')));
}

TEST_P(TagTest, RemoveTagRemovesOnlyThatTagEvenWhenOthersShareItsManifest) {
  std::vector<Digest> blobs;
  Digest image = test_.PushImage("app", {"layer"}, &blobs);
  for (const char* tag : {"v1", "v2", "latest"}) test_.PutTag("app", tag, image);
  auto before = test_.BlobsOnDisk();

  ASSERT_TRUE(registry_->RemoveTag("app", "v1").ok());

  EXPECT_FALSE(Exists(layout::TagDir("app", "v1")));
  EXPECT_TRUE(Exists(layout::TagCurrentLinkPath("app", "v2")));
  EXPECT_TRUE(Exists(layout::TagIndexLinkPath("app", "v2", image)));
  EXPECT_TRUE(Exists(layout::TagCurrentLinkPath("app", "latest")));
  EXPECT_TRUE(Exists(layout::RevisionLinkPath("app", image)));
  EXPECT_EQ(test_.BlobsOnDisk(), before);
  // Idempotent, like every deletion.
  EXPECT_TRUE(registry_->RemoveTag("app", "v1").ok());
}

TEST_P(TagTest, RemoveTagRefusesNamesThatAreNotTags) {
  Digest image = test_.PushImage("app", {"layer"});
  test_.PutTag("app", "v1", image);
  for (const char* bad : {"..", "../app", "v1/current", ".", ""}) {
    EXPECT_TRUE(registry_->RemoveTag("app", bad).IsInvalidArgument()) << bad;
  }
  EXPECT_TRUE(registry_->RemoveTag("../app/_manifests/tags", "v1")
                  .IsInvalidArgument());
  EXPECT_TRUE(registry_->RemoveTag("app/_manifests", "v1").IsInvalidArgument());
  EXPECT_TRUE(Exists(layout::TagCurrentLinkPath("app", "v1")));
  EXPECT_TRUE(Exists(layout::RevisionLinkPath("app", image)));
}

TEST_P(TagTest, ReadTagGivesTheDigestAndPushTime) {
  Digest image = test_.PushImage("app", {"layer"});
  test_.PutTag("app", "v1", image);
  test_.SetTagPushTime("app", "v1", 1700000000);
  storage::TagInfo info;
  ASSERT_TRUE(registry_->ReadTag("app", "v1", &info).ok());
  EXPECT_EQ(info.name, "v1");
  ASSERT_TRUE(info.current.status.ok());
  EXPECT_EQ(info.current.target, image);
  EXPECT_EQ(info.current.mtime_ns, 1700000000LL * 1000000000LL);

  EXPECT_TRUE(registry_->ReadTag("app", "v2", &info).IsNotFound());
  EXPECT_TRUE(registry_->ReadTag("other", "v1", &info).IsNotFound());
  EXPECT_TRUE(registry_->ReadTag("app", "../v1", &info).IsInvalidArgument());
}

TEST_P(TagTest, ATagWithABrokenLinkCanBeReadAndRemoved) {
  test_.WriteFile(layout::TagCurrentLinkPath("app", "broken"), "garbage");
  storage::TagInfo info;
  ASSERT_TRUE(registry_->ReadTag("app", "broken", &info).ok());
  EXPECT_TRUE(info.current.status.IsCorruption());
  ASSERT_TRUE(registry_->RemoveTag("app", "broken").ok());
  EXPECT_FALSE(Exists(layout::TagDir("app", "broken")));
}

TEST_F(TagFileTest, SymbolicLinksAreNeverFollowed) {
  Digest image = test_.PushImage("app", {"layer"});
  test_.PutTag("app", "v2", image);
  // A tag "evil" that is a symbolic link to the real tag v2, and one to a
  // directory outside the store.
  fs::create_directory_symlink(test_.Path(layout::TagDir("app", "v2")),
                               test_.Path(layout::TagDir("app", "evil")));
  fs::path outside = fs::path(test_.root()).parent_path() /
                     (fs::path(test_.root()).filename().string() + "-outside");
  fs::create_directories(outside / "current");
  std::ofstream(outside / "current" / "link") << image.str();
  fs::create_directory_symlink(outside,
                               test_.Path(layout::TagDir("app", "away")));

  storage::TagInfo info;
  EXPECT_TRUE(registry_->ReadTag("app", "evil", &info).IsIOError());
  EXPECT_TRUE(registry_->ReadTag("app", "away", &info).IsIOError());
  // Removal takes the link away and leaves what it points at.
  ASSERT_TRUE(registry_->RemoveTag("app", "evil").ok());
  ASSERT_TRUE(registry_->RemoveTag("app", "away").ok());
  EXPECT_FALSE(Exists(layout::TagDir("app", "evil")));
  EXPECT_TRUE(Exists(layout::TagCurrentLinkPath("app", "v2")));
  EXPECT_TRUE(fs::exists(outside / "current" / "link"));
  fs::remove_all(outside);
}

// A file (an object) where a tag's directory belongs is no tag, and
// removing the tag removes it.
TEST_P(TagTest, AnObjectInPlaceOfATagIsNoTag) {
  Digest image = test_.PushImage("app", {"layer"});
  test_.PutTag("app", "v1", image);
  test_.WriteFile(layout::TagDir("app", "v2"), image.str());
  storage::TagInfo info;
  EXPECT_TRUE(registry_->ReadTag("app", "v2", &info).IsIOError());
  ASSERT_TRUE(registry_->RemoveTag("app", "v2").ok());
  EXPECT_FALSE(Exists(layout::TagDir("app", "v2")));
  EXPECT_TRUE(registry_->ReadTag("app", "v1", &info).ok());
}

TEST_P(TagTest, CheckRepository) {
  test_.PushImage("team/app", {"layer"});
  EXPECT_TRUE(registry_->CheckRepository("team/app").ok());
  EXPECT_TRUE(registry_->CheckRepository("team").IsNotFound());
  EXPECT_TRUE(registry_->CheckRepository("nope").IsNotFound());
  EXPECT_TRUE(registry_->CheckRepository("../x").IsInvalidArgument());
}

TEST_P(TagTest, CatalogListsTagsWithDigestPushTimeAndSize) {
  std::vector<Digest> app_blobs;
  Digest app = test_.PushImage("app", {"base layer", "app layer"}, &app_blobs);
  test_.PutTag("app", "v1", app);
  test_.PutTag("app", "latest", app);
  test_.SetTagPushTime("app", "v1", 1700000000);
  test_.SetTagPushTime("app", "latest", 1700000100);

  gc::TagCatalog catalog = Catalog();
  EXPECT_TRUE(catalog.problems.empty());
  EXPECT_TRUE(catalog.errors.empty());
  ASSERT_EQ(catalog.tags.size(), 2u);
  const gc::TagEntry& latest = catalog.tags[0];  // sorted by name
  const gc::TagEntry& v1 = catalog.tags[1];
  EXPECT_EQ(latest.tag, "latest");
  EXPECT_EQ(v1.repository, "app");
  EXPECT_EQ(v1.tag, "v1");
  EXPECT_EQ(v1.digest, app);
  EXPECT_EQ(v1.pushed_ns, 1700000000LL * 1000000000LL);
  EXPECT_EQ(latest.pushed_ns, 1700000100LL * 1000000000LL);
  uint64_t want = BlobSize(app);
  for (const Digest& d : app_blobs) want += BlobSize(d);
  EXPECT_TRUE(v1.size_complete);
  EXPECT_EQ(v1.size, want);
  EXPECT_EQ(latest.size, want);

  gc::TagCatalog no_sizes = Catalog({}, false);
  ASSERT_EQ(no_sizes.tags.size(), 2u);
  EXPECT_EQ(no_sizes.tags[0].size, 0u);
  EXPECT_FALSE(no_sizes.tags[0].size_complete);
}

TEST_P(TagTest, IndexSizeCountsChildrenAndSharedBlobsOnce) {
  std::vector<Digest> amd, arm;
  Digest child_amd = test_.PushImage("multi", {"shared", "amd64"}, &amd);
  Digest child_arm = test_.PushImage("multi", {"shared", "arm64"}, &arm);
  Digest index = test_.PushIndex("multi", {child_amd, child_arm});
  test_.PutTag("multi", "1.0", index);
  // A referrer is not part of the tag's size.
  test_.PushReferrer("multi", index, "signature");

  gc::TagCatalog catalog = Catalog({"multi"});
  ASSERT_EQ(catalog.tags.size(), 1u);
  std::set<Digest> distinct = {index, child_amd, child_arm};
  distinct.insert(amd.begin(), amd.end());
  distinct.insert(arm.begin(), arm.end());
  uint64_t want = 0;
  for (const Digest& d : distinct) want += BlobSize(d);
  EXPECT_TRUE(catalog.tags[0].size_complete);
  EXPECT_EQ(catalog.tags[0].size, want);
}

TEST_P(TagTest, CatalogReportsBrokenTagsAndMissingBlobs) {
  std::vector<Digest> blobs;
  Digest app = test_.PushImage("app", {"layer"}, &blobs);
  test_.PutTag("app", "ok", app);
  test_.WriteFile(layout::TagCurrentLinkPath("app", "broken"), "nonsense");
  test_.WriteFile(layout::TagDir("app", "nolink") + "/index/x", "");
  test_.RemovePath(layout::BlobDir(blobs[1]));  // the layer

  gc::TagCatalog catalog = Catalog({"app"});
  ASSERT_EQ(catalog.tags.size(), 3u);
  EXPECT_EQ(catalog.tags[0].tag, "broken");
  EXPECT_TRUE(catalog.tags[0].link.IsCorruption());
  EXPECT_FALSE(catalog.tags[0].digest.valid());
  EXPECT_EQ(catalog.tags[1].tag, "nolink");
  EXPECT_TRUE(catalog.tags[1].link.IsNotFound());
  EXPECT_EQ(catalog.tags[1].pushed_ns, 0);
  EXPECT_EQ(catalog.tags[2].tag, "ok");
  EXPECT_FALSE(catalog.tags[2].size_complete);
  EXPECT_EQ(catalog.tags[2].size, BlobSize(app) + BlobSize(blobs[0]));
  EXPECT_EQ(catalog.problems.size(), 2u);
}

TEST_P(TagTest, CatalogOfEveryRepositoryIsSortedByRepositoryThenTag) {
  Digest b = test_.PushImage("b", {"x"});
  Digest a = test_.PushImage("a/nested", {"y"});
  test_.PutTag("b", "z", b);
  test_.PutTag("b", "a", b);
  test_.PutTag("a/nested", "m", a);
  gc::TagCatalog catalog = Catalog({}, false);
  std::vector<std::string> names;
  for (const auto& t : catalog.tags) names.push_back(t.repository + ":" + t.tag);
  EXPECT_THAT(names, ElementsAre("a/nested:m", "b:a", "b:z"));
}

// The scenario in miniature: remove one tag of several, then
// collect untagged manifests; only what no remaining tag reaches goes.
TEST_P(TagTest, RemovedTagsManifestIsReclaimedByGcDeleteUntagged) {
  std::vector<Digest> shared_blobs, gone_blobs, amd, arm, sig_blobs;
  Digest shared = test_.PushImage("i1", {"base", "shared"}, &shared_blobs);
  test_.PutTag("i1", "t11", shared);
  test_.PutTag("i1", "t12", shared);  // t12 shares t11's manifest
  Digest gone = test_.PushImage("i1", {"base", "only-t13"}, &gone_blobs);
  test_.PutTag("i1", "t13", gone);
  Digest child_amd = test_.PushImage("i4", {"base", "amd"}, &amd);
  Digest child_arm = test_.PushImage("i4", {"base", "arm"}, &arm);
  Digest index = test_.PushIndex("i4", {child_amd, child_arm});
  test_.PutTag("i4", "t41", index);
  Digest sig = test_.PushReferrer("i4", index, "sig", &sig_blobs);
  Digest other = test_.PushImage("i4", {"other"});
  test_.PutTag("i4", "t42", other);

  for (const auto& [repo, tag] : std::vector<std::pair<std::string, std::string>>{
           {"i1", "t12"}, {"i1", "t13"}, {"i4", "t42"}}) {
    ASSERT_TRUE(registry_->RemoveTag(repo, tag).ok());
  }
  test_.AgeEverything(7200);
  gc::GcOptions options;
  options.delete_untagged = true;
  gc::GcReport report;
  ASSERT_TRUE(gc::RunGc(store_.get(), options, nullptr, &report).ok());
  EXPECT_TRUE(report.fatal.empty());

  auto on_disk = test_.BlobsOnDisk();
  // t11 still reaches the manifest t12 shared.
  EXPECT_THAT(on_disk, Contains(shared.str()));
  for (const Digest& d : shared_blobs) EXPECT_THAT(on_disk, Contains(d.str()));
  EXPECT_TRUE(Exists(layout::TagCurrentLinkPath("i1", "t11")));
  // t13's manifest and its own layer are gone; the shared base stays.
  EXPECT_THAT(on_disk, Not(Contains(gone.str())));
  EXPECT_THAT(on_disk, Not(Contains(gone_blobs[2].str())));
  EXPECT_THAT(on_disk, Contains(gone_blobs[1].str()));
  EXPECT_FALSE(Exists(layout::RevisionDir("i1", gone)));
  // The index's children and its referrer stay; t42's image goes.
  for (const Digest& d : {index, child_amd, child_arm, sig, amd[2], arm[2],
                          sig_blobs[1]}) {
    EXPECT_THAT(on_disk, Contains(d.str())) << d.str();
  }
  EXPECT_THAT(on_disk, Not(Contains(other.str())));
}

INSTANTIATE_TEST_SUITE_P(Backends, TagTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
