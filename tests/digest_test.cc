#include "util/digest.h"

#include <gtest/gtest.h>

namespace regsweep {
namespace {

const std::string kHex(64, 'a');

TEST(DigestTest, ParsesSha256AndSha512) {
  Digest d;
  ASSERT_TRUE(Digest::Parse("sha256:" + kHex, &d));
  EXPECT_EQ(d.algorithm(), DigestAlgorithm::kSha256);
  EXPECT_EQ(d.algorithm_name(), "sha256");
  EXPECT_EQ(d.hex(), kHex);
  EXPECT_EQ(d.str(), "sha256:" + kHex);
  ASSERT_TRUE(Digest::Parse("sha512:" + std::string(128, '0'), &d));
  EXPECT_EQ(d.algorithm(), DigestAlgorithm::kSha512);
}

TEST(DigestTest, RejectsWhatDistributionRejects) {
  Digest d;
  EXPECT_FALSE(Digest::Parse("", &d));
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(63, 'a'), &d));
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(65, 'a'), &d));
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(64, 'A'), &d));
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(63, 'a') + "g", &d));
  EXPECT_FALSE(Digest::Parse("md5:" + kHex, &d));
  EXPECT_FALSE(Digest::Parse("sha512:" + kHex, &d));
  EXPECT_FALSE(Digest::Parse(kHex, &d));
  EXPECT_FALSE(d.valid());
}

TEST(DigestTest, LinkContentToleratesSurroundingWhiteSpaceOnly) {
  Digest d;
  EXPECT_TRUE(Digest::ParseLink("sha256:" + kHex, &d));
  EXPECT_TRUE(Digest::ParseLink(" \tsha256:" + kHex + "\r\n", &d));
  EXPECT_EQ(d.hex(), kHex);
  EXPECT_FALSE(Digest::ParseLink("sha256: " + kHex, &d));
  EXPECT_FALSE(Digest::ParseLink("sha256:" + kHex + "x", &d));
  EXPECT_FALSE(Digest::ParseLink("   ", &d));
}

TEST(DigestTest, FingerprintIsStableAndDistinguishes) {
  Digest a, b, a2;
  Digest::Parse("sha256:" + kHex, &a);
  Digest::Parse("sha256:" + std::string(64, 'b'), &b);
  Digest::Parse("sha256:" + kHex, &a2);
  EXPECT_EQ(a.Fingerprint(), a2.Fingerprint());
  EXPECT_NE(a.Fingerprint(), b.Fingerprint());
  EXPECT_EQ(a.Fingerprint(), FingerprintOf(a.str()));
  EXPECT_TRUE(a == a2);
  EXPECT_TRUE(a < b);
}

}  // namespace
}  // namespace regsweep
