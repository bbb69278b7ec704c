#include "index/ref_index.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace regsweep::index {
namespace {

namespace fs = std::filesystem;

// A distinct, valid digest for each n: n in hex, zero padded.
Digest D(uint64_t n, DigestAlgorithm algorithm = DigestAlgorithm::kSha256) {
  bool sha256 = algorithm == DigestAlgorithm::kSha256;
  std::string hex(sha256 ? 64 : 128, '0');
  for (size_t i = hex.size(); n != 0; n >>= 4)
    hex[--i] = "0123456789abcdef"[n & 0xf];
  Digest digest;
  EXPECT_TRUE(Digest::FromParts(sha256 ? "sha256" : "sha512", hex, &digest));
  return digest;
}

ManifestRecord Manifest(const Digest& digest,
                        std::vector<std::pair<Digest, uint8_t>> edges,
                        std::string media_type = "application/json",
                        uint8_t kind = 1) {
  ManifestRecord manifest;
  manifest.digest = digest;
  manifest.media_type = std::move(media_type);
  manifest.kind = kind;
  for (auto& [child, role] : edges) manifest.edges.push_back({child, role});
  return manifest;
}

TagRecord Tag(std::string name, const Digest& digest, int64_t pushed_ns = 7) {
  return TagRecord{std::move(name), digest, pushed_ns};
}

// The index returns manifests sorted by digest and tags by name; put
// expectations in the same order before comparing.
RepositorySnapshot Sorted(RepositorySnapshot snapshot) {
  std::sort(snapshot.manifests.begin(), snapshot.manifests.end(),
            [](const auto& a, const auto& b) { return a.digest < b.digest; });
  std::sort(snapshot.tags.begin(), snapshot.tags.end(),
            [](const auto& a, const auto& b) { return a.tag < b.tag; });
  return snapshot;
}

void ExpectSameSnapshot(const RepositorySnapshot& expected_unsorted,
                        const RepositorySnapshot& actual) {
  RepositorySnapshot expected = Sorted(expected_unsorted);
  EXPECT_EQ(expected.name, actual.name);
  EXPECT_EQ(expected.fingerprint, actual.fingerprint);
  ASSERT_EQ(expected.manifests.size(), actual.manifests.size());
  for (size_t i = 0; i < expected.manifests.size(); i++) {
    const ManifestRecord& e = expected.manifests[i];
    const ManifestRecord& a = actual.manifests[i];
    EXPECT_EQ(e.digest, a.digest);
    EXPECT_EQ(e.media_type, a.media_type);
    EXPECT_EQ(e.kind, a.kind);
    ASSERT_EQ(e.edges.size(), a.edges.size()) << e.digest.str();
    for (size_t j = 0; j < e.edges.size(); j++) {
      EXPECT_EQ(e.edges[j].child, a.edges[j].child);
      EXPECT_EQ(e.edges[j].role, a.edges[j].role);
    }
  }
  ASSERT_EQ(expected.tags.size(), actual.tags.size());
  for (size_t i = 0; i < expected.tags.size(); i++) {
    EXPECT_EQ(expected.tags[i].tag, actual.tags[i].tag);
    EXPECT_EQ(expected.tags[i].digest, actual.tags[i].digest);
    EXPECT_EQ(expected.tags[i].pushed_ns, actual.tags[i].pushed_ns);
  }
}

// Referrers as comparable strings "repository parent role", sorted.
std::vector<std::string> ReferrerStrings(
    const std::vector<ReferrerRecord>& referrers) {
  std::vector<std::string> out;
  for (const ReferrerRecord& r : referrers) {
    out.push_back(r.repository + " " + r.parent.str() + " " +
                  std::to_string(r.role));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Ref(const std::string& repository, const Digest& parent, int role) {
  return repository + " " + parent.str() + " " + std::to_string(role);
}

class RefIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "ref_index_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = (fs::path(root_) / "index").string();  // Open must create it
    Reopen();
  }

  void TearDown() override {
    index_.reset();
    fs::remove_all(root_);
  }

  void Reopen() {
    index_.reset();  // closes the database, releasing its lock
    Status status = RefIndex::Open(dir_, &index_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  void Put(const RepositorySnapshot& snapshot) {
    Status status = index_->PutRepository(snapshot);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  RepositorySnapshot Get(const std::string& repository) {
    RepositorySnapshot snapshot;
    Status status = index_->GetRepository(repository, &snapshot);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return snapshot;
  }

  std::vector<std::string> RefsOf(const Digest& child) {
    std::vector<ReferrerRecord> referrers;
    Status status = index_->Referrers(child, &referrers);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return ReferrerStrings(referrers);
  }

  IndexStats GetStats() {
    IndexStats stats;
    Status status = index_->Stats(&stats);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return stats;
  }

  std::vector<std::string> Repositories() {
    std::vector<std::string> names;
    Status status = index_->ListRepositories(&names);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return names;
  }

  std::string root_;
  std::string dir_;
  std::unique_ptr<RefIndex> index_;
};

// A repository using every field, with values at the edges of their
// encodings (multi-byte varints, sha512, negative and extreme numbers).
RepositorySnapshot FullSnapshot(const std::string& name) {
  RepositorySnapshot snapshot;
  snapshot.name = name;
  snapshot.fingerprint = std::numeric_limits<uint64_t>::max();
  snapshot.manifests.push_back(Manifest(
      D(100), {{D(1), 0}, {D(2), 1}, {D(3, DigestAlgorithm::kSha512), 255}},
      "application/vnd.oci.image.manifest.v1+json", 0));
  snapshot.manifests.push_back(Manifest(D(200, DigestAlgorithm::kSha512),
                                        {{D(100), 3}}, std::string(300, 'm'),
                                        255));
  snapshot.manifests.push_back(Manifest(D(300), {}, "", 2));
  snapshot.tags.push_back(Tag("latest", D(100), 1700000000123456789));
  snapshot.tags.push_back(Tag("old", D(300), -5));
  snapshot.tags.push_back(Tag("max", D(200, DigestAlgorithm::kSha512),
                              std::numeric_limits<int64_t>::max()));
  return snapshot;
}

TEST_F(RefIndexTest, PutGetRoundTrip) {
  RepositorySnapshot snapshot = FullSnapshot("library/alpine");
  Put(snapshot);
  ExpectSameSnapshot(snapshot, Get("library/alpine"));
  EXPECT_EQ(RefsOf(D(2)),
            std::vector<std::string>{Ref("library/alpine", D(100), 1)});
  EXPECT_EQ(RefsOf(D(3, DigestAlgorithm::kSha512)),
            std::vector<std::string>{Ref("library/alpine", D(100), 255)});
  EXPECT_EQ(RefsOf(D(100)),
            std::vector<std::string>{
                Ref("library/alpine", D(200, DigestAlgorithm::kSha512), 3)});
}

TEST_F(RefIndexTest, UnknownRepositoryIsNotFound) {
  Put(FullSnapshot("known"));
  RepositorySnapshot snapshot;
  EXPECT_TRUE(index_->GetRepository("unknown", &snapshot).IsNotFound());
  EXPECT_TRUE(index_->GetRepository("know", &snapshot).IsNotFound());
  EXPECT_TRUE(RefsOf(D(999)).empty());
}

TEST_F(RefIndexTest, ReplaceRemovesOldState) {
  RepositorySnapshot first;
  first.name = "repo";
  first.fingerprint = 1;
  first.manifests.push_back(Manifest(D(10), {{D(1), 0}, {D(2), 1}}));
  first.tags.push_back(Tag("v1", D(10)));
  Put(first);

  RepositorySnapshot second;
  second.name = "repo";
  second.fingerprint = 2;
  second.manifests.push_back(Manifest(D(20), {{D(2), 2}, {D(3), 0}}));
  second.tags.push_back(Tag("v2", D(20)));
  Put(second);

  ExpectSameSnapshot(second, Get("repo"));
  EXPECT_TRUE(RefsOf(D(1)).empty());  // only the replaced manifest named it
  EXPECT_EQ(RefsOf(D(2)), std::vector<std::string>{Ref("repo", D(20), 2)});
  EXPECT_EQ(RefsOf(D(3)), std::vector<std::string>{Ref("repo", D(20), 0)});
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.repositories, 1u);
  EXPECT_EQ(stats.manifests, 1u);
  EXPECT_EQ(stats.edges, 2u);
  EXPECT_EQ(stats.tags, 1u);
}

// A replacement that keeps some keys (same manifest, same edge, same tag)
// must update their values and still drop the keys it no longer has.
TEST_F(RefIndexTest, ReplaceKeepingSomeKeysUpdatesThem) {
  RepositorySnapshot first;
  first.name = "repo";
  first.fingerprint = 1;
  first.manifests.push_back(Manifest(D(10), {{D(1), 0}, {D(2), 0}}));
  first.manifests.push_back(Manifest(D(11), {{D(2), 0}}));
  first.tags.push_back(Tag("kept", D(10), 100));
  first.tags.push_back(Tag("dropped", D(11)));
  Put(first);
  RepositorySnapshot second;
  second.name = "repo";
  second.fingerprint = 2;
  second.manifests.push_back(Manifest(D(10), {{D(2), 4}}, "changed", 9));
  second.manifests.push_back(Manifest(D(12), {{D(1), 5}}));
  second.tags.push_back(Tag("kept", D(12), 200));
  Put(second);

  ExpectSameSnapshot(second, Get("repo"));
  EXPECT_EQ(RefsOf(D(1)), std::vector<std::string>{Ref("repo", D(12), 5)});
  EXPECT_EQ(RefsOf(D(2)), std::vector<std::string>{Ref("repo", D(10), 4)});
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.repositories, 1u);
  EXPECT_EQ(stats.manifests, 2u);
  EXPECT_EQ(stats.edges, 2u);
  EXPECT_EQ(stats.tags, 1u);

  // Replacing with the identical snapshot changes nothing.
  Put(second);
  ExpectSameSnapshot(second, Get("repo"));
  EXPECT_EQ(GetStats().edges, 2u);
}

TEST_F(RefIndexTest, ReferrersAcrossRepositories) {
  RepositorySnapshot one;
  one.name = "one";
  one.manifests.push_back(Manifest(D(10), {{D(1), 0}, {D(5), 1}}));
  RepositorySnapshot two;
  two.name = "two";
  two.manifests.push_back(Manifest(D(20), {{D(1), 2}}));
  two.manifests.push_back(Manifest(D(10), {{D(1), 0}}));
  Put(one);
  Put(two);

  EXPECT_EQ(RefsOf(D(1)), (std::vector<std::string>{Ref("one", D(10), 0),
                                                    Ref("two", D(10), 0),
                                                    Ref("two", D(20), 2)}));
  EXPECT_EQ(RefsOf(D(5)), std::vector<std::string>{Ref("one", D(10), 1)});

  // Replacing one repository leaves the other's edges to the same child.
  one.manifests = {Manifest(D(10), {})};
  Put(one);
  EXPECT_EQ(RefsOf(D(1)), (std::vector<std::string>{Ref("two", D(10), 0),
                                                    Ref("two", D(20), 2)}));
  EXPECT_TRUE(RefsOf(D(5)).empty());
}

TEST_F(RefIndexTest, ReopenKeepsData) {
  RepositorySnapshot snapshot = FullSnapshot("a/b");
  Put(snapshot);
  ASSERT_TRUE(index_->SetMeta("pass_state", "complete").ok());
  Reopen();  // no explicit Flush: closing must persist the writes
  ExpectSameSnapshot(snapshot, Get("a/b"));
  std::string value;
  ASSERT_TRUE(index_->GetMeta("pass_state", &value).ok());
  EXPECT_EQ(value, "complete");
  EXPECT_EQ(RefsOf(D(1)), std::vector<std::string>{Ref("a/b", D(100), 0)});

  // And after an explicit Flush plus more writes.
  ASSERT_TRUE(index_->Flush().ok());
  ASSERT_TRUE(index_->DeleteRepository("a/b").ok());
  Reopen();
  EXPECT_TRUE(Repositories().empty());
  EXPECT_TRUE(RefsOf(D(1)).empty());
}

TEST_F(RefIndexTest, DeleteRepository) {
  Put(FullSnapshot("gone"));
  RepositorySnapshot kept;
  kept.name = "kept";
  kept.manifests.push_back(Manifest(D(50), {{D(1), 0}}));
  kept.tags.push_back(Tag("t", D(50)));
  Put(kept);

  ASSERT_TRUE(index_->DeleteRepository("gone").ok());
  RepositorySnapshot snapshot;
  EXPECT_TRUE(index_->GetRepository("gone", &snapshot).IsNotFound());
  EXPECT_EQ(Repositories(), std::vector<std::string>{"kept"});
  EXPECT_EQ(RefsOf(D(1)), std::vector<std::string>{Ref("kept", D(50), 0)});
  EXPECT_TRUE(RefsOf(D(2)).empty());
  EXPECT_TRUE(RefsOf(D(100)).empty());
  ExpectSameSnapshot(kept, Get("kept"));
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.repositories, 1u);
  EXPECT_EQ(stats.manifests, 1u);
  EXPECT_EQ(stats.edges, 1u);
  EXPECT_EQ(stats.tags, 1u);

  // Deleting what is not there succeeds, so a rerun after a crash can.
  EXPECT_TRUE(index_->DeleteRepository("gone").ok());
  EXPECT_TRUE(index_->DeleteRepository("never").ok());
}

TEST_F(RefIndexTest, Meta) {
  std::string value = "untouched";
  EXPECT_TRUE(index_->GetMeta("pass_state", &value).IsNotFound());
  EXPECT_EQ(value, "untouched");
  ASSERT_TRUE(index_->SetMeta("pass_state", "running").ok());
  ASSERT_TRUE(index_->GetMeta("pass_state", &value).ok());
  EXPECT_EQ(value, "running");
  ASSERT_TRUE(index_->SetMeta("pass_state", "complete").ok());
  ASSERT_TRUE(index_->GetMeta("pass_state", &value).ok());
  EXPECT_EQ(value, "complete");
  std::string binary("a\0b", 3);
  ASSERT_TRUE(index_->SetMeta("store_id", binary).ok());
  ASSERT_TRUE(index_->GetMeta("store_id", &value).ok());
  EXPECT_EQ(value, binary);
  ASSERT_TRUE(index_->GetMeta("format_version", &value).ok());
  EXPECT_EQ(value, "3");
}

TEST_F(RefIndexTest, StatsCounts) {
  IndexStats empty = GetStats();
  EXPECT_EQ(empty.repositories, 0u);
  EXPECT_EQ(empty.manifests, 0u);
  EXPECT_EQ(empty.edges, 0u);
  EXPECT_EQ(empty.tags, 0u);

  Put(FullSnapshot("x"));  // 3 manifests, 4 edges, 3 tags
  RepositorySnapshot y;
  y.name = "y";
  y.manifests.push_back(Manifest(D(7), {{D(1), 0}}));
  Put(y);
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.repositories, 2u);
  EXPECT_EQ(stats.manifests, 4u);
  EXPECT_EQ(stats.edges, 5u);
  EXPECT_EQ(stats.tags, 3u);
}

