// Stores built to mislead a collector: manifests only a lenient JSON reader
// accepts, referrers that do not parse, symbolic links where the registry
// keeps links, chains of indexes deeper than any stack, cycles, blob
// directories whose data is no file. Every case is a real run (not a dry
// one), in both modes, checked against the disk: every blob a client would
// pull is still there. What tests the engine (manifests, depth, cycles)
// runs on both backends (tests/testutil/test_store.h); symbolic links are a
// filesystem's alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gc/inspection/audit.h"
#include "gc/collection/collector.h"
#include "gc/inspection/disk_usage.h"
#include "gc/collection/report.h"
#include "gc/inspection/why.h"
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

gc::GcReport RealRun(const TestStore& test_store, bool delete_untagged) {
  gc::GcOptions options;
  options.delete_untagged = delete_untagged;
  options.grace_ns = 0;
  std::unique_ptr<storage::Store> store = test_store.Open();
  gc::GcReport report;
  Status s = gc::RunGc(store.get(), options, nullptr, &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return report;
}

void ExpectOnDisk(const TestStore& s, const std::vector<Digest>& blobs) {
  std::set<std::string> on_disk = s.BlobsOnDisk();
  size_t missing = 0;
  for (const Digest& d : blobs) {
    // count(), not gmock's Contains: a matcher scans the whole set.
    if (on_disk.count(d.str()) == 0 && ++missing <= 5) {
      ADD_FAILURE() << "deleted " << d.str();
    }
  }
  EXPECT_EQ(missing, 0u);
}

std::string Descriptor(const std::string& media_type, const Digest& digest) {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + digest.str() +
         R"(","size":100})";
}

// The digest with every character written as a JSON \u escape: Go decodes
// it to the digest, a byte scan sees no digest at all.
std::string Escaped(const Digest& digest) {
  std::string out;
  char buffer[8];
  for (char c : digest.str()) {
    std::snprintf(buffer, sizeof(buffer), "\\u%04x",
                  static_cast<unsigned char>(c));
    out += buffer;
  }
  return out;
}

// Members that make simdjson reject a manifest that Go's encoding/json
// accepts (and so the registry stores and serves).
struct Trigger {
  const char* name;
  std::string member;  // ,"x-...": ...
};

std::vector<Trigger> Triggers() {
  std::string deep;
  for (int i = 0; i < 1100; ++i) deep += "[";
  for (int i = 0; i < 1100; ++i) deep += "]";
  return {
      {"invalid UTF-8", ",\"annotations\":{\"note\":\"caf\xE9\"}"},
      {"nesting past 1024", ",\"x-deep\":" + deep},
      {"number beyond double range", ",\"x-big\":1e400"},
      {"integer above 2^64", ",\"x-count\":18446744073709551616"},
  };
}

// A schema2 image whose layer digest is escaped, made unparseable to
// simdjson by `trigger`. Returns the manifest; *blobs gets every blob a
// client pulls.
Digest PushEscapedImage(TestStore* s, const std::string& repo,
                        const std::string& trigger, std::vector<Digest>* blobs) {
  Digest config = s->PutBlob(R"({"architecture":"amd64","os":"linux"})");
  Digest layer = s->PutBlob("layer of " + repo);
  s->PutLayerLink(repo, config);
  s->PutLayerLink(repo, layer);
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":)" +
      Descriptor("application/vnd.docker.container.image.v1+json", config) +
      R"(,"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
      Escaped(layer) + R"(","size":10}])" + trigger + "}";
  Digest digest = s->PushManifestBytes(repo, manifest);
  blobs->insert(blobs->end(), {digest, config, layer});
  return digest;
}

class HostileStoreTest : public ::testing::TestWithParam<Backend> {};

TEST_P(HostileStoreTest, EscapedDigestInManifestSimdjsonRejectsIsKept) {
  for (const Trigger& trigger : Triggers()) {
    for (bool untagged : {false, true}) {
      SCOPED_TRACE(std::string(trigger.name) + (untagged ? ", -m" : ""));
      TestStore s(GetParam());
      std::vector<Digest> pulled;
      Digest image = PushEscapedImage(&s, "app", trigger.member, &pulled);
      s.PutTag("app", "latest", image);
      Digest orphan = s.PutBlob("orphan");
      gc::GcReport report = RealRun(s, untagged);
      EXPECT_THAT(report.fatal, IsEmpty());
      ExpectOnDisk(s, pulled);
      EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
    }
  }
}

