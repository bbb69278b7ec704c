// Quarantine (storage/quarantine.h, gc/quarantine/): a real run moves what
// it removes aside with a record written first; a restore puts the store
// back exactly; a pass rescues a quarantined blob a kept manifest needs;
// old quarantines are purged, unreadable ones never. On both backends.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gc/collection/collector.h"
#include "gc/quarantine/purge.h"
#include "gc/quarantine/quarantine_catalog.h"
#include "gc/quarantine/quarantine_writer.h"
#include "gc/quarantine/restore.h"
#include "storage/layout.h"
#include "storage/quarantine.h"
#include "storage/quarantine_record.h"
#include "storage/registry.h"
#include "testutil/test_store.h"
#include "util/clock.h"

namespace regsweep {
namespace {

namespace layout = storage::layout;
using storage::QuarantinedItem;
using Kind = storage::QuarantinedItem::Kind;
using testing::Backend;
using testing::TestStore;

constexpr int64_t kHour = 3600LL * 1000000000LL;

// Every key below v2/ with its bytes: what a restore must give back.
std::map<std::string, std::string> V2Contents(storage::Store* store) {
  std::map<std::string, std::string> contents;
  Status s = store->ListAll(layout::V2Root(), [&](std::string_view key,
                                                  const storage::ObjectInfo&) {
    contents[std::string(key)];
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (auto& [key, bytes] : contents) {
    Status r = store->Read(layout::Join(layout::V2Root(), key), 1 << 20, &bytes,
                           nullptr);
    EXPECT_TRUE(r.ok()) << r.ToString();
  }
  return contents;
}

class QuarantineTest : public ::testing::TestWithParam<Backend> {
 protected:
  // An image stays throughout: an object store without any key below
  // v2/ is no registry store.
  QuarantineTest()
      : s_(GetParam()), store_(s_.Open()), quarantine_(store_.get()) {
    s_.PutTag("kept", "latest", s_.PushImage("kept", {"kept layer"}));
  }

  // A real run of `delete_untagged` mode that quarantines into a new run
  // begun at `now_ns`, purging what is older than `keep_ns`.
  gc::GcReport QuarantiningRun(bool delete_untagged, int64_t now_ns,
                               int64_t keep_ns = 24 * kHour) {
    gc::QuarantineWriter writer(&quarantine_,
                                gc::QuarantineWriter::NewRunName(now_ns),
                                now_ns, "regsweep gc test");
    gc::GcOptions options;
    options.delete_untagged = delete_untagged;
    options.grace_ns = 0;
    options.now_ns = now_ns;
    options.quarantine = &writer;
    options.quarantine_for_ns = keep_ns;
    gc::GcReport report;
    Status status = gc::RunGc(store_.get(), options, nullptr, &report);
    EXPECT_TRUE(status.ok()) << status.ToString();
    EXPECT_TRUE(report.fatal.empty());
    EXPECT_TRUE(report.sweep.errors.empty())
        << report.sweep.errors.front().ToString();
    return report;
  }
  std::vector<gc::QuarantinedRun> Catalog() {
    std::vector<gc::QuarantinedRun> runs;
    EXPECT_TRUE(gc::ReadQuarantineCatalog(quarantine_, true, &runs).ok());
    return runs;
  }
  bool HasBlob(const Digest& d) { return s_.BlobsOnDisk().count(d.str()) != 0; }

  TestStore s_;
  std::unique_ptr<storage::Store> store_;
  storage::Quarantine quarantine_;
};

TEST(QuarantineRecordTest, RoundTripsAndRefusesWhatItDidNotWrite) {
  storage::QuarantineRecord record;
  record.run = "20261207T204512Z-1a2b3c4d";
  record.started_ns = 1765140312000000000;  // records keep seconds
  record.command = "regsweep gc -m /srv\nwith a newline";
  record.reason = "no kept manifest references it";
  Digest d = testing::Sha256Of("x");
  record.items = {{Kind::kBlob, d, "", "", 42},
                  {Kind::kRevision, d, "team/app"},
                  {Kind::kTagIndexEntry, d, "team/app", "v1.0"},
                  {Kind::kLayerLink, d, "app"},
                  {Kind::kTag, Digest(), "app", "latest"}};
  const std::string text = storage::EncodeQuarantineRecord(record);
  storage::QuarantineRecord back;
  std::string why;
  ASSERT_TRUE(storage::DecodeQuarantineRecord(text, &back, &why)) << why;
  EXPECT_EQ(back.run, record.run);
  EXPECT_EQ(back.started_ns, record.started_ns);
  EXPECT_EQ(back.command, "regsweep gc -m /srv with a newline");
  ASSERT_EQ(back.items.size(), 5u);
  EXPECT_EQ(back.items[0].bytes, 42u);
  EXPECT_EQ(back.items[2].tag, "v1.0");
  EXPECT_FALSE(back.items[4].digest.valid());
  // Cut short anywhere before its end line: refused.
  const size_t end = text.rfind("end ");
  for (size_t cut : {text.size() - 1, end, end - 1, text.size() / 2}) {
    EXPECT_FALSE(storage::DecodeQuarantineRecord(text.substr(0, cut), &back,
                                                 &why))
        << cut;
  }
  std::string miscounted = text;
  miscounted.replace(end, std::string::npos, "end 4\n");
  EXPECT_FALSE(storage::DecodeQuarantineRecord(miscounted, &back, &why));
  std::string escaping = text;
  escaping.replace(escaping.find("team/app"), 8, "../../xx");
  EXPECT_FALSE(storage::DecodeQuarantineRecord(escaping, &back, &why));
}

TEST_P(QuarantineTest, RealRunMovesAsideAndRestoreGivesTheStoreBack) {
  Digest kept = s_.PushImage("app", {"base", "kept"});
  Digest dropped = s_.PushImage("app", {"base", "gone-layer"});
  s_.PutTag("other", "latest", s_.PushImage("other", {"base"}));
  // The tag moved on: its history still names the manifest it left.
  s_.PutTag("app", "latest", dropped);
  s_.PutTag("app", "latest", kept);
  Digest orphan = s_.PutBlob("orphan");
  s_.AgeEverything(7200);
  const auto before = V2Contents(store_.get());

  gc::GcReport report = QuarantiningRun(true, NowNs());
  ASSERT_FALSE(report.quarantine.run.empty());
  EXPECT_GE(report.sweep.blobs_deleted, 3u);  // manifest, its config, layer
  EXPECT_EQ(report.sweep.manifests_deleted, 1u);
  EXPECT_FALSE(HasBlob(orphan));
  EXPECT_FALSE(HasBlob(dropped));
  std::vector<gc::QuarantinedRun> runs = Catalog();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run, report.quarantine.run);
  EXPECT_EQ(runs[0].Count(Kind::kBlob), report.sweep.blobs_deleted);
  EXPECT_EQ(runs[0].Count(Kind::kRevision), 1u);
  EXPECT_EQ(runs[0].Count(Kind::kTagIndexEntry), 1u);
  EXPECT_EQ(runs[0].bytes, report.sweep.bytes_deleted);
  EXPECT_EQ(report.quarantine.bytes_held, report.sweep.bytes_deleted);

  gc::RestoreOutcome outcome;
  gc::RestoreRun(quarantine_, runs[0], &outcome);
  EXPECT_TRUE(outcome.errors.empty()) << outcome.errors.front().ToString();
  EXPECT_TRUE(outcome.area_removed);
  EXPECT_EQ(V2Contents(store_.get()), before);
  EXPECT_TRUE(Catalog().empty());
}

// A store whose one write fails: no record can be written.
class NoCreateStore : public storage::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status Create(const std::string& key, std::string_view) override {
    return Status::IOError(key, "injected: no space left on device");
  }
};

TEST_P(QuarantineTest, NothingMovesWithoutItsRecord) {
  Digest orphan = s_.PutBlob("orphan");
  s_.AgeEverything(7200);
  NoCreateStore failing(store_.get());
  storage::Quarantine quarantine(&failing);
  const int64_t now = NowNs();
  gc::QuarantineWriter writer(&quarantine,
                              gc::QuarantineWriter::NewRunName(now), now, "t");
  gc::GcOptions options;
  options.grace_ns = 0;
  options.quarantine = &writer;
  gc::GcReport report;
  ASSERT_TRUE(gc::RunGc(&failing, options, nullptr, &report).ok());
  ASSERT_FALSE(report.sweep.errors.empty());
  EXPECT_NE(report.sweep.errors[0].ToString().find("no space left"),
            std::string::npos);
  EXPECT_EQ(report.sweep.blobs_deleted, 0u);
  EXPECT_TRUE(HasBlob(orphan));
  EXPECT_TRUE(Catalog().empty());
}

TEST_P(QuarantineTest, APassRescuesAQuarantinedBlobAKeptManifestNeeds) {
  Digest shared = s_.PutBlob("layer pushed again later");
  s_.AgeEverything(7200);
  const int64_t t0 = NowNs();
  gc::GcReport first = QuarantiningRun(false, t0);
  ASSERT_FALSE(HasBlob(shared));
  // A manifest that references it appears (the push race, or a restore of
  // a manifest alone): its layer link is written, the blob is not.
  std::vector<Digest> blobs;
  Digest image = s_.PushImage("late", {"own"}, &blobs);
  const std::string manifest = R"({"schemaVersion":2,"mediaType":)"
      R"("application/vnd.oci.image.manifest.v1+json","config":{"mediaType":)"
      R"("application/vnd.oci.image.config.v1+json","digest":")" +
      blobs[0].str() + R"(","size":2},"layers":[{"mediaType":)"
      R"("application/vnd.oci.image.layer.v1.tar","digest":")" +
      shared.str() + R"(","size":24}]})";
  Digest needing = s_.PushManifestBytes("late", manifest);
  s_.PutTag("late", "v2", needing);
  (void)image;
  s_.AgeEverything(7200);

  gc::GcReport second = QuarantiningRun(false, t0 + kHour);
  ASSERT_EQ(second.quarantine.rescued.blobs.size(), 1u);
  EXPECT_EQ(second.quarantine.rescued.blobs[0].first, shared);
  EXPECT_EQ(second.quarantine.rescued.blobs[0].second, first.quarantine.run);
  EXPECT_TRUE(HasBlob(shared));
  // And nothing else came back.
  EXPECT_EQ(second.quarantine.rescued.Restored(), 1u);
}

