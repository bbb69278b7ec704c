// Incremental passes: what a pass stores for the next one (repository marks,
// blob listings), the change stamps that decide whether it may be reused,
// and that an unchanged repository is not read again while a changed one
// always is; on a backend that promises no directory versions (the memory
// store), that every pass re-reads everything.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <utility>

#include "gc/incremental/blob_listing.h"
#include "gc/incremental/change_stamp.h"
#include "gc/collection/collector.h"
#include "util/content_hash.h"
#include "gc/incremental/repository_mark.h"
#include "index/memory_ref_index.h"
#include "index/ref_index.h"
#include "storage/layout.h"
#include "storage/store.h"
#include "testutil/test_store.h"
#include "util/clock.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;

Digest D(char c) {
  Digest d;
  EXPECT_TRUE(Digest::FromParts("sha256", std::string(64, c), &d));
  return d;
}

TEST(RepositoryMarkTest, RoundTripsAndRejectsDamage) {
  gc::RepositoryMark mark;
  mark.stamp = 0x1234567890abcdefull;
  mark.delete_untagged = true;
  mark.grace_ns = 3600;
  mark.valid_until_ns = 99;
  mark.shape.revision_algorithms = {"sha256"};
  mark.shape.revisions = {D('a'), D('b')};
  mark.shape.tags = {"latest", "v1"};
  mark.shape.layer_algorithms = {"sha256"};
  mark.marked = {1, 2, 3};
  mark.to_delete = {D('b')};
  mark.layers = {D('c'), D('d')};
  std::string value = gc::EncodeRepositoryMark(mark);
  gc::RepositoryMark back;
  ASSERT_TRUE(gc::DecodeRepositoryMark(value, &back));
  EXPECT_EQ(back.stamp, mark.stamp);
  EXPECT_TRUE(back.delete_untagged);
  EXPECT_EQ(back.grace_ns, 3600);
  EXPECT_EQ(back.valid_until_ns, 99);
  EXPECT_EQ(back.shape.revisions, mark.shape.revisions);
  EXPECT_EQ(back.shape.tags, mark.shape.tags);
  EXPECT_EQ(back.marked, mark.marked);
  EXPECT_EQ(back.to_delete, mark.to_delete);
  EXPECT_EQ(back.layers, mark.layers);
  gc::RepositoryMark without_layers;
  ASSERT_TRUE(gc::DecodeRepositoryMark(value, &without_layers, false));
  EXPECT_TRUE(without_layers.layers.empty());
  EXPECT_EQ(without_layers.marked, mark.marked);
  // What a pass stores for a repository it must re-read, a cut value, and
  // trailing bytes never decode: such a mark is never reused.
  EXPECT_FALSE(gc::DecodeRepositoryMark("", &back));
  EXPECT_FALSE(gc::DecodeRepositoryMark(value.substr(0, value.size() - 1), &back));
  EXPECT_FALSE(gc::DecodeRepositoryMark(value + "x", &back));
}

TEST(PrefixBlobsTest, RoundTripsWithItsState) {
  gc::PrefixBlobs blobs;
  blobs.Add(D('a'));
  blobs.Add(D('b'));
  std::string value = blobs.Encode({42, true, false});
  gc::PrefixBlobs back;
  gc::ListingState state;
  ASSERT_TRUE(back.Decode(value, &state));
  EXPECT_EQ(state.stamp, 42u);
  EXPECT_TRUE(state.stamp_trusted);
  EXPECT_FALSE(state.counted);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.digest(0), D('a'));
  EXPECT_EQ(back.digest(1), D('b'));
  EXPECT_EQ(back.fingerprint(1), D('b').Fingerprint());
  EXPECT_TRUE(back.Is(1, D('b')));
  EXPECT_FALSE(back.Is(1, D('a')));
  ASSERT_TRUE(blobs.Decode(blobs.Encode({7, false, true}), &state));
  EXPECT_FALSE(state.stamp_trusted);
  EXPECT_TRUE(state.counted);
  EXPECT_FALSE(back.Decode("", &state));
  EXPECT_FALSE(back.Decode(value.substr(0, value.size() - 1), &state));
}

