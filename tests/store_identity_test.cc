// Store::Identity: what keeps one store's index from being reused for
// another.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "gc/collection/collector.h"
#include "storage/store.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

namespace fs = std::filesystem;
using testing::TestStore;

std::string IdentityOf(const std::string& root) {
  std::unique_ptr<storage::Store> store;
  EXPECT_TRUE(storage::OpenFileStore(root, &store).ok());
  return store ? store->Identity() : "";
}

TEST(StoreIdentityTest, TwoStoresNeverShareAnIdentity) {
  TestStore a;
  TestStore b;
  a.PushImage("app", {"layer"});
  fs::path copy = fs::path(b.root()) / "copy";
  fs::copy(a.root(), copy, fs::copy_options::recursive);
  EXPECT_FALSE(IdentityOf(a.root()).empty());
  EXPECT_NE(IdentityOf(a.root()), IdentityOf(b.root()));
  EXPECT_NE(IdentityOf(a.root()), IdentityOf(copy.string()));
}

TEST(StoreIdentityTest, OneStoreHoweverItIsReached) {
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

TEST(StoreIdentityTest, AStoreWithoutIdentityNeverReusesAnIndex) {
  TestStore s;
  s.PushImage("app", {"layer"});
  TestStore index_parent;
  std::unique_ptr<storage::Store> real;
  ASSERT_TRUE(storage::OpenFileStore(s.root(), &real).ok());
  NamelessStore store(real.get());
  gc::GcOptions options;
  options.dry_run = true;
  options.index_dir = index_parent.root() + "/index";
  for (int pass = 0; pass < 2; ++pass) {
    gc::GcReport report;
    ASSERT_TRUE(gc::RunGc(&store, options, nullptr, &report).ok());
    EXPECT_EQ(report.pass, gc::PassKind::kFull) << "pass " << pass;
    EXPECT_EQ(report.repositories_reread, 1u);
  }
  // The same store with its identity: the second pass reuses the index.
  gc::GcReport first, second;
  ASSERT_TRUE(gc::RunGc(real.get(), options, nullptr, &first).ok());
  ASSERT_TRUE(gc::RunGc(real.get(), options, nullptr, &second).ok());
  EXPECT_EQ(second.pass, gc::PassKind::kIncremental);
}

}  // namespace
}  // namespace regsweep
