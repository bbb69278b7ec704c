// regsweep audit on small stores: a clean store has no findings, and each
// kind of damage yields exactly its findings. On both backends (a
// filesystem and an object store, tests/testutil/test_store.h); what only
// a filesystem can hold (an empty directory) is tested there alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "gc/inspection/audit.h"
#include "index/ref_index.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;
using gc::FindingKind;
using testing::Backend;
using testing::TestStore;

constexpr int64_t kDay = 86400;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

gc::AuditReport Audit(const TestStore& s, bool verify = false,
                      const std::string& index_dir = "") {
  std::unique_ptr<storage::Store> store = s.Open();
  gc::AuditOptions options;
  options.verify_digests = verify;
  options.index_dir = index_dir;
  gc::AuditReport report;
  Status st = gc::RunAudit(store.get(), options, nullptr, &report);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return report;
}

// `key` as the store names it in findings (a path, or memory://...).
std::string Described(const TestStore& s, const std::string& key) {
  return s.Open()->Describe(key);
}

// "kind repository digest tag" per finding, the way the tests name them.
std::string Key(FindingKind kind, const std::string& repository = "",
                const std::string& digest = "", const std::string& tag = "") {
  return std::string(gc::FindingKindName(kind)) + " " + repository + " " +
         digest + " " + tag;
}

std::multiset<std::string> Keys(const gc::AuditReport& report) {
  std::multiset<std::string> keys;
  for (const gc::Finding& f : report.findings) {
    keys.insert(Key(f.kind, f.repository, f.digest, f.tag));
  }
  return keys;
}

const gc::Finding* FindKind(const gc::AuditReport& report, FindingKind kind) {
  for (const gc::Finding& f : report.findings) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

// A store with every feature: images, a tagged multi-platform index, a
// signature of it, a second repository sharing a base layer.
struct Fixture {
  TestStore s;
  std::vector<Digest> amd_blobs, arm_blobs, sig_blobs, other_blobs;
  Digest amd, arm, index, sig, other;
  explicit Fixture(Backend backend) : s(backend) {
    amd = s.PushImage("multi", {"base", "amd64"}, &amd_blobs);
    arm = s.PushImage("multi", {"base", "arm64", "arm64-extra"}, &arm_blobs);
    index = s.PushIndex("multi", {amd, arm});
    s.PutTag("multi", "latest", index);
    s.PutTag("multi", "v1", index);
    sig = s.PushReferrer("multi", index, "signature", &sig_blobs);
    other = s.PushImage("team/app", {"base", "app"}, &other_blobs);
    s.PutTag("team/app", "stable", other);
    s.AgeEverything(30 * kDay);
  }
};

class AuditTest : public ::testing::TestWithParam<Backend> {};

TEST_P(AuditTest, CleanStoreHasNoFindings) {
  Fixture f(GetParam());
  gc::AuditReport report = Audit(f.s, /*verify=*/true);
  EXPECT_THAT(Keys(report), ::testing::IsEmpty());
  EXPECT_EQ(report.summary.repositories, 2u);
  EXPECT_EQ(report.summary.blobs, report.summary.blobs_referenced);
  EXPECT_EQ(report.summary.blobs_verified, report.summary.blobs);
  EXPECT_TRUE(report.summary.verified);
}

TEST_P(AuditTest, OrphanedBlobHasSizeAndAge) {
  Fixture f(GetParam());
  Digest orphan = f.s.PutBlob("nobody's");
  f.s.Age(layout::BlobDataPath(orphan), 3 * kDay);
  gc::AuditReport report = Audit(f.s);
  ASSERT_THAT(Keys(report), ::testing::ElementsAre(
                                Key(FindingKind::kOrphanedBlob, "", orphan.str())));
  const gc::Finding& finding = report.findings[0];
  EXPECT_EQ(finding.bytes, 8u);
  int64_t age_s = (report.summary.now_ns - finding.time_ns) / 1000000000LL;
  EXPECT_NEAR(static_cast<double>(age_s), 3.0 * kDay, 60);
  EXPECT_EQ(report.summary.bytes_orphaned, 8u);
}

TEST_P(AuditTest, DeletedLayerBreaksEveryImageThatNamesIt) {
  Fixture f(GetParam());
  const Digest& base = f.amd_blobs[1];  // in amd, arm and team/app
  f.s.RemovePath(layout::BlobDir(base));
  gc::AuditReport report = Audit(f.s);
  EXPECT_THAT(Keys(report),
              ::testing::UnorderedElementsAre(
                  Key(FindingKind::kMissingBlob, "multi", base.str()),
                  Key(FindingKind::kMissingBlob, "multi", base.str()),
                  Key(FindingKind::kMissingBlob, "team/app", base.str()),
                  Key(FindingKind::kDanglingLayerLink, "multi", base.str()),
                  Key(FindingKind::kDanglingLayerLink, "team/app", base.str())));
  std::set<std::string> broken;
  for (const gc::Finding& finding : report.findings) {
    if (finding.kind != FindingKind::kMissingBlob) continue;
    broken.insert(finding.manifest);
    if (finding.repository == "multi") {
      // Reached through the index by both of its tags.
      EXPECT_EQ(finding.tags, (std::vector<std::string>{"latest", "v1"}));
    } else {
      EXPECT_EQ(finding.tags, std::vector<std::string>{"stable"});
    }
  }
  EXPECT_EQ(broken, (std::set<std::string>{f.amd.str(), f.arm.str(),
                                           f.other.str()}));
}

TEST_P(AuditTest, DeletedChildManifest) {
  Fixture f(GetParam());
  f.s.RemovePath(layout::BlobDir(f.arm));
  gc::AuditReport report = Audit(f.s);
  // The index names a child that is gone; the child's revision link points
  // nowhere; what only the child named is now unreferenced.
  EXPECT_THAT(Keys(report),
              ::testing::UnorderedElementsAre(
                  Key(FindingKind::kMissingBlob, "multi", f.arm.str()),
                  Key(FindingKind::kMissingManifest, "multi", f.arm.str()),
                  Key(FindingKind::kOrphanedBlob, "", f.arm_blobs[0].str()),
                  Key(FindingKind::kOrphanedBlob, "", f.arm_blobs[2].str()),
                  Key(FindingKind::kOrphanedBlob, "", f.arm_blobs[3].str())));
  const gc::Finding* missing = FindKind(report, FindingKind::kMissingBlob);
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->manifest, f.index.str());
  EXPECT_EQ(missing->tags, (std::vector<std::string>{"latest", "v1"}));
  EXPECT_THAT(missing->detail, ::testing::HasSubstr("manifest " + f.arm.str()));
}