TEST(PrefixBlobsTest, FilterKeepsOrderAndFingerprints) {
  gc::PrefixBlobs blobs;
  for (char c : std::string("abcd")) blobs.Add(D(c));
  blobs.Filter([&](size_t i) { return i != 0 && i != 2; });
  ASSERT_EQ(blobs.size(), 2u);
  EXPECT_EQ(blobs.digest(0), D('b'));
  EXPECT_EQ(blobs.digest(1), D('d'));
  EXPECT_EQ(blobs.fingerprint(1), D('d').Fingerprint());
}

TEST(ForgetDeletedBlobsTest, TakesOutExactlyTheDeletedOrDropsTheListing) {
  auto index = index::NewMemoryRefIndex();
  gc::PrefixBlobs blobs;
  for (char c : std::string("abc")) blobs.Add(D(c));
  const storage::BlobPrefix prefix{"sha256", "aa"};
  ASSERT_TRUE(
      index->PutBlobListing(prefix.Key(), blobs.Encode({9, true, true})).ok());
  ASSERT_TRUE(gc::ForgetDeletedBlobs(index.get(), prefix, {D('b')}, true).ok());
  std::string value;
  ASSERT_TRUE(index->GetBlobListing(prefix.Key(), &value).ok());
  gc::PrefixBlobs back;
  gc::ListingState state;
  ASSERT_TRUE(back.Decode(value, &state));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.digest(0), D('a'));
  EXPECT_EQ(back.digest(1), D('c'));
  EXPECT_TRUE(state.counted);         // the count still tells
  EXPECT_FALSE(state.stamp_trusted);  // the deletions moved the times
  // A deletion that failed leaves the blob in doubt: list it next time.
  ASSERT_TRUE(gc::ForgetDeletedBlobs(index.get(), prefix, {D('a')}, false).ok());
  ASSERT_TRUE(index->GetBlobListing(prefix.Key(), &value).ok());
  EXPECT_FALSE(back.Decode(value, &state));
}

// A listing stored whole, then changed by a delta while the delta is small;
// a delta of another generation is not applied.
TEST(StoredListingTest, SmallChangesGoToADeltaOfTheSameGeneration) {
  auto index = index::NewMemoryRefIndex();
  const std::string key = "sha256/aa";
  std::vector<Digest> base;
  for (int i = 0; i < 16; ++i) base.push_back(Sha256Of("base " + std::to_string(i)));
  gc::StoredListing stored;
  for (const Digest& d : base) stored.base.Add(d);
  ASSERT_TRUE(gc::SaveStoredListing(index.get(), key, &stored).ok());
  std::string whole;
  ASSERT_TRUE(index->GetBlobListing(key, &whole).ok());

  ASSERT_TRUE(gc::LoadStoredListing(index.get(), key, &stored));
  const Digest pushed = Sha256Of("pushed");
  stored.Add(pushed);
  stored.Remove({base[3]});
  stored.state.stamp = 77;
  ASSERT_TRUE(gc::SaveStoredListing(index.get(), key, &stored).ok());
  std::string after;
  ASSERT_TRUE(index->GetBlobListing(key, &after).ok());
  EXPECT_EQ(after, whole);  // two changes in 16: the delta alone
  gc::StoredListing loaded;
  ASSERT_TRUE(gc::LoadStoredListing(index.get(), key, &loaded));
  EXPECT_EQ(loaded.state.stamp, 77u);
  gc::PrefixBlobs current = loaded.Current();
  ASSERT_EQ(current.size(), 16u);
  EXPECT_TRUE(current.Contains(pushed));
  EXPECT_FALSE(current.Contains(base[3]));
  EXPECT_TRUE(current.Contains(base[4]));

  // A delta that changes another generation: the listing as stored whole.
  std::string delta;
  ASSERT_TRUE(index->GetBlobListing(gc::ListingDeltaKey(key), &delta).ok());
  delta[1] ^= 1;  // the generation follows the layout byte
  ASSERT_TRUE(index->PutBlobListing(gc::ListingDeltaKey(key), delta).ok());
  ASSERT_TRUE(gc::LoadStoredListing(index.get(), key, &loaded));
  EXPECT_EQ(loaded.state.stamp, 0u);
  EXPECT_TRUE(loaded.Current().Contains(base[3]));
  EXPECT_FALSE(loaded.Current().Contains(pushed));

  // Re-adding what went, then more than one in eight: stored whole again,
  // under a new generation and with an empty delta.
  ASSERT_TRUE(gc::LoadStoredListing(index.get(), key, &loaded));
  loaded.Remove({base[5]});
  loaded.Add(base[5]);
  EXPECT_EQ(loaded.removed.size(), 0u);
  for (int i = 0; i < 3; ++i) loaded.Add(Sha256Of("more " + std::to_string(i)));
  ASSERT_TRUE(gc::SaveStoredListing(index.get(), key, &loaded).ok());
  ASSERT_TRUE(index->GetBlobListing(key, &after).ok());
  EXPECT_NE(after, whole);
  ASSERT_TRUE(index->GetBlobListing(gc::ListingDeltaKey(key), &delta).ok());
  EXPECT_TRUE(delta.empty());
  ASSERT_TRUE(gc::LoadStoredListing(index.get(), key, &loaded));
  EXPECT_EQ(loaded.Current().size(), 19u);
  EXPECT_TRUE(loaded.Current().Contains(base[5]));
}

