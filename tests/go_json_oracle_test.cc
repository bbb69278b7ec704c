// Tests of the fuzz oracle itself: a mistake in it would make the fuzz test
// pass for nothing. The expectations are Go's encoding/json behaviour.
#include "testutil/go_json_oracle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "testutil/manifest_mutator.h"

namespace regsweep::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const std::string kA = TestDigest("oracle/a");
const std::string kB = TestDigest("oracle/b");
const std::string kC = TestDigest("oracle/c");

std::string Layers(const std::string& members) {
  return R"({"layers": [{)" + members + "}]}";
}

TEST(GoJsonOracleTest, AcceptsWhatGoAccepts) {
  for (std::string_view input :
       {"{}", "[]", " \t\r\n{\"a\": 1} \n", "\"x\"", "0", "-0", "1.5e+10",
        "2E-3", "1e400", "-123456789012345678901234567890.25e99999", "null",
        R"({"a": {"b": [null, true, false, "", {}]}})", R"(["\ud800"])",
        R"(["\u00E9\/\b\f\n\r\t\"\\"])", "[\"caf\xE9\"]", "[\"\x7F\"]"}) {
    EXPECT_TRUE(GoJsonValid(input)) << input;
  }
}

TEST(GoJsonOracleTest, RejectsWhatGoRejects) {
  for (std::string_view input : {"",
                                 " ",
                                 "{",
                                 "}",
                                 "{\"a\"}",
                                 "{\"a\": 1,}",
                                 "[1,]",
                                 "[,1]",
                                 "[1 2]",
                                 "{\"a\" 1}",
                                 "{\"a\": 1 \"b\": 2}",
                                 "{a: 1}",
                                 "{'a': 1}",
                                 "01",
                                 "1.",
                                 ".5",
                                 "-",
                                 "+1",
                                 "1e",
                                 "1e+",
                                 "0x10",
                                 "NaN",
                                 "Infinity",
                                 "tru",
                                 "nul",
                                 "True",
                                 "{} {}",
                                 "{}x",
                                 "\"unterminated",
                                 "[\"\\a\"]",
                                 "[\"\\u12\"]",
                                 "[\"\\u12g4\"]",
                                 "[\"\\\"]",
                                 "\xEF\xBB\xBF{}"}) {
    EXPECT_FALSE(GoJsonValid(input)) << input;
  }
  // Control characters, NUL included, may not appear raw in a string.
  EXPECT_FALSE(GoJsonValid(std::string("[\"a\x01\"]")));
  EXPECT_FALSE(GoJsonValid(std::string("[\"a\0\"]", 6)));
  EXPECT_FALSE(GoJsonValid("[\"tab\there\"]"));
}

TEST(GoJsonOracleTest, NestsAsDeepAsGo) {
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_TRUE(GoJsonValid(deep));
  deep = std::string(10001, '[') + std::string(10001, ']');
  EXPECT_FALSE(GoJsonValid(deep));
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(10000, '}');
  EXPECT_TRUE(GoJsonValid(objects));
}

