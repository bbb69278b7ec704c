// ObjectStore::MoveTrees (storage/object_store.h) on MemoryStore: each key
// of a tree copied within the store, then the copied keys deleted; what
// moves, what is refused, and what it costs. The moves that fail midway (a
// copy, a delete, a listing that fails) are in object_store_test.cc, on its
// FaultyStore: no key is ever in neither place, and repeating the move
// finishes it.
#include "storage/object_store.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/memory_store.h"

namespace regsweep {
namespace {

using storage::MemoryStore;
using storage::ObjectInfo;
using storage::TreeMove;

// prefix + i, a name for the i-th of many trees or keys.
std::string Nth(const std::string& prefix, int i) {
  return prefix + std::to_string(i);
}

// Every key below `prefix` with its bytes.
std::map<std::string, std::string> Contents(const MemoryStore& store,
                                            const std::string& prefix) {
  std::map<std::string, std::string> contents;
  for (const std::string& key : store.Keys(prefix)) {
    contents[key.substr(prefix.size())] = store.Get(key).value_or("");
  }
  return contents;
}

std::vector<Status> Move(storage::Store* store,
                         const std::vector<TreeMove>& moves) {
  std::vector<Status> results;
  store->MoveTrees(moves, &results);
  EXPECT_EQ(results.size(), moves.size());
  return results;
}

TEST(ObjectStoreMoveTest, ATreeMovesWhole) {
  MemoryStore store;
  store.Put("q/a/data", "the data", 1);
  store.Put("q/a/x/y", "deeper", 2);
  store.Put("q/a/", "", 3);  // an S3 folder marker goes with its tree
  store.Put("q/a-b", "a sibling that begins with the name", 4);
  store.Put("q/ab", "another", 5);
  const std::map<std::string, std::string> before = Contents(store, "q/a");
  std::vector<Status> results = Move(&store, {{"q/a", "r/z/a"}});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(Contents(store, "r/z/a"), before);
  EXPECT_TRUE(store.Keys("q/a").empty());
  EXPECT_FALSE(store.Has("q/a/"));
  EXPECT_EQ(store.Get("q/a-b"), "a sibling that begins with the name");
  EXPECT_EQ(store.Get("q/ab"), "another");
  EXPECT_EQ(store.Keys("r"),
            (std::vector<std::string>{"r/z/a/", "r/z/a/data", "r/z/a/x/y"}));
  // A copy is a new write: same bytes (and MD5), its own version and time.
  ObjectInfo info;
  ASSERT_TRUE(store.Stat("r/z/a/data", &info).ok());
  EXPECT_NE(info.mtime_ns, 1);
  EXPECT_TRUE(info.has_md5);
  EXPECT_EQ(store.copy_requests(), 3u);
  EXPECT_EQ(store.delete_requests(), 1u);
}

TEST(ObjectStoreMoveTest, ASingleObjectMoves) {
  MemoryStore store;
  store.Put("q/object", "bytes");
  store.Put("top", "at the root");
  std::vector<Status> results =
      Move(&store, {{"q/object", "r/s/object"}, {"top", "r/top"}});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  ASSERT_TRUE(results[1].ok()) << results[1].ToString();
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"r/s/object", "r/top"}));
  EXPECT_EQ(store.Get("r/s/object"), "bytes");
  EXPECT_EQ(store.Get("r/top"), "at the root");

  // An object and keys below its name are one tree.
  store.Put("q/o", "object");
  store.Put("q/o/p", "below it");
  results = Move(&store, {{"q/o", "r/o"}});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(store.Get("r/o"), "object");
  EXPECT_EQ(store.Get("r/o/p"), "below it");
  EXPECT_TRUE(store.Keys("q").empty());
}

TEST(ObjectStoreMoveTest, NothingThereIsNotFound) {
  MemoryStore store;
  store.Put("q/none-x", "a sibling, not the tree");
  store.Put("q/other/k", "another tree");
  std::vector<Status> results =
      Move(&store, {{"q/none", "r/none"}, {"q/other", "r/other"}});
  EXPECT_TRUE(results[0].IsNotFound()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"q/none-x", "r/other/k"}));
  results = Move(&store, {{"nowhere", "r/nowhere"}});
  EXPECT_TRUE(results[0].IsNotFound()) << results[0].ToString();
}

