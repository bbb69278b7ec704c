// The parallel walk of repositories/ (gc/incremental/repository_walk.h): it finds what
// the registry's one-directory-at-a-time listing finds, and with a memo it
// recalls unchanged directories yet sees a new repository.
#include "gc/incremental/repository_walk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "index/memory_ref_index.h"
#include "storage/layout.h"
#include "storage/registry.h"
#include "storage/store.h"
#include "testutil/test_store.h"
#include "util/clock.h"

namespace regsweep::gc {
namespace {

using regsweep::testing::TestStore;

// Every path of a list of problems.
std::vector<std::string> Paths(const std::vector<storage::StoreProblem>& problems) {
  std::vector<std::string> paths;
  for (const storage::StoreProblem& problem : problems) paths.push_back(problem.path);
  return paths;
}

class RepositoryWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(storage::OpenFileStore(test_.root(), &store_).ok());
    registry_ = std::make_unique<storage::Registry>(store_.get());
    // Repositories at several depths, some inside others, as namespaces
    // give them: enough directories for the walk's tasks to interleave.
    Digest layer = test_.PutBlob("shared layer");
    for (int i = 0; i < 120; ++i) {
      std::string name = "ns" + std::to_string(i % 7) + "/team" +
                         std::to_string(i % 5) + "/app" + std::to_string(i);
      test_.PutLayerLink(name, layer);
      if (i % 10 == 0) test_.PutLayerLink(name + "/nested", layer);
      if (i % 3 == 0) test_.PutLayerLink("solo" + std::to_string(i), layer);
    }
  }

  TestStore test_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<storage::Registry> registry_;
};

TEST_F(RepositoryWalkTest, FindsWhatTheSerialListingFinds) {
  namespace fs = std::filesystem;
  fs::create_directory_symlink(
      "/tmp", test_.Path(storage::layout::RepositoryDir("ns3/team1/link")));
  fs::create_directory_symlink(
      "/tmp", test_.Path(storage::layout::RepositoryDir("a-link")));
  std::vector<std::string> serial, parallel;
  std::vector<storage::StoreProblem> serial_problems, parallel_problems;
  ASSERT_TRUE(registry_->ListRepositories(&serial, &serial_problems).ok());
  ASSERT_TRUE(
      WalkRepositories(*registry_, nullptr, &parallel, &parallel_problems).ok());
  EXPECT_EQ(serial.size(), 120u + 12u + 40u);
  EXPECT_EQ(parallel, serial);
  ASSERT_EQ(parallel_problems.size(), 2u);
  EXPECT_THAT(Paths(parallel_problems),
              ::testing::ElementsAre(::testing::HasSubstr("a-link"),
                                     ::testing::HasSubstr("ns3/team1/link")));
}

TEST_F(RepositoryWalkTest, RecallsUnchangedDirectoriesAndSeesANewRepository) {
  // Every time counts as settled: the walk remembers what it lists.
  const StampTrust trust{registry_->capabilities(),
                         NowNs() + 3600 * int64_t{1000000000}};
  auto index = index::NewMemoryRefIndex();
  std::vector<std::string> first, second, third;
  std::vector<storage::StoreProblem> problems;
  {
    RepositoryWalk walk(trust);
    ASSERT_TRUE(WalkRepositories(*registry_, &walk, &first, &problems).ok());
    EXPECT_EQ(walk.recalled(), 0u);
    ASSERT_TRUE(walk.Save(index.get()).ok());
  }
  {
    RepositoryWalk walk(trust);
    walk.Load(index.get());
    ASSERT_TRUE(WalkRepositories(*registry_, &walk, &second, &problems).ok());
    EXPECT_EQ(second, first);
    // repositories/, 7 namespaces, 35 teams, 120 apps, 12 nested, 40 solos.
    EXPECT_EQ(walk.recalled(), 1u + 7u + 35u + 120u + 12u + 40u);
    ASSERT_TRUE(walk.Save(index.get()).ok());
  }
  // The team directory's times move (its last change, when the store was
  // built, lies ticks before the walks above).
  test_.PutLayerLink("ns2/team4/new-app", test_.PutBlob("new layer"));
  RepositoryWalk walk(trust);
  walk.Load(index.get());
  ASSERT_TRUE(WalkRepositories(*registry_, &walk, &third, &problems).ok());
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(third.size(), first.size() + 1);
  EXPECT_THAT(third, ::testing::Contains("ns2/team4/new-app"));
  EXPECT_LT(walk.recalled(), 1u + 7u + 35u + 120u + 12u + 40u);
}

}  // namespace
}  // namespace regsweep::gc