TEST_F(RefIndexTest, ListRepositoriesSorted) {
  for (const char* name : {"zeta", "a/b", "ab", "a", "m/n/o"}) {
    RepositorySnapshot snapshot;
    snapshot.name = name;
    Put(snapshot);  // an empty repository is still a repository
  }
  EXPECT_EQ(Repositories(),
            (std::vector<std::string>{"a", "a/b", "ab", "m/n/o", "zeta"}));
}

// Repository i, at `version`, owns manifests from Base(version, i) on; every
// manifest also names the shared child D(1).
uint64_t Base(int version, int i) {
  return 10000000 * static_cast<uint64_t>(version) + 10000 * i;
}

RepositorySnapshot Numbered(int i, int version, int manifests = 3) {
  RepositorySnapshot snapshot;
  snapshot.name = "team" + std::to_string(i % 3) + "/repo" + std::to_string(i);
  snapshot.fingerprint = static_cast<uint64_t>(version);
  for (int m = 0; m < manifests; m++) {
    uint64_t base = Base(version, i) + 10 * m;
    snapshot.manifests.push_back(
        Manifest(D(base + 1), {{D(1), 0}, {D(base + 2), 1}, {D(base + 3), 2}}));
  }
  snapshot.tags.push_back(
      Tag("v" + std::to_string(version), D(Base(version, i) + 1)));
  return snapshot;
}

