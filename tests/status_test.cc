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

}  // namespace
}  // namespace regsweep
