// The drop-in's Go flag forms (tools/regsweep/go_flags.h). The expected
// results are what Debian's docker-registry 2.8.2 (cobra + pflag) does
// with each form, as tried by hand and by
// tests/integration/test_dropin_lines.py.
#include "tools/regsweep/go_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace regsweep::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// garbage-collect's table: distribution's two flags, cobra's help, and
// regsweep's own.
std::vector<GoFlag> Table() {
  return {{"help", 'h', false},   {"dry-run", 'd', false},
          {"delete-untagged", 'm', false}, {"quiet", 'q', false},
          {"grace", 0, true},     {"jobs", 'j', true},
          {"json", 0, true}};
}

std::vector<std::string> Normal(std::vector<std::string> args) {
  std::vector<std::string> out;
  std::string error;
  EXPECT_TRUE(NormalizeGoFlags(args, Table(), &out, &error)) << error;
  return out;
}

std::string Error(std::vector<std::string> args) {
  std::vector<std::string> out;
  std::string error;
  EXPECT_FALSE(NormalizeGoFlags(args, Table(), &out, &error));
  return error;
}

TEST(GoFlagsTest, ParseBoolTakesGosTwelveFormsOnly) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    bool value = false;
    EXPECT_TRUE(ParseGoBool(t, &value)) << t;
    EXPECT_TRUE(value) << t;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    bool value = true;
    EXPECT_TRUE(ParseGoBool(f, &value)) << f;
    EXPECT_FALSE(value) << f;
  }
  for (const char* bad : {"", "yes", "no", "tRUE", "fAlse", "2", " true", "on"}) {
    bool value = false;
    EXPECT_FALSE(ParseGoBool(bad, &value)) << bad;
  }
}

TEST(GoFlagsTest, PlainFormsPassAsLongNames) {
  EXPECT_THAT(Normal({"-m", "c.yml"}), ElementsAre("--delete-untagged", "c.yml"));
  EXPECT_THAT(Normal({"--delete-untagged", "c.yml"}),
              ElementsAre("--delete-untagged", "c.yml"));
  EXPECT_THAT(Normal({"c.yml", "-d"}), ElementsAre("--dry-run", "c.yml"));
  EXPECT_THAT(Normal({"-q", "c.yml"}), ElementsAre("--quiet", "c.yml"));
}

TEST(GoFlagsTest, ValuesAreParsedAsGoBools) {
  EXPECT_THAT(Normal({"-m=true", "c.yml"}),
              ElementsAre("--delete-untagged", "c.yml"));
  EXPECT_THAT(Normal({"--delete-untagged=true", "c.yml"}),
              ElementsAre("--delete-untagged", "c.yml"));
  EXPECT_THAT(Normal({"--delete-untagged=T", "-m=1"}),
              ElementsAre("--delete-untagged"));
  // A false value leaves the flag out: boost's default is false.
  EXPECT_THAT(Normal({"--dry-run=false", "c.yml"}), ElementsAre("c.yml"));
  EXPECT_THAT(Normal({"-d=false", "c.yml"}), ElementsAre("c.yml"));
  EXPECT_THAT(Normal({"-d=0", "--delete-untagged=F"}), IsEmpty());
}

TEST(GoFlagsTest, TheLastOccurrenceWins) {
  EXPECT_THAT(Normal({"-m", "-m"}), ElementsAre("--delete-untagged"));
  EXPECT_THAT(Normal({"-m=false", "-m"}), ElementsAre("--delete-untagged"));
  EXPECT_THAT(Normal({"-m", "-m=false"}), IsEmpty());
  EXPECT_THAT(Normal({"--dry-run", "-d=False"}), IsEmpty());
}