// A signature of a tagged image whose JSON simdjson rejects: with -m its
// subject is never read strictly, yet it is a referrer of a kept manifest.
TEST_P(HostileStoreTest, ReferrerThatDoesNotParseIsKeptWithDeleteUntagged) {
  for (const Trigger& trigger : Triggers()) {
    SCOPED_TRACE(trigger.name);
    TestStore s(GetParam());
    std::vector<Digest> pulled;
    Digest image = s.PushImage("app", {"base"}, &pulled);
    pulled.push_back(image);
    s.PutTag("app", "v1", image);
    Digest empty = s.PutBlob("{}");
    Digest signature = s.PutBlob("signature payload");
    std::string referrer =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json","config":)" +
        Descriptor("application/vnd.oci.empty.v1+json", empty) +
        R"(,"layers":[)" +
        Descriptor("application/vnd.dev.cosign.simplesigning.v1+json",
                   signature) +
        R"(],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
        Escaped(image) + R"(","size":100})" + trigger.member + "}";
    Digest sig = s.PushManifestBytes("app", referrer);
    pulled.insert(pulled.end(), {sig, empty, signature});
    Digest untagged = s.PushImage("app", {"old"});
    gc::GcReport report = RealRun(s, /*delete_untagged=*/true);
    EXPECT_THAT(report.fatal, IsEmpty());
    ExpectOnDisk(s, pulled);
    EXPECT_TRUE(s.Exists(layout::RevisionLinkPath("app", sig)));
    EXPECT_FALSE(s.Exists(layout::RevisionLinkPath("app", untagged)));
  }
}

// Under -m: tagged index T -> index X (a blob, no revision link) -> image L
// (a revision, untagged). L is reachable from a tag: all of it stays.
TEST_P(HostileStoreTest, ImageBehindAChildWithoutRevisionIsKeptWhole) {
  TestStore s(GetParam());
  std::vector<Digest> pulled;
  Digest image = s.PushImage("app", {"l1", "l2"}, &pulled);
  pulled.push_back(image);
  std::string x = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
                  Descriptor("application/vnd.oci.image.manifest.v1+json", image) +
                  "]}";
  Digest inner = s.PutBlob(x);  // no revision link
  Digest top = s.PushIndex("app", {inner});
  s.PutTag("app", "latest", top);
  pulled.insert(pulled.end(), {inner, top});
  Digest orphan = s.PutBlob("orphan");  // so that the sweep shows it ran
  gc::GcReport report = RealRun(s, /*delete_untagged=*/true);
  EXPECT_THAT(report.fatal, IsEmpty());
  ExpectOnDisk(s, pulled);
  EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
  EXPECT_TRUE(s.Exists(layout::RevisionLinkPath("app", image)));
  EXPECT_THAT(report.manifests_eligible, IsEmpty());
}

// A manifest that does not parse, naming (as a digest found anywhere) a
// child index without a revision link: the child is read as a possible
// manifest and what it names is kept.
TEST_P(HostileStoreTest, FallbackReferencesAreFollowedAsPossibleChildren) {
  for (bool untagged : {false, true}) {
    SCOPED_TRACE(untagged ? "-m" : "default");
    TestStore s(GetParam());
    std::vector<Digest> pulled;
    Digest image = s.PutBlob(
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
        Descriptor("application/vnd.oci.image.config.v1+json",
                   s.PutBlob(R"({"os":"linux"})")) +
        R"(,"layers":[)" +
        Descriptor("application/vnd.oci.image.layer.v1.tar",
                   s.PutBlob("the layer")) +
        "]}");
    pulled.push_back(image);
    std::string broken = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":")" +
                         Escaped(image) + R"("}],"x":1e400})";
    Digest top = s.PushManifestBytes("app", broken);
    s.PutTag("app", "latest", top);
    pulled.push_back(top);
    s.PutBlob("orphan");
    gc::GcReport report = RealRun(s, untagged);
    EXPECT_THAT(report.fatal, IsEmpty());
    // top, image, config, layer; the orphan is gone.
    EXPECT_EQ(s.BlobsOnDisk().size(), 4u);
    ExpectOnDisk(s, pulled);
  }
}

// ---------------------------------------------------------------------------
// Symbolic links where the registry keeps revision or tag links: it follows
// them and serves the images; we refuse, with nothing deleted and one error
// that names them.