TEST(GoJsonOracleTest, DecodesStringsAsGo) {
  std::string out;
  ASSERT_TRUE(GoDecodeString(R"("\u0073ha\u00e9\uD83D\uDC33")", &out));
  EXPECT_EQ(out, "sha\xC3\xA9\xF0\x9F\x90\xB3");
  // A lone surrogate, either half, is U+FFFD; what follows is read anew.
  ASSERT_TRUE(GoDecodeString(R"("\ud83d\u0061\udc33b\ud83d")", &out));
  EXPECT_EQ(out,
            "\xEF\xBF\xBD"
            "a"
            "\xEF\xBF\xBD"
            "b"
            "\xEF\xBF\xBD");
  // Two high halves: the second may still pair.
  ASSERT_TRUE(GoDecodeString(R"("\ud83d\ud83d\udc33")", &out));
  EXPECT_EQ(out, "\xEF\xBF\xBD\xF0\x9F\x90\xB3");
  // Invalid UTF-8: each bad byte is U+FFFD, good sequences stay.
  ASSERT_TRUE(
      GoDecodeString("\"a\xFF"
                     "b\xC3\xA9\"",
                     &out));
  EXPECT_EQ(out,
            "a\xEF\xBF\xBD"
            "b\xC3\xA9");
  ASSERT_TRUE(GoDecodeString("\"\xE2\x82x\xC0\x80\xED\xA0\x80\"", &out));
  EXPECT_EQ(out, std::string("\xEF\xBF\xBD\xEF\xBF\xBDx") +
                     "\xEF\xBF\xBD\xEF\xBF\xBD" +
                     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  ASSERT_TRUE(GoDecodeString("\"\xF0\x9F\x90\"", &out));  // truncated
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_FALSE(GoDecodeString("\"a\nb\"", &out));
}

TEST(GoJsonOracleTest, NamesMatchAsInGo) {
  EXPECT_TRUE(GoNameMatches("layers", "layers"));
  EXPECT_TRUE(GoNameMatches("LAYERS", "layers"));
  EXPECT_TRUE(GoNameMatches("fslayers", "fsLayers"));
  EXPECT_TRUE(GoNameMatches("Dige\xC5\xBFt", "digest"));  // U+017F
  EXPECT_TRUE(GoNameMatches("\xC5\xBFUBJECT", "subject"));
  EXPECT_TRUE(
      GoNameMatches("\xE2\x84\xAA"
                    "ey",
                    "key"));  // U+212A
  EXPECT_FALSE(GoNameMatches("layer", "layers"));
  EXPECT_FALSE(GoNameMatches("layerss", "layers"));
  EXPECT_FALSE(GoNameMatches("layers ", "layers"));
  EXPECT_FALSE(GoNameMatches("d\xC4\xB1gest", "digest"));  // U+0131 dotless i
  EXPECT_FALSE(GoNameMatches("d\xC4\xB0gest", "digest"));  // U+0130
  EXPECT_FALSE(GoNameMatches("dige\xEF\xBD\x93t", "digest"));  // fullwidth s
  EXPECT_FALSE(GoNameMatches("", "digest"));
}

TEST(GoJsonOracleTest, ReadsEveryDescriptorListWhateverTheMediaType) {
  std::string manifest =
      R"({"mediaType": "application/vnd.docker.distribution.manifest.v1+json",
          "config": {"digest": ")" +
      kA + R"("},
          "manifests": [{"digest": ")" +
      kB + R"("}, 7, null, "x"],
          "blobs": [{"Digest": ")" +
      kC + R"("}],
          "fsLayers": [{"blobSum": ")" +
      kA + R"("}],
          "subject": {"digest": ")" +
      kB + R"("}})";
  OracleResult r = GoOracle(manifest);
  EXPECT_TRUE(r.go_valid);
  EXPECT_THAT(r.references, UnorderedElementsAre(kA, kB, kC));
  EXPECT_THAT(r.subjects, ElementsAre(kB));
}

TEST(GoJsonOracleTest, KeepsEveryOccurrenceOfADuplicate) {
  OracleResult r = GoOracle(R"({"layers": [{"digest": ")" + kA +
                            R"(", "DIGEST": ")" + kB + R"("}],
          "Layers": [{"digest": ")" +
                            kC + R"("}]})");
  EXPECT_THAT(r.references, UnorderedElementsAre(kA, kB, kC));
  r = GoOracle(R"({"config": {"digest": ")" + kA +
               R"("}, "config": {"digest": ")" + kB + R"("}})");
  EXPECT_THAT(r.references, UnorderedElementsAre(kA, kB));
}

