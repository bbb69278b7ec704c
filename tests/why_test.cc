// regsweep why: the chains that keep a digest, from the store or from an
// index a pass left; and what happens to a digest nothing keeps. On both
// backends (tests/testutil/test_store.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "gc/inspection/audit.h"
#include "gc/inspection/why.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;
using ::testing::ElementsAre;
using testing::Backend;
using testing::TestStore;

constexpr int64_t kDay = 86400;
constexpr int64_t kHourNs = 3600LL * 1000000000LL;

gc::WhyReport Why(const TestStore& s, const Digest& digest,
                  const std::string& index_dir = "", int64_t grace_ns = 0) {
  std::unique_ptr<storage::Store> store = s.Open();
  gc::WhyOptions options;
  options.index_dir = index_dir;
  options.grace_ns = grace_ns;
  gc::WhyReport report;
  Status st = gc::ExplainDigest(store.get(), digest, options, nullptr, &report);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return report;
}

std::vector<std::string> Lines(const gc::WhyReport& report) {
  std::vector<std::string> lines;
  for (const gc::KeepChain& chain : report.chains) {
    lines.push_back(gc::FormatChain(chain));
  }
  return lines;
}

struct Fixture {
  TestStore s;
  std::vector<Digest> amd_blobs, arm_blobs, sig_blobs;
  Digest amd, arm, index, sig;
  explicit Fixture(Backend backend) : s(backend) {
    amd = s.PushImage("multi", {"base", "amd64"}, &amd_blobs);
    arm = s.PushImage("multi", {"base", "arm64", "arm64-extra"}, &arm_blobs);
    index = s.PushIndex("multi", {amd, arm});
    s.PutTag("multi", "latest", index);
    s.PutTag("multi", "v1", index);
    sig = s.PushReferrer("multi", index, "signature", &sig_blobs);
    s.AgeEverything(kDay);
  }
};

class WhyTest : public ::testing::TestWithParam<Backend> {};

TEST_P(WhyTest, LayerOfATaggedIndex) {
  Fixture f(GetParam());
  const Digest& layer = f.amd_blobs[2];  // "amd64"
  gc::WhyReport report = Why(f.s, layer);
  std::string tail = " -> index " + f.index.str() + " -> manifest " +
                     f.amd.str() + " -> layer " + layer.str();
  EXPECT_THAT(Lines(report),
              ElementsAre("multi:latest" + tail, "multi:v1" + tail));
  EXPECT_TRUE(report.kept());
  EXPECT_TRUE(report.exists);
  EXPECT_EQ(report.bytes, 5u);
  EXPECT_FALSE(report.would_be_deleted());
  EXPECT_EQ(report.source, "mark");
}

TEST_P(WhyTest, SharedLayerHasAChainPerManifest) {
  Fixture f(GetParam());
  const Digest& base = f.amd_blobs[1];
  f.s.PushImage("other", {"base"});  // untagged: a root all the same
  f.s.AgeEverything(kDay);
  gc::WhyReport report = Why(f.s, base);
  ASSERT_EQ(report.chains.size(), 5u);  // 2 tags x 2 children, + other
  EXPECT_EQ(report.chains[4].repository, "other");
  EXPECT_EQ(report.chains[4].tag, "");
  EXPECT_THAT(gc::FormatChain(report.chains[4]),
              ::testing::StartsWith("other (untagged) -> manifest sha256:"));
}

TEST_P(WhyTest, ManifestItselfAndReferrerBlobs) {
  Fixture f(GetParam());
  EXPECT_THAT(Lines(Why(f.s, f.index)),
              ElementsAre("multi:latest -> index " + f.index.str(),
                          "multi:v1 -> index " + f.index.str()));
  // The signature is an untagged revision (a root in default mode).
  EXPECT_THAT(Lines(Why(f.s, f.sig_blobs[1])),
              ElementsAre("multi (untagged) -> manifest " + f.sig.str() +
                          " -> layer " + f.sig_blobs[1].str()));
}

TEST_P(WhyTest, UnreferencedBlobWouldBeDeleted) {
  Fixture f(GetParam());
  Digest orphan = f.s.PutBlob("orphan");
  f.s.Age(layout::BlobDataPath(orphan), 2 * kDay);
  gc::WhyReport report = Why(f.s, orphan, "", kHourNs);
  EXPECT_FALSE(report.kept());
  EXPECT_TRUE(report.exists);
  EXPECT_TRUE(report.would_be_deleted());
  EXPECT_NEAR(static_cast<double>(report.now_ns - report.mtime_ns) / 1e9,
              2.0 * kDay, 60);
  // Written just now: within the grace period, gc keeps it for now.
  Digest fresh = f.s.PutBlob("fresh orphan");
  gc::WhyReport young = Why(f.s, fresh, "", kHourNs);
  EXPECT_FALSE(young.kept());
  EXPECT_FALSE(young.would_be_deleted());
}

TEST_P(WhyTest, NotInTheStore) {
  Fixture f(GetParam());
  gc::WhyReport report = Why(f.s, testing::Sha256Of("never pushed"));
  EXPECT_FALSE(report.kept());
  EXPECT_FALSE(report.exists);
  EXPECT_FALSE(report.would_be_deleted());
}

TEST_P(WhyTest, MissingButReferenced) {
  Fixture f(GetParam());
  const Digest& layer = f.arm_blobs[3];
  f.s.RemovePath(layout::BlobDir(layer));
  gc::WhyReport report = Why(f.s, layer);
  EXPECT_TRUE(report.kept());
  EXPECT_FALSE(report.exists);
  EXPECT_EQ(report.chains.size(), 2u);
}

TEST_P(WhyTest, RevisionWhoseBlobIsMissing) {
  Fixture f(GetParam());
  Digest lost = f.s.PushImage("lost", {"lost layer"});
  f.s.RemovePath(layout::BlobDir(lost));
  gc::WhyReport report = Why(f.s, lost);
  EXPECT_THAT(Lines(report), ElementsAre("lost (untagged) -> manifest " + lost.str()));
}

TEST_P(WhyTest, AnswersFromACompleteIndexAndIgnoresGoneRepositories) {
  Fixture f(GetParam());
  Digest base = f.amd_blobs[1];
  f.s.PushImage("other", {"base"});
  f.s.AgeEverything(kDay);
  std::string dir = f.s.root() + "-index";
  {
    std::unique_ptr<storage::Store> store = f.s.Open();
    gc::AuditOptions options;
    options.index_dir = dir;
    gc::AuditReport audit;
    ASSERT_TRUE(gc::RunAudit(store.get(), options, nullptr, &audit).ok());
  }
  f.s.RemovePath(layout::RepositoryDir("other"));
  gc::WhyReport report = Why(f.s, base, dir);
  EXPECT_EQ(report.source, "index");
  EXPECT_EQ(report.chains.size(), 4u);  // "other" is gone from the store
  for (const gc::KeepChain& chain : report.chains) {
    EXPECT_EQ(chain.repository, "multi");
  }
  std::filesystem::remove_all(dir);
}

TEST_P(WhyTest, Json) {
  Fixture f(GetParam());
  std::string json = gc::WhyToJson(Why(f.s, f.sig));
  EXPECT_THAT(json, ::testing::HasSubstr("\"kept\":true"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"tag\":null"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"what\":\"manifest\""));
}

INSTANTIATE_TEST_SUITE_P(Backends, WhyTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