// A backend that promises what a filesystem does.
gc::StampTrust FilesystemTrust(int64_t trusted_before_ns) {
  gc::StampTrust trust;
  trust.promises.directories = true;
  trust.promises.object_versions_move = true;
  trust.promises.directory_versions_move = true;
  trust.trusted_before_ns = trusted_before_ns;
  return trust;
}

TEST(ChangeStampTest, TrustsOnlyOldTimesAndKnownStates) {
  const gc::StampTrust trust = FilesystemTrust(1000);
  storage::ObjectInfo old_file;
  old_file.type = storage::EntryType::kFile;
  old_file.version = 7;
  old_file.mtime_ns = 100;
  old_file.changed_ns = 100;
  std::vector<Status> ok = {Status::OK()};
  gc::ChangeStamp stamp = gc::StampOf({old_file}, ok, trust);
  EXPECT_TRUE(stamp.trusted);
  // A change within the racy margin of the pass: not trusted.
  storage::ObjectInfo recent = old_file;
  recent.changed_ns = 1000;
  EXPECT_FALSE(gc::StampOf({recent}, ok, trust).trusted);
  // No version: nothing can be concluded.
  storage::ObjectInfo unversioned = old_file;
  unversioned.version = 0;
  EXPECT_FALSE(gc::StampOf({unversioned}, ok, trust).trusted);
  // Absent is a state; an unreadable entry is not.
  EXPECT_TRUE(gc::StampOf({storage::ObjectInfo()},
                          {Status::NotFound("x", "gone")}, trust).trusted);
  EXPECT_FALSE(gc::StampOf({storage::ObjectInfo()},
                           {Status::IOError("x", "EIO")}, trust).trusted);
  // Another version, type or absence: another hash.
  storage::ObjectInfo other = old_file;
  other.version = 8;
  EXPECT_NE(gc::StampOf({other}, ok, trust).hash, stamp.hash);
  other = old_file;
  other.type = storage::EntryType::kDirectory;
  EXPECT_NE(gc::StampOf({other}, ok, trust).hash, stamp.hash);
  EXPECT_NE(gc::StampOf({storage::ObjectInfo()}, {Status::NotFound("x", "")},
                        trust).hash,
            stamp.hash);
}

