// ObjectStore: the Store contract built on a few object-store requests. Run
// on MemoryStore (which is an ObjectStore) and on FaultyStore, an
// ObjectStore whose primitives forward to a MemoryStore with switches that
// make them fail or misbehave: what must hold is that no failure ever
// reads as an empty answer or a success, no tree is deleted in part, and no
// key a move fails on is in neither place (MoveTrees without faults:
// object_store_move_test.cc).
#include "storage/object_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "storage/memory_store.h"

namespace regsweep {
namespace {

using storage::EntryType;
using storage::KeyRange;
using storage::ListEntry;
using storage::MemoryStore;
using storage::ObjectContents;
using storage::ObjectInfo;
using storage::ObjectPage;
using storage::ObjectRead;
using storage::Store;
using storage::TreeGroup;
using storage::TreeMove;

// "0001", "0002", ...: names that sort as they count.
std::string Numbered(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d", i);
  return buf;
}

// head + Numbered(i). (Not "literal" + std::string: GCC 12 warns falsely,
// -Wrestrict.)
std::string Named(const char* head, int i) {
  return std::string(head).append(Numbered(i));
}

// The next level of `prefix` as name -> type, each name once.
std::map<std::string, EntryType> Listed(Store* store, const std::string& prefix) {
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

// An ObjectStore on a MemoryStore's primitives, with faults to inject.
// The switches are plain fields: set them before a call, not during one.
class FaultyStore final : public storage::ObjectStore {
 public:
  MemoryStore memory;  // the keys; the writer API and request counts

  // Makes the n-th ListPage call from now (1: the next) fail.
  void FailListCall(size_t n) { fail_list_call_ = list_calls_ + n; }
  // Pages hold at most this many entries (S3 may give fewer than asked).
  size_t page_limit = kPageSize;
  // HeadObjects / DeleteObjects fail for this key (and do not delete it).
  std::string fail_head_key;
  std::string fail_delete_key;
  // CopyObjects fails copying this source key (and copies nothing there).
  std::string fail_copy_key;
  // CopyObjects finds this source key gone: another client deleted it
  // between the listing and the copy.
  std::string vanish_key;
  // Listings of keys that begin with this fail (when not empty).
  std::string fail_list_prefix;
  // Every listing page also gives this key (a server's bug).
  std::string foreign_key;
  // Every page after the first gives the first page's continuation token.
  bool stuck_token = false;
  // Listings start from the first key whatever start_after says (a server
  // that does not know the parameter).
  bool ignore_start_after = false;
  // DeleteObjects answers for one key fewer than it was given.
  bool short_delete_answer = false;

  std::string Describe(const std::string& key) const override {
    return memory.Describe(key);
  }
  std::string Identity() const override { return memory.Identity(); }

 protected:
  Status ListPage(const std::string& key_prefix, bool delimited,
                  const std::string& token, const std::string& start_after,
                  size_t max_keys,
                  ObjectPage* page) override {
    if (++list_calls_ == fail_list_call_ ||
        (!fail_list_prefix.empty() && key_prefix.starts_with(fail_list_prefix))) {
      return Status::IOError(Describe(key_prefix), "injected listing failure");
    }
    Status s = memory.ListPage(key_prefix, delimited, token,
                               ignore_start_after ? "" : start_after,
                               std::min(max_keys, page_limit), page);
    if (!foreign_key.empty()) page->objects.push_back({foreign_key, {}});
    if (stuck_token && !page->next_token.empty()) {
      if (first_token_.empty()) first_token_ = page->next_token;
      page->next_token = first_token_;
    }
    return s;
  }
  void GetObjects(const std::vector<ObjectRead>& reads,
                  std::vector<ObjectContents>* results) override {
    memory.GetObjects(reads, results);
  }
  Status PutIfAbsent(const std::string& key,
                     std::string_view contents) override {
    return memory.PutIfAbsent(key, contents);
  }
  void CopyObjects(const std::vector<storage::ObjectCopy>& copies,
                   std::vector<Status>* results) override {
    if (!vanish_key.empty()) memory.Remove(vanish_key);
    memory.CopyObjects(copies, results);
    for (size_t i = 0; i < copies.size(); ++i) {
      if (copies[i].from != fail_copy_key) continue;
      memory.Remove(copies[i].to);  // as if it never happened
      (*results)[i] =
          Status::IOError(Describe(copies[i].from), "injected copy failure");
    }
  }
  void HeadObjects(const std::vector<std::string>& keys,
                   std::vector<ObjectInfo>* infos,
                   std::vector<Status>* statuses) override {
    memory.HeadObjects(keys, infos, statuses);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == fail_head_key) {
        (*infos)[i] = ObjectInfo();
        (*statuses)[i] = Status::IOError(Describe(keys[i]), "injected HEAD failure");
      }
    }
  }
  void DeleteObjects(const std::vector<std::string>& keys,
                     std::vector<Status>* results) override {
    std::vector<std::string> sent;
    for (const std::string& key : keys) {
      if (key != fail_delete_key) sent.push_back(key);
    }
    std::vector<Status> answers;
    memory.DeleteObjects(sent, &answers);
    results->clear();
    size_t j = 0;
    for (const std::string& key : keys) {
      results->push_back(key == fail_delete_key
                             ? Status::IOError(Describe(key), "injected delete failure")
                             : answers[j++]);
    }
    if (short_delete_answer && !results->empty()) results->pop_back();
  }