TEST_F(RefIndexTest, ConcurrentPutsOnDifferentRepositories) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int version = 1; version <= 2; version++) {  // write, then replace
        for (int k = 0; k < kPerThread; k++) {
          Status status =
              index_->PutRepository(Numbered(t * kPerThread + k, version));
          if (!status.ok()) failures[t] = status;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& failure : failures) {
    EXPECT_TRUE(failure.ok()) << failure.ToString();
  }

  constexpr int kRepos = kThreads * kPerThread;
  for (int i = 0; i < kRepos; i++) {
    RepositorySnapshot expected = Numbered(i, 2);
    ExpectSameSnapshot(expected, Get(expected.name));
  }
  EXPECT_EQ(RefsOf(D(1)).size(), 3u * kRepos);
  EXPECT_TRUE(RefsOf(D(Base(1, 7) + 2)).empty());  // a version 1 edge
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.repositories, static_cast<uint64_t>(kRepos));
  EXPECT_EQ(stats.manifests, 3u * kRepos);
  EXPECT_EQ(stats.edges, 9u * kRepos);
  EXPECT_EQ(stats.tags, static_cast<uint64_t>(kRepos));
}

// Threads released together to write different snapshots of one new
// repository: each result must be exactly one of the snapshots. Without the
// per-repository lock, two writers both see "nothing recorded" and the
// repository ends up with the union of their manifests.
TEST_F(RefIndexTest, ConcurrentPutsOnOneRepository) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  constexpr int kManifests = 100;  // a long batch widens the race window
  auto snapshot_for = [](int round, int version) {
    RepositorySnapshot snapshot = Numbered(0, version, kManifests);
    snapshot.name = "shared" + std::to_string(round);
    return snapshot;
  };
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; round++) {
        RepositorySnapshot snapshot = snapshot_for(round, t + 1);
        start.arrive_and_wait();
        EXPECT_TRUE(index_->PutRepository(snapshot).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (int round = 0; round < kRounds; round++) {
    RepositorySnapshot actual = Get("shared" + std::to_string(round));
    ExpectSameSnapshot(
        snapshot_for(round, static_cast<int>(actual.fingerprint)), actual);
  }
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.manifests, 1u * kRounds * kManifests);
  EXPECT_EQ(stats.edges, 3u * kRounds * kManifests);
  EXPECT_EQ(stats.tags, 1u * kRounds);
  EXPECT_EQ(RefsOf(D(1)).size(), 1u * kRounds * kManifests);
}