TEST(ChangeStampTest, TrustsNothingTheBackendDoesNotPromise) {
  storage::ObjectInfo dir;
  dir.type = storage::EntryType::kDirectory;
  dir.version = 7;
  dir.changed_ns = 100;
  storage::ObjectInfo file = dir;
  file.type = storage::EntryType::kFile;
  const std::vector<Status> ok = {Status::OK()};
  const std::vector<Status> absent = {Status::NotFound("x", "gone")};

  gc::StampTrust no_directory_versions = FilesystemTrust(1000);
  no_directory_versions.promises.directory_versions_move = false;
  EXPECT_FALSE(gc::StampOf({dir}, ok, no_directory_versions).trusted);
  EXPECT_TRUE(gc::StampOf({file}, ok, no_directory_versions).trusted);
  // Absence of a directory shows nothing where directories do not move.
  EXPECT_FALSE(gc::StampOf({storage::ObjectInfo()}, absent,
                           no_directory_versions).trusted);

  // An object store: no directories, so "absent" may be a prefix with keys
  // below it, and only objects have versions.
  gc::StampTrust object_store;
  object_store.promises.object_versions_move = true;
  object_store.trusted_before_ns = 1000;
  EXPECT_FALSE(gc::StampOf({storage::ObjectInfo()}, absent, object_store).trusted);
  EXPECT_FALSE(gc::StampOf({dir}, ok, object_store).trusted);
  EXPECT_TRUE(gc::StampOf({file}, ok, object_store).trusted);

  // No promise at all: nothing is trusted.
  gc::StampTrust none;
  none.trusted_before_ns = 1000;
  EXPECT_FALSE(gc::StampOf({file}, ok, none).trusted);
}

// Counts the link and manifest reads of a pass, and its listings.
class CountingStore : public storage::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  void ReadBatch(const std::string& dir, const std::vector<std::string>& names,
                 uint64_t max_bytes,
                 std::vector<storage::ObjectContents>* files) override {
    reads += names.size();
    StoreWrapper::ReadBatch(dir, names, max_bytes, files);
  }
  Status Read(const std::string& path, uint64_t max_bytes,
                  std::string* contents, storage::ObjectInfo* info) override {
    ++reads;
    return StoreWrapper::Read(path, max_bytes, contents, info);
  }
  Status List(const std::string& path,
                       std::vector<storage::ListEntry>* entries,
                       storage::ObjectInfo* info) override {
    ++lists;
    return StoreWrapper::List(path, entries, info);
  }
  Status Visit(
      const std::string& path,
      const std::function<void(std::string_view, storage::EntryType)>& visit,
      storage::ObjectInfo* info) override {
    ++lists;
    return StoreWrapper::Visit(path, visit, info);
  }
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> lists{0};
};

// One pass's report, and what it read and listed (CountingStore).
struct Pass {
  gc::GcReport report;
  uint64_t reads = 0;
  uint64_t lists = 0;
};

// Passes over one store on either backend. Where they differ is the point:
// the filesystem promises that a directory's version moves with its
// entries, so an unchanged repository or prefix is taken from the index;
// the memory store promises no directory versions, so every pass with the
// index re-reads everything ("no reuse without a promise"). Each test says
// what it expects of each.
class IncrementalPassTest : public ::testing::TestWithParam<testing::Backend> {
 protected:
  void SetUp() override {
    index_dir_ = store_.root() + "-index";
    image_ = store_.PushImage("app", {"app layer"});
    old_image_ = store_.PushImage("app", {"old layer"});
    store_.PutTag("app", "latest", image_);
    other_ = store_.PushImage("other", {"other layer"});
    store_.PutTag("other", "latest", other_);
  }
  void TearDown() override { std::filesystem::remove_all(index_dir_); }

  bool OnMemory() const { return GetParam() == testing::Backend::kMemory; }

  // Sets every time in the store a minute back, so that a change made
  // after this moves the version of what it changes, not only its times
  // (a filesystem's times move in ticks of a few milliseconds: a rewrite
  // in the tick of the last write could leave a version as it was).
  void AgeStore() { store_.AgeEverything(60); }