 private:
  std::atomic<size_t> list_calls_{0};  // DeleteTreeGroups lists side by side
  size_t fail_list_call_ = 0;
  std::string first_token_;
};

// --- Names that are both an object and a prefix -----------------------------

TEST(ObjectStoreTest, AnObjectAndItsPrefixOnLaterPagesAreOneDirectory) {
  MemoryStore store;
  // "a" < "a-0000" ... < "a-0998" < "a/": the object fills page one with
  // 999 names that sort between it and its common prefix, which comes on
  // page two.
  store.Put("p/a", "object", 1);
  for (int i = 0; i < 999; ++i) store.Put(Named("p/a-", i), "x", 1);
  store.Put("p/a/below", "y", 1);
  store.Put("p/b", "z", 1);
  const uint64_t before = store.list_requests();
  std::map<std::string, EntryType> listed = Listed(&store, "p");
  EXPECT_EQ(store.list_requests() - before, 2u);  // the boundary is crossed
  EXPECT_EQ(listed.size(), 1001u);
  EXPECT_EQ(listed.at("a"), EntryType::kDirectory);
  EXPECT_EQ(listed.at("a-0000"), EntryType::kFile);
  EXPECT_EQ(listed.at("a-0998"), EntryType::kFile);
  EXPECT_EQ(listed.at("b"), EntryType::kFile);

  // Visit, which streams, names "a" once too.
  size_t a_seen = 0;
  ASSERT_TRUE(store.Visit("p", [&](std::string_view name, EntryType type) {
    if (name == "a") {
      ++a_seen;
      EXPECT_EQ(type, EntryType::kDirectory);
    }
  }).ok());
  EXPECT_EQ(a_seen, 1u);
}

TEST(ObjectStoreTest, OneEntryPagesStillListEachNameOnce) {
  FaultyStore store;
  store.page_limit = 1;  // every name on a page of its own
  store.memory.Put("p/a", "object", 1);
  store.memory.Put("p/a-b", "between a and a/", 1);
  store.memory.Put("p/a/c", "below a", 1);
  store.memory.Put("p/b/", "", 1);  // a folder marker: b is a prefix
  store.memory.Put("p/c", "file", 1);
  store.memory.Put("p/d/", "", 1);
  store.memory.Put("p/d/e", "below d, after its marker", 1);
  const uint64_t before = store.memory.list_requests();
  EXPECT_EQ(Listed(&store, "p"),
            (std::map<std::string, EntryType>{{"a", EntryType::kDirectory},
                                              {"a-b", EntryType::kFile},
                                              {"b", EntryType::kDirectory},
                                              {"c", EntryType::kFile},
                                              {"d", EntryType::kDirectory}}));
  // a, a-b, a/, b/, c, d/: one page each.
  EXPECT_EQ(store.memory.list_requests() - before, 6u);
}

// --- A listing that fails fails the call -------------------------------------

class ListingFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2500; ++i) store_.memory.Put(Named("p/", i), "x", 1);
  }
  FaultyStore store_;
};