// A reader racing a writer sees each repository either wholly before or
// wholly after a PutRepository, never manifests of one and tags of another.
TEST_F(RefIndexTest, ReadersSeeWholeSnapshots) {
  constexpr int kWrites = 100;
  auto snapshot_for = [](int version) {
    RepositorySnapshot snapshot = Numbered(0, version, 50);
    snapshot.name = "flipping";
    return snapshot;
  };
  Put(snapshot_for(1));
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int i = 0; i < kWrites; i++) {
      EXPECT_TRUE(index_->PutRepository(snapshot_for(1 + (i + 1) % 2)).ok());
    }
    done = true;
  });
  int mismatches = 0;
  while (!done) {
    RepositorySnapshot actual;
    ASSERT_TRUE(index_->GetRepository("flipping", &actual).ok());
    RepositorySnapshot expected =
        Sorted(snapshot_for(static_cast<int>(actual.fingerprint)));
    bool same = actual.manifests.size() == expected.manifests.size() &&
                actual.tags.size() == 1 &&
                actual.tags[0].tag == expected.tags[0].tag;
    for (size_t i = 0; same && i < actual.manifests.size(); i++) {
      same = actual.manifests[i].digest == expected.manifests[i].digest;
    }
    if (!same) mismatches++;
  }
  writer.join();
  EXPECT_EQ(mismatches, 0);
}