  // A pass with the options of the fixture. Its clock runs ahead of the
  // wall clock by clock_ahead_ns_ (past the racy margin, unless a test
  // sets it to 0), so what the store holds now is trusted without waiting.
  Pass Run(bool with_index) {
    std::unique_ptr<storage::Store> store = store_.Open();
    CountingStore counting(store.get());
    gc::GcOptions options;
    options.delete_untagged = delete_untagged_;
    options.dry_run = dry_run_;
    options.grace_ns = 0;
    options.now_ns = NowNs() + clock_ahead_ns_;
    if (with_index) options.index_dir = index_dir_;
    Pass pass;
    Status s = gc::RunGc(&counting, options, nullptr, &pass.report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    pass.reads = counting.reads;
    pass.lists = counting.lists;
    return pass;
  }

  static std::set<std::string> Named(const Pass& pass) {
    std::set<std::string> out;
    for (const auto& b : pass.report.sweep.blobs_eligible) {
      out.insert(b.digest.str());
    }
    for (const auto& m : pass.report.manifests_eligible) {
      out.insert(m.repository + "@" + m.digest.str());
    }
    return out;
  }

  // The incremental pass must name what a full pass without index names.
  void ExpectSameAsFull(const Pass& incremental) {
    EXPECT_EQ(incremental.report.pass, gc::PassKind::kIncremental);
    EXPECT_EQ(Named(incremental), Named(Run(false)));
  }

  // What a pass with the index on the memory store took from it: nothing.
  // Every repository was re-read, every link and manifest read again (as
  // many as a dry pass without the index reads now) and every prefix
  // listed again (it lists at least as much as that pass).
  void ExpectNothingReused(const Pass& pass) {
    const gc::GcReport& report = pass.report;
    EXPECT_EQ(report.pass, gc::PassKind::kIncremental);
    EXPECT_GT(report.repositories, 0u);
    EXPECT_EQ(report.repositories_reread, report.repositories);
    EXPECT_EQ(report.sweep.prefixes_reused, 0u);
    const bool dry_run = std::exchange(dry_run_, true);
    const Pass full = Run(false);
    dry_run_ = dry_run;
    // Every repository and prefix is listed again. (A manifest's bytes
    // never change for its digest, so parses of the same revisions may
    // still come from the index.)
    EXPECT_GE(pass.lists, full.lists);
  }

  // The repositories the pass re-read: `on_file` on the filesystem; every
  // one, and nothing else reused, on the memory store.
  void ExpectReread(const Pass& pass, uint64_t on_file) {
    if (OnMemory()) {
      ExpectNothingReused(pass);
    } else {
      EXPECT_EQ(pass.report.repositories_reread, on_file);
    }
  }

  // The next pass, nothing having changed since the last, names `blob`. On
  // the filesystem it takes everything from the index: it lists blobs/ and
  // blobs/sha256/ (which prefixes there are) and no repository or prefix
  // directory. On the memory store it reuses nothing.
  void ExpectNextPassNames(const Digest& blob) {
    Pass next = Run(true);
    if (OnMemory()) {
      ExpectNothingReused(next);
    } else {
      EXPECT_EQ(next.lists, 2u);
    }
    EXPECT_TRUE(Named(next).count(blob.str()));
    ExpectSameAsFull(next);
  }

  // As distribution's filesystem driver writes a tag: truncate and rewrite
  // the same file (so no directory changes; the link keeps its size), or
  // put the object again.
  void MoveTagInPlace(const std::string& repo, const std::string& tag,
                      const Digest& digest) {
    store_.WriteFile(layout::TagCurrentLinkPath(repo, tag), digest.str());
  }

  // Content, starting with `stem`, whose blob shares `digest`'s prefix
  // directory.
  static std::string SharingPrefixWith(const Digest& digest,
                                       const std::string& stem) {
    for (int i = 0;; ++i) {
      std::string bytes = stem + " " + std::to_string(i);
      if (Sha256Of(bytes).hex().substr(0, 2) == digest.hex().substr(0, 2)) {
        return bytes;
      }
    }
  }

  // Eight linked blobs in `digest`'s prefix directory: enough that one
  // more blob is a small change of its listing.
  void FillPrefixOf(const Digest& digest) {
    for (int i = 0; i < 8; ++i) {
      store_.PutLayerLink("other", store_.PutBlob(SharingPrefixWith(
                                       digest, "earlier upload " + std::to_string(i))));
    }
  }

  // The value the index holds under `key` in its listings family.
  std::string StoredValue(const std::string& key) const {
    std::unique_ptr<index::RefIndex> index;
    EXPECT_TRUE(index::RefIndex::Open(index_dir_, &index).ok());
    std::string value;
    if (index != nullptr) index->GetBlobListing(key, &value);
    return value;
  }

  // Blob prefix directories the filesystem store holds.
  size_t PrefixCount() const {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(
             store_.Path("docker/registry/v2/blobs/sha256"))) {
      count += entry.is_directory() ? 1 : 0;
    }
    return count;
  }

