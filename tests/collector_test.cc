// Mark and sweep on small stores built file by file: the semantics of both
// modes, grace, bad input, fatal errors and interrupted runs, on both
// backends (what the engine decides does not depend on the store). Only
// permissions and symbolic links are tried on the filesystem alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>

#include "gc/collection/collector.h"
#include "index/ref_index.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;
using ::testing::Contains;
using ::testing::Not;
using testing::Backend;
using testing::TestStore;

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return testing::BackendName(info.param);
}

gc::GcOptions Options(bool delete_untagged = false, bool dry_run = false) {
  gc::GcOptions options;
  options.delete_untagged = delete_untagged;
  options.dry_run = dry_run;
  options.grace_ns = 0;
  return options;
}

gc::GcReport RunOn(storage::Store* store, const gc::GcOptions& options) {
  gc::GcReport report;
  Status s = gc::RunGc(store, options, nullptr, &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return report;
}

gc::GcReport RunOn(const TestStore& test_store, const gc::GcOptions& options) {
  return RunOn(test_store.Open().get(), options);
}

// Whether anything of `dir` (a revision, a tag's history entry, a layer
// link) is left: the directory on the filesystem, a key below it on the
// memory store.
bool Present(const TestStore& s, const std::string& dir) {
  storage::ObjectInfo info;
  return s.Open()->Stat(dir, &info).ok();
}

// A fresh store on the backend under test.
class CollectorTest : public ::testing::TestWithParam<Backend> {
 protected:
  TestStore s{GetParam()};
};

std::set<std::string> Eligible(const gc::GcReport& report) {
  std::set<std::string> out;
  for (const auto& b : report.sweep.blobs_eligible) out.insert(b.digest.str());
  return out;
}

std::set<std::string> EligibleManifests(const gc::GcReport& report) {
  std::set<std::string> out;
  for (const auto& m : report.manifests_eligible) {
    out.insert(m.repository + "@" + m.digest.str());
  }
  return out;
}

bool HasProblem(const gc::GcReport& report, gc::ProblemKind kind) {
  for (const auto& p : report.problems) {
    if (p.kind == kind) return true;
  }
  return false;
}

TEST_P(CollectorTest, DefaultModeDeletesOnlyUnreferencedBlobs) {
  std::vector<Digest> kept;
  Digest image = s.PushImage("app", {"base", "app-layer"}, &kept);
  Digest orphan = s.PutBlob("orphan bytes");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_EQ(Eligible(report), std::set<std::string>{orphan.str()});
  EXPECT_EQ(report.sweep.blobs_deleted, 1u);
  auto on_disk = s.BlobsOnDisk();
  EXPECT_THAT(on_disk, Not(Contains(orphan.str())));
  EXPECT_THAT(on_disk, Contains(image.str()));
  for (const Digest& d : kept) EXPECT_THAT(on_disk, Contains(d.str()));
  EXPECT_EQ(report.blobs_marked, 4u);  // manifest, config, two layers
}

TEST_P(CollectorTest, DryRunReportsTheSameAndDeletesNothing) {
  s.PushImage("app", {"a"});
  Digest orphan = s.PutBlob("orphan");
  auto before = s.BlobsOnDisk();
  gc::GcReport dry = RunOn(s, Options(false, true));
  EXPECT_EQ(s.BlobsOnDisk(), before);
  EXPECT_EQ(Eligible(dry), std::set<std::string>{orphan.str()});
  EXPECT_EQ(dry.sweep.blobs_deleted, 0u);
}

TEST_P(CollectorTest, DeletedManifestFreesItsLayersButNotSharedOnes) {
  std::vector<Digest> gone_blobs;
  Digest gone = s.PushImage("one", {"shared-base", "only-in-one"}, &gone_blobs);
  std::vector<Digest> other_blobs;
  s.PushImage("two", {"shared-base", "only-in-two"}, &other_blobs);
  // Deleted through the API: the revision link goes, blobs stay.
  s.RemovePath(layout::RevisionDir("one", gone));
  gc::GcReport report = RunOn(s, Options());
  std::set<std::string> expected = {gone.str(), gone_blobs[0].str(),
                                    gone_blobs[2].str()};
  EXPECT_EQ(Eligible(report), expected);
  EXPECT_THAT(s.BlobsOnDisk(), Contains(gone_blobs[1].str()));  // shared base
  // The repository's layer links to deleted blobs are gone; the shared
  // one's stays.
  EXPECT_FALSE(Present(s, layout::LayerLinkDir("one", gone_blobs[2])));
  EXPECT_TRUE(Present(s, layout::LayerLinkDir("one", gone_blobs[1])));
}

TEST_P(CollectorTest, DeleteUntaggedKeepsIndexChildrenAndReferrerChains) {
  std::vector<Digest> amd, arm, sig_blobs, sbom_blobs, sbom_sig_blobs, old_blobs;
  Digest child_amd = s.PushImage("multi", {"amd64-layer"}, &amd);
  Digest child_arm = s.PushImage("multi", {"arm64-layer"}, &arm);
  Digest index = s.PushIndex("multi", {child_amd, child_arm});
  s.PutTag("multi", "latest", index);
  Digest sbom = s.PushReferrer("multi", index, "sbom", &sbom_blobs);
  Digest sbom_sig = s.PushReferrer("multi", sbom, "sig of sbom", &sbom_sig_blobs);
  Digest old = s.PushImage("multi", {"old-layer"}, &old_blobs);
  s.PutTag("multi", "v1", old);
  s.PutTag("multi", "v1", index);  // v1 moved: `old` is now untagged
  Digest old_sig = s.PushReferrer("multi", old, "sig of old");

  gc::GcReport report = RunOn(s, Options(/*delete_untagged=*/true));
  EXPECT_EQ(EligibleManifests(report),
            (std::set<std::string>{"multi@" + old.str(), "multi@" + old_sig.str()}));
  std::set<std::string> eligible = Eligible(report);
  EXPECT_THAT(eligible, Contains(old.str()));
  EXPECT_THAT(eligible, Contains(old_blobs[1].str()));  // old-layer
  for (const Digest& d : {child_amd, child_arm, index, sbom, sbom_sig, amd[1], arm[1],
                          sbom_blobs[1], sbom_sig_blobs[1]}) {
    EXPECT_THAT(eligible, Not(Contains(d.str()))) << d.str();
    EXPECT_THAT(s.BlobsOnDisk(), Contains(d.str()));
  }
  // Deleted as distribution does: the revision and the tags' history entry.
  EXPECT_FALSE(Present(s, layout::RevisionDir("multi", old)));
  EXPECT_FALSE(Present(s, layout::TagIndexEntryDir("multi", "v1", old)));
  EXPECT_TRUE(Present(s, layout::RevisionDir("multi", child_arm)));
  EXPECT_TRUE(Present(s, layout::RevisionDir("multi", sbom_sig)));
}

TEST_P(CollectorTest, DefaultModeKeepsUntaggedManifests) {
  Digest untagged = s.PushImage("app", {"layer"});
  gc::GcReport report = RunOn(s, Options());
  EXPECT_TRUE(report.manifests_eligible.empty());
  EXPECT_THAT(s.BlobsOnDisk(), Contains(untagged.str()));
}

TEST_P(CollectorTest, GraceKeepsRecentBlobsAndRevisions) {
  Digest orphan = s.PutBlob("just uploaded");
  Digest untagged = s.PushImage("app", {"new layer"});
  gc::GcOptions options = Options(true);
  options.grace_ns = 3600LL * 1000000000LL;
  gc::GcReport report = RunOn(s, options);
  EXPECT_TRUE(Eligible(report).empty());
  EXPECT_TRUE(report.manifests_eligible.empty());
  EXPECT_EQ(report.sweep.blobs_kept_by_grace, 1u);  // the orphan; the image is a root
  EXPECT_THAT(s.BlobsOnDisk(), Contains(orphan.str()));

  s.AgeEverything(7200);
  report = RunOn(s, options);
  EXPECT_THAT(Eligible(report), Contains(orphan.str()));
  EXPECT_THAT(Eligible(report), Contains(untagged.str()));
}

TEST_P(CollectorTest, MalformedRevisionLinkStillCountsAsItsDirectory) {
  std::vector<Digest> blobs;
  Digest image = s.PushImage("app", {"layer"}, &blobs);
  s.WriteFile(layout::RevisionLinkPath("app", image), "garbage\n");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_TRUE(Eligible(report).empty());
  EXPECT_TRUE(HasProblem(report, gc::ProblemKind::kMalformedLink));
  for (const Digest& d : blobs) EXPECT_THAT(s.BlobsOnDisk(), Contains(d.str()));
}

TEST_P(CollectorTest, LinkWithSurroundingWhiteSpaceIsFine) {
  Digest image = s.PushImage("app", {"layer"});
  s.WriteFile(layout::RevisionLinkPath("app", image), "  " + image.str() + "\n");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_TRUE(report.problems.empty());
  EXPECT_TRUE(Eligible(report).empty());
}

TEST_P(CollectorTest, MissingManifestBlobIsReportedAndRunGoesOn) {
  Digest broken = s.PushImage("broken", {"x"});
  s.RemovePath(layout::BlobDir(broken));
  s.PushImage("fine", {"y"});
  Digest orphan = s.PutBlob("orphan");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_TRUE(report.fatal.empty());
  EXPECT_TRUE(HasProblem(report, gc::ProblemKind::kMissingManifest));
  EXPECT_THAT(Eligible(report), Contains(orphan.str()));
}

TEST_P(CollectorTest, InvalidJsonManifestKeepsEveryDigestInIt) {
  Digest layer = s.PutBlob("layer referenced from broken json");
  Digest manifest = s.PushManifestBytes(
      "app", "{\"schemaVersion\":2, \"layers\":[{\"digest\":\"" + layer.str() + "\"");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_TRUE(Eligible(report).empty());
  EXPECT_TRUE(HasProblem(report, gc::ProblemKind::kUnparseableManifest));
  EXPECT_THAT(s.BlobsOnDisk(), Contains(manifest.str()));
}

TEST_P(CollectorTest, UnknownMediaTypeKeepsEveryDescriptor) {
  Digest a = s.PutBlob("a");
  Digest b = s.PutBlob("b");
  s.PushManifestBytes("app", "{\"mediaType\":\"application/x-future\",\"parts\":"
                             "[{\"digest\":\"" + a.str() + "\"},{\"nested\":"
                             "{\"digest\":\"" + b.str() + "\"}}]}");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_TRUE(Eligible(report).empty());
  // A new artifact type is no damage: nothing to report.
  EXPECT_TRUE(report.problems.empty());
}

TEST_P(CollectorTest, MissingTagsDirectoryIsFine) {
  Digest image = s.PushImage("app", {"l"});
  s.PutTag("app", "latest", image);
  s.RemovePath(layout::TagsDir("app"));
  gc::GcReport report = RunOn(s, Options(true, true));
  EXPECT_TRUE(report.fatal.empty());
  EXPECT_EQ(EligibleManifests(report), std::set<std::string>{"app@" + image.str()});
}

TEST_P(CollectorTest, NestedRepositoriesAreAllFound) {
  std::vector<Digest> ab, abc;
  s.PushImage("a/b", {"ab"}, &ab);
  s.PushImage("a/b/c", {"abc"}, &abc);
  gc::GcReport report = RunOn(s, Options());
  EXPECT_EQ(report.repositories, 2u);
  EXPECT_TRUE(Eligible(report).empty());
}

TEST_P(CollectorTest, RepositoryWithOnlyLayersIsARepository) {
  Digest blob = s.PutBlob("only layer");
  s.PutLayerLink("layers-only", blob);
  gc::GcReport report = RunOn(s, Options(false, true));
  EXPECT_EQ(report.repositories, 1u);
}

TEST_P(CollectorTest, BrokenTagInDeleteUntaggedModeKeepsItsHistory) {
  Digest image = s.PushImage("app", {"l"});
  s.PutTag("app", "latest", image);
  s.WriteFile(layout::TagCurrentLinkPath("app", "latest"), "");
  gc::GcReport report = RunOn(s, Options(true));
  EXPECT_TRUE(report.manifests_eligible.empty());
  EXPECT_TRUE(HasProblem(report, gc::ProblemKind::kMalformedLink));
  EXPECT_THAT(s.BlobsOnDisk(), Contains(image.str()));
}

TEST_P(CollectorTest, Sha512BlobsAreCollected) {
  std::string hex(128, 'a');
  s.WriteFile(layout::V2Root() + "/blobs/sha512/aa/" + hex + "/data", "x");
  gc::GcReport report = RunOn(s, Options());
  EXPECT_EQ(Eligible(report), std::set<std::string>{"sha512:" + hex});
}

TEST_P(CollectorTest, NotARegistryStoreIsAnError) {
  s.PushImage("app", {"layer"});
  s.WriteFile("elsewhere/file", "not the registry's");
  s.RemovePath("docker");
  gc::GcReport report;
  Status status = gc::RunGc(s.Open().get(), Options(), nullptr, &report);
  EXPECT_TRUE(status.IsInvalidArgument());
  EXPECT_THAT(status.message(), ::testing::HasSubstr("docker/registry/v2"));
}

// Fails every read of one path with an I/O error.
class FailingReadStore : public storage::StoreWrapper {
 public:
  FailingReadStore(storage::Store* target, std::string path)
      : StoreWrapper(target), path_(std::move(path)) {}
  Status Read(const std::string& path, uint64_t max, std::string* contents,
                  storage::ObjectInfo* info) override {
    if (path == path_) return Status::IOError(Describe(path), "Input/output error");
    return StoreWrapper::Read(path, max, contents, info);
  }

 private:
  std::string path_;
};

TEST_P(CollectorTest, UnreadableManifestRefusesTheSweep) {
  Digest image = s.PushImage("app", {"layer"});
  Digest orphan = s.PutBlob("orphan");
  std::unique_ptr<storage::Store> real = s.Open();
  FailingReadStore failing(real.get(), layout::BlobDataPath(image));
  gc::GcReport report = RunOn(&failing, Options());
  ASSERT_FALSE(report.fatal.empty());
  EXPECT_THAT(report.fatal.front(), ::testing::HasSubstr(image.hex()));
  EXPECT_EQ(report.sweep.blobs_deleted, 0u);
  EXPECT_THAT(s.BlobsOnDisk(), Contains(orphan.str()));
}

// Filesystem powers: modes, symbolic links.
TEST(CollectorFileTest, PermissionDeniedManifestRefusesTheSweep) {
  if (geteuid() == 0) {
    // root reads through any mode bits; the injected-EIO test covers this.
    GTEST_SKIP() << "running as root";
  }
  TestStore s;
  Digest image = s.PushImage("app", {"layer"});
  chmod(s.Path(layout::BlobDataPath(image)).c_str(), 0);
  gc::GcReport report = RunOn(s, Options());
  EXPECT_FALSE(report.fatal.empty());
}

// Fails every blob removal after the first `allowed`.
class InterruptingStore : public storage::StoreWrapper {
 public:
  InterruptingStore(storage::Store* target, int allowed)
      : StoreWrapper(target), allowed_(allowed) {}
  void Delete(const std::string& dir, const std::vector<std::string>& names,
              std::vector<Status>* results) override {
    EachUnlessInterrupted(dir, names, results, [&](const std::string& name,
                                                   std::vector<Status>* one) {
      StoreWrapper::Delete(dir, {name}, one);
    });
  }
  void DeleteTrees(const std::string& dir, const std::vector<std::string>& names,
                   const std::string& usual_key,
                   std::vector<Status>* results) override {
    EachUnlessInterrupted(dir, names, results, [&](const std::string& name,
                                                   std::vector<Status>* one) {
      StoreWrapper::DeleteTrees(dir, {name}, usual_key, one);
    });
  }

 private:
  // Deletes each name with `remove`, but fails blob deletions past the
  // allowed count.
  template <typename Remove>
  void EachUnlessInterrupted(const std::string& dir,
                             const std::vector<std::string>& names,
                             std::vector<Status>* results, Remove remove) {
    results->clear();
    for (const std::string& name : names) {
      const std::string path = dir + "/" + name;
      if (IsBlob(path) && allowed_-- <= 0) {
        results->push_back(Interrupted(path));
        continue;
      }
      std::vector<Status> one;
      remove(name, &one);
      results->push_back(one.front());
    }
  }
  static bool IsBlob(const std::string& path) {
    return path.find("/blobs/") != std::string::npos;
  }
  Status Interrupted(const std::string& path) {
    return Status::IOError(Describe(path), "interrupted");
  }

  std::atomic<int> allowed_;
};

TEST_P(CollectorTest, InterruptedRunLeavesKeptImagesWholeAndRerunFinishes) {
  std::vector<Digest> kept_blobs, gone_blobs;
  Digest kept = s.PushImage("app", {"shared", "kept-only"}, &kept_blobs);
  s.PutTag("app", "latest", kept);
  Digest gone = s.PushImage("app", {"shared", "gone-1", "gone-2", "gone-3"}, &gone_blobs);
  for (int i = 0; i < 5; ++i) s.PutBlob("orphan " + std::to_string(i));
  std::unique_ptr<storage::Store> real = s.Open();
  InterruptingStore interrupting(real.get(), 2);
  gc::GcReport first = RunOn(&interrupting, Options(true));
  EXPECT_FALSE(first.sweep.errors.empty());
  auto on_disk = s.BlobsOnDisk();
  EXPECT_THAT(on_disk, Contains(kept.str()));
  for (const Digest& d : kept_blobs) EXPECT_THAT(on_disk, Contains(d.str()));
  // The untagged revision went before any blob did.
  EXPECT_FALSE(Present(s, layout::RevisionDir("app", gone)));

  gc::GcReport second = RunOn(s, Options(true));
  EXPECT_TRUE(second.sweep.errors.empty());
  gc::GcReport third = RunOn(s, Options(true, true));
  EXPECT_TRUE(Eligible(third).empty());
  on_disk = s.BlobsOnDisk();
  EXPECT_THAT(on_disk, Not(Contains(gone.str())));
  for (const Digest& d : kept_blobs) EXPECT_THAT(on_disk, Contains(d.str()));
}

TEST(CollectorFileTest, SymlinkOutOfTheStoreIsNeverFollowed) {
  TestStore s;
  TestStore outside;
  Digest victim = outside.PutBlob("outside data");
  s.PushImage("app", {"l"});
  // blobs/sha256/ff -> a prefix directory of another store.
  std::filesystem::create_directory_symlink(
      outside.Path(layout::BlobPrefixDir("sha256", victim.hex().substr(0, 2))),
      s.Path(layout::BlobPrefixDir("sha256", "zz")));
  std::filesystem::create_directory_symlink(
      outside.Path("docker/registry/v2/repositories"),
      s.Path(layout::RepositoryDir("linked")));
  gc::GcReport report = RunOn(s, Options());
  EXPECT_THAT(outside.BlobsOnDisk(), Contains(victim.str()));
  EXPECT_TRUE(HasProblem(report, gc::ProblemKind::kUnexpectedEntry));
}

TEST_P(CollectorTest, LayerLinkToMissingBlobIsRemoved) {
  s.PushImage("app", {"l"});
  Digest missing = testing::Sha256Of("never stored");
  s.PutLayerLink("app", missing);
  gc::GcReport report = RunOn(s, Options());
  EXPECT_EQ(report.sweep.layer_links_deleted, 1u);
  EXPECT_FALSE(Present(s, layout::LayerLinkDir("app", missing)));
}

TEST_P(CollectorTest, BlobReferencedFromAnotherRepositoryIsKept) {
  Digest image = s.PushImage("app", {"l"});
  s.PutTag("app", "latest", image);
  // Another repository's untagged manifest that names the same layer.
  std::vector<Digest> other;
  s.PushImage("other", {"l", "other-only"}, &other);
  gc::GcReport report = RunOn(s, Options(true));
  EXPECT_THAT(Eligible(report), Contains(other[2].str()));
  EXPECT_THAT(Eligible(report), Not(Contains(other[1].str())));
}

TEST_P(CollectorTest, MarkRecordsEdgesAndTagsThatCanBeQueriedAfterReopen) {
  std::vector<Digest> blobs;
  Digest image = s.PushImage("app", {"shared"}, &blobs);
  s.PutTag("app", "latest", image);
  s.PushImage("other", {"shared"});
  std::string dir = s.root() + "-index";
  gc::GcOptions options;
  options.grace_ns = 0;
  options.dry_run = true;
  options.index_dir = dir;
  {
    gc::GcReport report;
    ASSERT_TRUE(gc::RunGc(s.Open().get(), options, nullptr, &report).ok());
  }
  std::unique_ptr<index::RefIndex> idx;
  ASSERT_TRUE(index::RefIndex::Open(dir, &idx).ok());
  std::vector<index::ReferrerRecord> referrers;
  ASSERT_TRUE(idx->Referrers(blobs[1], &referrers).ok());
  std::set<std::string> repos;
  for (const auto& r : referrers) repos.insert(r.repository);
  EXPECT_EQ(repos, (std::set<std::string>{"app", "other"}));
  index::RepositorySnapshot snapshot;
  ASSERT_TRUE(idx->GetRepository("app", &snapshot).ok());
  ASSERT_EQ(snapshot.tags.size(), 1u);
  EXPECT_EQ(snapshot.tags[0].digest, image);
  std::string state;
  ASSERT_TRUE(idx->GetMeta("pass_state", &state).ok());
  EXPECT_EQ(state, "complete");
  idx.reset();
  std::filesystem::remove_all(dir);
}

// "*.tmp" files are ignored, but a tag or repository may be named so.
TEST_P(CollectorTest, TagsAndRepositoriesNamedTmpAreKept) {
  std::vector<Digest> tagged, repo_blobs;
  Digest image = s.PushImage("app", {"tagged layer"}, &tagged);
  s.PutTag("app", "build.tmp", image);
  s.PushImage("app.tmp", {"repo layer"}, &repo_blobs);
  s.WriteFile(storage::layout::TagsDir("app") + "/stray.tmp", "x");
  gc::GcOptions options;
  options.grace_ns = 0;
  options.dry_run = true;
  options.delete_untagged = true;
  std::unique_ptr<storage::Store> store = s.Open();
  gc::GcReport report;
  ASSERT_TRUE(gc::RunGc(store.get(), options, nullptr, &report).ok());
  EXPECT_EQ(report.repositories, 2u);
  EXPECT_TRUE(report.problems.empty());
  for (const auto& m : report.manifests_eligible) {
    EXPECT_NE(m.digest, image) << "the tag build.tmp was not seen";
  }
  options.delete_untagged = false;
  ASSERT_TRUE(gc::RunGc(store.get(), options, nullptr, &report).ok());
  for (const auto& b : report.sweep.blobs_eligible) {
    EXPECT_NE(b.digest, repo_blobs[1]) << "the repository app.tmp was not seen";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CollectorTest,
                         ::testing::ValuesIn(testing::kBackends),
                         BackendParamName);

// A store that does not answer at all: every Stat fails as S3 does once
// its retries are spent.
class UnansweringStore final : public storage::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status Stat(const std::string& key, storage::ObjectInfo*) override {
    return Status::IOError(key, "503 SlowDown after 8 attempts");
  }
};

TEST(CollectorMemoryTest, AStoreThatDoesNotAnswerIsARefusedRunWithItsReport) {
  TestStore s(Backend::kMemory);
  s.PushImage("app", {"l"});
  Digest orphan = s.PutBlob("orphan");
  std::unique_ptr<storage::Store> real = s.Open();
  UnansweringStore unanswering(real.get());
  gc::GcReport report;
  Status status = gc::RunGc(&unanswering, Options(), nullptr, &report);
  EXPECT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(report.fatal.size(), 1u);
  EXPECT_NE(report.fatal.front().find("SlowDown"), std::string::npos);
  EXPECT_THAT(s.BlobsOnDisk(), Contains(orphan.str()));
}

}  // namespace
}  // namespace regsweep