TEST_F(ListingFailureTest, ListAndVisitReturnTheErrorNeverAPart) {
  store_.FailListCall(2);  // the second of three pages
  std::vector<ListEntry> entries;
  Status s = store_.List("p", &entries);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(s.reason(), "injected listing failure");
  EXPECT_TRUE(entries.empty());

  store_.FailListCall(3);  // the last page
  ObjectInfo info;
  info.version = 42;
  s = store_.Visit("p", [](std::string_view, EntryType) {}, &info);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(info.version, 42u);  // no description of a prefix not listed

  store_.FailListCall(1);  // the first page: never an empty success
  s = store_.List("p", &entries);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

TEST_F(ListingFailureTest, ListAllReturnsTheError) {
  store_.FailListCall(2);
  size_t visited = 0;
  Status s = store_.ListAll("p", [&](std::string_view, const ObjectInfo&) {
    ++visited;
  });
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(visited, 1000u);  // the first page only, and the caller knows
  store_.FailListCall(1);
  s = store_.ListAll("", [](std::string_view, const ObjectInfo&) {});
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

TEST_F(ListingFailureTest, StatAndReadReturnTheProbesError) {
  ObjectInfo info;
  store_.FailListCall(1);  // the probe of "p", after the HEAD's miss
  Status s = store_.Stat("p", &info);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(info.type, EntryType::kOther);
  store_.FailListCall(1);  // the root: no HEAD, only the probe
  EXPECT_TRUE(store_.Stat("", &info).IsIOError());
  store_.FailListCall(1);  // a name that is nothing: cannot tell, not NotFound
  EXPECT_TRUE(store_.Stat("none", &info).IsIOError());

  // An object needs no probe, so the failure waits for the next listing.
  store_.FailListCall(1);
  EXPECT_TRUE(store_.Stat("p/0001", &info).ok());
  std::vector<ListEntry> entries;
  EXPECT_TRUE(store_.List("p", &entries).IsIOError());

  // A miss that cannot be told from a prefix is no NotFound.
  std::string contents;
  store_.FailListCall(1);
  Status read = store_.Read("p", 100, &contents, nullptr);
  EXPECT_TRUE(read.IsIOError()) << read.ToString();
  EXPECT_EQ(read.reason(), "injected listing failure");
  store_.FailListCall(1);
  EXPECT_TRUE(store_.Read("none", 100, &contents, nullptr).IsIOError());
  store_.FailListCall(1);
  EXPECT_TRUE(store_.ReadRange("none", 0, 1, &contents, nullptr).IsIOError());

  // In a batch, the miss whose probe failed says so; the others do not.
  std::vector<ObjectInfo> infos;
  std::vector<Status> statuses;
  store_.FailListCall(1);
  store_.StatBatch("", {"none", "p", "p/0002"}, &infos, &statuses);
  EXPECT_TRUE(statuses[0].IsIOError()) << statuses[0].ToString();
  EXPECT_TRUE(statuses[1].ok());
  EXPECT_EQ(infos[1].type, EntryType::kDirectory);
  EXPECT_TRUE(statuses[2].ok());
  EXPECT_EQ(infos[2].type, EntryType::kFile);
  std::vector<ObjectContents> objects;
  store_.FailListCall(2);
  store_.ReadBatch("p", {"none", "0003", "gone"}, 100, &objects);
  EXPECT_TRUE(objects[0].status.IsNotFound()) << objects[0].status.ToString();
  EXPECT_TRUE(objects[1].status.ok());
  EXPECT_EQ(objects[1].contents, "x");
  EXPECT_TRUE(objects[2].status.IsIOError()) << objects[2].status.ToString();
}

TEST(ObjectStoreTest, DeleteTreesOfManyNamesDeletesNothingWhenTheListingFails) {
  FaultyStore store;
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) {
    names.push_back(Named("n", i));
    // 60 keys a tree: 1200 in all, two pages.
    for (int k = 0; k < 60; ++k) {
      store.memory.Put("d/" + names.back() + Named("/", k), "x", 1);
    }
  }
  for (size_t fail : {1, 2}) {
    SCOPED_TRACE(fail);
    const uint64_t deletes = store.memory.delete_requests();
    store.FailListCall(fail);
    std::vector<Status> results;
    store.DeleteTrees("d", names, "data", &results);
    ASSERT_EQ(results.size(), names.size());
    for (const Status& s : results) {
      EXPECT_TRUE(s.IsIOError()) << s.ToString();
      EXPECT_EQ(s.reason(), "injected listing failure");
    }
    EXPECT_EQ(store.memory.Keys("d").size(), 1200u);
    EXPECT_EQ(store.memory.delete_requests(), deletes);
  }
  // Without the fault the same call deletes every tree.
  std::vector<Status> results;
  store.DeleteTrees("d", names, "data", &results);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store.memory.Keys().empty());
}

