// The Registry calls audit and why use: single links, uploads, blob data in
// pieces. On both backends (tests/testutil/test_store.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/layout.h"
#include "storage/registry.h"
#include "storage/store.h"
#include "testutil/test_store.h"
#include "util/clock.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;
using testing::Backend;
using testing::TestStore;

class RegistryAuditTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = s_.Open();
    registry_ = std::make_unique<storage::Registry>(store_.get());
  }
  TestStore s_{GetParam()};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<storage::Registry> registry_;
};

TEST_P(RegistryAuditTest, ReadsSingleLinks) {
  Digest blob = s_.PutBlob("layer");
  s_.PutLayerLink("app", blob);
  s_.PutRevision("app", blob);
  storage::LinkInfo layer = registry_->ReadLayerLink("app", blob);
  EXPECT_TRUE(layer.status.ok());
  EXPECT_EQ(layer.target, blob);
  EXPECT_EQ(layer.named, blob);
  EXPECT_EQ(layer.path, store_->Describe(layout::LayerLinkPath("app", blob)));
  EXPECT_TRUE(registry_->ReadRevisionLink("app", blob).status.ok());

  Digest other = testing::Sha256Of("other");
  EXPECT_TRUE(registry_->ReadLayerLink("app", other).status.IsNotFound());
  s_.WriteFile(layout::LayerLinkPath("app", other), "sha256:12");
  storage::LinkInfo bad = registry_->ReadLayerLink("app", other);
  EXPECT_TRUE(bad.status.IsCorruption());
  EXPECT_EQ(bad.named, other);
}

TEST_P(RegistryAuditTest, ListsUploadsWithTheirStartTimes) {
  std::string dir = layout::UploadsDir("app");
  s_.WriteFile(layout::Join(dir, "b/startedat"), "2024-06-24T10:00:00Z");
  s_.WriteFile(layout::Join(dir, "b/data"), "1234");
  s_.WriteFile(layout::Join(dir, "a/startedat"), "2024-06-24T12:30:00.5+02:00\n");
  s_.WriteFile(layout::Join(dir, "c/startedat"), "yesterday");
  s_.Age(layout::Join(dir, "c"), 3600);
  s_.WriteFile(layout::Join(dir, "stray"), "");
  std::vector<storage::UploadInfo> uploads;
  std::vector<storage::StoreProblem> problems;
  ASSERT_TRUE(registry_->ListUploads("app", &uploads, &problems).ok());
  ASSERT_EQ(uploads.size(), 3u);
  const int64_t k2024_06_24T10 = 1719223200LL * 1000000000LL;
  EXPECT_EQ(uploads[0].id, "a");
  EXPECT_TRUE(uploads[0].started_from_file);
  EXPECT_EQ(uploads[0].started_ns, k2024_06_24T10 + 1800LL * 1000000000LL +
                                       500000000LL);
  EXPECT_EQ(uploads[1].id, "b");
  EXPECT_EQ(uploads[1].started_ns, k2024_06_24T10);
  EXPECT_EQ(uploads[1].bytes, 4u);
  EXPECT_EQ(uploads[1].path, store_->Describe(layout::Join(dir, "b")));
  // "c"'s startedat is no time: the store's time for the upload counts,
  // its directory's on a filesystem; without directories, its objects'.
  EXPECT_EQ(uploads[2].id, "c");
  EXPECT_FALSE(uploads[2].started_from_file);
  EXPECT_NEAR(static_cast<double>(NowNs() - uploads[2].started_ns) / 1e9,
              3600.0, 60);
  EXPECT_EQ(problems.size(), 1u);  // "stray" is not a directory

  uploads.clear();
  EXPECT_TRUE(registry_->ListUploads("none", &uploads, &problems).ok());
  EXPECT_TRUE(uploads.empty());
}

TEST_P(RegistryAuditTest, ReadsBlobDataInPieces) {
  std::string bytes(2500, 'z');
  bytes[1234] = 'q';
  Digest blob = s_.PutBlob(bytes);
  std::vector<size_t> sizes;
  std::string joined;
  uint64_t size = 0;
  Status s = registry_->ReadBlobChunks(
      blob, 1000,
      [&](std::string_view piece) {
        sizes.push_back(piece.size());
        joined.append(piece);
        return Status::OK();
      },
      &size);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
  EXPECT_EQ(joined, bytes);
  EXPECT_EQ(size, 2500u);
  // The sink can stop the read.
  s = registry_->ReadBlobChunks(
      blob, 1000, [](std::string_view) { return Status::Corruption("stop"); },
      &size);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_TRUE(registry_->ReadBlobChunks(testing::Sha256Of("none"), 1000,
                                        [](std::string_view) {
                                          return Status::OK();
                                        },
                                        &size)
                  .IsNotFound());
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryAuditTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
