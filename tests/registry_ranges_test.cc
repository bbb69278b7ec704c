// Registry::ScanEveryRepository (storage/registry_ranges.cc): on a store
// without directories, every repository scanned from ranged listings of
// repositories/ gives what ListRepositories and ScanRepository give, one
// repository at a time, for a fraction of the listings.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/layout.h"
#include "storage/memory_store.h"
#include "storage/registry.h"
#include "testutil/test_store.h"

namespace regsweep::storage {
namespace {

using regsweep::testing::Backend;
using regsweep::testing::TestStore;

// Everything a scan found, as one comparable text.
std::string Summary(const RepositoryInfo& info) {
  std::string out = "repository " + info.name + "\n";
  for (const LinkInfo& link : info.revisions) {
    out += "revision " + link.path + " named " + link.named.str() + " -> " +
           (link.status.ok() ? link.target.str() : link.status.ToString()) +
           "\n";
  }
  for (const TagInfo& tag : info.tags) {
    out += "tag " + tag.name + " -> " +
           (tag.current.status.ok() ? tag.current.target.str()
                                    : tag.current.status.ToString()) +
           "\n";
  }
  for (const Digest& layer : info.layers) out += "layer " + layer.str() + "\n";
  for (const StoreProblem& problem : info.problems) {
    out += "problem " + problem.path + ": " + problem.detail + "\n";
  }
  for (size_t i = 0; i < info.described.size(); ++i) {
    out += "described " + std::to_string(static_cast<int>(info.described[i].type)) +
           " " + (info.described_statuses[i].ok() ? "ok" : "not found") + "\n";
  }
  return out;
}

// Fails every listing of repositories/ as a whole.
class FailingRepositoriesStore final : public StoreWrapper {
 public:
  explicit FailingRepositoriesStore(Store* target) : StoreWrapper(target) {}
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override {
    if (prefix == layout::RepositoriesRoot()) {
      return Status::IOError(prefix, "injected listing failure");
    }
    return StoreWrapper::ListAll(prefix, visit);
  }
};

class RegistryRangesTest : public ::testing::Test {
 protected:
  RegistryRangesTest() : test_(Backend::kMemory), store_(test_.Open()) {}

  // A store of many repositories in namespaces, and the names that sort
  // around a repository's own keys ("a/-x" and "a/0" before "a/_layers",
  // "a/b" after it, "a-b" and "a.b" before "a/").
  void Populate() {
    for (int ns = 0; ns < 3; ++ns) {
      for (int app = 0; app < 40; ++app) {
        const std::string repo =
            "ns" + std::to_string(ns) + "/app" + std::to_string(app);
        Digest image = test_.PushImage(repo, {repo + "-layer"});
        test_.PutTag(repo, "latest", image);
      }
    }
    for (const char* repo : {"a", "a/b", "a/-x", "a/0", "a-b", "a.b", "a/b/c"}) {
      Digest image = test_.PushImage(repo, {std::string(repo) + "-layer"});
      test_.PutTag(repo, "v1", image);
      test_.PushImage(repo, {std::string(repo) + "-untagged"});
    }
    // A repository of layer links only, a directory of uploads only (no
    // repository), a file among the directories, a repository hidden below
    // a '_' directory (the walk does not go there), a temporary file.
    test_.PutLayerLink("layersonly", test_.PutBlob("lonely"));
    test_.WriteFile(layout::Join(layout::UploadsDir("uploading"), "id/data"), "x");
    test_.WriteFile(layout::Join(layout::RepositoryDir("ns0"), "README"), "hi");
    Digest hidden = test_.PushImage("a/_junk/c", {"hidden"});
    test_.PutTag("a/_junk/c", "v1", hidden);
    test_.WriteFile(layout::Join(layout::TagsDir("a"), "v1.tmp"), "x");
    // A revision link naming another digest, and a tag without its link.
    Digest other = test_.PushImage("a.b", {"other"});
    Digest mine = test_.PushImage("a.b", {"mine"});
    test_.WriteFile(layout::RevisionLinkPath("a.b", mine), other.str());
    test_.WriteFile(layout::Join(layout::TagDir("a-b", "broken"), "index/x"), "");
  }

  // name -> summary, from ScanEveryRepository.
  std::map<std::string, std::string> ScanEvery(const Registry& registry,
                                               Status* status) {
    std::mutex mu;
    std::map<std::string, std::string> seen;
    *status = registry.ScanEveryRepository(
        [&](RepositoryInfo* info, Status scanned) {
          std::lock_guard<std::mutex> lock(mu);
          EXPECT_TRUE(scanned.ok()) << scanned.ToString();
          EXPECT_TRUE(seen.emplace(info->name, Summary(*info)).second)
              << "visited twice: " << info->name;
        });
    return seen;
  }

  TestStore test_;
  std::unique_ptr<Store> store_;
};

TEST_F(RegistryRangesTest, EveryRepositoryAsTheWalkAndItsScanGiveIt) {
  Populate();
  Registry registry(store_.get());
  std::vector<std::string> names;
  std::vector<StoreProblem> problems;
  ASSERT_TRUE(registry.ListRepositories(&names, &problems).ok());
  std::map<std::string, std::string> expected;
  for (const std::string& name : names) {
    RepositoryInfo info;
    ASSERT_TRUE(registry.ScanRepository(name, &info).ok()) << name;
    expected[name] = Summary(info);
  }
  ASSERT_EQ(expected.size(), 128u);  // 120 + 7 + layersonly
  Status s;
  std::map<std::string, std::string> seen = ScanEvery(registry, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, expected);
}

TEST_F(RegistryRangesTest, OneListingServesManyRepositories) {
  Populate();
  Registry registry(store_.get());
  const uint64_t before = test_.memory()->list_requests();
  Status s;
  std::map<std::string, std::string> seen = ScanEvery(registry, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(seen.size(), 128u);
  // Two levels of repositories/ for the boundaries (the root and its 9
  // directories), then about 16 ranges of a page each; a walk and a scan
  // per repository would cost more than 4 listings a repository.
  EXPECT_LE(test_.memory()->list_requests() - before, 1u + 9u + 18u);
}

TEST_F(RegistryRangesTest, AFailedListingFailsTheWholeScan) {
  Populate();
  FailingRepositoriesStore failing(store_.get());
  Registry registry(&failing);
  Status s;
  ScanEvery(registry, &s);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

TEST_F(RegistryRangesTest, AnEmptyStoreHasNoRepositories) {
  Registry registry(store_.get());
  Status s;
  EXPECT_TRUE(ScanEvery(registry, &s).empty());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(RegistryRangesFileTest, AStoreWithDirectoriesIsRefused) {
  TestStore test(Backend::kFile);
  std::unique_ptr<Store> store = test.Open();
  Registry registry(store.get());
  Status s = registry.ScanEveryRepository([](RepositoryInfo*, Status) {});
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

}  // namespace
}  // namespace regsweep::storage