TEST_P(AuditTest, DeletedTaggedManifest) {
  Fixture f(GetParam());
  f.s.RemovePath(layout::BlobDir(f.other));
  gc::AuditReport report = Audit(f.s);
  EXPECT_THAT(Keys(report),
              ::testing::UnorderedElementsAre(
                  Key(FindingKind::kMissingManifest, "team/app", f.other.str()),
                  Key(FindingKind::kMissingManifest, "team/app", f.other.str(),
                      "stable"),
                  Key(FindingKind::kOrphanedBlob, "", f.other_blobs[0].str()),
                  Key(FindingKind::kOrphanedBlob, "", f.other_blobs[2].str())));
  for (const gc::Finding& finding : report.findings) {
    if (finding.kind != FindingKind::kMissingManifest) continue;
    std::string link = finding.tag.empty()
                           ? layout::RevisionLinkPath("team/app", f.other)
                           : layout::TagCurrentLinkPath("team/app", "stable");
    EXPECT_EQ(finding.path, Described(f.s, link));
  }
}

TEST_P(AuditTest, ForeignLayersAreNotFindings) {
  TestStore s(GetParam());
  Digest config = s.PutBlob("{\"os\":\"windows\"}");
  Digest foreign = testing::Sha256Of("windows base layer, never pushed");
  std::string manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":"
      "\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" +
      config.str() +
      "\",\"size\":16},\"layers\":[{\"mediaType\":\"application/"
      "vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" +
      foreign.str() +
      "\",\"size\":1000,\"urls\":[\"https://example.com/layer\"]}]}";
  Digest m = s.PushManifestBytes("win", manifest);
  s.PutTag("win", "ltsc", m);
  s.AgeEverything(kDay);
  gc::AuditReport report = Audit(s);
  EXPECT_THAT(Keys(report), ::testing::IsEmpty());
  // Clean because it was all seen: the repository, both blobs, both kept.
  EXPECT_EQ(report.summary.repositories, 1u);
  EXPECT_EQ(report.summary.blobs, 2u);
  EXPECT_EQ(report.summary.blobs_referenced, 3u);  // with the foreign layer
}