struct LinkCase {
  const char* name;
  bool delete_untagged;
  // Moves a part of repository "app" elsewhere and puts a symbolic link in
  // its place; returns the link's path relative to the store root.
  std::string (*make)(TestStore* s, const Digest& image);
};

std::string MoveAndLink(TestStore* s, const std::string& relative) {
  std::string aside = relative + ".real";
  fs::rename(s->Path(relative), s->Path(aside));
  fs::create_directory_symlink(fs::path(aside).filename(), s->Path(relative));
  return relative;
}

std::vector<LinkCase> LinkCases() {
  return {
      {"repository directory", false,
       [](TestStore* s, const Digest&) {
         // repositories/app -> a directory outside repositories/ would be
         // refused too; here it is a sibling, as operators rename them.
         return MoveAndLink(s, layout::RepositoryDir("app"));
       }},
      {"revisions/sha256", false,
       [](TestStore* s, const Digest&) {
         return MoveAndLink(s, layout::RevisionAlgorithmDir("app", "sha256"));
       }},
      {"revisions/sha256/<hex>", false,
       [](TestStore* s, const Digest& image) {
         return MoveAndLink(s, layout::RevisionDir("app", image));
       }},
      {"tags/<tag> with -m", true,
       [](TestStore* s, const Digest&) {
         return MoveAndLink(s, layout::TagDir("app", "latest"));
       }},
  };
}

TEST(HostileFileStoreTest, SymbolicLinksWhereLinksLiveRefuseTheSweep) {
  for (const LinkCase& c : LinkCases()) {
    SCOPED_TRACE(c.name);
    TestStore s;
    std::vector<Digest> pulled;
    Digest image = s.PushImage("app", {"layer"}, &pulled);
    s.PutTag("app", "latest", image);
    Digest orphan = s.PutBlob("orphan");
    std::string link = c.make(&s, image);
    gc::GcReport report = RealRun(s, c.delete_untagged);
    ASSERT_EQ(report.fatal.size(), 1u);
    EXPECT_THAT(report.fatal.front(), HasSubstr(link));
    EXPECT_THAT(report.fatal.front(), HasSubstr("symbolic link"));
    EXPECT_EQ(report.sweep.blobs_deleted, 0u);
    EXPECT_THAT(report.sweep.blobs_eligible, IsEmpty());
    ExpectOnDisk(s, pulled);
    EXPECT_THAT(s.BlobsOnDisk(), Contains(orphan.str()));
  }
}

TEST(HostileFileStoreTest, ManySymbolicLinksMakeOneError) {
  TestStore s;
  for (int i = 0; i < 30; ++i) {
    std::string repo = "app" + std::to_string(i);
    s.PushImage(repo, {"layer " + repo});
    MoveAndLink(&s, layout::RepositoryDir(repo));
  }
  gc::GcReport report = RealRun(s, false);
  ASSERT_EQ(report.fatal.size(), 1u);
  EXPECT_THAT(report.fatal.front(), HasSubstr("30 symbolic link(s)"));
  EXPECT_THAT(report.fatal.front(), HasSubstr("and 10 more"));
}

// ---------------------------------------------------------------------------
// The refused run's report, and blob directories whose data is no file.

TEST(HostileFileStoreTest, RefusedRunNamesNothingEligible) {
  TestStore s;
  Digest image = s.PushImage("app", {"layer"});
  s.PushImage("old", {"old layer"});
  s.PutBlob("orphan");
  s.PutTag("app", "latest", image);
  MoveAndLink(&s, layout::RevisionDir("app", image));
  gc::GcReport report = RealRun(s, /*delete_untagged=*/true);
  ASSERT_FALSE(report.fatal.empty());
  EXPECT_THAT(report.sweep.blobs_eligible, IsEmpty());
  EXPECT_EQ(report.sweep.bytes_eligible, 0u);
  EXPECT_THAT(report.manifests_eligible, IsEmpty());
  EXPECT_THAT(gc::ReportToJson(report), HasSubstr(R"("blobs_eligible":[])"));
}

// Runs gc dry and for real over `s`, where the blobs `odd` have data that is
// no object: each run keeps and reports each of them, with no error.
void ExpectOddBlobsKept(const TestStore& s, const std::set<std::string>& odd) {
  for (bool dry : {true, false}) {
    SCOPED_TRACE(dry ? "dry run" : "real run");
    gc::GcOptions options;
    options.grace_ns = 0;
    options.dry_run = dry;
    std::unique_ptr<storage::Store> store = s.Open();
    gc::GcReport report;
    ASSERT_TRUE(gc::RunGc(store.get(), options, nullptr, &report).ok());
    EXPECT_EQ(report.sweep.blobs_kept_odd, odd.size());
    EXPECT_THAT(report.sweep.errors, IsEmpty());
    size_t reported = 0;
    for (const gc::Problem& p : report.problems) reported += odd.count(p.digest);
    EXPECT_EQ(reported, odd.size());
  }
}

