// Retention rules: globs, validation, keep-last, keep-tag, older-than, how
// rules combine, and a policy evaluated over a store with controlled push
// times.
#include "gc/tag_policy/retention.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "storage/registry.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep::gc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kSecond = 1000000000LL;
constexpr int64_t kDay = 86400 * kSecond;
constexpr int64_t kNow = 1800000000LL * kSecond;

Digest SomeDigest(char c) {
  Digest d;
  Digest::FromParts("sha256", std::string(64, c), &d);
  return d;
}

// A tag pushed `days_ago` days before kNow.
TagEntry Tag(const std::string& name, double days_ago) {
  TagEntry t;
  t.repository = "app";
  t.tag = name;
  t.digest = SomeDigest('a');
  t.pushed_ns = kNow - static_cast<int64_t>(days_ago * kDay);
  return t;
}

RetentionRule Rule(std::vector<std::string> globs) {
  RetentionRule rule;
  rule.repositories = std::move(globs);
  rule.origin = "test rule";
  return rule;
}

std::unique_ptr<RetentionPolicy> Policy(std::vector<RetentionRule> rules) {
  std::unique_ptr<RetentionPolicy> policy;
  Status s = RetentionPolicy::Create(std::move(rules), &policy);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return policy;
}

// The names of the tags the policy removes from `tags` in `repository`.
std::vector<std::string> Removed(const RetentionPolicy& policy,
                                 const std::vector<TagEntry>& tags,
                                 const std::string& repository = "app") {
  std::vector<TagDecision> decisions = policy.Evaluate(repository, tags, kNow);
  std::vector<std::string> names;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (decisions[i].remove) names.push_back(tags[i].tag);
  }
  return names;
}

TEST(RepositoryGlobTest, StarStaysInOneComponent) {
  EXPECT_TRUE(MatchRepositoryGlob("app", "app"));
  EXPECT_FALSE(MatchRepositoryGlob("app", "app2"));
  EXPECT_TRUE(MatchRepositoryGlob("*", "app"));
  EXPECT_FALSE(MatchRepositoryGlob("*", "team/app"));
  EXPECT_TRUE(MatchRepositoryGlob("team/*", "team/app"));
  EXPECT_FALSE(MatchRepositoryGlob("team/*", "team/x/app"));
  EXPECT_FALSE(MatchRepositoryGlob("team/*", "team"));
  EXPECT_TRUE(MatchRepositoryGlob("team/app-*", "team/app-ci"));
  EXPECT_TRUE(MatchRepositoryGlob("*/app", "team/app"));
  EXPECT_TRUE(MatchRepositoryGlob("i?", "i1"));
  EXPECT_FALSE(MatchRepositoryGlob("i?", "i10"));
  EXPECT_FALSE(MatchRepositoryGlob("a?b", "a/b"));
}

TEST(RepositoryGlobTest, DoubleStarCrossesComponents) {
  EXPECT_TRUE(MatchRepositoryGlob("**", "app"));
  EXPECT_TRUE(MatchRepositoryGlob("**", "a/b/c"));
  EXPECT_TRUE(MatchRepositoryGlob("team/**", "team/x/app"));
  EXPECT_TRUE(MatchRepositoryGlob("team/**/app", "team/app"));
  EXPECT_TRUE(MatchRepositoryGlob("team/**/app", "team/x/y/app"));
  EXPECT_FALSE(MatchRepositoryGlob("team/**/app", "team/x/y/tool"));
  EXPECT_FALSE(MatchRepositoryGlob("team/**", "other/app"));
  // Many stars stay fast (no backtracking blow-up).
  EXPECT_FALSE(MatchRepositoryGlob(std::string(60, '*') + "x",
                                   std::string(250, 'a')));
}

TEST(RetentionPolicyTest, RejectsRulesThatAreMistakes) {
  std::unique_ptr<RetentionPolicy> policy;
  EXPECT_TRUE(RetentionPolicy::Create({}, &policy).IsInvalidArgument());

  RetentionRule no_repo = Rule({});
  no_repo.keep_last = 3;
  Status s = RetentionPolicy::Create({no_repo}, &policy);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), HasSubstr("test rule"));
  EXPECT_THAT(s.message(), HasSubstr("--repo"));

  // A rule that keeps nothing would remove every tag of its repositories.
  s = RetentionPolicy::Create({Rule({"**"})}, &policy);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), HasSubstr("every tag"));

  RetentionRule zero = Rule({"app"});
  zero.keep_last = 0;
  EXPECT_TRUE(RetentionPolicy::Create({zero}, &policy).IsInvalidArgument());

  RetentionRule negative = Rule({"app"});
  negative.older_than_ns = -1;
  EXPECT_TRUE(RetentionPolicy::Create({negative}, &policy).IsInvalidArgument());

  RetentionRule bad_regex = Rule({"app"});
  bad_regex.keep_tags = {"v(1"};
  s = RetentionPolicy::Create({bad_regex}, &policy);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), HasSubstr("v(1"));

  RetentionRule empty_glob = Rule({""});
  empty_glob.keep_last = 1;
  EXPECT_TRUE(RetentionPolicy::Create({empty_glob}, &policy).IsInvalidArgument());
}

