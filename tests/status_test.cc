#include "util/status.h"

#include <gtest/gtest.h>

namespace regsweep {
namespace {

TEST(StatusTest, ReasonIsTheWhyWithoutTheWhat) {
  Status s = Status::Corruption("/store/x/link", "link file is empty");
  EXPECT_EQ(s.message(), "/store/x/link: link file is empty");
  EXPECT_EQ(s.reason(), "link file is empty");
  Status bare = Status::IOError("/store/y");
  EXPECT_EQ(bare.reason(), "/store/y");
  EXPECT_EQ(Status::OK().reason(), "");
}

TEST(StatusTest, PermissionDeniedIsALastingIOError) {
  Status denied = Status::PermissionDenied("/store/blobs", "Permission denied");
  EXPECT_TRUE(denied.IsIOError());
  EXPECT_TRUE(denied.IsLasting());
  EXPECT_FALSE(Status::IOError("/store/blobs", "Input/output error").IsLasting());
  EXPECT_EQ(denied.ToString(), "I/O error: /store/blobs: Permission denied");
  Status busy = Status::Busy("/index", "lock held");
  EXPECT_TRUE(busy.IsBusy());
  EXPECT_FALSE(busy.IsIOError());
}

}  // namespace
}  // namespace regsweep