TEST(GoJsonOracleTest, OnlyThePlacesAGoStructReads) {
  EXPECT_THAT(GoOracle(R"({"layers": {"digest": ")" + kA + R"("}})").references,
              IsEmpty());
  EXPECT_THAT(
      GoOracle(R"({"config": [{"digest": ")" + kA + R"("}]})").references,
      IsEmpty());
  EXPECT_THAT(GoOracle(R"({"layers": [")" + kA + R"("]})").references,
              IsEmpty());
  EXPECT_THAT(GoOracle(Layers(R"("blobSum": ")" + kA + "\"")).references,
              IsEmpty());
  EXPECT_THAT(
      GoOracle(R"({"fsLayers": [{"digest": ")" + kA + R"("}]})").references,
      IsEmpty());
  EXPECT_THAT(GoOracle(R"({"x": {"layers": [{"digest": ")" + kA + R"("}]}})")
                  .references,
              IsEmpty());
  EXPECT_THAT(GoOracle(R"({"manifests": [{"digest": ")" + kA +
                       R"(", "layers": [{"digest": ")" + kB + R"("}]}]})")
                  .references,
              ElementsAre(kA));
  EXPECT_THAT(
      GoOracle(R"([{"layers": [{"digest": ")" + kA + R"("}]}])").references,
      IsEmpty());
  OracleResult r = GoOracle(R"({"subject": [{"digest": ")" + kA + R"("}]})");
  EXPECT_THAT(r.subjects, IsEmpty());
  EXPECT_THAT(r.references, IsEmpty());
}

TEST(GoJsonOracleTest, OnlyExactDigests) {
  std::string upper = kA;
  upper[10] = 'F';
  OracleResult r = GoOracle(Layers(R"("digest": ")" + kA + "0\"") + "");
  EXPECT_THAT(r.references, IsEmpty());
  EXPECT_THAT(GoOracle(Layers(R"("digest": " )" + kA + "\"")).references,
              IsEmpty());
  EXPECT_THAT(GoOracle(Layers(R"("digest": ")" + upper + "\"")).references,
              IsEmpty());
  std::string sha512 = "sha512:" + std::string(128, 'e');
  EXPECT_THAT(GoOracle(Layers(R"("digest": ")" + sha512 + "\"")).references,
              ElementsAre(sha512));
}

TEST(GoJsonOracleTest, DecodesEscapedDigestsAndNames) {
  OracleResult r =
      GoOracle(R"({"l\u0061yers": [{"\u0064igest": ")" + EscapeEveryChar(kA) +
               R"("}], "annotations": {"x": "\ud800 caf)" + "\xE9" + R"("}})");
  EXPECT_TRUE(r.go_valid);
  EXPECT_THAT(r.references, ElementsAre(kA));
}

TEST(GoJsonOracleTest, InvalidBytesCountEveryDigestVisible) {
  // Trailing garbage: Go reads nothing, so anything any string holds counts.
  std::string manifest = R"({"note": ")" + kA + R"(", "x": ")" +
                         EscapeEveryChar(kB) + R"(", "y": "\ud800\u0073ha)" +
                         kC.substr(3) + R"("} })";
  OracleResult r = GoOracle(manifest);
  EXPECT_FALSE(r.go_valid);
  EXPECT_THAT(r.references, UnorderedElementsAre(kA, kB, kC));
  EXPECT_THAT(r.subjects, IsEmpty());

  // Raw bytes count outside strings too; a string may run to the end.
  r = GoOracle(kA + " {\"a\": \"" + EscapeEveryChar(kB));
  EXPECT_THAT(r.references, UnorderedElementsAre(kA, kB));

  // A subject is only a digest in a string here.
  r = GoOracle(R"({"subject": {"digest": ")" + EscapeEveryChar(kA) + R"("}},)");
  EXPECT_THAT(r.references, ElementsAre(kA));
  EXPECT_THAT(r.subjects, IsEmpty());
}

TEST(GoJsonOracleTest, DigestsInText) {
  EXPECT_THAT(DigestsIn("x" + kA + "," + kB + "g"),
              UnorderedElementsAre(kA, kB));
  EXPECT_THAT(DigestsIn(kA + "0"), IsEmpty());
  EXPECT_THAT(DigestsIn(kA + "F"), IsEmpty());
  EXPECT_THAT(DigestsIn(kA.substr(0, 70)), IsEmpty());
  EXPECT_THAT(DigestsIn("sha256:" + kA), ElementsAre(kA));
  EXPECT_THAT(DigestsIn("SHA256:" + kA.substr(7)), IsEmpty());
}

}  // namespace
}  // namespace regsweep::testing