TEST(ObjectStoreTest, DeleteTreesOfFewNamesLeavesTheTreeThatFailedWhole) {
  FaultyStore store;
  store.memory.Put("d/a/data", "1", 1);
  for (int k = 0; k < 1500; ++k) store.memory.Put(Named("d/b/", k), "x", 1);
  store.memory.Put("d/b", "an object at the name itself", 1);
  store.memory.Put("d/c/data", "3", 1);
  // One listing of each name: a's (1), b's two pages (2, 3).
  store.FailListCall(3);
  std::vector<Status> results;
  store.DeleteTrees("d", {"a", "b", "c"}, "data", &results);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsIOError()) << results[1].ToString();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_TRUE(store.memory.Has("d/b"));  // its own key stays with the rest
  EXPECT_EQ(store.memory.Keys("d/b").size(), 1500u);
  EXPECT_TRUE(store.memory.Keys("d/a").empty());
  EXPECT_TRUE(store.memory.Keys("d/c").empty());

  store.DeleteTrees("d", {"b"}, "", &results);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(store.memory.Keys().empty());
}

TEST(ObjectStoreTest, DeleteTreeGroupsSendsOneDeleteForAllDirectories) {
  FaultyStore store;
  std::vector<TreeGroup> groups;
  for (int d = 0; d < 20; ++d) {
    TreeGroup group{Named("r", d) + "/revisions", {}};
    for (int k = 0; k < (d % 3) + 1; ++k) {  // few names: one listing each
      group.names.push_back(Named("m", k));
      store.memory.Put(group.dir + "/" + group.names.back() + "/link", "l", 1);
    }
    groups.push_back(std::move(group));
  }
  store.memory.Put("r0003/revisions/m0000-kept/link", "a neighbour", 1);
  store.memory.Put("r0005/revisions/m0000/extra", "below the tree", 1);
  // The first listing of the fourth group fails: that group stays whole.
  store.fail_list_prefix = "r0004/";
  const uint64_t deletes = store.memory.delete_requests();
  std::vector<std::vector<Status>> results;
  store.DeleteTreeGroups(groups, "link", &results);
  ASSERT_EQ(results.size(), groups.size());
  EXPECT_EQ(store.memory.delete_requests() - deletes, 1u);
  for (size_t g = 0; g < groups.size(); ++g) {
    ASSERT_EQ(results[g].size(), groups[g].names.size());
    for (const Status& s : results[g]) {
      EXPECT_EQ(s.ok(), g != 4) << g << ": " << s.ToString();
    }
  }
  EXPECT_EQ(store.memory.Keys(),
            (std::vector<std::string>{"r0003/revisions/m0000-kept/link",
                                      "r0004/revisions/m0000/link",
                                      "r0004/revisions/m0001/link"}));
}

// --- DeleteTrees' listings ----------------------------------------------------

TEST(ObjectStoreTest, DeleteTreesOfManyNamesListsTheirDirOnce) {
  MemoryStore store;
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) {
    names.push_back(Named("ab", i));
    store.Put("blobs/ab/" + names.back() + "/data", "d", 1);
    store.Put("blobs/ab/" + names.back() + "/deep/er", "e", 1);
  }
  store.Put("blobs/ab/ab0001", "an object at a name", 1);
  store.Put("blobs/ab/ab0002/", "", 1);  // a folder marker in a tree
  // Not in any named tree.
  const std::vector<std::string> neighbours = {
      "blobs/ab/", "blobs/ab/ab0000-x/data", "blobs/ab/ab00000/data",
      "blobs/ab/ab0000x", "blobs/ab/other/data", "blobs/abc/ab0000/data"};
  for (const std::string& key : neighbours) store.Put(key, "keep", 1);
  names.push_back("absent");
  names.push_back("ab0003");  // twice: one tree, two outcomes

  const uint64_t lists = store.list_requests();
  const uint64_t heads = store.head_requests();
  const uint64_t deletes = store.delete_requests();
  std::vector<Status> results;
  store.DeleteTrees("blobs/ab", names, "data", &results);
  ASSERT_EQ(results.size(), names.size());
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store.list_requests() - lists, 1u);
  EXPECT_EQ(store.head_requests() - heads, 0u);
  EXPECT_EQ(store.delete_requests() - deletes, 1u);
  EXPECT_EQ(store.Keys(), neighbours);
}