TEST_F(RefIndexTest, PrefixNamesDoNotLeak) {
  RepositorySnapshot a;
  a.name = "a";
  a.manifests.push_back(Manifest(D(1), {{D(900), 0}}));
  a.tags.push_back(Tag("v1", D(1)));
  RepositorySnapshot ab;
  ab.name = "a/b";
  ab.manifests.push_back(Manifest(D(2), {{D(900), 1}}));
  ab.tags.push_back(Tag("v1", D(2)));
  RepositorySnapshot abc;
  abc.name = "ab";
  abc.manifests.push_back(Manifest(D(3), {{D(900), 2}}));
  abc.tags.push_back(Tag("1", D(3)));  // "a" + "b\0" + "1" vs "ab\0" + "1"
  Put(a);
  Put(ab);
  Put(abc);

  ExpectSameSnapshot(a, Get("a"));
  ExpectSameSnapshot(ab, Get("a/b"));
  ExpectSameSnapshot(abc, Get("ab"));

  // Replacing and deleting "a" must leave its longer-named neighbours alone.
  a.manifests = {Manifest(D(4), {})};
  a.tags = {};
  Put(a);
  ExpectSameSnapshot(a, Get("a"));
  ExpectSameSnapshot(ab, Get("a/b"));
  ExpectSameSnapshot(abc, Get("ab"));
  EXPECT_EQ(RefsOf(D(900)), (std::vector<std::string>{Ref("a/b", D(2), 1),
                                                      Ref("ab", D(3), 2)}));

  ASSERT_TRUE(index_->DeleteRepository("a").ok());
  ExpectSameSnapshot(ab, Get("a/b"));
  ExpectSameSnapshot(abc, Get("ab"));
  EXPECT_EQ(Repositories(), (std::vector<std::string>{"a/b", "ab"}));
  IndexStats stats = GetStats();
  EXPECT_EQ(stats.manifests, 2u);
  EXPECT_EQ(stats.edges, 2u);
  EXPECT_EQ(stats.tags, 2u);
}