  testing::TestStore store_{GetParam()};
  std::string index_dir_;
  Digest image_, old_image_, other_;
  bool delete_untagged_ = true;  // -m
  bool dry_run_ = true;
  int64_t clock_ahead_ns_ = 2 * gc::kRacyMargin;
};

// A manifest's parse never changes for its digest: a repository re-read
// after a push reads the new manifest only, on either backend.
TEST_P(IncrementalPassTest, AChangedRepositoryReadsOnlyItsNewManifests) {
  Run(true);
  AgeStore();
  store_.PushImage("app", {"new layer"});
  Pass next = Run(true);
  EXPECT_EQ(next.report.manifests_read, 1u);
  EXPECT_GE(next.report.manifests_recalled, 2u);  // app's two old ones
  ExpectSameAsFull(next);
}

// A manifest whose parse reported a problem is read (and reported) again
// on every pass: its repository's snapshot is never taken back.
TEST_P(IncrementalPassTest, AManifestWithAProblemIsReadAgain) {
  store_.PushManifestBytes("app", "{\"schemaVersion\": 2, \"layers\": 7}");
  Run(true);
  AgeStore();
  store_.PushImage("app", {"new layer"});
  Pass next = Run(true);
  EXPECT_GE(next.report.manifests_read, 4u);  // app's three, and the new one
  ExpectSameAsFull(next);
}

TEST_P(IncrementalPassTest, UnchangedStoreIsNeitherReadNorListed) {
  Pass full = Run(true);
  EXPECT_EQ(full.report.pass, gc::PassKind::kFull);
  Pass again = Run(true);
  Pass third = Run(true);
  if (OnMemory()) {
    ExpectNothingReused(again);
    ExpectNothingReused(third);
  } else {
    EXPECT_EQ(again.report.repositories_reread, 0u);
    EXPECT_EQ(again.reads, 0u);  // not one link, not one manifest
    // blobs/ and blobs/sha256/ (which prefixes there are): no repository
    // directory, no prefix directory.
    EXPECT_EQ(again.lists, 2u);
    // What the second pass kept (it wrote nothing new) serves a third.
    EXPECT_EQ(third.lists, 2u);
    EXPECT_GT(again.report.sweep.prefixes_reused, 0u);
  }
  ExpectSameAsFull(again);
  EXPECT_EQ(Named(again), Named(full));
}

TEST_P(IncrementalPassTest, TagRewrittenInPlaceIsSeen) {
  AgeStore();
  Run(true);
  MoveTagInPlace("app", "latest", old_image_);
  Pass pass = Run(true);
  ExpectReread(pass, 1);
  EXPECT_TRUE(Named(pass).count("app@" + image_.str()));
  ExpectSameAsFull(pass);
}

TEST_P(IncrementalPassTest, ManifestDeletedThroughTheApiIsSeen) {
  store_.PutTag("app", "old", old_image_);
  AgeStore();
  Run(true);
  // The API removes the revision's link file only, and the tags on it.
  store_.RemovePath(layout::RevisionLinkPath("app", old_image_));
  store_.RemovePath(layout::TagDir("app", "old"));
  Pass pass = Run(true);
  ExpectReread(pass, 1);
  ExpectSameAsFull(pass);
}