TEST(ObjectStoreTest, DeleteTreesSweepsAtOneListingPageAThousandKeys) {
  MemoryStore store;
  std::vector<std::string> names;
  for (int i = 0; i < 1500; ++i) {
    names.push_back(Numbered(i));
    store.Put("blobs/" + names.back() + "/data", "d", 1);
    store.Put("blobs/" + names.back() + "/link", "l", 1);
  }
  const uint64_t lists = store.list_requests();
  const uint64_t heads = store.head_requests();
  const uint64_t deletes = store.delete_requests();
  std::vector<Status> results;
  store.DeleteTrees("blobs", names, "data", &results);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store.list_requests() - lists, 3u);    // 3000 keys
  EXPECT_EQ(store.head_requests() - heads, 0u);
  EXPECT_EQ(store.delete_requests() - deletes, 3u);  // 3000 keys
  EXPECT_TRUE(store.Keys().empty());
}

TEST(ObjectStoreTest, DeleteTreesOfFewNamesListsEachName) {
  MemoryStore store;
  std::vector<std::string> names;
  for (int i = 0; i < 7; ++i) {
    names.push_back(Named("t", i));
    store.Put("tags/" + names.back() + "/current/link", "l", 1);
  }
  store.Put("tags/t0000-rc/current/link", "a neighbour", 1);
  const uint64_t lists = store.list_requests();
  const uint64_t heads = store.head_requests();
  std::vector<Status> results;
  store.DeleteTrees("tags", names, "", &results);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store.list_requests() - lists, 7u);
  EXPECT_EQ(store.head_requests() - heads, 0u);  // the listing tells
  EXPECT_EQ(store.Keys(),
            (std::vector<std::string>{"tags/t0000-rc/current/link"}));
}

// --- Every outcome, key by key -----------------------------------------------

TEST(ObjectStoreTest, DeleteReportsEachKeysOwnOutcome) {
  FaultyStore store;
  store.memory.Put("d/a", "1", 1);
  store.memory.Put("d/b", "2", 1);
  store.memory.Put("d/c", "3", 1);
  store.memory.Put("d/p/below", "4", 1);
  store.fail_delete_key = "d/b";
  std::vector<Status> results;
  const uint64_t before = store.memory.delete_requests();
  store.Delete("d", {"a", "", "b", "missing", "../x", "p", "c"}, &results);
  EXPECT_EQ(store.memory.delete_requests() - before, 1u);
  ASSERT_EQ(results.size(), 7u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsInvalidArgument());
  EXPECT_TRUE(results[2].IsIOError());
  EXPECT_EQ(results[2].reason(), "injected delete failure");
  EXPECT_TRUE(results[3].IsNotFound());  // the backend can tell: passed on
  EXPECT_TRUE(results[4].IsInvalidArgument());
  EXPECT_TRUE(results[5].IsIOError());
  EXPECT_EQ(results[5].reason(), "not an object");
  EXPECT_TRUE(results[6].ok());
  EXPECT_EQ(store.memory.Keys(), (std::vector<std::string>{"d/b", "d/p/below"}));
}

