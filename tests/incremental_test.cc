// Incremental passes: what a pass stores for the next one (repository marks,
// blob listings), the change stamps that decide whether it may be reused,
// and that an unchanged repository is not read again while a changed one
// always is.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

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

// Counts the link and manifest reads of a pass.
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

class IncrementalPassTest : public ::testing::Test {
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

  // Waits out the racy margin, so that what the store holds now is stored
  // as reusable by the next pass.
  static void LetChangesAge() {
    std::this_thread::sleep_for(std::chrono::nanoseconds(gc::kRacyMargin) +
                                std::chrono::milliseconds(100));
  }

  gc::GcReport Run(bool with_index, uint64_t* reads = nullptr,
                   bool full = false, uint64_t* lists = nullptr) {
    std::unique_ptr<storage::Store> files;
    EXPECT_TRUE(storage::OpenFileStore(store_.root(), &files).ok());
    CountingStore counting(files.get());
    gc::GcOptions options;
    options.delete_untagged = delete_untagged_;
    options.dry_run = dry_run_;
    options.grace_ns = 0;
    options.full = full;
    if (with_index) options.index_dir = index_dir_;
    gc::GcReport report;
    Status s = gc::RunGc(&counting, options, nullptr, &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (reads != nullptr) *reads = counting.reads;
    if (lists != nullptr) *lists = counting.lists;
    return report;
  }

  static std::set<std::string> Named(const gc::GcReport& report) {
    std::set<std::string> out;
    for (const auto& b : report.sweep.blobs_eligible) out.insert(b.digest.str());
    for (const auto& m : report.manifests_eligible) {
      out.insert(m.repository + "@" + m.digest.str());
    }
    return out;
  }

  // The incremental pass must name what a full pass without index names.
  void ExpectSameAsFull(const gc::GcReport& incremental) {
    EXPECT_EQ(incremental.pass, gc::PassKind::kIncremental);
    EXPECT_EQ(Named(incremental), Named(Run(false)));
  }

  // As distribution's filesystem driver writes a tag: truncate and rewrite
  // the same file, so no directory changes; the link keeps its size.
  void MoveTagInPlace(const std::string& repo, const std::string& tag,
                      const Digest& digest) {
    std::ofstream(store_.Path(layout::TagCurrentLinkPath(repo, tag)),
                  std::ios::trunc)
        << digest.str();
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

  // Blob prefix directories the store holds.
  size_t PrefixCount() const {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(
             store_.Path("docker/registry/v2/blobs/sha256"))) {
      count += entry.is_directory() ? 1 : 0;
    }
    return count;
  }

  testing::TestStore store_;
  std::string index_dir_;
  Digest image_, old_image_, other_;
  bool delete_untagged_ = true;  // -m
  bool dry_run_ = true;
};

TEST_F(IncrementalPassTest, UnchangedStoreIsNeitherReadNorListed) {
  LetChangesAge();
  gc::GcReport full = Run(true);
  EXPECT_EQ(full.pass, gc::PassKind::kFull);
  uint64_t reads = 0, lists = 0;
  gc::GcReport again = Run(true, &reads, false, &lists);
  EXPECT_EQ(again.repositories_reread, 0u);
  EXPECT_EQ(reads, 0u);  // not one link, not one manifest
  // blobs/ and blobs/sha256/ (which prefixes there are): no repository
  // directory, no prefix directory.
  EXPECT_EQ(lists, 2u);
  // What the second pass kept (it wrote nothing new) serves a third.
  Run(true, &reads, false, &lists);
  EXPECT_EQ(lists, 2u);
  EXPECT_GT(again.sweep.prefixes_reused, 0u);
  ExpectSameAsFull(again);
  EXPECT_EQ(Named(again), Named(full));
}

TEST_F(IncrementalPassTest, TagRewrittenInPlaceIsSeen) {
  LetChangesAge();
  Run(true);
  MoveTagInPlace("app", "latest", old_image_);
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.repositories_reread, 1u);
  EXPECT_TRUE(Named(report).count("app@" + image_.str()));
  ExpectSameAsFull(report);
}

TEST_F(IncrementalPassTest, ManifestDeletedThroughTheApiIsSeen) {
  store_.PutTag("app", "old", old_image_);
  LetChangesAge();
  Run(true);
  // The API removes the revision's link file only, and the tags on it.
  store_.RemovePath(layout::RevisionLinkPath("app", old_image_));
  store_.RemovePath(layout::TagDir("app", "old"));
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.repositories_reread, 1u);
  ExpectSameAsFull(report);
}

TEST_F(IncrementalPassTest, NewBlobAndNewRepositoryAreSeen) {
  LetChangesAge();
  Run(true);
  Digest orphan = store_.PutBlob("an orphan pushed after the pass");
  store_.PushImage("new", {"new layer"});
  gc::GcReport report = Run(true);
  EXPECT_TRUE(Named(report).count(orphan.str()));
  EXPECT_EQ(report.repositories_reread, 1u);  // "new"
  ExpectSameAsFull(report);
}

TEST_F(IncrementalPassTest, NestedRepositoryAndRemovedOneAreSeen) {
  LetChangesAge();
  Run(true);
  store_.PushImage("app/nested", {"nested layer"});
  store_.RemovePath("docker/registry/v2/repositories/other");
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.repositories, 2u);  // app, app/nested
  EXPECT_EQ(report.repositories_reread, 1u);
  ExpectSameAsFull(report);
}

TEST_F(IncrementalPassTest, TagsDecideNothingWithoutDashM) {
  delete_untagged_ = false;
  LetChangesAge();
  Run(true);
  MoveTagInPlace("app", "latest", old_image_);
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.repositories_reread, 0u);
  ExpectSameAsFull(report);
}

