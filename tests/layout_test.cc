#include "storage/layout.h"

#include <gtest/gtest.h>

namespace regsweep::storage::layout {
namespace {

// Upload paths as distribution 2.8's paths.go spells them
// (uploadDataPathSpec, uploadStartedAtPathSpec, uploadHashStatePathSpec).
TEST(LayoutTest, UploadPathsMatchTheRegistry) {
  const std::string dir =
      "docker/registry/v2/repositories/team/app/_uploads/"
      "5f0e6c1a-7b1d-4c1e-9a55-0a4b2f7d9e11";
  const std::string_view id = "5f0e6c1a-7b1d-4c1e-9a55-0a4b2f7d9e11";
  EXPECT_EQ(UploadDir("team/app", id), dir);
  EXPECT_EQ(UploadDataPath("team/app", id), dir + "/data");
  EXPECT_EQ(UploadStartedAtPath("team/app", id), dir + "/startedat");
  EXPECT_EQ(UploadHashStatePath("team/app", id, "sha256", 0),
            dir + "/hashstates/sha256/0");
  EXPECT_EQ(UploadHashStatePath("team/app", id, "sha512", 10485760),
            dir + "/hashstates/sha512/10485760");
}

}  // namespace
}  // namespace regsweep::storage::layout