TEST_P(IncrementalPassTest, NewBlobAndNewRepositoryAreSeen) {
  AgeStore();
  Run(true);
  Digest orphan = store_.PutBlob("an orphan pushed after the pass");
  store_.PushImage("new", {"new layer"});
  Pass pass = Run(true);
  EXPECT_TRUE(Named(pass).count(orphan.str()));
  EXPECT_EQ(pass.report.repositories, 3u);
  ExpectReread(pass, 1);  // "new"
  ExpectSameAsFull(pass);
}

TEST_P(IncrementalPassTest, NestedRepositoryAndRemovedOneAreSeen) {
  AgeStore();
  Run(true);
  store_.PushImage("app/nested", {"nested layer"});
  store_.RemovePath("docker/registry/v2/repositories/other");
  Pass pass = Run(true);
  EXPECT_EQ(pass.report.repositories, 2u);  // app, app/nested
  ExpectReread(pass, 1);
  ExpectSameAsFull(pass);
}

TEST_P(IncrementalPassTest, TagsDecideNothingWithoutDashM) {
  delete_untagged_ = false;
  AgeStore();
  Run(true);
  MoveTagInPlace("app", "latest", old_image_);
  Pass pass = Run(true);
  ExpectReread(pass, 0);
  ExpectSameAsFull(pass);
}

// Without -m no tag decides anything, so the stamp of a repository that
// holds tags alone describes only what it lacks: its revisions and its
// layers. On the filesystem an absent directory is a state; on a backend
// without directories "absent" may be a prefix with keys coming and going
// below it, so such a repository is re-read too.
TEST_P(IncrementalPassTest, RepositoryOfTagsAloneIsReReadWithoutDirectories) {
  delete_untagged_ = false;
  store_.PutTag("tags-only", "latest", other_);
  Run(true);
  Pass pass = Run(true);
  EXPECT_EQ(pass.report.repositories, 3u);
  ExpectReread(pass, 0);
  ExpectSameAsFull(pass);
}

TEST_P(IncrementalPassTest, PushedBlobsJoinTheStoredListingWithoutListing) {
  FillPrefixOf(other_);
  AgeStore();
  Run(true);
  // Uploaded as the registry does, with a link in its repository, into a
  // prefix directory that already holds a blob.
  std::string bytes = SharingPrefixWith(other_, "uploaded after the pass");
  Digest uploaded = store_.PutBlob(bytes);
  store_.PutLayerLink("app", uploaded);
  const std::string key = storage::BlobPrefix::Of(uploaded).Key();
  const std::string whole = StoredValue(key);
  Pass pass = Run(true);
  ExpectReread(pass, 1);
  if (!OnMemory()) {
    EXPECT_EQ(pass.report.sweep.prefixes_reused, PrefixCount());
    EXPECT_EQ(pass.report.sweep.prefixes_extended, 1u);
    // Only a delta was written; the next pass takes the listing with it.
    EXPECT_EQ(StoredValue(key), whole);
    EXPECT_FALSE(StoredValue(gc::ListingDeltaKey(key)).empty());
  }
  EXPECT_TRUE(Named(pass).count(uploaded.str()));
  ExpectSameAsFull(pass);
  ExpectNextPassNames(uploaded);
}

TEST_P(IncrementalPassTest, BlobWithoutLinkMakesItsPrefixListed) {
  FillPrefixOf(other_);
  AgeStore();
  Run(true);
  Digest orphan =
      store_.PutBlob(SharingPrefixWith(other_, "written with no link at all"));
  const std::string key = storage::BlobPrefix::Of(orphan).Key();
  const std::string whole = StoredValue(key);
  Pass pass = Run(true);
  ExpectReread(pass, 0);
  if (!OnMemory()) {
    EXPECT_EQ(pass.report.sweep.prefixes_reused, PrefixCount() - 1);
    // Listed, but stored as a change of what the index held.
    EXPECT_EQ(StoredValue(key), whole);
  }
  EXPECT_TRUE(Named(pass).count(orphan.str()));
  ExpectSameAsFull(pass);
  ExpectNextPassNames(orphan);
}

