// regsweep du: unique and shared bytes per repository, and what gc would
// reclaim. On both backends (tests/testutil/test_store.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "gc/inspection/disk_usage.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;
using testing::Backend;
using testing::TestStore;

constexpr int64_t kDay = 86400;

gc::DiskUsageReport Du(const TestStore& s, int64_t grace_ns) {
  std::unique_ptr<storage::Store> store = s.Open();
  gc::DiskUsageOptions options;
  options.grace_ns = grace_ns;
  gc::DiskUsageReport report;
  Status st = gc::MeasureDiskUsage(store.get(), options, nullptr, &report);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return report;
}

// The blobs' sizes as written, read past the Store the engine uses.
uint64_t SizeOf(const TestStore& s, const std::vector<Digest>& digests) {
  uint64_t total = 0;
  for (const Digest& d : digests) {
    const std::string key = layout::BlobDataPath(d);
    total += s.backend() == Backend::kMemory
                 ? s.memory()->Get(key).value().size()
                 : std::filesystem::file_size(s.Path(key));
  }
  return total;
}

const gc::RepositoryUsage& Repo(const gc::DiskUsageReport& r,
                                const std::string& name) {
  for (const gc::RepositoryUsage& u : r.repositories) {
    if (u.repository == name) return u;
  }
  static gc::RepositoryUsage none;
  ADD_FAILURE() << "no repository " << name;
  return none;
}

class DiskUsageTest : public ::testing::TestWithParam<Backend> {};

TEST_P(DiskUsageTest, UniqueAndSharedBytes) {
  TestStore s(GetParam());
  const std::string base(1000, 'B');
  std::vector<Digest> a_blobs, a2_blobs, b_blobs;
  Digest a = s.PushImage("a", {base, std::string(300, 'a')}, &a_blobs);
  Digest a2 = s.PushImage("a", {base, std::string(70, 'x'), std::string(5, 'y')},
                          &a2_blobs);
  Digest b = s.PushImage("b", {base, std::string(40, 'b')}, &b_blobs);
  s.PutTag("a", "latest", a);
  s.PutBlob(std::string(123, 'o'));  // an orphan
  s.AgeEverything(kDay);
  s.PutBlob(std::string(77, 'n'));  // an orphan within the grace period

  gc::DiskUsageReport r = Du(s, 3600LL * 1000000000LL);
  ASSERT_EQ(r.repositories.size(), 2u);
  // Blobs are [config, base, own layers...]; the base is in both.
  const gc::RepositoryUsage& ua = Repo(r, "a");
  EXPECT_EQ(ua.unique_bytes,
            SizeOf(s, {a, a2, a_blobs[0], a_blobs[2], a2_blobs[0], a2_blobs[2],
                       a2_blobs[3]}));
  EXPECT_EQ(ua.unique_blobs, 7u);
  EXPECT_EQ(ua.shared_bytes, 1000u);
  EXPECT_EQ(ua.shared_blobs, 1u);
  EXPECT_EQ(ua.bytes, ua.unique_bytes + ua.shared_bytes);
  EXPECT_EQ(ua.manifests, 2u);
  EXPECT_EQ(ua.tags, 1u);
  const gc::RepositoryUsage& ub = Repo(r, "b");
  EXPECT_EQ(ub.unique_bytes, SizeOf(s, {b, b_blobs[0], b_blobs[2]}));
  EXPECT_EQ(ub.shared_bytes, 1000u);
  EXPECT_EQ(ub.blobs, 4u);
  EXPECT_EQ(r.repositories[0].repository, "a");  // more unique bytes

  EXPECT_EQ(r.reclaimable_blobs, 1u);
  EXPECT_EQ(r.reclaimable_bytes, 123u);
  EXPECT_EQ(r.grace_blobs, 1u);
  EXPECT_EQ(r.grace_bytes, 77u);
  EXPECT_EQ(r.referenced_blobs, 11u);  // 7 + 3 unique, the base
  EXPECT_EQ(r.referenced_bytes, ua.unique_bytes + ub.unique_bytes + 1000);
  EXPECT_EQ(r.blobs, r.referenced_blobs + 2);
  EXPECT_EQ(r.bytes, r.referenced_bytes + 123 + 77);
  EXPECT_EQ(r.missing_blobs, 0u);
}

TEST_P(DiskUsageTest, MissingBlobsCountNothing) {
  TestStore s(GetParam());
  std::vector<Digest> blobs;
  s.PushImage("a", {"layer one", "layer two"}, &blobs);
  s.RemovePath(layout::BlobDir(blobs[2]));
  gc::DiskUsageReport r = Du(s, 0);
  EXPECT_EQ(r.missing_blobs, 1u);
  EXPECT_EQ(Repo(r, "a").blobs, 3u);  // manifest, config, layer one
  EXPECT_EQ(r.reclaimable_blobs, 0u);
}

TEST_P(DiskUsageTest, Json) {
  TestStore s(GetParam());
  s.PushImage("a", {"x"});
  std::string json = gc::DiskUsageToJson(Du(s, 0));
  EXPECT_THAT(json, ::testing::HasSubstr("\"repository\":\"a\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"unique_bytes\":"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"reclaimable_bytes\":0"));
}

INSTANTIATE_TEST_SUITE_P(Backends, DiskUsageTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
