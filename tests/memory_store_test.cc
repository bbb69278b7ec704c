// MemoryStore: the Store contract (storage/store.h) on an in-memory object
// store, and what this backend promises beyond it (pages of 1000 keys,
// delete batches of 1000 keys, versions that move on every write).
#include "storage/memory_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace regsweep {
namespace {

using storage::EntryType;
using storage::ListEntry;
using storage::MemoryStore;
using storage::ObjectContents;
using storage::ObjectInfo;

// "0001", "0002", ...: names that sort as they count.
std::string Numbered(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d", i);
  return buf;
}

// The next level of `prefix` as name -> type (List promises no order).
std::map<std::string, EntryType> Listed(MemoryStore* store,
                                        const std::string& prefix) {
  std::vector<ListEntry> entries;
  Status s = store->List(prefix, &entries);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::map<std::string, EntryType> listed;
  for (const ListEntry& entry : entries) {
    EXPECT_TRUE(listed.emplace(entry.name, entry.type).second)
        << "listed twice: " << entry.name;
  }
  return listed;
}

TEST(MemoryStoreTest, PromisesOnlyObjectVersions) {
  MemoryStore store;
  storage::Capabilities c = store.capabilities();
  EXPECT_TRUE(c.object_versions_move);
  EXPECT_FALSE(c.directories);
  EXPECT_FALSE(c.atomic_rename);
  EXPECT_FALSE(c.directory_versions_move);
  EXPECT_FALSE(c.counts_subdirectories);
}

TEST(MemoryStoreTest, ListGivesTheNextLevelWithCommonPrefixes) {
  MemoryStore store;
  store.Put("a/x", "1", 10);
  store.Put("a/b/c", "2", 10);
  store.Put("a/b/d/e", "3", 10);
  store.Put("a/f/g", "4", 10);
  store.Put("a/z", "5", 10);
  store.Put("ab/y", "6", 10);  // shares the string prefix "a", not the prefix
  std::map<std::string, EntryType> want = {{"b", EntryType::kDirectory},
                                           {"f", EntryType::kDirectory},
                                           {"x", EntryType::kFile},
                                           {"z", EntryType::kFile}};
  EXPECT_EQ(Listed(&store, "a"), want);
  std::map<std::string, EntryType> below_b = {{"c", EntryType::kFile},
                                              {"d", EntryType::kDirectory}};
  EXPECT_EQ(Listed(&store, "a/b"), below_b);
  std::map<std::string, EntryType> root = {{"a", EntryType::kDirectory},
                                           {"ab", EntryType::kDirectory}};
  EXPECT_EQ(Listed(&store, ""), root);
}

TEST(MemoryStoreTest, ListDescribesThePrefixWithoutTimesOrVersion) {
  MemoryStore store;
  store.Put("a/b", "x", 123);
  ObjectInfo info;
  info.version = 77;
  info.mtime_ns = 5;
  info.subdirectories = 3;
  std::vector<ListEntry> entries;
  ASSERT_TRUE(store.List("a", &entries, &info).ok());
  EXPECT_EQ(info.type, EntryType::kDirectory);
  EXPECT_EQ(info.version, 0u);
  EXPECT_EQ(info.mtime_ns, 0);
  EXPECT_EQ(info.changed_ns, 0);
  EXPECT_EQ(info.subdirectories, ObjectInfo::kUnknownCount);
}

TEST(MemoryStoreTest, AnObjectWithKeysBelowIsListedOnceAsADirectory) {
  MemoryStore store;
  store.Put("p/c", "object", 1);
  store.Put("p/c-x", "between c and c/", 1);
  store.Put("p/c/d", "below", 1);
  std::map<std::string, EntryType> want = {{"c", EntryType::kDirectory},
                                           {"c-x", EntryType::kFile}};
  EXPECT_EQ(Listed(&store, "p"), want);
}

TEST(MemoryStoreTest, ListErrors) {
  MemoryStore store;
  std::vector<ListEntry> entries;
  Status empty_root = store.List("", &entries);
  EXPECT_TRUE(empty_root.IsNotFound()) << empty_root.ToString();

  store.Put("a/b", "x", 1);
  Status missing = store.List("nothing", &entries);
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  EXPECT_EQ(missing.message(),
            store.Describe("nothing") + ": no such key or prefix");
  // "a" exists as a prefix only while a key lies below it.
  Status object = store.List("a/b", &entries);
  EXPECT_TRUE(object.IsIOError()) << object.ToString();
  EXPECT_EQ(object.reason(), "is an object, not a prefix");
  EXPECT_TRUE(entries.empty());

  ASSERT_TRUE(store.Remove("a/b"));
  Status gone = store.List("a", &entries);
  EXPECT_TRUE(gone.IsNotFound()) << gone.ToString();
}

TEST(MemoryStoreTest, ListingTwentyFiveHundredKeysTakesThreePages) {
  MemoryStore store;
  for (int i = 0; i < 2500; ++i) store.Put("p/" + Numbered(i), "x", 1);
  store.Put("q/other", "x", 1);

  uint64_t before = store.list_requests();
  std::vector<ListEntry> entries;
  ASSERT_TRUE(store.List("p", &entries).ok());
  EXPECT_EQ(store.list_requests() - before, 3u);
  std::map<std::string, EntryType> names;
  for (const ListEntry& e : entries) names.emplace(e.name, e.type);
  EXPECT_EQ(entries.size(), 2500u);
  EXPECT_EQ(names.size(), 2500u);
  EXPECT_EQ(names.begin()->first, "0000");
  EXPECT_EQ(names.rbegin()->first, "2499");

  before = store.list_requests();
  size_t visited = 0;
  ASSERT_TRUE(store.Visit("p", [&](std::string_view, EntryType type) {
    EXPECT_EQ(type, EntryType::kFile);
    ++visited;
  }).ok());
  EXPECT_EQ(visited, 2500u);
  EXPECT_EQ(store.list_requests() - before, 3u);

  before = store.list_requests();
  size_t all = 0;
  ASSERT_TRUE(store.ListAll("p", [&](std::string_view, const ObjectInfo&) {
    ++all;
  }).ok());
  EXPECT_EQ(all, 2500u);
  EXPECT_EQ(store.list_requests() - before, 3u);
}

TEST(MemoryStoreTest, APageHoldsAThousandCommonPrefixes) {
  MemoryStore store;
  // 1500 names, each a prefix of two keys: 1500 entries, not 3000.
  for (int i = 0; i < 1500; ++i) {
    store.Put("blobs/" + Numbered(i) + "/data", "d", 1);
    store.Put("blobs/" + Numbered(i) + "/link", "l", 1);
  }
  uint64_t before = store.list_requests();
  std::map<std::string, EntryType> listed = Listed(&store, "blobs");
  EXPECT_EQ(store.list_requests() - before, 2u);
  EXPECT_EQ(listed.size(), 1500u);
  for (const auto& [name, type] : listed) {
    EXPECT_EQ(type, EntryType::kDirectory) << name;
  }
}

TEST(MemoryStoreTest, ExactlyAThousandKeysTakeOnePage) {
  MemoryStore store;
  for (int i = 0; i < 1000; ++i) store.Put("p/" + Numbered(i), "x", 1);
  uint64_t before = store.list_requests();
  EXPECT_EQ(Listed(&store, "p").size(), 1000u);
  EXPECT_EQ(store.list_requests() - before, 1u);
  store.Put("p/1000", "x", 1);
  before = store.list_requests();
  EXPECT_EQ(Listed(&store, "p").size(), 1001u);
  EXPECT_EQ(store.list_requests() - before, 2u);
}

TEST(MemoryStoreTest, AVisitorMayCallBackIntoTheStore) {
  MemoryStore store;
  store.Put("r/a", "1", 1);
  store.Put("r/b/c", "2", 1);
  std::vector<std::string> seen;
  Status s = store.Visit("r", [&](std::string_view name, EntryType) {
    ObjectInfo info;
    // Would deadlock if the store held its lock while visiting.
    EXPECT_TRUE(store.Stat("r/" + std::string(name), &info).ok());
    store.Put("elsewhere/" + std::string(name), "x", 1);
    seen.emplace_back(name);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  // Visit promises no order (prefixes come first: an object's name waits
  // for the end of the listing).
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(store.Has("elsewhere/b"));
}

TEST(MemoryStoreTest, ListAllGivesEveryObjectBelowWithItsDescription) {
  MemoryStore store;
  store.Put("v2/repositories/app/_layers/x/link", "abc", 100);
  store.Put("v2/repositories/app/_manifests/tags/t/current/link", "de", 200);
  store.Put("v2/repositories/apple/link", "no", 300);  // not below "app"
  std::map<std::string, ObjectInfo> keys;
  Status s = store.ListAll("v2/repositories/app",
                           [&](std::string_view key, const ObjectInfo& info) {
                             keys.emplace(std::string(key), info);
                           });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(keys.size(), 2u);
  const ObjectInfo& layer = keys.at("_layers/x/link");
  EXPECT_EQ(layer.type, EntryType::kFile);
  EXPECT_EQ(layer.size, 3u);
  EXPECT_EQ(layer.mtime_ns, 100);
  EXPECT_EQ(layer.changed_ns, 100);
  EXPECT_NE(layer.version, 0u);
  EXPECT_EQ(keys.at("_manifests/tags/t/current/link").mtime_ns, 200);

  Status missing = store.ListAll("v2/none", [](std::string_view,
                                               const ObjectInfo&) {});
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
}

TEST(MemoryStoreTest, ReadGivesTheBytesAndTheDescription) {
  MemoryStore store;
  store.Put("k/link", "sha256:abc", 42);
  std::string contents;
  ObjectInfo info;
  ASSERT_TRUE(store.Read("k/link", 100, &contents, &info).ok());
  EXPECT_EQ(contents, "sha256:abc");
  EXPECT_EQ(info.type, EntryType::kFile);
  EXPECT_EQ(info.size, 10u);
  EXPECT_EQ(info.mtime_ns, 42);
  EXPECT_NE(info.version, 0u);
  // Exactly max_bytes is allowed.
  EXPECT_TRUE(store.Read("k/link", 10, &contents, nullptr).ok());
  EXPECT_EQ(contents, "sha256:abc");
}

TEST(MemoryStoreTest, ReadErrors) {
  MemoryStore store;
  store.Put("k/link", "sha256:abc", 1);
  std::string contents = "stale";
  Status missing = store.Read("k/other", 100, &contents, nullptr);
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  EXPECT_TRUE(contents.empty());

  contents = "stale";
  Status large = store.Read("k/link", 9, &contents, nullptr);
  EXPECT_TRUE(large.IsCorruption()) << large.ToString();
  EXPECT_EQ(large.message(),
            store.Describe("k/link") + ": object is larger than 9 bytes");
  EXPECT_TRUE(contents.empty());

  Status prefix = store.Read("k", 100, &contents, nullptr);
  EXPECT_TRUE(prefix.IsIOError()) << prefix.ToString();
  EXPECT_EQ(prefix.reason(), "not an object");
}

TEST(MemoryStoreTest, ReadRangeReadsPiecesAndNothingAtOrPastTheEnd) {
  MemoryStore store;
  store.Put("blob/data", "0123456789", 1);
  std::string contents;
  ObjectInfo info;
  ASSERT_TRUE(store.ReadRange("blob/data", 2, 3, &contents, &info).ok());
  EXPECT_EQ(contents, "234");
  EXPECT_EQ(info.size, 10u);
  ASSERT_TRUE(store.ReadRange("blob/data", 8, 100, &contents, nullptr).ok());
  EXPECT_EQ(contents, "89");
  contents = "stale";
  ASSERT_TRUE(store.ReadRange("blob/data", 10, 5, &contents, &info).ok());
  EXPECT_EQ(contents, "");
  EXPECT_EQ(info.size, 10u);
  contents = "stale";
  ASSERT_TRUE(store.ReadRange("blob/data", 1000, 5, &contents, nullptr).ok());
  EXPECT_EQ(contents, "");

  EXPECT_TRUE(store.ReadRange("blob/none", 0, 5, &contents, nullptr)
                  .IsNotFound());
  EXPECT_TRUE(store.ReadRange("blob", 0, 5, &contents, nullptr).IsIOError());
}

TEST(MemoryStoreTest, ReadBatchAndStatBatchAnswerNameByName) {
  MemoryStore store;
  store.Put("repo/_layers/a/link", "A", 1);
  store.Put("repo/_layers/c/link", "CCCC", 2);
  store.Put("repo/_layers/d/x", "below d", 3);
  const std::vector<std::string> names = {"a/link", "b/link", "c/link", "d"};
  const uint64_t gets = store.get_requests();
  std::vector<ObjectContents> objects;
  store.ReadBatch("repo/_layers", names, 3, &objects);
  ASSERT_EQ(objects.size(), 4u);
  EXPECT_TRUE(objects[0].status.ok());
  EXPECT_EQ(objects[0].contents, "A");
  EXPECT_EQ(objects[0].info.mtime_ns, 1);
  EXPECT_TRUE(objects[1].status.IsNotFound());
  EXPECT_TRUE(objects[2].status.IsCorruption());
  EXPECT_TRUE(objects[3].status.IsIOError());
  EXPECT_EQ(store.get_requests() - gets, 4u);

  const uint64_t heads = store.head_requests();
  std::vector<ObjectInfo> infos;
  std::vector<Status> statuses;
  store.StatBatch("repo/_layers", names, &infos, &statuses);
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_EQ(infos[0].type, EntryType::kFile);
  EXPECT_TRUE(statuses[1].IsNotFound());
  EXPECT_TRUE(statuses[2].ok());
  EXPECT_EQ(infos[2].size, 4u);
  EXPECT_TRUE(statuses[3].ok());
  EXPECT_EQ(infos[3].type, EntryType::kDirectory);
  EXPECT_EQ(store.head_requests() - heads, 4u);
}

TEST(MemoryStoreTest, StatDescribesObjectsAndPrefixes) {
  MemoryStore store;
  store.Put("blobs/sha256/ab/abcd/data", "bytes", 555);
  ObjectInfo info;
  ASSERT_TRUE(store.Stat("blobs/sha256/ab/abcd/data", &info).ok());
  EXPECT_EQ(info.type, EntryType::kFile);
  EXPECT_EQ(info.size, 5u);
  EXPECT_EQ(info.mtime_ns, 555);
  EXPECT_EQ(info.changed_ns, 555);
  EXPECT_NE(info.version, 0u);

  ASSERT_TRUE(store.Stat("blobs/sha256/ab", &info).ok());
  EXPECT_EQ(info.type, EntryType::kDirectory);
  EXPECT_EQ(info.version, 0u);
  EXPECT_EQ(info.mtime_ns, 0);
  EXPECT_EQ(info.changed_ns, 0);
  EXPECT_EQ(info.size, 0u);

  ASSERT_TRUE(store.Stat("", &info).ok());
  EXPECT_EQ(info.type, EntryType::kDirectory);

  Status missing = store.Stat("blobs/sha256/cd", &info);
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  // A string prefix of a key is no prefix.
  EXPECT_TRUE(store.Stat("blobs/sha256/ab/abc", &info).IsNotFound());

  MemoryStore empty;
  EXPECT_TRUE(empty.Stat("", &info).IsNotFound());
}

TEST(MemoryStoreTest, VersionsChangeOnEveryWriteAndDifferAcrossKeys) {
  MemoryStore store;
  store.Put("a", "same", 1);
  store.Put("b", "same", 1);
  ObjectInfo a1, b1, a2, a3;
  ASSERT_TRUE(store.Stat("a", &a1).ok());
  ASSERT_TRUE(store.Stat("b", &b1).ok());
  EXPECT_NE(a1.version, 0u);
  EXPECT_NE(b1.version, 0u);
  EXPECT_NE(a1.version, b1.version);

  // Rewriting the same bytes with the same time still moves the version.
  store.Put("a", "same", 1);
  ASSERT_TRUE(store.Stat("a", &a2).ok());
  EXPECT_NE(a2.version, a1.version);
  ObjectInfo again;
  ASSERT_TRUE(store.Stat("a", &again).ok());
  EXPECT_EQ(again.version, a2.version);  // reading moves nothing

  ASSERT_TRUE(store.SetMtime("a", 7));
  ASSERT_TRUE(store.Stat("a", &a3).ok());
  EXPECT_NE(a3.version, a2.version);
  EXPECT_EQ(a3.mtime_ns, 7);
  EXPECT_EQ(a3.changed_ns, 7);
  EXPECT_EQ(*store.Get("a"), "same");
  EXPECT_FALSE(store.SetMtime("none", 7));

  // A removed and re-created object is a new version too.
  ASSERT_TRUE(store.Remove("b"));
  store.Put("b", "same", 1);
  ObjectInfo b2;
  ASSERT_TRUE(store.Stat("b", &b2).ok());
  EXPECT_NE(b2.version, b1.version);
}

TEST(MemoryStoreTest, PutWithoutATimeUsesTheSystemClock) {
  MemoryStore store;
  const int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  store.Put("k", "x");
  const int64_t after = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  ObjectInfo info;
  ASSERT_TRUE(store.Stat("k", &info).ok());
  EXPECT_GE(info.mtime_ns, before);
  EXPECT_LE(info.mtime_ns, after);
}

TEST(MemoryStoreTest, CopyObjectsCopiesBytesAsANewWrite) {
  MemoryStore store;
  store.Put("a/src", "the bytes", 5);
  store.Put("a/old", "replaced", 6);
  store.Put("a/prefix/below", "a prefix is no object", 7);
  ObjectInfo source;
  ASSERT_TRUE(store.Stat("a/src", &source).ok());
  std::vector<Status> results;
  store.CopyObjects({{"a/src", "b/copy", 9},
                     {"a/src", "a/old", 9},
                     {"a/none", "b/none", 1},
                     {"a/prefix", "b/prefix", 0}},
                    &results);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  EXPECT_TRUE(results[2].IsNotFound()) << results[2].ToString();
  EXPECT_TRUE(results[3].IsNotFound()) << results[3].ToString();
  EXPECT_EQ(store.Get("b/copy"), "the bytes");
  EXPECT_EQ(store.Get("a/old"), "the bytes");
  EXPECT_EQ(store.Get("a/src"), "the bytes");  // a copy, not a move
  EXPECT_FALSE(store.Has("b/none"));
  EXPECT_FALSE(store.Has("b/prefix"));
  // Its own version and time, as a fresh put; the same MD5.
  ObjectInfo copy;
  ASSERT_TRUE(store.Stat("b/copy", &copy).ok());
  EXPECT_NE(copy.version, source.version);
  EXPECT_GT(copy.mtime_ns, 5);
  EXPECT_EQ(copy.changed_ns, copy.mtime_ns);
  EXPECT_EQ(copy.md5, source.md5);
  EXPECT_EQ(store.copy_requests(), 4u);
}

TEST(MemoryStoreTest, InvalidKeysAreRefused) {
  MemoryStore store;
  store.Put("a/b", "x", 1);
  const std::vector<std::string> bad = {"/a",  "a//b", "a/./b", "a/../b",
                                        "a/.", "..",   "a/b/",  "."};
  std::string contents;
  ObjectInfo info;
  std::vector<ListEntry> entries;
  for (const std::string& key : bad) {
    SCOPED_TRACE(key);
    Status read = store.Read(key, 100, &contents, &info);
    EXPECT_TRUE(read.IsInvalidArgument()) << read.ToString();
    EXPECT_EQ(read.message(), store.Describe(key) + ": not a key in the store");
    EXPECT_TRUE(store.ReadRange(key, 0, 1, &contents, &info).IsInvalidArgument());
    EXPECT_TRUE(store.Stat(key, &info).IsInvalidArgument());
    EXPECT_TRUE(store.List(key, &entries).IsInvalidArgument());
    EXPECT_TRUE(store.ListAll(key, [](std::string_view, const ObjectInfo&) {})
                    .IsInvalidArgument());
    EXPECT_TRUE(store.CheckWritable(key).IsInvalidArgument());
    std::vector<Status> results;
    store.Delete("", {key}, &results);
    EXPECT_TRUE(results.at(0).IsInvalidArgument());
    store.DeleteTrees(key, {"x"}, "", &results);
    EXPECT_TRUE(results.at(0).IsInvalidArgument());
  }
  // The root is a prefix, never a key.
  EXPECT_TRUE(store.Read("", 100, &contents, &info).IsInvalidArgument());
  EXPECT_TRUE(store.ReadRange("", 0, 1, &contents, &info).IsInvalidArgument());
  EXPECT_TRUE(store.List("", &entries).ok());
  EXPECT_TRUE(store.CheckWritable("").ok());
  // Batches refuse bad names below a good dir.
  std::vector<ObjectContents> objects;
  store.ReadBatch("a", {"", "../a/b", "b"}, 100, &objects);
  EXPECT_TRUE(objects[0].status.IsInvalidArgument());
  EXPECT_TRUE(objects[1].status.IsInvalidArgument());
  EXPECT_TRUE(objects[2].status.ok());
  std::vector<ObjectInfo> infos;
  std::vector<Status> statuses;
  store.StatBatch("", {""}, &infos, &statuses);
  EXPECT_TRUE(statuses[0].IsInvalidArgument());
  std::vector<Status> results;
  store.DeleteTrees("a", {"b/c", "", ".."}, "", &results);
  for (const Status& s : results) EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_TRUE(store.Has("a/b"));  // nothing refused was deleted
}

TEST(MemoryStoreTest, DeleteReportsEachKey) {
  MemoryStore store;
  store.Put("d/one", "1", 1);
  store.Put("d/two", "2", 1);
  store.Put("d/sub/three", "3", 1);
  std::vector<Status> results;
  const uint64_t before = store.delete_requests();
  store.Delete("d", {"one", "missing", "sub", "two"}, &results);
  EXPECT_EQ(store.delete_requests() - before, 1u);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsNotFound()) << results[1].ToString();
  EXPECT_EQ(results[1].message(), store.Describe("d/missing") + ": no such key");
  EXPECT_TRUE(results[2].IsIOError()) << results[2].ToString();
  EXPECT_EQ(results[2].reason(), "not an object");
  EXPECT_TRUE(results[3].ok());
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"d/sub/three"}));

  // Deleting again: gone.
  store.Delete("d", {"one"}, &results);
  EXPECT_TRUE(results[0].IsNotFound());
}