TEST_P(AuditTest, AReferrersSubjectIsNoReference) {
  Fixture f(GetParam());
  // A signature whose subject was deleted (or never pushed here): the
  // referrer is intact; its subject is not something it needs.
  std::vector<Digest> referrer_blobs;
  Digest referrer = f.s.PushReferrer(
      "team/app", testing::Sha256Of("gone subject"), "sig", &referrer_blobs);
  f.s.AgeEverything(kDay);
  gc::AuditReport report = Audit(f.s);
  EXPECT_THAT(Keys(report), ::testing::IsEmpty());
  // Clean because it was all seen and kept, the referrer too.
  EXPECT_EQ(report.summary.blobs, f.s.BlobsOnDisk().size());
  EXPECT_EQ(report.summary.blobs_referenced, report.summary.blobs);
  EXPECT_THAT(f.s.BlobsOnDisk(), ::testing::IsSupersetOf({referrer.str(),
                                                         referrer_blobs[1].str()}));
}

TEST_P(AuditTest, DanglingLayerLink) {
  Fixture f(GetParam());
  Digest gone = testing::Sha256Of("uploaded, then deleted");
  f.s.PutLayerLink("team/app", gone);
  gc::AuditReport report = Audit(f.s);
  ASSERT_THAT(Keys(report), ::testing::ElementsAre(Key(
                                FindingKind::kDanglingLayerLink, "team/app", gone.str())));
  EXPECT_EQ(report.findings[0].path,
            Described(f.s, layout::LayerLinkPath("team/app", gone)));
}

TEST_P(AuditTest, MalformedLinks) {
  Fixture f(GetParam());
  // An empty revision link, a truncated tag link, a layer link of garbage.
  f.s.WriteFile(layout::RevisionLinkPath("multi", f.sig), "");
  f.s.WriteFile(layout::TagCurrentLinkPath("team/app", "stable"),
                f.other.str().substr(0, 20));
  f.s.WriteFile(layout::LayerLinkPath("multi", f.amd_blobs[2]), "garbage");
  gc::AuditReport report = Audit(f.s);
  EXPECT_THAT(Keys(report),
              ::testing::UnorderedElementsAre(
                  Key(FindingKind::kMalformedLink, "multi", f.sig.str()),
                  Key(FindingKind::kMalformedLink, "team/app", "", "stable"),
                  Key(FindingKind::kMalformedLink, "multi", f.amd_blobs[2].str())));
  for (const gc::Finding& finding : report.findings) {
    EXPECT_FALSE(finding.path.empty());
    EXPECT_FALSE(finding.detail.empty());
  }
}

TEST_P(AuditTest, RevisionLinkNamingAnotherDigest) {
  Fixture f(GetParam());
  f.s.WriteFile(layout::RevisionLinkPath("team/app", f.other), f.amd.str());
  gc::AuditReport report = Audit(f.s);
  // Both digests are kept; the link is wrong; the other manifest is not
  // this repository's to hold, but it exists, so nothing is missing.
  EXPECT_THAT(Keys(report), ::testing::ElementsAre(Key(
                                FindingKind::kMalformedLink, "team/app", f.other.str())));
}

TEST_P(AuditTest, UnparseableManifest) {
  Fixture f(GetParam());
  Digest junk = f.s.PushManifestBytes("team/app", "this is not a manifest");
  f.s.AgeEverything(kDay);
  gc::AuditReport report = Audit(f.s);
  ASSERT_THAT(Keys(report), ::testing::ElementsAre(Key(
                                FindingKind::kUnparseableManifest, "team/app", junk.str())));
  EXPECT_EQ(report.findings[0].path,
            Described(f.s, layout::BlobDataPath(junk)));
}

TEST_P(AuditTest, DigestMismatchOnlyWithVerify) {
  Fixture f(GetParam());
  const Digest& layer = f.other_blobs[2];  // "app", its second byte changed
  f.s.WriteFile(layout::BlobDataPath(layer), "aXp");
  EXPECT_THAT(Keys(Audit(f.s)), ::testing::IsEmpty());
  gc::AuditReport report = Audit(f.s, /*verify=*/true);
  ASSERT_THAT(Keys(report), ::testing::ElementsAre(
                                Key(FindingKind::kDigestMismatch, "", layer.str())));
  EXPECT_EQ(report.findings[0].bytes, 3u);  // "app"
  EXPECT_THAT(report.findings[0].detail,
              ::testing::HasSubstr(testing::Sha256Of("aXp").str()));
}