TEST_P(IncrementalPassTest, PrefixesASweepDeletedFromAreNotListedAgain) {
  dry_run_ = false;
  Pass swept = Run(true);
  ASSERT_GT(swept.report.sweep.blobs_deleted, 0u);
  dry_run_ = true;
  Pass pass = Run(true);
  if (OnMemory()) {
    ExpectNothingReused(pass);
  } else {
    EXPECT_EQ(pass.report.sweep.prefixes_reused, PrefixCount());
  }
  EXPECT_TRUE(pass.report.sweep.blobs_eligible.empty());
  ExpectSameAsFull(pass);
}

// A blob the stored listing lacks but that exists (written without a link
// while another was removed behind our back, so the count adds up) keeps
// the layer links that name it.
TEST_P(IncrementalPassTest, LayerLinkOfABlobTheListingLacksStays) {
  // Two contents whose blobs share a prefix directory.
  std::string gone_bytes = "removed behind our back";
  Digest gone = Sha256Of(gone_bytes);
  std::string late_bytes = SharingPrefixWith(gone, "written late");
  Digest late = Sha256Of(late_bytes);
  store_.PutBlob(gone_bytes);
  // "other" links `late` before it exists (a dangling layer link).
  store_.PutLayerLink("other", late);
  delete_untagged_ = false;
  AgeStore();
  Run(true);
  store_.RemovePath(layout::BlobDir(gone));
  store_.PutBlob(late_bytes);
  dry_run_ = false;
  Pass pass = Run(true);
  if (OnMemory()) {
    // Listed afresh: `late` is found, and as nothing names it, it goes
    // with its link, as in a full pass.
    ExpectNothingReused(pass);
    EXPECT_TRUE(Named(pass).count(late.str()));
    EXPECT_FALSE(store_.Exists(layout::LayerLinkPath("other", late)));
    EXPECT_FALSE(store_.BlobsOnDisk().count(late.str()));
    return;
  }
  EXPECT_EQ(pass.report.repositories_reread, 0u);  // so `late` is not learned
  EXPECT_TRUE(store_.Exists(layout::LayerLinkPath("other", late)));
  EXPECT_TRUE(store_.BlobsOnDisk().count(late.str()));
}

TEST_P(IncrementalPassTest, RecentChangeIsReadAgainByTheNextPass) {
  clock_ahead_ns_ = 0;
  Run(true);  // the store was written just now: nothing is trusted
  Pass second = Run(true);
  EXPECT_EQ(second.report.repositories_reread, second.report.repositories);
  if (OnMemory()) {
    ExpectNothingReused(second);
  } else {
    // A racy stamp serves no listing; only a prefix's link count can (it
    // needs no clock).
    EXPECT_EQ(second.report.sweep.prefixes_reused,
              second.report.sweep.prefixes_extended);
  }
  ExpectSameAsFull(second);
}

TEST_P(IncrementalPassTest, AnotherModeDoesNotReuseTheMark) {
  Run(true);  // -m
  delete_untagged_ = false;
  Pass pass = Run(true);
  EXPECT_EQ(pass.report.pass, gc::PassKind::kIncremental);
  EXPECT_EQ(pass.report.repositories_reread, pass.report.repositories);
  // Default mode keeps every revision: the old image's layer too.
  for (const auto& blob : pass.report.sweep.blobs_eligible) {
    EXPECT_NE(blob.digest, old_image_);
  }
  EXPECT_TRUE(pass.report.manifests_eligible.empty());
  ExpectSameAsFull(pass);
}

INSTANTIATE_TEST_SUITE_P(Backends, IncrementalPassTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return std::string(testing::BackendName(info.param));
                         });

}  // namespace
}  // namespace regsweep