TEST(MemoryStoreTest, DeleteSendsAThousandKeysARequest) {
  MemoryStore store;
  std::vector<std::string> names;
  for (int i = 0; i < 2500; ++i) {
    store.Put("p/" + Numbered(i), "x", 1);
    names.push_back(Numbered(i));
  }
  names.push_back("absent");
  std::vector<Status> results;
  const uint64_t before = store.delete_requests();
  store.Delete("p", names, &results);
  EXPECT_EQ(store.delete_requests() - before, 3u);
  ASSERT_EQ(results.size(), 2501u);
  for (int i = 0; i < 2500; ++i) EXPECT_TRUE(results[i].ok()) << i;
  EXPECT_TRUE(results[2500].IsNotFound());
  EXPECT_TRUE(store.Keys().empty());
}

TEST(MemoryStoreTest, DeleteTreesOfTwentyFiveHundredKeysTakesThreeRequests) {
  MemoryStore store;
  for (int i = 0; i < 2500; ++i) {
    store.Put("uploads/u1/" + Numbered(i), "chunk", 1);
  }
  store.Put("uploads/u1", "an object at the name itself", 1);
  store.Put("uploads/u10/data", "a neighbour", 1);
  store.Put("uploads/u1-x", "another neighbour", 1);
  std::vector<Status> results;
  const uint64_t deletes = store.delete_requests();
  const uint64_t lists = store.list_requests();
  store.DeleteTrees("uploads", {"u1"}, "data", &results);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_EQ(store.delete_requests() - deletes, 3u);
  EXPECT_EQ(store.list_requests() - lists, 3u);
  EXPECT_TRUE(store.Keys("uploads/u1").empty());
  EXPECT_FALSE(store.Has("uploads/u1"));
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"uploads/u1-x",
                                                    "uploads/u10/data"}));
}