TEST(HostileFileStoreTest, BlobWhoseDataIsNoFileIsReportedCountedAndKept) {
  TestStore s;
  TestStore other;
  std::vector<Digest> pulled;
  s.PushImage("app", {"layer"}, &pulled);
  Digest linked = s.PutBlob("data behind a link");
  Digest target = other.PutBlob("the real file");
  fs::remove(s.Path(layout::BlobDataPath(linked)));
  fs::create_symlink(other.Path(layout::BlobDataPath(target)),
                     s.Path(layout::BlobDataPath(linked)));
  Digest dir = s.PutBlob("data that is a directory");
  fs::remove(s.Path(layout::BlobDataPath(dir)));
  fs::create_directory(s.Path(layout::BlobDataPath(dir)));
  Digest orphan = s.PutBlob("orphan");
  ExpectOddBlobsKept(s, {linked.str(), dir.str()});
  EXPECT_TRUE(fs::is_symlink(s.Path(layout::BlobDataPath(linked))));
  EXPECT_TRUE(fs::is_directory(s.Path(layout::BlobDataPath(dir))));
  EXPECT_THAT(other.BlobsOnDisk(), Contains(target.str()));
  EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
  ExpectOnDisk(s, pulled);
}

// Data that holds keys of its own (a directory; on an object store a
// prefix, "<hex>/data/..."), on both backends: no blob regsweep reads or
// deletes, reported and counted; what lies below it stays.
TEST_P(HostileStoreTest, BlobWhoseDataHoldsKeysIsReportedCountedAndKept) {
  TestStore s(GetParam());
  std::vector<Digest> pulled;
  s.PushImage("app", {"layer"}, &pulled);
  Digest odd = s.PutBlob("data that is a directory");
  s.RemovePath(layout::BlobDataPath(odd));
  const std::string below = layout::Join(layout::BlobDataPath(odd), "part");
  s.WriteFile(below, "what lies below");
  Digest orphan = s.PutBlob("orphan");
  ExpectOddBlobsKept(s, {odd.str()});
  EXPECT_TRUE(s.Exists(below));
  EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
  ExpectOnDisk(s, pulled);
}

// ---------------------------------------------------------------------------
// Depth and cycles: no recursion bounded by input.

constexpr int kDeepChain = 100000;

// Where a store of a hundred thousand blobs is quick to build: tmpfs when
// the machine has it.
std::string DeepStoreParent() {
  std::error_code ignored;
  return fs::is_directory("/dev/shm", ignored)
             ? "/dev/shm"
             : fs::temp_directory_path().string();
}

std::string IndexOf(const Digest& child) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
         Descriptor("application/vnd.oci.image.index.v1+json", child) + "]}";
}

// An image at the bottom of `depth` nested indexes; only the top has a
// revision link (when `revisions` is false) or every index has one.
Digest PushDeepChain(TestStore* s, int depth, bool revisions,
                     std::vector<Digest>* pulled) {
  std::vector<Digest> blobs;
  Digest image = s->PushImage("deep", {"bottom layer"}, &blobs);
  pulled->insert(pulled->end(), blobs.begin(), blobs.end());
  pulled->push_back(image);
  Digest child = image;
  for (int i = 0; i < depth; ++i) {
    bool last = i + 1 == depth;
    child = revisions || last ? s->PushManifestBytes("deep", IndexOf(child))
                              : s->PutBlob(IndexOf(child));
    pulled->push_back(child);
  }
  return child;
}