TEST(RetentionPolicyTest, KeepLastKeepsTheMostRecentlyPushed) {
  RetentionRule rule = Rule({"app"});
  rule.keep_last = 2;
  auto policy = Policy({rule});
  std::vector<TagEntry> tags = {Tag("a", 5), Tag("b", 1), Tag("c", 3),
                                Tag("d", 2), Tag("e", 4)};
  EXPECT_THAT(Removed(*policy, tags), ElementsAre("a", "c", "e"));
  // Fewer tags than N: all kept.
  EXPECT_THAT(Removed(*policy, {Tag("a", 5), Tag("b", 1)}), IsEmpty());
  EXPECT_THAT(Removed(*policy, {}), IsEmpty());
}

// --keep-last N keeps exactly N: b and c were pushed at the same instant,
// and the greater name (c, as later versions usually sort later) is the
// second most recent.
TEST(RetentionPolicyTest, KeepLastKeepsExactlyNWhenPushTimesTie) {
  RetentionRule rule = Rule({"app"});
  rule.keep_last = 2;
  auto policy = Policy({rule});
  std::vector<TagEntry> tags = {Tag("a", 1), Tag("b", 2), Tag("c", 2),
                                Tag("d", 3)};
  EXPECT_THAT(Removed(*policy, tags), ElementsAre("b", "d"));
  rule.keep_last = 1;
  auto one = Policy({rule});
  std::vector<TagEntry> tied = {Tag("v1", 2), Tag("v2", 2)};
  EXPECT_THAT(Removed(*one, tied), ElementsAre("v1"));
}

TEST(RetentionPolicyTest, RulesCoveringNoRepositoryAreNamed) {
  RetentionRule typo = Rule({"paymnets/**"});
  typo.keep_last = 1;
  typo.origin = "rule 2";
  RetentionRule good = Rule({"app"});
  good.keep_last = 1;
  auto policy = Policy({good, typo});
  EXPECT_THAT(policy->RulesCoveringNone({"app", "payments/api"}),
              ElementsAre("rule 2"));
  EXPECT_THAT(policy->RulesCoveringNone({"app", "paymnets/x"}), IsEmpty());
}

TEST(RetentionPolicyTest, KeepTagMatchesTheWholeTag) {
  RetentionRule rule = Rule({"app"});
  rule.keep_tags = {"latest", "v[0-9]+\\.[0-9]+\\.[0-9]+"};
  auto policy = Policy({rule});
  std::vector<TagEntry> tags = {Tag("latest", 90), Tag("latest-old", 90),
                                Tag("v1.2.3", 90), Tag("v1.2.3-rc1", 90),
                                Tag("build-17", 90)};
  EXPECT_THAT(Removed(*policy, tags),
              ElementsAre("latest-old", "v1.2.3-rc1", "build-17"));
}

TEST(RetentionPolicyTest, OlderThanRemovesOnlyTagsPushedLongerAgo) {
  RetentionRule rule = Rule({"app"});
  rule.older_than_ns = 28 * kDay;
  auto policy = Policy({rule});
  std::vector<TagEntry> tags = {Tag("new", 1), Tag("edge", 28),
                                Tag("old", 28.001), Tag("ancient", 400)};
  EXPECT_THAT(Removed(*policy, tags), ElementsAre("old", "ancient"));
}

TEST(RetentionPolicyTest, KeepConditionsOfOneRuleCombine) {
  // "Keep the last 2, every release, and anything from the last week."
  RetentionRule rule = Rule({"app"});
  rule.keep_last = 2;
  rule.keep_tags = {"release-.*"};
  rule.older_than_ns = 7 * kDay;
  auto policy = Policy({rule});
  std::vector<TagEntry> tags = {Tag("b1", 1),  Tag("b2", 2),
                                Tag("b3", 6),  Tag("b4", 10),
                                Tag("release-1", 50), Tag("b5", 60)};
  EXPECT_THAT(Removed(*policy, tags), ElementsAre("b4", "b5"));
}