TEST_P(QuarantineTest, OldQuarantinesArePurgedYoungOnesKept) {
  Digest first_orphan = s_.PutBlob("first orphan");
  s_.AgeEverything(7200);
  const int64_t t0 = NowNs();
  gc::GcReport first = QuarantiningRun(false, t0);
  ASSERT_EQ(first.sweep.blobs_deleted, 1u);
  s_.PutBlob("second orphan");
  s_.AgeEverything(7200);
  gc::GcReport young = QuarantiningRun(false, t0 + 23 * kHour);
  EXPECT_TRUE(young.quarantine.purged.purged.empty());
  EXPECT_EQ(Catalog().size(), 2u);
  EXPECT_EQ(young.quarantine.runs_held, 2u);

  gc::GcReport later = QuarantiningRun(false, t0 + 25 * kHour);
  ASSERT_EQ(later.quarantine.purged.purged.size(), 1u);
  EXPECT_EQ(later.quarantine.purged.purged[0], first.quarantine.run);
  EXPECT_EQ(later.quarantine.purged.bytes, first.sweep.bytes_deleted);
  std::vector<gc::QuarantinedRun> runs = Catalog();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run, young.quarantine.run);
  EXPECT_FALSE(HasBlob(first_orphan));
}

TEST_P(QuarantineTest, AnUnreadableRecordKeepsItsRunFromThePurge) {
  s_.PutBlob("orphan");
  s_.AgeEverything(7200);
  const int64_t t0 = NowNs();
  gc::GcReport first = QuarantiningRun(false, t0);
  const std::string bad = layout::QuarantineRecordPath(first.quarantine.run, 99);
  ASSERT_TRUE(store_->Create(bad, "regsweep quarantine record 1\nrun x\n").ok());
  gc::GcReport later = QuarantiningRun(false, t0 + 48 * kHour);
  EXPECT_TRUE(later.quarantine.purged.purged.empty());
  ASSERT_EQ(later.quarantine.purged.kept.size(), 1u);
  EXPECT_NE(later.quarantine.purged.kept[0].find("00000099"), std::string::npos)
      << later.quarantine.purged.kept[0];
  EXPECT_EQ(Catalog().size(), 1u);
}