TEST(ObjectStoreMoveTest, BadKeysAndNestedTreesAreInvalidArgument) {
  MemoryStore store;
  for (const char* key : {"q/a/k", "q/b/k", "q/c/k", "q/d/k", "s/k"}) {
    store.Put(key, "x");
  }
  const std::vector<std::string> keys = store.Keys();
  const std::vector<TreeMove> bad = {
      {"", "r/x"},     {"q/../x", "r/x"}, {"/q/a", "r/x"},
      {"q/a", "r/x/"}, {"q//a", "r/x"},   {"q/a", "."},
      {"q/a", "q/a"},  {"q/a", "q/a/b"},  {"q/a/b", "q/a"},
  };
  for (const TreeMove& move : bad) {
    std::vector<Status> results = Move(&store, {move});
    EXPECT_TRUE(results[0].IsInvalidArgument())
        << move.from << " -> " << move.to << ": " << results[0].ToString();
  }
  // Moves of one batch that overlap: two trees to one place, one tree into
  // another's destination, a tree that holds another move's destination.
  std::vector<Status> results = Move(&store, {{"q/a", "r/x"},
                                              {"q/b", "r/x"},
                                              {"q/c", "r/y"},
                                              {"q/d", "r/y/z"},
                                              {"s", "t"},
                                              {"q/e", "s/e"}});
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].IsInvalidArgument())
        << i << ": " << results[i].ToString();
  }
  // Refused before any request: nothing moved, nothing asked.
  EXPECT_EQ(store.Keys(), keys);
  EXPECT_EQ(store.list_requests(), 0u);
  EXPECT_EQ(store.copy_requests(), 0u);
  EXPECT_EQ(store.delete_requests(), 0u);

  // A move given twice is one move, one outcome; a good move beside bad
  // ones goes on.
  results = Move(&store, {{"q/a", "r/a"}, {"", "r/b"}, {"q/a", "r/a"}});
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsInvalidArgument()) << results[1].ToString();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_EQ(store.Get("r/a/k"), "x");
  EXPECT_FALSE(store.Has("q/a/k"));
}

TEST(ObjectStoreMoveTest, CheckMovableAnswersOkForValidPrefixes) {
  MemoryStore store;
  EXPECT_TRUE(store
                  .CheckMovable("docker/registry/v2/blobs",
                                "docker/registry/regsweep/quarantine/run")
                  .ok());
  EXPECT_TRUE(store.CheckMovable("", "anywhere").ok());  // nothing exists
  EXPECT_TRUE(store.CheckMovable("a/../b", "c").IsInvalidArgument());
  EXPECT_TRUE(store.CheckMovable("a", "/c").IsInvalidArgument());
  EXPECT_EQ(store.list_requests() + store.head_requests(), 0u);
}

TEST(ObjectStoreMoveTest, ManyTreesOfOneDirectoryCostOneListing) {
  MemoryStore store;
  std::vector<TreeMove> moves;
  for (int i = 0; i < 20; ++i) {
    store.Put(Nth("q/blobs/", i) + "/data", "blob");
    store.Put(Nth("q/blobs/", i) + "/extra", "more");
    moves.push_back({Nth("q/blobs/", i), Nth("quarantine/run/", i)});
  }
  store.Put("q/blobs/kept/data", "not moved");
  for (const Status& result : Move(&store, moves)) {
    EXPECT_TRUE(result.ok()) << result.ToString();
  }
  EXPECT_EQ(store.list_requests(), 1u);  // of q/blobs, not of each tree
  EXPECT_EQ(store.copy_requests(), 40u);
  EXPECT_EQ(store.delete_requests(), 1u);
  EXPECT_EQ(store.Keys("q"), (std::vector<std::string>{"q/blobs/kept/data"}));
  EXPECT_EQ(store.Keys("quarantine/run").size(), 40u);

  // And back, in one listing of quarantine/run.
  std::vector<TreeMove> back;
  for (const TreeMove& move : moves) back.push_back({move.to, move.from});
  for (const Status& result : Move(&store, back)) {
    EXPECT_TRUE(result.ok()) << result.ToString();
  }
  EXPECT_EQ(store.list_requests(), 2u);
  EXPECT_EQ(store.Keys("q").size(), 41u);
  EXPECT_TRUE(store.Keys("quarantine").empty());
}

TEST(ObjectStoreMoveTest, ATreeLargerThanAPageMovesWhole) {
  MemoryStore store;
  for (int i = 0; i < 2500; ++i) store.Put(Nth("q/big/", i), std::to_string(i));
  std::vector<Status> results = Move(&store, {{"q/big", "r/big"}});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(store.Keys("r/big").size(), 2500u);
  EXPECT_EQ(store.Get("r/big/2499"), "2499");
  EXPECT_TRUE(store.Keys("q").empty());
  EXPECT_EQ(store.list_requests(), 3u);  // 1000 keys a page
  EXPECT_EQ(store.copy_requests(), 2500u);
  EXPECT_EQ(store.delete_requests(), 3u);  // 1000 keys a batch
}

TEST(ObjectStoreMoveTest, AViewMovesThroughItsStore) {
  MemoryStore store;
  store.Put("q/a/k", "x");
  std::unique_ptr<storage::Store> view = storage::NewMemoryStoreView(&store);
  std::vector<Status> results = Move(view.get(), {{"q/a", "r/a"}});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"r/a/k"}));
  EXPECT_TRUE(view->CheckMovable("q", "r").ok());
}

}  // namespace
}  // namespace regsweep