// Chains of a hundred thousand run on the filesystem (on tmpfs) alone: on
// the memory backend each test takes some 5 s. Nested indexes
// (ImageBehindAChildWithoutRevisionIsKeptWhole) and a cycle
// (CycleOfIndexesEnds) run on both backends.
TEST(HostileDeepStoreTest, ChainOfIndexesDeeperThanAnyStack) {
  TestStore s(DeepStoreParent());
  std::vector<Digest> pulled;
  Digest top = PushDeepChain(&s, kDeepChain, /*revisions=*/false, &pulled);
  s.PutTag("deep", "latest", top);
  Digest orphan = s.PutBlob("orphan");
  const Digest bottom_layer = pulled[1];
  std::unique_ptr<storage::Store> store = s.Open();

  gc::AuditReport audit;
  ASSERT_TRUE(gc::RunAudit(store.get(), gc::AuditOptions(), nullptr, &audit).ok());
  size_t orphans = 0;
  for (const gc::Finding& f : audit.findings) {
    if (f.kind == gc::FindingKind::kOrphanedBlob) {
      ++orphans;
      EXPECT_EQ(f.digest, orphan.str());
    }
  }
  EXPECT_EQ(orphans, 1u);

  gc::DiskUsageOptions du_options;
  du_options.grace_ns = 0;
  gc::DiskUsageReport usage;
  ASSERT_TRUE(
      gc::MeasureDiskUsage(store.get(), du_options, nullptr, &usage).ok());
  EXPECT_EQ(usage.reclaimable_blobs, 1u);

  gc::WhyOptions why_options;
  why_options.grace_ns = 0;
  gc::WhyReport why;
  ASSERT_TRUE(
      gc::ExplainDigest(store.get(), bottom_layer, why_options, nullptr, &why)
          .ok());
  EXPECT_FALSE(why.would_be_deleted());
  gc::WhyReport orphan_why;
  ASSERT_TRUE(
      gc::ExplainDigest(store.get(), orphan, why_options, nullptr, &orphan_why)
          .ok());
  EXPECT_TRUE(orphan_why.would_be_deleted());

  for (bool untagged : {false, true}) {
    SCOPED_TRACE(untagged ? "-m" : "default");
    gc::GcReport report = RealRun(s, untagged);
    EXPECT_THAT(report.fatal, IsEmpty());
    ExpectOnDisk(s, pulled);
  }
  EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
}

// Every index of the chain a revision: `why` climbs from the bottom layer
// through all of them to the tag.
TEST(HostileDeepStoreTest, WhyClimbsAChainOfRevisionsDeeperThanAnyStack) {
  TestStore s(DeepStoreParent());
  std::vector<Digest> pulled;
  Digest top = PushDeepChain(&s, kDeepChain, /*revisions=*/true, &pulled);
  s.PutTag("deep", "latest", top);
  std::unique_ptr<storage::Store> store = s.Open();
  gc::WhyReport why;
  ASSERT_TRUE(gc::ExplainDigest(store.get(), pulled[1], gc::WhyOptions(),
                                nullptr, &why)
                  .ok());
  ASSERT_EQ(why.chains.size(), 1u);
  EXPECT_EQ(why.chains[0].tag, "latest");
  EXPECT_EQ(why.chains[0].steps.size(), static_cast<size_t>(kDeepChain) + 2);
  gc::GcReport report = RealRun(s, /*delete_untagged=*/true);
  EXPECT_THAT(report.fatal, IsEmpty());
  EXPECT_THAT(report.manifests_eligible, IsEmpty());
  ExpectOnDisk(s, pulled);
}

// Content addressing makes a cycle impossible, but a damaged store can hold
// one: a blob whose bytes do not hash to its name. Two indexes naming each
// other, the top one tagged, each also naming an image.
TEST_P(HostileStoreTest, CycleOfIndexesEnds) {
  for (bool untagged : {false, true}) {
    SCOPED_TRACE(untagged ? "-m" : "default");
    TestStore s(GetParam());
    std::vector<Digest> pulled;
    Digest image = s.PushImage("app", {"layer"}, &pulled);
    pulled.push_back(image);
    Digest a = testing::Sha256Of("the name of index a");
    std::string b_bytes =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
        Descriptor("application/vnd.oci.image.index.v1+json", a) + "," +
        Descriptor("application/vnd.oci.image.manifest.v1+json", image) + "]}";
    Digest b = s.PutBlob(b_bytes);  // no revision
    s.WriteFile(layout::BlobDataPath(a), IndexOf(b));
    s.PutRevision("app", a);
    s.PutTag("app", "latest", a);
    pulled.insert(pulled.end(), {a, b});
    Digest orphan = s.PutBlob("orphan");  // so that the sweep shows it ran
    gc::GcReport report = RealRun(s, untagged);
    EXPECT_THAT(report.fatal, IsEmpty());
    ExpectOnDisk(s, pulled);
    EXPECT_THAT(s.BlobsOnDisk(), Not(Contains(orphan.str())));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, HostileStoreTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
