#include "util/duration.h"

#include <gtest/gtest.h>

namespace regsweep {
namespace {

constexpr int64_t kSecond = 1000000000LL;

TEST(DurationTest, ParsesOperatorDurations) {
  int64_t ns = -1;
  ASSERT_TRUE(ParseDuration("0", &ns));
  EXPECT_EQ(ns, 0);
  ASSERT_TRUE(ParseDuration("90s", &ns));
  EXPECT_EQ(ns, 90 * kSecond);
  ASSERT_TRUE(ParseDuration("30m", &ns));
  EXPECT_EQ(ns, 1800 * kSecond);
  ASSERT_TRUE(ParseDuration("1h30m", &ns));
  EXPECT_EQ(ns, 5400 * kSecond);
  ASSERT_TRUE(ParseDuration("2d", &ns));
  EXPECT_EQ(ns, 2 * 86400 * kSecond);
  ASSERT_TRUE(ParseDuration("1w", &ns));
  EXPECT_EQ(ns, 7 * 86400 * kSecond);
  ASSERT_TRUE(ParseDuration("45", &ns));
  EXPECT_EQ(ns, 45 * kSecond);
}

TEST(DurationTest, RejectsNonsense) {
  int64_t ns = 0;
  EXPECT_FALSE(ParseDuration("", &ns));
  EXPECT_FALSE(ParseDuration("-1h", &ns));
  EXPECT_FALSE(ParseDuration("1y", &ns));
  EXPECT_FALSE(ParseDuration("h", &ns));
  EXPECT_FALSE(ParseDuration("1h30", &ns));
  EXPECT_FALSE(ParseDuration("99999999999999999999s", &ns));
}

}  // namespace
}  // namespace regsweep