TEST(ObjectStoreTest, DeleteTreesReportsTheTreeOfAKeyThatFailed) {
  for (int count : {3, 12}) {  // one by one, and from one listing of d
    SCOPED_TRACE(count);
    FaultyStore store;
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      names.push_back(Named("n", i));
      store.memory.Put("d/" + names.back() + "/data", "d", 1);
      store.memory.Put("d/" + names.back() + "/extra", "e", 1);
    }
    store.fail_delete_key = "d/n0001/extra";
    std::vector<Status> results;
    store.DeleteTrees("d", names, "data", &results);
    ASSERT_EQ(results.size(), names.size());
    for (int i = 0; i < count; ++i) {
      if (i == 1) {
        EXPECT_TRUE(results[i].IsIOError()) << results[i].ToString();
        EXPECT_EQ(results[i].reason(), "injected delete failure");
      } else {
        EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
      }
    }
    EXPECT_EQ(store.memory.Keys(),
              (std::vector<std::string>{"d/n0001/extra"}));
  }
}

TEST(ObjectStoreTest, AKeyTheBackendDoesNotAnswerForFails) {
  FaultyStore store;
  store.memory.Put("d/a", "1", 1);
  store.memory.Put("d/b", "2", 1);
  store.short_delete_answer = true;
  std::vector<Status> results;
  store.Delete("d", {"a", "b"}, &results);
  ASSERT_EQ(results.size(), 2u);
  for (const Status& s : results) {
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_EQ(s.reason(), "the backend gave no answer");
  }
  store.memory.Put("t/x/data", "1", 1);
  store.DeleteTrees("t", {"x"}, "", &results);
  EXPECT_TRUE(results[0].IsIOError()) << results[0].ToString();
}

// --- A backend's listing that is not what was asked for ----------------------

TEST(ObjectStoreTest, AListingOutsideThePrefixIsAnError) {
  FaultyStore store;
  for (int i = 0; i < 10; ++i) store.memory.Put(Named("d/n", i) + "/k", "x", 1);
  store.memory.Put("e/n0000/k", "not below d", 1);
  store.foreign_key = "e/n0000/k";
  std::vector<ListEntry> entries;
  EXPECT_TRUE(store.List("d", &entries).IsIOError());
  EXPECT_TRUE(
      store.ListAll("d", [](std::string_view, const ObjectInfo&) {}).IsIOError());
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(Named("n", i));
  std::vector<Status> results;
  store.DeleteTrees("d", names, "", &results);
  for (const Status& s : results) EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(store.memory.Keys().size(), 11u);  // nothing deleted

  // A key with a '/' in a delimited page is on no level of its own.
  store.foreign_key = "d/n0000/k";
  EXPECT_TRUE(store.List("d", &entries).IsIOError());
}

TEST(ObjectStoreTest, AListingThatDoesNotAdvanceIsAnError) {
  FaultyStore store;
  store.page_limit = 2;
  store.stuck_token = true;
  for (int i = 0; i < 10; ++i) store.memory.Put(Named("p/", i), "x", 1);
  std::vector<ListEntry> entries;
  Status s = store.List("p", &entries);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(s.reason(), "the listing did not advance");
}

// --- Ranges -------------------------------------------------------------------

// The keys ListRange visits, in the order visited.
std::vector<std::string> RangeKeys(Store* store, const std::string& prefix,
                                   const KeyRange& range, Status* status) {
  std::vector<std::string> keys;
  *status = store->ListRange(prefix, range,
                             [&](std::string_view key, const ObjectInfo&) {
                               keys.emplace_back(key);
                             });
  return keys;
}

