#include "util/content_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace regsweep {
namespace {

// FIPS 180-2 test vectors.
constexpr std::string_view kSha256Empty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSha256Abc =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kSha512Empty =
    "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
constexpr std::string_view kSha512Abc =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
constexpr std::string_view kSha256MillionA =
    "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(ContentHashTest, OneShotMatchesKnownVectors) {
  EXPECT_EQ(Sha256Of("").str(), kSha256Empty);
  EXPECT_EQ(Sha256Of("abc").str(), kSha256Abc);
  EXPECT_EQ(HashOf(DigestAlgorithm::kSha256, "abc").str(), kSha256Abc);
  EXPECT_EQ(HashOf(DigestAlgorithm::kSha512, "").str(), kSha512Empty);
  EXPECT_EQ(HashOf(DigestAlgorithm::kSha512, "abc").str(), kSha512Abc);
}

TEST(ContentHashTest, DigestsAreValidAndKnowTheirAlgorithm) {
  const Digest sha512 = HashOf(DigestAlgorithm::kSha512, "abc");
  ASSERT_TRUE(sha512.valid());
  EXPECT_EQ(sha512.algorithm(), DigestAlgorithm::kSha512);
  Digest parsed;
  ASSERT_TRUE(Digest::Parse(kSha512Abc, &parsed));
  EXPECT_EQ(sha512, parsed);
}

TEST(ContentHashTest, StreamingInPiecesEqualsOneShot) {
  std::string content;
  for (int i = 0; i < 100000; ++i) content.push_back(static_cast<char>(i * 7));
  for (DigestAlgorithm algorithm :
       {DigestAlgorithm::kSha256, DigestAlgorithm::kSha512}) {
    ContentHasher hasher(algorithm);
    EXPECT_EQ(hasher.algorithm(), algorithm);
    // Uneven pieces, an empty one among them, across block boundaries.
    size_t offset = 0;
    for (size_t piece : {0, 1, 63, 64, 65, 127, 4096, 12345}) {
      hasher.Update(std::string_view(content).substr(offset, piece));
      offset += piece;
    }
    hasher.Update(std::string_view(content).substr(offset));
    EXPECT_EQ(hasher.Finish(), HashOf(algorithm, content));
  }
}

TEST(ContentHashTest, MillionBytesInSmallPieces) {
  const std::string a(1000, 'a');
  ContentHasher hasher;
  for (int i = 0; i < 1000; ++i) hasher.Update(a);
  EXPECT_EQ(hasher.Finish().str(), kSha256MillionA);
}

TEST(ContentHashTest, FinishStartsOverAndResetDropsContent) {
  ContentHasher hasher;
  hasher.Update("ab");
  hasher.Update("c");
  EXPECT_EQ(hasher.Finish().str(), kSha256Abc);
  EXPECT_EQ(hasher.Finish().str(), kSha256Empty);
  hasher.Update("abc");
  EXPECT_EQ(hasher.Finish().str(), kSha256Abc);
  hasher.Update("not this");
  hasher.Reset();
  hasher.Update("abc");
  EXPECT_EQ(hasher.Finish().str(), kSha256Abc);
}

TEST(ContentHashTest, OneShotIsSafeFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&mismatches, t] {
      for (int i = 0; i < 2000; ++i) {
        if (Sha256Of("abc").str() != kSha256Abc ||
            HashOf(DigestAlgorithm::kSha512, "").str() != kSha512Empty) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace regsweep