TEST(GoFlagsTest, ClustersReadLeftToRight) {
  EXPECT_THAT(Normal({"-dm"}), ElementsAre("--dry-run", "--delete-untagged"));
  EXPECT_THAT(Normal({"-md"}), ElementsAre("--dry-run", "--delete-untagged"));
  // '=' gives the rest to the flag before it.
  EXPECT_THAT(Normal({"-md=false"}), ElementsAre("--delete-untagged"));
  EXPECT_THAT(Normal({"-dm=false"}), ElementsAre("--dry-run"));
  // A value flag takes the rest of the cluster, or the next argument.
  EXPECT_THAT(Normal({"-mj4"}), ElementsAre("--delete-untagged", "--jobs=4"));
  EXPECT_THAT(Normal({"-j=4"}), ElementsAre("--jobs=4"));
  EXPECT_THAT(Normal({"-mj", "4", "c.yml"}),
              ElementsAre("--delete-untagged", "--jobs=4", "c.yml"));
}

TEST(GoFlagsTest, SingleDashLongFormsAreRefusedAsPflagRefusesThem) {
  EXPECT_EQ(Error({"-dry-run", "c.yml"}),
            "unknown shorthand flag: 'r' in -ry-run");
  EXPECT_EQ(Error({"-delete-untagged", "c.yml"}),
            "unknown shorthand flag: 'e' in -elete-untagged");
  EXPECT_EQ(Error({"-m="}), "unknown shorthand flag: '=' in -=");
  EXPECT_EQ(Error({"-mx"}), "unknown shorthand flag: 'x' in -x");
}

TEST(GoFlagsTest, BadValuesGetPflagsMessage) {
  EXPECT_EQ(Error({"-m=yes"}),
            "invalid argument \"yes\" for \"-m, --delete-untagged\" flag: "
            "strconv.ParseBool: parsing \"yes\": invalid syntax");
  EXPECT_EQ(Error({"--dry-run="}),
            "invalid argument \"\" for \"-d, --dry-run\" flag: "
            "strconv.ParseBool: parsing \"\": invalid syntax");
  EXPECT_EQ(Error({"-d=true=x"}),
            "invalid argument \"true=x\" for \"-d, --dry-run\" flag: "
            "strconv.ParseBool: parsing \"true=x\": invalid syntax");
  EXPECT_EQ(Error({"---dry-run"}), "bad flag syntax: ---dry-run");
  EXPECT_EQ(Error({"--=x"}), "bad flag syntax: --=x");
  EXPECT_EQ(Error({"--grace"}), "flag needs an argument: --grace");
  EXPECT_EQ(Error({"-j"}), "flag needs an argument: 'j' in -j");
}

TEST(GoFlagsTest, ABoolDoesNotTakeTheNextArgument) {
  // As in Go: "false" stays an argument (and the config path is "false").
  EXPECT_THAT(Normal({"--delete-untagged", "false", "c.yml"}),
              ElementsAre("--delete-untagged", "false", "c.yml"));
}

TEST(GoFlagsTest, ValueFlagsTakeTheNextArgumentWhateverItLooksLike) {
  EXPECT_THAT(Normal({"--grace", "0", "c.yml"}),
              ElementsAre("--grace=0", "c.yml"));
  EXPECT_THAT(Normal({"--grace=30m"}), ElementsAre("--grace=30m"));
  EXPECT_THAT(Normal({"--json", "-", "-m"}),
              ElementsAre("--delete-untagged", "--json=-"));
  EXPECT_THAT(Normal({"--json", "-m"}), ElementsAre("--json=-m"));
}

TEST(GoFlagsTest, DoubleDashEndsTheFlags) {
  EXPECT_THAT(Normal({"-m", "--", "-d", "c.yml"}),
              ElementsAre("--delete-untagged", "--", "-d", "c.yml"));
  EXPECT_THAT(Normal({"-", "c.yml"}), ElementsAre("-", "c.yml"));
}

TEST(GoFlagsTest, UnknownLongNamesAreLeftToBoost) {
  EXPECT_THAT(Normal({"--frobnicate", "c.yml"}),
              ElementsAre("--frobnicate", "c.yml"));
  EXPECT_THAT(Normal({"--dry", "c.yml"}), ElementsAre("--dry", "c.yml"));
}

TEST(GoFlagsTest, HelpIsABoolToo) {
  EXPECT_THAT(Normal({"-h"}), ElementsAre("--help"));
  EXPECT_THAT(Normal({"-mh"}), ElementsAre("--help", "--delete-untagged"));
}

}  // namespace
}  // namespace regsweep::cli