TEST(MemoryStoreTest, DeleteTreesDeletesEverythingBelowEachName) {
  MemoryStore store;
  store.Put("blobs/ab/abc1/data", "d", 1);  // the usual key
  store.Put("blobs/ab/abc1/extra", "e", 1);  // and one more
  store.Put("blobs/ab/abc2/data", "d", 1);
  store.Put("blobs/ab/abc3/", "", 1);  // an S3 folder marker
  store.Put("blobs/ab/abc4/deep/er/key", "k", 1);
  std::vector<Status> results;
  const uint64_t before = store.delete_requests();
  store.DeleteTrees("blobs/ab", {"abc1", "abc2", "abc3", "abc4", "absent"},
                    "data", &results);
  ASSERT_EQ(results.size(), 5u);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  // All names' keys go in one batch.
  EXPECT_EQ(store.delete_requests() - before, 1u);
  EXPECT_TRUE(store.Keys().empty());

  // Nothing at all to delete: OK, and no delete request.
  store.DeleteTrees("nowhere", {"x"}, "", &results);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(store.delete_requests() - before, 1u);
}

TEST(MemoryStoreTest, FolderMarkersMakeNoNames) {
  MemoryStore store;
  store.Put("a/", "", 1);
  store.Put("a/b", "x", 1);
  EXPECT_EQ(Listed(&store, "a"),
            (std::map<std::string, EntryType>{{"b", EntryType::kFile}}));
  std::vector<std::string> keys;
  ASSERT_TRUE(store.ListAll("a", [&](std::string_view key, const ObjectInfo&) {
    keys.emplace_back(key);
  }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"b"}));
}