TEST_F(IncrementalPassTest, PushedBlobsJoinTheStoredListingWithoutListing) {
  FillPrefixOf(other_);
  LetChangesAge();
  Run(true);
  // Uploaded as the registry does, with a link in its repository, into a
  // prefix directory that already holds a blob.
  std::string bytes = SharingPrefixWith(other_, "uploaded after the pass");
  Digest uploaded = store_.PutBlob(bytes);
  store_.PutLayerLink("app", uploaded);
  const std::string key = storage::BlobPrefix::Of(uploaded).Key();
  const std::string whole = StoredValue(key);
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.repositories_reread, 1u);
  EXPECT_EQ(report.sweep.prefixes_reused, PrefixCount());
  EXPECT_EQ(report.sweep.prefixes_extended, 1u);
  EXPECT_TRUE(Named(report).count(uploaded.str()));
  ExpectSameAsFull(report);
  // Only a delta was written; the next pass takes the listing with it.
  EXPECT_EQ(StoredValue(key), whole);
  EXPECT_FALSE(StoredValue(gc::ListingDeltaKey(key)).empty());
  LetChangesAge();
  Run(true);  // stores the aged stamps
  uint64_t lists = 0;
  gc::GcReport again = Run(true, nullptr, false, &lists);
  EXPECT_EQ(lists, 2u);  // blobs/ and blobs/sha256/: no prefix directory
  EXPECT_TRUE(Named(again).count(uploaded.str()));
  ExpectSameAsFull(again);
}

TEST_F(IncrementalPassTest, BlobWithoutLinkMakesItsPrefixListed) {
  FillPrefixOf(other_);
  LetChangesAge();
  Run(true);
  Digest orphan =
      store_.PutBlob(SharingPrefixWith(other_, "written with no link at all"));
  const std::string key = storage::BlobPrefix::Of(orphan).Key();
  const std::string whole = StoredValue(key);
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.sweep.prefixes_reused, PrefixCount() - 1);
  EXPECT_TRUE(Named(report).count(orphan.str()));
  ExpectSameAsFull(report);
  // Listed, but stored as a change of what the index held.
  EXPECT_EQ(StoredValue(key), whole);
  LetChangesAge();
  Run(true);
  uint64_t lists = 0;
  gc::GcReport again = Run(true, nullptr, false, &lists);
  EXPECT_EQ(lists, 2u);
  EXPECT_TRUE(Named(again).count(orphan.str()));
  ExpectSameAsFull(again);
}

TEST_F(IncrementalPassTest, PrefixesASweepDeletedFromAreNotListedAgain) {
  dry_run_ = false;
  gc::GcReport swept = Run(true);
  ASSERT_GT(swept.sweep.blobs_deleted, 0u);
  dry_run_ = true;
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.sweep.prefixes_reused, PrefixCount());
  EXPECT_TRUE(report.sweep.blobs_eligible.empty());
  ExpectSameAsFull(report);
}

// A blob the stored listing lacks but that exists (written without a link
// while another was removed behind our back, so the count adds up) keeps
// the layer links that name it.
TEST_F(IncrementalPassTest, LayerLinkOfABlobTheListingLacksStays) {
  // Two contents whose blobs share a prefix directory.
  std::string gone_bytes = "removed behind our back";
  Digest gone = Sha256Of(gone_bytes);
  std::string late_bytes = SharingPrefixWith(gone, "written late");
  Digest late = Sha256Of(late_bytes);
  store_.PutBlob(gone_bytes);
  // "other" links `late` before it exists (a dangling layer link).
  store_.PutLayerLink("other", late);
  delete_untagged_ = false;
  LetChangesAge();
  Run(true);
  store_.RemovePath(layout::BlobDir(gone));
  store_.PutBlob(late_bytes);
  dry_run_ = false;
  gc::GcReport report = Run(true);
  EXPECT_EQ(report.repositories_reread, 0u);  // so `late` is not learned
  EXPECT_TRUE(std::filesystem::exists(
      store_.Path(layout::LayerLinkPath("other", late))));
  EXPECT_TRUE(store_.BlobsOnDisk().count(late.str()));
}

TEST_F(IncrementalPassTest, RecentChangeIsReadAgainByTheNextPass) {
  Run(true);  // the store was written just now: nothing is trusted
  gc::GcReport second = Run(true);
  EXPECT_EQ(second.repositories_reread, second.repositories);
  // A racy stamp serves no listing; only a prefix's link count can (it
  // needs no clock).
  EXPECT_EQ(second.sweep.prefixes_reused, second.sweep.prefixes_extended);
  ExpectSameAsFull(second);
}

TEST_F(IncrementalPassTest, AnotherModeDoesNotReuseTheMark) {
  LetChangesAge();
  Run(true);  // -m
  std::unique_ptr<storage::Store> files;
  ASSERT_TRUE(storage::OpenFileStore(store_.root(), &files).ok());
  gc::GcOptions options;
  options.dry_run = true;
  options.grace_ns = 0;
  options.index_dir = index_dir_;
  gc::GcReport report;
  ASSERT_TRUE(gc::RunGc(files.get(), options, nullptr, &report).ok());
  EXPECT_EQ(report.pass, gc::PassKind::kIncremental);
  // Default mode keeps every revision: the old image's layer too.
  for (const auto& blob : report.sweep.blobs_eligible) {
    EXPECT_NE(blob.digest, old_image_);
  }
  EXPECT_TRUE(report.manifests_eligible.empty());
}

}  // namespace
}  // namespace regsweep