TEST_P(AuditTest, AManifestWhoseBytesDoNotMatchItsDigestIsForgottenByTheIndex) {
  Fixture f(GetParam());
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("regsweep-audit-evict-" + std::to_string(NowNs()));
  Audit(f.s, /*verify=*/false, dir);  // the index now knows every repository
  // The manifest's bytes change, its digest (its name) stays: a parse kept
  // by digest no longer says what the blob holds.
  f.s.WriteFile(layout::BlobDataPath(f.other), "{\"schemaVersion\": 2}");
  gc::AuditReport report = Audit(f.s, /*verify=*/true, dir);
  EXPECT_THAT(Keys(report), ::testing::Contains(Key(FindingKind::kDigestMismatch, "",
                                         f.other.str())));
  std::unique_ptr<index::RefIndex> index;
  ASSERT_TRUE(index::RefIndex::Open(dir, &index).ok());
  index::RepositorySnapshot snapshot;
  EXPECT_TRUE(index->GetRepository("team/app", &snapshot).IsNotFound());
  EXPECT_TRUE(index->GetRepository("multi", &snapshot).ok());
  index.reset();
  std::filesystem::remove_all(dir);
}

TEST_P(AuditTest, StaleUploads) {
  Fixture f(GetParam());
  std::string uploads = layout::UploadsDir("team/app");
  f.s.WriteFile(layout::Join(uploads, "old/startedat"), "2020-01-02T03:04:05Z");
  f.s.WriteFile(layout::Join(uploads, "old/data"), "12345");
  f.s.WriteFile(layout::Join(uploads, "fresh/startedat"),
                gc::FormatTime(NowNs()));
  // No startedat, or one that is no time: the store's time for the upload
  // counts. On a filesystem that is the directory's modification time; a
  // store without directories has none, and the times of the upload's
  // objects count instead (Age sets both: the directory's, or every
  // object's below it).
  f.s.WriteFile(layout::Join(uploads, "nameless/data"), "");
  f.s.Age(layout::Join(uploads, "nameless"), 10 * kDay);
  f.s.WriteFile(layout::Join(uploads, "garbled/startedat"), "last week");
  f.s.Age(layout::Join(uploads, "garbled"), 10 * kDay);
  f.s.WriteFile(layout::Join(uploads, "garbled-fresh/startedat"), "just now");
  gc::AuditReport report = Audit(f.s);
  EXPECT_THAT(Keys(report), ::testing::UnorderedElementsAre(
                                Key(FindingKind::kStaleUpload, "team/app"),
                                Key(FindingKind::kStaleUpload, "team/app"),
                                Key(FindingKind::kStaleUpload, "team/app")));
  std::map<std::string, const gc::Finding*> by_path;
  for (const gc::Finding& finding : report.findings) {
    by_path[finding.path] = &finding;
  }
  auto upload = [&](const char* id) {
    return Described(f.s, layout::Join(uploads, id));
  };
  ASSERT_THAT(by_path, ::testing::UnorderedElementsAre(
                           ::testing::Key(upload("old")),
                           ::testing::Key(upload("nameless")),
                           ::testing::Key(upload("garbled"))));
  const gc::Finding& old = *by_path[upload("old")];
  EXPECT_EQ(old.bytes, 5u);
  EXPECT_EQ(gc::FormatTime(old.time_ns), "2020-01-02T03:04:05Z");
  for (const char* id : {"nameless", "garbled"}) {
    const gc::Finding* finding = by_path[upload(id)];
    EXPECT_NEAR(static_cast<double>(report.summary.now_ns - finding->time_ns) /
                    1e9,
                10.0 * kDay, 60)
        << id;
    EXPECT_THAT(finding->detail, ::testing::HasSubstr("no readable startedat"));
  }
}