TEST(MemoryStoreTest, ListingOrderFollowsBytesNotChars) {
  MemoryStore store;
  // '\xff' sorts after '/' and '0' only when bytes compare unsigned.
  store.Put("p/b/x", "1", 1);
  store.Put("p/b\xff", "2", 1);
  store.Put("p/b0", "3", 1);
  store.Put("p/b/y", "4", 1);
  EXPECT_EQ(Listed(&store, "p"),
            (std::map<std::string, EntryType>{{"b", EntryType::kDirectory},
                                              {"b0", EntryType::kFile},
                                              {"b\xff", EntryType::kFile}}));
  EXPECT_EQ(store.Keys("p/b"),
            (std::vector<std::string>{"p/b/x", "p/b/y"}));
}

TEST(MemoryStoreTest, TwoStoresHaveDifferentIdentities) {
  MemoryStore a;
  MemoryStore b;
  EXPECT_FALSE(a.Identity().empty());
  EXPECT_NE(a.Identity(), b.Identity());
  EXPECT_EQ(a.Identity(), a.Identity());
  EXPECT_EQ(a.Identity().rfind("memory:", 0), 0u);
  EXPECT_EQ(a.Describe("x/y").rfind("memory://", 0), 0u);
  EXPECT_NE(a.Describe("x/y"), b.Describe("x/y"));
  EXPECT_EQ(a.Describe("x/y").substr(a.Describe("x/y").size() - 4), "/x/y");
}