TEST_P(QuarantineTest, RestoringAManifestBringsWhatItReferencesOnly) {
  std::vector<Digest> image_blobs;
  Digest image = s_.PushImage("app", {"layer-a", "layer-b"}, &image_blobs);
  s_.PutTag("app", "v1", image);
  Digest orphan = s_.PutBlob("an orphan stays in quarantine");
  s_.AgeEverything(7200);
  const auto before = V2Contents(store_.get());
  // Untag it: -m then quarantines the manifest, its blobs and links.
  s_.RemovePath(layout::TagDir("app", "v1"));
  s_.AgeEverything(7200);
  QuarantiningRun(true, NowNs());
  ASSERT_FALSE(HasBlob(image));
  std::vector<gc::QuarantinedRun> runs = Catalog();
  ASSERT_EQ(runs.size(), 1u);

  gc::RestoreOutcome outcome;
  gc::RestoreDigests(quarantine_, storage::Registry(store_.get()), runs[0],
                     {image}, &outcome);
  EXPECT_TRUE(outcome.errors.empty()) << outcome.errors.front().ToString();
  EXPECT_TRUE(HasBlob(image));
  for (const Digest& d : image_blobs) EXPECT_TRUE(HasBlob(d)) << d.str();
  EXPECT_FALSE(HasBlob(orphan));
  EXPECT_EQ(outcome.restored[static_cast<size_t>(Kind::kRevision)], 1u);
  EXPECT_EQ(outcome.restored[static_cast<size_t>(Kind::kLayerLink)], 3u);
  // Everything but the tag removed by hand and the orphan is as it was.
  auto after = V2Contents(store_.get());
  for (const auto& [key, bytes] : before) {
    if (key.find("/_manifests/tags/") != std::string::npos) continue;
    if (key.find(orphan.hex()) != std::string::npos) continue;
    EXPECT_EQ(after[key], bytes) << key;
  }
}

