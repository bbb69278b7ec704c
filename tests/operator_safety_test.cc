// What an operator trips over before anything is deleted: a store whose
// parts are symbolic links to another disk (the filesystem's), and a
// process that may not delete (the wrong user, a read-only mount; on both
// backends).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "gc/collection/collector.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace fs = std::filesystem;
namespace layout = storage::layout;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::Backend;
using testing::TestStore;

// Tests on either backend: each takes a TestStore(GetParam()).
class OperatorSafetyTest : public ::testing::TestWithParam<Backend> {};

gc::GcReport RealRun(storage::Store* store) {
  gc::GcOptions options;
  options.grace_ns = 0;
  gc::GcReport report;
  Status s = gc::RunGc(store, options, nullptr, &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return report;
}

// Moves `relative` of the store onto "another disk" (another directory) and
// leaves a symbolic link in its place, as operators grow stores.
void MoveToAnotherDisk(const TestStore& s, const TestStore& disk,
                       const std::string& relative) {
  fs::path target = fs::path(disk.root()) / ("moved-" + fs::path(relative).filename().string());
  fs::rename(s.Path(relative), target);
  fs::create_directory_symlink(target, s.Path(relative));
}

TEST(OperatorSafetyFileTest, LinkedStoreDirectoriesAreFollowedOnce) {
  for (const std::string& linked :
       {layout::V2Root(), layout::BlobsRoot(), layout::RepositoriesRoot()}) {
    SCOPED_TRACE(linked);
    TestStore s;
    TestStore disk;
    std::vector<Digest> pulled;
    Digest image = s.PushImage("app", {"layer"}, &pulled);
    Digest orphan = s.PutBlob("orphan");
    MoveToAnotherDisk(s, disk, linked);
    std::unique_ptr<storage::Store> store;
    ASSERT_TRUE(storage::OpenFileStore(s.root(), &store).ok());
    gc::GcReport report = RealRun(store.get());
    EXPECT_THAT(report.fatal, IsEmpty());
    EXPECT_THAT(report.problems, IsEmpty());
    EXPECT_EQ(report.sweep.blobs_deleted, 1u);
    std::set<std::string> on_disk = s.BlobsOnDisk();
    EXPECT_THAT(on_disk, Contains(image.str()));
    for (const Digest& d : pulled) EXPECT_THAT(on_disk, Contains(d.str()));
    EXPECT_THAT(on_disk, Not(Contains(orphan.str())));
  }
}

TEST(OperatorSafetyFileTest, TheStoreRootMayBeALink) {
  TestStore s;
  TestStore elsewhere;
  s.PushImage("app", {"layer"});
  Digest orphan = s.PutBlob("orphan");
  fs::path link = fs::path(elsewhere.root()) / "store-link";
  fs::create_directory_symlink(s.root(), link);
  std::unique_ptr<storage::Store> store;
  ASSERT_TRUE(storage::OpenFileStore(link.string(), &store).ok());
  gc::GcReport report = RealRun(store.get());
  EXPECT_THAT(report.fatal, IsEmpty());
  EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
}

// Links below the linked directories are still never followed.
TEST(OperatorSafetyFileTest, LinksInsideALinkedDirectoryAreStillRefused) {
  TestStore s;
  TestStore disk;
  TestStore outside;
  Digest victim = outside.PutBlob("outside data");
  s.PushImage("app", {"l"});
  MoveToAnotherDisk(s, disk, layout::BlobsRoot());
  fs::create_directory_symlink(
      outside.Path(layout::BlobPrefixDir("sha256", victim.hex().substr(0, 2))),
      s.Path(layout::BlobPrefixDir("sha256", "zz")));
  std::unique_ptr<storage::Store> store;
  ASSERT_TRUE(storage::OpenFileStore(s.root(), &store).ok());
  gc::GcReport report = RealRun(store.get());
  EXPECT_THAT(outside.BlobsOnDisk(), Contains(victim.str()));
  EXPECT_FALSE(report.problems.empty());
}

// A store that says no to writes where the sweep would delete.
class ReadOnlyStore : public storage::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status CheckWritable(const std::string& path) override {
    return Status::IOError(Describe(path), "Permission denied");
  }
};

TEST_P(OperatorSafetyTest, ASweepThatMayNotDeleteDeletesNothingAndSaysWhere) {
  for (bool untagged : {false, true}) {
    SCOPED_TRACE(untagged ? "-m" : "default");
    TestStore s(GetParam());
    s.PushImage("app", {"layer"});
    s.PushImage("old", {"old layer"});
    Digest orphan = s.PutBlob("orphan");
    std::set<std::string> before = s.BlobsOnDisk();
    std::unique_ptr<storage::Store> real = s.Open();
    ReadOnlyStore store(real.get());
    gc::GcOptions options;
    options.grace_ns = 0;
    options.delete_untagged = untagged;
    gc::GcReport report;
    ASSERT_TRUE(gc::RunGc(&store, options, nullptr, &report).ok());
    ASSERT_FALSE(report.sweep.denied.ok());
    EXPECT_THAT(report.sweep.denied.message(), HasSubstr(real->Describe("")));
    EXPECT_THAT(report.sweep.denied.message(), HasSubstr("Permission denied"));
    EXPECT_EQ(report.sweep.blobs_deleted, 0u);
    EXPECT_EQ(report.sweep.manifests_deleted, 0u);
    EXPECT_THAT(report.sweep.errors, IsEmpty());
    EXPECT_EQ(s.BlobsOnDisk(), before);
    EXPECT_THAT(s.BlobsOnDisk(), Contains(orphan.str()));
  }
}

TEST(OperatorSafetyFileTest, FileStoreSaysWhetherADirectoryIsWritable) {
  TestStore s;
  std::unique_ptr<storage::Store> store;
  ASSERT_TRUE(storage::OpenFileStore(s.root(), &store).ok());
  EXPECT_TRUE(store->CheckWritable(layout::BlobsRoot()).ok());
  EXPECT_TRUE(store->CheckWritable("no/such/dir").IsNotFound());
}

// A warning names its file once: in its path, not again in its detail.
TEST_P(OperatorSafetyTest, MalformedLinkProblemNamesItsPathOnce) {
  TestStore s(GetParam());
  Digest image = s.PushImage("app", {"layer"});
  s.WriteFile(layout::RevisionLinkPath("app", image), "not a digest");
  gc::GcOptions options;
  options.dry_run = true;
  gc::GcReport report;
  ASSERT_TRUE(gc::RunGc(s.Open().get(), options, nullptr, &report).ok());
  ASSERT_EQ(report.problems.size(), 1u);
  const gc::Problem& p = report.problems[0];
  EXPECT_EQ(p.kind, gc::ProblemKind::kMalformedLink);
  EXPECT_THAT(p.path, HasSubstr("link"));
  EXPECT_THAT(p.detail, Not(HasSubstr(p.path)));
  EXPECT_THAT(p.detail, HasSubstr("does not hold a digest"));
}

INSTANTIATE_TEST_SUITE_P(Backends, OperatorSafetyTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