TEST(ObjectStoreTest, RangesListEveryKeyOnceInOrderFromTheirStart) {
  FaultyStore store;
  store.page_limit = 10;
  for (int i = 0; i < 100; ++i) store.memory.Put(Named("p/k", i), "x", 1);
  store.memory.Put("q/other", "not below p", 1);
  const std::vector<KeyRange> ranges = {
      {"", Named("k", 33)},
      {Named("k", 33), Named("k", 66)},
      {Named("k", 66), ""}};
  std::vector<std::string> all;
  for (const KeyRange& range : ranges) {
    const uint64_t before = store.memory.list_requests();
    Status s;
    std::vector<std::string> keys = RangeKeys(&store, "p", range, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    // 33 or 34 keys at 10 a page, from the range's start: at most 4 pages
    // and the one that runs past the end.
    EXPECT_LE(store.memory.list_requests() - before, 5u);
    all.insert(all.end(), keys.begin(), keys.end());
  }
  ASSERT_EQ(all.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all[i], Named("k", i));

  // The default (a wrapper's: through ListAll) gives the same keys.
  storage::StoreWrapper wrapper(&store);
  std::vector<std::string> through_wrapper;
  for (const KeyRange& range : ranges) {
    Status s;
    std::vector<std::string> keys = RangeKeys(&wrapper, "p", range, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    through_wrapper.insert(through_wrapper.end(), keys.begin(), keys.end());
  }
  EXPECT_EQ(through_wrapper, all);

  // A range below a prefix that does not exist is empty, not an error.
  Status s;
  EXPECT_TRUE(RangeKeys(&store, "none", ranges[1], &s).empty());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(ObjectStoreTest, AListingThatIgnoresStartAfterIsAnError) {
  FaultyStore store;
  store.ignore_start_after = true;
  for (int i = 0; i < 10; ++i) store.memory.Put(Named("p/k", i), "x", 1);
  Status s;
  RangeKeys(&store, "p", {Named("k", 5), ""}, &s);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

// --- Moves that fail midway
// ---------------------------------------------------

// Three trees below "q" of three keys each (q/t1/a, q/t1/b, q/t1/c/d, ...)
// and their moves to "r".
class MoveFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tree : {"q/t1", "q/t2", "q/t3"}) {
      for (const char* key : {"/a", "/b", "/c/d"}) {
        store_.memory.Put(std::string(tree) + key,
                          "bytes of " + std::string(tree) + key);
      }
    }
  }
  // Moves q/t<n> to r/t<n> for each n of `trees`.
  std::vector<Status> MoveTrees(const std::vector<int>& trees) {
    std::vector<TreeMove> moves;
    for (int n : trees) {
      moves.push_back({"q/t" + std::to_string(n), "r/t" + std::to_string(n)});
    }
    std::vector<Status> results;
    store_.MoveTrees(moves, &results);
    EXPECT_EQ(results.size(), moves.size());
    return results;
  }
  std::vector<std::string> Keys(const std::string& prefix) {
    return store_.memory.Keys(prefix);
  }

  FaultyStore store_;
};

TEST_F(MoveFaultTest, ACopyThatFailsLeavesItsTreeWhereItWas) {
  store_.fail_copy_key = "q/t2/b";
  std::vector<Status> results = MoveTrees({1, 2, 3});
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsIOError()) << results[1].ToString();
  EXPECT_EQ(results[1].reason(), "injected copy failure");
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  // Every key of the failed tree is still where it was; the others moved.
  EXPECT_EQ(Keys("q"),
            (std::vector<std::string>{"q/t2/a", "q/t2/b", "q/t2/c/d"}));
  EXPECT_EQ(Keys("r/t1").size(), 3u);
  EXPECT_EQ(Keys("r/t3").size(), 3u);

  // Repeating the move finishes it, overwriting the copies made before.
  store_.fail_copy_key.clear();
  results = MoveTrees({2});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(Keys("q").empty());
  EXPECT_EQ(store_.memory.Get("r/t2/b"), "bytes of q/t2/b");
  EXPECT_EQ(Keys("r").size(), 9u);
}

TEST_F(MoveFaultTest, ADeleteThatFailsLeavesTheKeyInBothPlaces) {
  store_.fail_delete_key = "q/t1/b";
  std::vector<Status> results = MoveTrees({1, 2, 3});
  EXPECT_TRUE(results[0].IsIOError()) << results[0].ToString();
  EXPECT_EQ(results[0].reason(), "injected delete failure");
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_EQ(store_.memory.Get("q/t1/b"), "bytes of q/t1/b");
  EXPECT_EQ(store_.memory.Get("r/t1/b"), "bytes of q/t1/b");
  EXPECT_EQ(Keys("r/t1").size(), 3u);

  // Repeating the move finishes it.
  store_.fail_delete_key.clear();
  results = MoveTrees({1});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(Keys("q").empty());
  EXPECT_EQ(Keys("r/t1"),
            (std::vector<std::string>{"r/t1/a", "r/t1/b", "r/t1/c/d"}));
  EXPECT_EQ(store_.memory.Get("r/t1/c/d"), "bytes of q/t1/c/d");
}