// A repository whose manifests were all deleted and whose blobs were
// uploaded without one: only _layers links are left.
TEST_P(AuditTest, RepositoryWithOnlyLayerLinksIsEmpty) {
  Fixture f(GetParam());
  f.s.PutLayerLink("ghost", f.amd_blobs[1]);
  gc::AuditReport report = Audit(f.s);
  ASSERT_THAT(Keys(report), ::testing::ElementsAre(
                                Key(FindingKind::kEmptyRepository, "ghost")));
  EXPECT_EQ(report.findings[0].path,
            Described(f.s, layout::RepositoryDir("ghost")));
  EXPECT_THAT(report.findings[0].detail,
              ::testing::HasSubstr("only _layers links"));
}

TEST_P(AuditTest, UntrackedTag) {
  Fixture f(GetParam());
  f.s.PutTag("team/app", "borrowed", f.amd);  // a manifest of "multi"
  gc::AuditReport report = Audit(f.s);
  EXPECT_THAT(Keys(report), ::testing::ElementsAre(Key(
                                FindingKind::kUntrackedTag, "team/app", f.amd.str(),
                                "borrowed")));
}

TEST_P(AuditTest, UnreadableManifestSuppressesOrphans) {
  Fixture f(GetParam());
  f.s.PutBlob("would be an orphan");
  // The manifest's data is a directory (a prefix, on an object store):
  // reading it fails (even as root).
  f.s.RemovePath(layout::BlobDataPath(f.other));
  f.s.WriteFile(layout::Join(layout::BlobDataPath(f.other), "x"), "");
  gc::AuditReport report = Audit(f.s);
  std::multiset<std::string> kinds;
  for (const gc::Finding& finding : report.findings) {
    kinds.insert(std::string(gc::FindingKindName(finding.kind)));
  }
  // Anything could be referenced from the manifest that could not be read:
  // no orphans are claimed. Its revision and tag now name a blob without
  // data: missing to the registry.
  EXPECT_EQ(kinds.count("orphaned_blob"), 0u);
  EXPECT_EQ(kinds.count("unreadable"), 1u);
  const gc::Finding* unreadable = FindKind(report, FindingKind::kUnreadable);
  ASSERT_NE(unreadable, nullptr);
  EXPECT_THAT(unreadable->path, ::testing::HasSubstr(std::string(f.other.hex())));
}

TEST_P(AuditTest, WritesACompleteIndexWhenAsked) {
  Fixture f(GetParam());
  std::string dir = f.s.root() + "-index";
  Audit(f.s, false, dir);
  {
    std::unique_ptr<index::RefIndex> idx;
    ASSERT_TRUE(index::RefIndex::Open(dir, &idx).ok());
    std::string state;
    ASSERT_TRUE(idx->GetMeta("pass_state", &state).ok());
    EXPECT_EQ(state, "complete");
    std::vector<index::ReferrerRecord> referrers;
    ASSERT_TRUE(idx->Referrers(f.amd_blobs[1], &referrers).ok());
    EXPECT_EQ(referrers.size(), 3u);  // amd, arm, team/app's image
  }
  std::filesystem::remove_all(dir);
}

TEST_P(AuditTest, JsonHasFindingsAndSummary) {
  Fixture f(GetParam());
  Digest orphan = f.s.PutBlob("orphan");
  f.s.PutLayerLink("team/app", testing::Sha256Of("gone"));
  std::string json = gc::AuditToJson(Audit(f.s));
  EXPECT_THAT(json, ::testing::StartsWith("{\"findings\":[{\"kind\":"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"digest\":\"" + orphan.str() + "\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"orphaned_blob\":1"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"dangling_layer_link\":1"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"clean\":false"));
  EXPECT_THAT(json, ::testing::EndsWith("}}"));
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

// Filesystem only: a directory without files, which a store without
// directories cannot hold (there, a prefix exists only while keys lie below
// it; the same finding on both backends is RepositoryWithOnlyLayerLinks).
TEST(AuditFileTest, EmptyManifestsDirectoryIsAnEmptyRepository) {
  Fixture f(Backend::kFile);
  std::filesystem::create_directories(f.s.Path(layout::ManifestsDir("ghost")));
  gc::AuditReport report = Audit(f.s);
  ASSERT_THAT(Keys(report), ::testing::ElementsAre(
                                Key(FindingKind::kEmptyRepository, "ghost")));
  EXPECT_EQ(report.findings[0].path, f.s.Path(layout::RepositoryDir("ghost")));
}

}  // namespace
}  // namespace regsweep