TEST(MemoryStoreTest, WriterApi) {
  MemoryStore store;
  store.Put("a/1", "one", 1);
  store.Put("a/2", "two", 1);
  store.Put("a/sub/3", "three", 1);
  store.Put("ab/4", "four", 1);
  store.Put("a", "the name itself", 1);
  EXPECT_TRUE(store.Has("a/1"));
  EXPECT_FALSE(store.Has("a/9"));
  EXPECT_EQ(store.Get("a/2"), std::optional<std::string>("two"));
  EXPECT_EQ(store.Get("a/9"), std::nullopt);
  EXPECT_EQ(store.Keys("a"),
            (std::vector<std::string>{"a/1", "a/2", "a/sub/3"}));
  EXPECT_EQ(store.Keys().size(), 5u);
  EXPECT_EQ(store.RemovePrefix("a"), 3u);
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"a", "ab/4"}));
  EXPECT_TRUE(store.Remove("a"));
  EXPECT_FALSE(store.Remove("a"));
  EXPECT_EQ(store.RemovePrefix(""), 1u);
  EXPECT_TRUE(store.Keys().empty());
}

TEST(MemoryStoreTest, TheViewForwardsToTheStore) {
  MemoryStore store;
  store.Put("r/a", "1", 1);
  store.Put("r/b/c", "2", 1);
  std::unique_ptr<storage::Store> view = storage::NewMemoryStoreView(&store);
  EXPECT_EQ(view->Identity(), store.Identity());
  EXPECT_EQ(view->Describe("k"), store.Describe("k"));
  EXPECT_TRUE(view->capabilities().object_versions_move);
  size_t visited = 0;
  ASSERT_TRUE(
      view->Visit("r", [&](std::string_view, EntryType) { ++visited; }).ok());
  EXPECT_EQ(visited, 2u);
  std::vector<Status> results;
  view->DeleteTrees("r", {"b"}, "", &results);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"r/a"}));
  view.reset();  // the view does not own the store
  EXPECT_TRUE(store.Has("r/a"));
}

TEST(MemoryStoreTest, ManyThreadsAtOnce) {
  MemoryStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      // Not "t" + std::to_string(t): GCC 12 warns falsely (-Wrestrict).
      const std::string dir = std::string("t").append(std::to_string(t));
      for (int i = 0; i < 250; ++i) {
        const std::string key = dir + "/" + Numbered(i);
        store.Put(key, "x", 1);
        ObjectInfo info;
        EXPECT_TRUE(store.Stat(key, &info).ok());
        std::vector<ListEntry> entries;
        EXPECT_TRUE(store.List(dir, &entries).ok());
        EXPECT_EQ(entries.size(), static_cast<size_t>(i + 1));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store.Keys().size(), 1000u);
  // Every write took its own version.
  std::set<uint64_t> versions;
  ASSERT_TRUE(store.ListAll("", [&](std::string_view, const ObjectInfo& info) {
    versions.insert(info.version);
  }).ok());
  EXPECT_EQ(versions.size(), 1000u);
}

}  // namespace
}  // namespace regsweep
