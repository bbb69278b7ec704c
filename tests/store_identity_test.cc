// Store::Identity: what keeps one store's index from being reused for
// another, on either backend; and a backend without change promises, whose
// index serves no pass: no reuse without a promise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "gc/collection/collector.h"
#include "gc/incremental/change_stamp.h"
#include "gc/incremental/repository_mark.h"
#include "index/ref_index.h"
#include "storage/store.h"
#include "testutil/test_store.h"
#include "util/clock.h"

namespace regsweep {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::Backend;
using testing::TestStore;

std::string IdentityOf(const std::string& root) {
  std::unique_ptr<storage::Store> store;
  EXPECT_TRUE(storage::OpenFileStore(root, &store).ok());
  return store ? store->Identity() : "";
}

// The blobs and manifests a pass names for deletion.
std::set<std::string> Named(const gc::GcReport& report) {
  std::set<std::string> out;
  for (const auto& b : report.sweep.blobs_eligible) out.insert(b.digest.str());
  for (const auto& m : report.manifests_eligible) {
    out.insert(m.repository + "@" + m.digest.str());
  }
  return out;
}

// A dry pass with -m and no grace over `store`, with the index in
// `index_dir` ("": none), its clock past the racy margin of what the store
// holds now: whatever a backend promises is trusted at once.
gc::GcReport RunPass(storage::Store* store, const std::string& index_dir) {
  gc::GcOptions options;
  options.dry_run = true;
  options.delete_untagged = true;
  options.grace_ns = 0;
  options.now_ns = NowNs() + 2 * gc::kRacyMargin;
  options.index_dir = index_dir;
  gc::GcReport report;
  Status s = gc::RunGc(store, options, nullptr, &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return report;
}

// Filesystem identity: copies, links, trailing slashes.
TEST(StoreIdentityFileTest, TwoStoresNeverShareAnIdentity) {
  TestStore a;
  TestStore b;
  a.PushImage("app", {"layer"});
  fs::path copy = fs::path(b.root()) / "copy";
  fs::copy(a.root(), copy, fs::copy_options::recursive);
  EXPECT_FALSE(IdentityOf(a.root()).empty());
  EXPECT_NE(IdentityOf(a.root()), IdentityOf(b.root()));
  EXPECT_NE(IdentityOf(a.root()), IdentityOf(copy.string()));
}

TEST(StoreIdentityFileTest, OneStoreHoweverItIsReached) {
  TestStore a;
  TestStore elsewhere;
  fs::path link = fs::path(elsewhere.root()) / "link";
  fs::create_directory_symlink(a.root(), link);
  EXPECT_EQ(IdentityOf(a.root()), IdentityOf(link.string()));
  EXPECT_EQ(IdentityOf(a.root()), IdentityOf(a.root() + "/"));
}

// A backend that cannot say which store it is.
class NamelessStore : public storage::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::string Identity() const override { return ""; }
};

// A backend that promises nothing beyond the contract: no directories, no
// versions that move.
class PromiselessStore : public storage::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  storage::Capabilities capabilities() const override { return {}; }
};

// One store on the backend under test, and a scratch directory for its
// index (removed with the test).
class StoreIdentityTest : public ::testing::TestWithParam<Backend> {
 protected:
  std::string IndexDir() const { return scratch_.root() + "/index"; }

  TestStore s_{GetParam()};
  TestStore scratch_{Backend::kMemory};  // its root is an empty directory
};

TEST_P(StoreIdentityTest, AStoreWithoutIdentityNeverReusesAnIndex) {
  s_.PushImage("app", {"layer"});
  std::unique_ptr<storage::Store> real = s_.Open();
  NamelessStore store(real.get());
  for (int pass = 0; pass < 2; ++pass) {
    gc::GcReport report = RunPass(&store, IndexDir());
    EXPECT_EQ(report.pass, gc::PassKind::kFull) << "pass " << pass;
    EXPECT_EQ(report.repositories_reread, 1u);
  }
  // The same store with its identity: the second pass reuses the index.
  RunPass(real.get(), IndexDir());
  EXPECT_EQ(RunPass(real.get(), IndexDir()).pass, gc::PassKind::kIncremental);
}

// Every repository's stored mark in `index_dir` is one no pass may reuse.
void ExpectNoReusableMark(const std::string& index_dir,
                          const std::vector<std::string>& repositories) {
  std::unique_ptr<index::RefIndex> index;
  ASSERT_TRUE(index::RefIndex::Open(index_dir, &index).ok());
  for (const std::string& name : repositories) {
    std::string value;
    ASSERT_TRUE(index->GetRepositoryMark(name, &value).ok()) << name;
    gc::RepositoryMark mark;
    EXPECT_FALSE(gc::DecodeRepositoryMark(value, &mark)) << name;
  }
}