TEST(RetentionPolicyTest, RulesCombineAndUncoveredRepositoriesKeepEverything) {
  RetentionRule everywhere = Rule({"**"});
  everywhere.keep_last = 1;
  RetentionRule prod = Rule({"prod/*"});
  prod.keep_last = 3;
  auto policy = Policy({everywhere, prod});
  std::vector<TagEntry> tags = {Tag("a", 1), Tag("b", 2), Tag("c", 3),
                                Tag("d", 4)};
  // Every covering rule's keep conditions count: prod keeps 3.
  EXPECT_THAT(Removed(*policy, tags, "prod/api"), ElementsAre("d"));
  EXPECT_THAT(Removed(*policy, tags, "dev/api"), ElementsAre("b", "c", "d"));

  RetentionRule only_team = Rule({"team/*", "base"});
  only_team.keep_last = 1;
  auto narrow = Policy({only_team});
  EXPECT_TRUE(narrow->Covers("team/app"));
  EXPECT_TRUE(narrow->Covers("base"));
  EXPECT_FALSE(narrow->Covers("other"));
  EXPECT_THAT(Removed(*narrow, tags, "other"), IsEmpty());
  EXPECT_THAT(Removed(*narrow, tags, "base"), ElementsAre("b", "c", "d"));
}

TEST(RetentionPolicyTest, TagsWithoutAKnownLinkAreKept) {
  RetentionRule rule = Rule({"app"});
  rule.older_than_ns = kDay;
  auto policy = Policy({rule});
  TagEntry broken = Tag("broken", 100);
  broken.link = Status::Corruption("link", "not a digest");
  broken.digest = Digest();
  TagEntry no_time = Tag("no-time", 100);
  no_time.pushed_ns = 0;
  std::vector<TagDecision> d =
      policy->Evaluate("app", {broken, no_time, Tag("old", 100)}, kNow);
  EXPECT_FALSE(d[0].remove);
  EXPECT_THAT(d[0].reason, HasSubstr("cannot be read"));
  EXPECT_FALSE(d[1].remove);
  EXPECT_TRUE(d[2].remove);
  EXPECT_THAT(d[2].reason, HasSubstr("test rule"));
}

TEST(RetentionPolicyTest, ReasonsSayWhichConditionKept) {
  RetentionRule rule = Rule({"app"});
  rule.keep_last = 1;
  rule.keep_tags = {"stable"};
  rule.older_than_ns = 10 * kDay;
  auto policy = Policy({rule});
  std::vector<TagDecision> d = policy->Evaluate(
      "app", {Tag("newest", 0.5), Tag("stable", 90), Tag("recent", 3),
              Tag("old", 30)},
      kNow);
  EXPECT_THAT(d[0].reason, HasSubstr("most recently pushed"));
  EXPECT_THAT(d[1].reason, HasSubstr("keep-tag"));
  EXPECT_THAT(d[2].reason, HasSubstr("older-than"));
  EXPECT_TRUE(d[3].remove);
  EXPECT_THAT(d[3].reason, HasSubstr("removed"));
}

// The policy over a real store layout, on both backends: push times are
// the current links' modification times (an object's LastModified on an
// object store), as the catalog reads them.
class RetentionStoreTest : public ::testing::TestWithParam<testing::Backend> {};

TEST_P(RetentionStoreTest, PolicyOverAStoreWithControlledPushTimes) {
  testing::TestStore store(GetParam());
  Digest image = store.PushImage("team/app", {"layer"});
  Digest other = store.PushImage("team/app", {"other"});
  const int64_t now_s = kNow / kSecond;
  std::map<std::string, int64_t> days_ago = {
      {"v1", 60}, {"v2", 40}, {"v3", 20}, {"v4", 10}, {"latest", 60}};
  for (const auto& [tag, days] : days_ago) {
    store.PutTag("team/app", tag, tag == "v4" ? other : image);
    store.SetTagPushTime("team/app", tag, now_s - days * 86400);
  }
  Digest tool = store.PushImage("tool", {"t"});
  store.PutTag("tool", "old", tool);
  store.SetTagPushTime("tool", "old", now_s - 1000 * 86400);

  std::unique_ptr<storage::Store> opened = store.Open();
  storage::Registry registry(opened.get());
  TagCatalog catalog;
  ASSERT_TRUE(ListTagCatalog(registry, {}, CatalogOptions(), &catalog).ok());
  ASSERT_EQ(catalog.tags.size(), 6u);

  RetentionRule rule = Rule({"team/*"});
  rule.keep_last = 1;
  rule.keep_tags = {"latest"};
  rule.older_than_ns = 30 * kDay;
  auto policy = Policy({rule});
  std::vector<TagEntry> app;
  for (const TagEntry& t : catalog.tags) {
    if (t.repository == "team/app") app.push_back(t);
  }
  EXPECT_FALSE(policy->Covers("tool"));
  EXPECT_THAT(Removed(*policy, app, "team/app"), ElementsAre("v1", "v2"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionStoreTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep::gc