TEST_F(MoveFaultTest, AKeyThatVanishesBeforeItsCopyFailsItsTree) {
  store_.vanish_key = "q/t3/a";
  std::vector<Status> results = MoveTrees({1, 2, 3});
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  // Not NotFound: the tree was there, and changed while it moved.
  EXPECT_TRUE(results[2].IsIOError()) << results[2].ToString();
  EXPECT_EQ(Keys("q"), (std::vector<std::string>{"q/t3/b", "q/t3/c/d"}));
  store_.vanish_key.clear();
  results = MoveTrees({3});
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(Keys("q").empty());
}

TEST_F(MoveFaultTest, ATreeThatCannotBeListedIsNotTouched) {
  store_.fail_list_prefix = "q/";
  for (const Status& result : MoveTrees({1, 2, 3})) {
    EXPECT_TRUE(result.IsIOError()) << result.ToString();
  }
  EXPECT_EQ(Keys("q").size(), 9u);
  EXPECT_TRUE(Keys("r").empty());
  EXPECT_EQ(store_.memory.copy_requests(), 0u);
  EXPECT_EQ(store_.memory.delete_requests(), 0u);
}

// --- Reads and descriptions ---------------------------------------------------

TEST(ObjectStoreTest, OnlyAMissCostsAProbe) {
  MemoryStore store;
  store.Put("k/link", "abc", 1);
  std::string contents;
  ObjectInfo info;
  uint64_t lists = store.list_requests();
  ASSERT_TRUE(store.Read("k/link", 10, &contents, &info).ok());
  ASSERT_TRUE(store.ReadRange("k/link", 0, 1, &contents, &info).ok());
  ASSERT_TRUE(store.Stat("k/link", &info).ok());
  EXPECT_EQ(store.list_requests() - lists, 0u);

  lists = store.list_requests();
  EXPECT_TRUE(store.Read("k/none", 10, &contents, &info).IsNotFound());
  EXPECT_EQ(store.list_requests() - lists, 1u);

  // The root is no object: a probe and no HEAD.
  const uint64_t heads = store.head_requests();
  lists = store.list_requests();
  ASSERT_TRUE(store.Stat("", &info).ok());
  EXPECT_EQ(info.type, EntryType::kDirectory);
  EXPECT_EQ(store.head_requests() - heads, 0u);
  EXPECT_EQ(store.list_requests() - lists, 1u);

  // A batch reads in one GetObjects call, one get per object.
  const uint64_t gets = store.get_requests();
  std::vector<ObjectContents> objects;
  store.ReadBatch("k", {"link", "link", "none"}, 10, &objects);
  EXPECT_EQ(store.get_requests() - gets, 3u);
  EXPECT_EQ(objects[1].contents, "abc");
  EXPECT_TRUE(objects[2].status.IsNotFound());
}

TEST(ObjectStoreTest, ReadRangeToTheEndWithoutOverflow) {
  MemoryStore store;
  store.Put("blob/data", "0123456789", 1);
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  std::string contents;
  ObjectInfo info;
  ASSERT_TRUE(store.ReadRange("blob/data", 2, kMax, &contents, &info).ok());
  EXPECT_EQ(contents, "23456789");  // not the whole object from 0
  EXPECT_EQ(info.size, 10u);
  ASSERT_TRUE(store.ReadRange("blob/data", kMax, kMax, &contents, &info).ok());
  EXPECT_EQ(contents, "");
  ASSERT_TRUE(store.ReadRange("blob/data", 0, 0, &contents, &info).ok());
  EXPECT_EQ(contents, "");
  EXPECT_EQ(info.size, 10u);
}

TEST(ObjectStoreTest, ListingAnObjectCostsOneHead) {
  MemoryStore store;
  store.Put("a/b", "x", 1);
  const uint64_t heads = store.head_requests();
  std::vector<ListEntry> entries;
  Status s = store.List("a/b", &entries);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(s.reason(), "is an object, not a prefix");
  EXPECT_EQ(store.head_requests() - heads, 1u);

  // And a HEAD that fails is that failure, not NotFound.
  FaultyStore faulty;
  faulty.memory.Put("a/b", "x", 1);
  faulty.fail_head_key = "a/c";
  s = faulty.List("a/c", &entries);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(s.reason(), "injected HEAD failure");
}

}  // namespace
}  // namespace regsweep
