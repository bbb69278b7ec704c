// Registry's scan of a repository on a store without directories
// (storage/registry_key_scan.cc): one listing per kind of link, revision
// links proven by their MD5 instead of read, and every link read where the
// listing proves nothing, so that no malformed link hides a root.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/layout.h"
#include "storage/memory_store.h"
#include "storage/registry.h"
#include "testutil/test_store.h"

namespace regsweep::storage {
namespace {

using regsweep::testing::Backend;
using regsweep::testing::TestStore;

// Describes every object as having no MD5 (an S3 object uploaded in
// parts, or encrypted with KMS): nothing can be proven from a listing.
class WithoutMd5Store final : public StoreWrapper {
 public:
  explicit WithoutMd5Store(Store* target) : StoreWrapper(target) {}
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override {
    return StoreWrapper::ListAll(
        prefix, [&](std::string_view key, const ObjectInfo& info) {
          ObjectInfo without = info;
          without.has_md5 = false;
          visit(key, without);
        });
  }
};

// Fails every listing of every key below a revisions directory.
class FailingRevisionsStore final : public StoreWrapper {
 public:
  explicit FailingRevisionsStore(Store* target) : StoreWrapper(target) {}
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override {
    if (prefix.ends_with("/_manifests/revisions")) {
      return Status::IOError(prefix, "injected listing failure");
    }
    return StoreWrapper::ListAll(prefix, visit);
  }
};

class RegistryKeyScanTest : public ::testing::Test {
 protected:
  RegistryKeyScanTest() : test_(Backend::kMemory), store_(test_.Open()) {}

  uint64_t Gets() const { return test_.memory()->get_requests(); }

  TestStore test_;
  std::unique_ptr<Store> store_;
};

TEST_F(RegistryKeyScanTest, ProvenRevisionLinksAreNotRead) {
  Digest a = test_.PushImage("app", {"l1"});
  Digest b = test_.PushImage("app", {"l2"});
  test_.PutTag("app", "latest", a);
  Registry registry(store_.get());
  const uint64_t before = Gets();
  RepositoryInfo info;
  ASSERT_TRUE(registry.ScanRepository("app", &info).ok());
  EXPECT_EQ(Gets() - before, 1u);  // the tag's current link, nothing else
  ASSERT_EQ(info.revisions.size(), 2u);
  for (const LinkInfo& link : info.revisions) {
    ASSERT_TRUE(link.status.ok()) << link.status.ToString();
    EXPECT_EQ(link.target, link.named);
    EXPECT_GT(link.mtime_ns, 0);
  }
  EXPECT_TRUE(info.revisions[0].target == a || info.revisions[1].target == a);
  EXPECT_TRUE(info.revisions[0].target == b || info.revisions[1].target == b);
  ASSERT_EQ(info.tags.size(), 1u);
  EXPECT_EQ(info.tags[0].current.target, a);
  EXPECT_EQ(info.layers.size(), 4u);  // two images, config and layer each
}

TEST_F(RegistryKeyScanTest, ALinkNamingAnotherDigestIsReadAndBothAreSeen) {
  Digest a = test_.PushImage("app", {"l1"});
  Digest other = test_.PushImage("elsewhere", {"l2"});
  // The revision directory of `a` holds a link to `other`.
  test_.WriteFile(layout::RevisionLinkPath("app", a), other.str());
  Registry registry(store_.get());
  RepositoryInfo info;
  ASSERT_TRUE(registry.ScanRepository("app", &info).ok());
  ASSERT_EQ(info.revisions.size(), 1u);
  EXPECT_EQ(info.revisions[0].named, a);
  EXPECT_EQ(info.revisions[0].target, other);
}

TEST_F(RegistryKeyScanTest, AMalformedLinkIsReadAndReported) {
  Digest a = test_.PushImage("app", {"l1"});
  test_.WriteFile(layout::RevisionLinkPath("app", a), "not a digest");
  Registry registry(store_.get());
  RepositoryInfo info;
  ASSERT_TRUE(registry.ScanRepository("app", &info).ok());
  ASSERT_EQ(info.revisions.size(), 1u);
  EXPECT_EQ(info.revisions[0].named, a);  // the key still names the root
  EXPECT_TRUE(info.revisions[0].status.IsCorruption());
}

TEST_F(RegistryKeyScanTest, WithoutAnMd5EveryLinkIsRead) {
  test_.PushImage("app", {"l1"});
  test_.PushImage("app", {"l2"});
  WithoutMd5Store without(store_.get());
  Registry registry(&without);
  const uint64_t before = Gets();
  RepositoryInfo info;
  ASSERT_TRUE(registry.ScanRepository("app", &info).ok());
  EXPECT_EQ(Gets() - before, 2u);
  for (const LinkInfo& link : info.revisions) {
    EXPECT_TRUE(link.status.ok());
    EXPECT_EQ(link.target, link.named);
  }
}

TEST_F(RegistryKeyScanTest, AFailedListingFailsTheScan) {
  test_.PushImage("app", {"l1"});
  FailingRevisionsStore failing(store_.get());
  Registry registry(&failing);
  RepositoryInfo info;
  Status s = registry.ScanRepository("app", &info);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(info.revisions.empty());
}

TEST_F(RegistryKeyScanTest, OddKeysAreReportedAndFolderMarkersIgnored) {
  Digest a = test_.PushImage("app", {"l1"});
  test_.memory()->Put(layout::RevisionsDir("app") + "/sha256/", "");
  test_.WriteFile(layout::RevisionsDir("app") + "/md5/x/link", a.str());
  test_.WriteFile(layout::TagsDir("app") + "/stray-file", "x");
  Registry registry(store_.get());
  RepositoryInfo info;
  ASSERT_TRUE(registry.ScanRepository("app", &info).ok());
  EXPECT_EQ(info.revisions.size(), 1u);
  EXPECT_EQ(info.problems.size(), 2u);  // md5/ and the stray tag file
}

TEST_F(RegistryKeyScanTest, ATagWithoutCurrentLinkCostsNoRead) {
  Digest a = test_.PushImage("app", {"l1"});
  test_.WriteFile(layout::TagIndexLinkPath("app", "old", a), a.str());
  Registry registry(store_.get());
  const uint64_t before = Gets();
  RepositoryInfo info;
  ASSERT_TRUE(registry.ScanRepository("app", &info).ok());
  EXPECT_EQ(Gets() - before, 0u);
  ASSERT_EQ(info.tags.size(), 1u);
  EXPECT_TRUE(info.tags[0].current.status.IsNotFound());
}

}  // namespace
}  // namespace regsweep::storage
