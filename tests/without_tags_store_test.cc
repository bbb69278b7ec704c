// WithoutTagsStore (storage/without_tags_store.h): the view a dry run of
// `tag rm` collects over hides exactly the removed tags, on both backends.
#include "storage/without_tags_store.h"

#include <gtest/gtest.h>

#include "storage/layout.h"
#include "storage/registry.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

using testing::Backend;
using testing::TestStore;

class WithoutTagsStoreTest : public ::testing::TestWithParam<Backend> {};

TEST_P(WithoutTagsStoreTest, HidesOnlyTheRemovedTags) {
  TestStore s(GetParam());
  Digest image = s.PushImage("app", {"layer"});
  s.PutTag("app", "v1", image);
  s.PutTag("app", "v1-rc", image);  // shares v1's name as a prefix
  s.PutTag("other", "v1", image);
  std::unique_ptr<storage::Store> store = s.Open();
  storage::WithoutTagsStore view(store.get(), {{"app", "v1"}});
  storage::Registry registry(&view);

  std::vector<storage::TagInfo> tags;
  std::vector<storage::StoreProblem> problems;
  ASSERT_TRUE(registry.ListTags("app", &tags, &problems).ok());
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].name, "v1-rc");
  storage::TagInfo tag;
  EXPECT_TRUE(registry.ReadTag("app", "v1", &tag).IsNotFound());
  EXPECT_TRUE(registry.ReadTag("app", "v1-rc", &tag).ok());
  EXPECT_TRUE(registry.ReadTag("other", "v1", &tag).ok());

  std::string contents;
  EXPECT_TRUE(view.Read(storage::layout::TagCurrentLinkPath("app", "v1"), 100,
                        &contents, nullptr)
                  .IsNotFound());
  size_t keys = 0;
  ASSERT_TRUE(view.ListAll(storage::layout::TagsDir("app"),
                           [&](std::string_view key, const storage::ObjectInfo&) {
                             EXPECT_TRUE(key.starts_with("v1-rc/")) << key;
                             ++keys;
                           })
                  .ok());
  EXPECT_EQ(keys, 2u);  // current link and one history entry
}

INSTANTIATE_TEST_SUITE_P(Backends, WithoutTagsStoreTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