// The memory store has no directory versions; the filesystem store,
// stripped of its promises, has none at all. Either is read whole on every
// pass with the index, though nothing changed and every time lies past the
// racy margin, and no pass stores a mark the next may reuse.
TEST_P(StoreIdentityTest, ABackendWithoutPromisesIsReReadOnEveryPass) {
  Digest image = s_.PushImage("app", {"tagged layer"});
  s_.PutTag("app", "latest", image);
  s_.PushImage("app", {"untagged layer"});
  s_.PushImage("other", {"other layer"});
  s_.PutBlob("orphan");
  std::unique_ptr<storage::Store> opened = s_.Open();
  PromiselessStore promiseless(opened.get());
  storage::Store* store =
      GetParam() == Backend::kMemory ? opened.get() : &promiseless;
  const gc::GcReport without_index = RunPass(store, "");
  ASSERT_GT(without_index.manifests_read, 0u);
  ASSERT_FALSE(Named(without_index).empty());
  for (int pass = 0; pass < 3; ++pass) {
    SCOPED_TRACE("pass " + std::to_string(pass));
    gc::GcReport report = RunPass(store, IndexDir());
    EXPECT_EQ(report.pass,
              pass == 0 ? gc::PassKind::kFull : gc::PassKind::kIncremental);
    EXPECT_EQ(report.repositories, 2u);
    EXPECT_EQ(report.repositories_reread, report.repositories);
    EXPECT_EQ(report.sweep.prefixes_reused, 0u);
    EXPECT_EQ(Named(report), Named(without_index));
    ExpectNoReusableMark(IndexDir(), {"app", "other"});
  }
  if (GetParam() == Backend::kFile) {
    // The same store with its promises: the pass after next reuses.
    RunPass(opened.get(), IndexDir());
    EXPECT_EQ(RunPass(opened.get(), IndexDir()).repositories_reread, 0u);
  }
}

// Two stores, each on either backend.
class StoreIdentityPairTest
    : public ::testing::TestWithParam<std::tuple<Backend, Backend>> {};

// Two stores never share an identity, so an index built on one is not
// reused for the other, not even for a repository of the same name.
TEST_P(StoreIdentityPairTest, AnIndexOfOneStoreIsNotReusedForAnother) {
  TestStore a(std::get<0>(GetParam()));
  TestStore b(std::get<1>(GetParam()));
  a.PutTag("app", "latest", a.PushImage("app", {"a's layer"}));
  b.PutTag("app", "latest", b.PushImage("app", {"b's layer"}));
  b.PushImage("app", {"b's untagged layer"});
  std::unique_ptr<storage::Store> store_a = a.Open();
  std::unique_ptr<storage::Store> store_b = b.Open();
  EXPECT_FALSE(store_a->Identity().empty());
  EXPECT_FALSE(store_b->Identity().empty());
  EXPECT_NE(store_a->Identity(), store_b->Identity());

  TestStore scratch(Backend::kMemory);  // for the index
  const std::string index_dir = scratch.root() + "/index";
  RunPass(store_a.get(), index_dir);
  EXPECT_EQ(RunPass(store_a.get(), index_dir).pass, gc::PassKind::kIncremental);
  gc::GcReport on_b = RunPass(store_b.get(), index_dir);
  EXPECT_EQ(on_b.pass, gc::PassKind::kFull);
  EXPECT_THAT(on_b.warnings,
              ::testing::Contains(HasSubstr("belongs to another store")));
  EXPECT_EQ(on_b.repositories_reread, 1u);
  EXPECT_EQ(Named(on_b), Named(RunPass(store_b.get(), "")));
}

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return testing::BackendName(info.param);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreIdentityTest,
                         ::testing::ValuesIn(testing::kBackends),
                         BackendParamName);

INSTANTIATE_TEST_SUITE_P(
    Backends, StoreIdentityPairTest,
    ::testing::Combine(::testing::ValuesIn(testing::kBackends),
                       ::testing::ValuesIn(testing::kBackends)),
    [](const ::testing::TestParamInfo<std::tuple<Backend, Backend>>& info) {
      return std::string(testing::BackendName(std::get<0>(info.param))) +
             "_then_" + testing::BackendName(std::get<1>(info.param));
    });

}  // namespace
}  // namespace regsweep
