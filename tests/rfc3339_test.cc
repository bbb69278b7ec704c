#include "util/rfc3339.h"

#include <gtest/gtest.h>

namespace regsweep {
namespace {

TEST(Rfc3339Test, ParsesDistributionsStartedAt) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseRfc3339("1970-01-01T00:00:01Z", &ns));
  EXPECT_EQ(ns, 1000000000LL);
  ASSERT_TRUE(ParseRfc3339("2024-06-24T10:00:00.5+02:00\n", &ns));
  int64_t utc = 0;
  ASSERT_TRUE(ParseRfc3339("2024-06-24T08:00:00Z", &utc));
  EXPECT_EQ(ns, utc + 500000000LL);
}

TEST(Rfc3339Test, RefusesWhatIsNotATime) {
  int64_t ns = 0;
  EXPECT_FALSE(ParseRfc3339("", &ns));
  EXPECT_FALSE(ParseRfc3339("2024-06-24 10:00", &ns));
  EXPECT_FALSE(ParseRfc3339("2024-13-24T10:00:00Z", &ns));
  EXPECT_FALSE(ParseRfc3339("2024-06-24T10:00:00", &ns));  // no zone
  EXPECT_FALSE(ParseRfc3339("2024-06-24T10:00:00Zjunk", &ns));
}

TEST(Rfc3339Test, FormatsInUtcToTheSecondRoundingDown) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1719223200999999999LL), "2024-06-24T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  int64_t ns = 0;
  ASSERT_TRUE(ParseRfc3339(FormatRfc3339(1733345681000000000LL), &ns));
  EXPECT_EQ(ns, 1733345681000000000LL);
}

}  // namespace
}  // namespace regsweep