TEST_P(QuarantineTest, WhatTheRegistryHoldsAgainIsLeftAsItIs) {
  Digest orphan = s_.PutBlob("pushed again");
  s_.AgeEverything(7200);
  QuarantiningRun(false, NowNs());
  ASSERT_FALSE(HasBlob(orphan));
  EXPECT_EQ(s_.PutBlob("pushed again"), orphan);
  std::vector<gc::QuarantinedRun> runs = Catalog();
  gc::RestoreOutcome outcome;
  gc::RestoreRun(quarantine_, runs[0], &outcome);
  EXPECT_TRUE(outcome.errors.empty());
  EXPECT_EQ(outcome.already_present, 1u);
  EXPECT_EQ(outcome.Restored(), 0u);
  EXPECT_TRUE(HasBlob(orphan));
}

TEST_P(QuarantineTest, MoveTreesMovesWholeTreesAndNeverOverwritesOnAFilesystem) {
  store_->Create("docker/registry/v2/x/tree/a", "1");
  store_->Create("docker/registry/v2/x/tree/sub/b", "2");
  std::vector<Status> results;
  store_->MoveTrees({{"docker/registry/v2/x/tree", "docker/registry/q/tree"},
                     {"docker/registry/v2/x/none", "docker/registry/q/none"}},
                    &results);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsNotFound()) << results[1].ToString();
  std::string bytes;
  EXPECT_TRUE(store_->Read("docker/registry/q/tree/sub/b", 10, &bytes, nullptr).ok());
  EXPECT_EQ(bytes, "2");
  EXPECT_TRUE(store_->Read("docker/registry/v2/x/tree/a", 10, &bytes, nullptr)
                  .IsNotFound());
  if (!store_->capabilities().atomic_rename) return;
  store_->Create("docker/registry/v2/x/tree/a", "new");
  store_->MoveTrees({{"docker/registry/v2/x/tree", "docker/registry/q/tree"}},
                    &results);
  EXPECT_TRUE(results[0].IsAlreadyExists()) << results[0].ToString();
  EXPECT_TRUE(store_->Read("docker/registry/q/tree/a", 10, &bytes, nullptr).ok());
  EXPECT_EQ(bytes, "1");
  EXPECT_TRUE(store_->CheckMovable(layout::V2Root(), layout::QuarantineRoot()).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, QuarantineTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const auto& info) {
                           return testing::BackendName(info.param);
                         });

}  // namespace
}  // namespace regsweep