TEST_F(RefIndexTest, FormatVersionMismatchIsNotSupported) {
  ASSERT_TRUE(index_->SetMeta("format_version", "1").ok());  // an older one
  index_.reset();
  std::unique_ptr<RefIndex> reopened;
  Status status = RefIndex::Open(dir_, &reopened);
  EXPECT_EQ(status.code(), Status::Code::kNotSupported) << status.ToString();
  EXPECT_NE(status.message().find(dir_), std::string::npos) << status.message();
  EXPECT_EQ(reopened, nullptr);
  // The failed open must have released the database for the next one.
  Status again = RefIndex::Open(dir_, &reopened);
  EXPECT_EQ(again.code(), Status::Code::kNotSupported) << again.ToString();
}

TEST_F(RefIndexTest, OpenErrorsNameTheDirectory) {
  // Already open (locked) by this process.
  std::unique_ptr<RefIndex> second;
  Status locked = RefIndex::Open(dir_, &second);
  EXPECT_TRUE(locked.IsBusy()) << locked.ToString();
  EXPECT_NE(locked.message().find(dir_), std::string::npos);

  // Not a directory.
  std::string file = (fs::path(root_) / "plain-file").string();
  std::ofstream(file) << "x";
  Status not_dir = RefIndex::Open(file, &second);
  EXPECT_TRUE(not_dir.IsIOError()) << not_dir.ToString();
  EXPECT_NE(not_dir.message().find(file), std::string::npos);
  EXPECT_EQ(second, nullptr);
}

TEST_F(RefIndexTest, OpenCreatesNestedDirectories) {
  std::string nested = (fs::path(root_) / "x" / "y" / "index").string();
  std::unique_ptr<RefIndex> index;
  Status status = RefIndex::Open(nested, &index);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(fs::is_directory(nested));
}

TEST_F(RefIndexTest, RejectsNamesThatCannotBeKeys) {
  RepositorySnapshot snapshot;
  EXPECT_TRUE(index_->PutRepository(snapshot).IsInvalidArgument());  // empty
  snapshot.name = std::string("a\0b", 3);
  EXPECT_TRUE(index_->PutRepository(snapshot).IsInvalidArgument());
  snapshot.name = "ok";
  snapshot.tags.push_back(Tag(std::string("t\0", 2), D(1)));
  EXPECT_TRUE(index_->PutRepository(snapshot).IsInvalidArgument());
  snapshot.tags = {};
  snapshot.manifests.push_back(Manifest(Digest(), {}));
  EXPECT_TRUE(index_->PutRepository(snapshot).IsInvalidArgument());
  EXPECT_TRUE(index_->DeleteRepository("").IsInvalidArgument());
  EXPECT_TRUE(Repositories().empty());
}

}  // namespace
}  // namespace regsweep::index
