#include "gc/collection/sweep.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

#include "gc/quarantine/quarantine_writer.h"
#include "util/clock.h"

namespace regsweep::gc {
namespace {

bool SamePrefix(const Digest& a, const Digest& b) {
  return a.algorithm() == b.algorithm() &&
         a.hex().substr(0, 2) == b.hex().substr(0, 2);
}

// [begin, end) ranges of `blobs` (sorted by digest) that share a prefix
// directory.
std::vector<std::pair<size_t, size_t>> GroupByPrefix(
    const std::vector<EligibleBlob>& blobs) {
  std::vector<std::pair<size_t, size_t>> groups;
  for (size_t i = 0; i < blobs.size();) {
    size_t j = i + 1;
    while (j < blobs.size() && SamePrefix(blobs[i].digest, blobs[j].digest)) ++j;
    groups.emplace_back(i, j);
    i = j;
  }
  return groups;
}

// Deletions go to the store in chunks of about this many trees: enough
// to fill an object store's DeleteObjects request (1000 keys), while a
// large sweep still has many chunks to run side by side.
constexpr size_t kDeleteChunk = 1000;

// [begin, end) ranges of the items 0..count-1, each of consecutive items
// whose weight(i) (trees to delete) adds up to about kDeleteChunk.
template <typename Weight>
std::vector<std::pair<size_t, size_t>> Chunks(size_t count, Weight weight) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t begin = 0, trees = 0;
  for (size_t i = 0; i < count; ++i) {
    trees += weight(i);
    if (trees >= kDeleteChunk) {
      chunks.emplace_back(begin, i + 1);
      begin = i + 1;
      trees = 0;
    }
  }
  if (begin < count) chunks.emplace_back(begin, count);
  return chunks;
}

std::vector<Digest> DigestsIn(const std::vector<EligibleBlob>& blobs,
                              std::pair<size_t, size_t> range) {
  std::vector<Digest> digests;
  for (size_t i = range.first; i < range.second; ++i) {
    digests.push_back(blobs[i].digest);
  }
  return digests;
}

// Every blob that exists (by fingerprint: a collision can only make a
// missing blob look present, which keeps its layer link) and the unmarked
// candidates.
struct BlobListing {
  std::vector<uint64_t> existing;  // sorted fingerprints
  std::vector<EligibleBlob> candidates;
  std::vector<Digest> empty_directories;  // blob directories without data
  std::atomic<bool> complete{true};  // every prefix listed without error
};

// Collects a value from many threads under one lock.
template <typename T>
class Gatherer {
 public:
  void Add(std::vector<T>&& items) {
    if (items.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    parts_.push_back(std::move(items));
  }
  // All the items, in one vector of the exact size: one that grew by
  // doubling would hold up to twice the items, and three times while it
  // moves (the eligible blobs are a million at a million blobs with -m).
  std::vector<T> Take() {
    size_t total = 0;
    for (const std::vector<T>& part : parts_) total += part.size();
    std::vector<T> all;
    all.reserve(total);
    for (std::vector<T>& part : parts_) {
      std::move(part.begin(), part.end(), std::back_inserter(all));
      std::vector<T>().swap(part);
    }
    parts_.clear();
    return all;
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<T>> parts_;
};

// What becomes of an unmarked blob.
enum class Verdict : uint8_t { kEligible, kRecent, kNoData, kOddData, kGone };

// The quarantine items of manifests[begin, end): each one's tag history
// entries, then its revision, as Registry::RemoveManifests removes them.
std::vector<storage::QuarantinedItem> ManifestItems(
    const std::vector<ManifestToDelete>& manifests, size_t begin, size_t end) {
  using Kind = storage::QuarantinedItem::Kind;
  std::vector<storage::QuarantinedItem> items;
  for (size_t i = begin; i < end; ++i) {
    const ManifestToDelete& m = manifests[i];
    for (const std::string& tag : *m.tags) {
      items.push_back({Kind::kTagIndexEntry, m.digest, m.repository, tag});
    }
    items.push_back({Kind::kRevision, m.digest, m.repository});
  }
  return items;
}

std::vector<storage::QuarantinedItem> BlobItems(
    const std::vector<EligibleBlob>& blobs, size_t begin, size_t end) {
  std::vector<storage::QuarantinedItem> items;
  for (size_t i = begin; i < end; ++i) {
    items.push_back({storage::QuarantinedItem::Kind::kBlob, blobs[i].digest, "",
                     "", blobs[i].bytes});
  }
  return items;
}

class Sweeper {
 public:
  Sweeper(const storage::Registry& registry, const GcOptions& options,
          const MarkResult& mark, const ListingOptions& listing_options,
          GcProgress* progress, SweepResult* result)
      : registry_(registry),
        options_(options),
        mark_(mark),
        listing_options_(listing_options),
        progress_(progress),
        result_(result),
        remover_(options.quarantine != nullptr
                     ? options.quarantine->Quarantining(registry)
                     : registry) {}

  void Run();

 private:
  void ListBlobs(BlobListing* listing);
  void ChooseEligible(BlobListing* listing);
  Verdict Judge(const storage::BlobInfo& info, EligibleBlob* blob) const;
  void KeepOddBlob(const Digest& digest);
  Status CheckPermissions() const;
  void DeleteManifests();
  void DeleteBlobs(const BlobListing& listing);
  void DeleteLayerLinks(const BlobListing& listing);
  void UpdateStoredListing(const Digest& any_blob,
                           const std::vector<Digest>& deleted, bool all_gone);
  bool BlobIsGone(const Digest& digest) const;
  void StartPhase(const char* name, uint64_t total) {
    if (progress_ != nullptr) progress_->Start(name, total);
  }
  void Step() {
    if (progress_ != nullptr) ++progress_->done;
  }
  bool IsRecent(int64_t mtime_ns) const {
    return options_.grace_ns > 0 &&
           mtime_ns > options_.now_ns - options_.grace_ns;
  }
  // With a quarantine, records `items` before they are moved: false (and
  // the failure reported) when the record could not be written, so the
  // batch must stay where it is.
  bool Recorded(const char* reason, std::vector<storage::QuarantinedItem> items) {
    if (options_.quarantine == nullptr) return true;
    Status s = options_.quarantine->Record(reason, std::move(items));
    if (!s.ok()) {
      Failed(Status::IOError(s.ToString(),
                             "could not record the batch, so it was not moved"));
    }
    return s.ok();
  }
  void Failed(const Status& s) {
    std::lock_guard<std::mutex> lock(errors_mu_);
    result_->errors.push_back(s);
  }
  // A cache that still lists what was removed breaks later pushes: its
  // failure is a failed deletion, reported with what to do.
  void Forget(const Status& s) {
    if (s.ok()) return;
    Failed(Status::IOError(
        s.message(), "could not forget what this run deleted; restart the "
                     "registry (or flush its cache) before the next push"));
  }

  const storage::Registry& registry_;
  const GcOptions& options_;
  const MarkResult& mark_;
  const ListingOptions& listing_options_;
  GcProgress* progress_;
  SweepResult* result_;
  // What removes: registry_ itself, or registry_ moving into the quarantine.
  const storage::Registry remover_;
  std::mutex errors_mu_;
};

void Sweeper::Run() {
  auto start = std::chrono::steady_clock::now();
  BlobListing listing;
  ListBlobs(&listing);
  ChooseEligible(&listing);
  result_->plan_seconds = SecondsSince(start);
  if (options_.dry_run) return;
  result_->denied = CheckPermissions();
  if (!result_->denied.ok()) return;
  start = std::chrono::steady_clock::now();
  DeleteManifests();
  result_->delete_manifests_seconds = SecondsSince(start);
  auto step = std::chrono::steady_clock::now();
  DeleteBlobs(listing);
  result_->delete_blobs_seconds = SecondsSince(step);
  step = std::chrono::steady_clock::now();
  // Without a complete listing a blob may exist that we did not see: its
  // layer links must stay.
  if (listing.complete) DeleteLayerLinks(listing);
  result_->delete_layer_links_seconds = SecondsSince(step);
  result_->delete_seconds = SecondsSince(start);
}

void Sweeper::ListBlobs(BlobListing* listing) {
  std::vector<storage::BlobPrefix> prefixes;
  std::vector<storage::StoreProblem> problems;
  Status s = registry_.ListBlobPrefixes(&prefixes, &problems);
  if (!s.ok()) {
    Failed(s);  // fewer candidates: cannot delete anything wrong
    listing->complete = false;
  }
  StartPhase("list blobs", prefixes.size());
  Gatherer<uint64_t> existing;
  Gatherer<EligibleBlob> candidates;
  Gatherer<storage::StoreProblem> more_problems;
  // Which blobs exist matters only to the deletion of layer links.
  const bool keep_existing = !options_.dry_run;
  std::atomic<uint64_t> reused_count{0};
  std::atomic<uint64_t> extended_count{0};
  std::atomic<uint64_t> listed_count{0};
  tbb::parallel_for(size_t{0}, prefixes.size(), [&](size_t i) {
    PrefixBlobs blobs;
    std::vector<storage::BlobInfo> data;  // what the listing said, if any
    std::vector<storage::StoreProblem> found;
    ListingSource source = ListingSource::kListed;
    Status listed = ListPrefix(registry_, prefixes[i], listing_options_,
                               &blobs, &found, &source, &data);
    if (!listed.ok()) {
      Failed(listed);
      listing->complete = false;
    }
    std::vector<uint64_t> fingerprints;
    std::vector<EligibleBlob> unmarked;
    for (size_t k = 0; k < blobs.size(); ++k) {
      uint64_t fingerprint = blobs.fingerprint(k);
      if (keep_existing) fingerprints.push_back(fingerprint);
      if (mark_.marked.ContainsFingerprint(fingerprint)) continue;
      EligibleBlob blob{blobs.digest(k), 0};
      if (k < data.size() && data[k].has_data) {
        blob.bytes = data[k].size;
        blob.mtime_ns = data[k].mtime_ns;
        blob.listed = true;
      }
      unmarked.push_back(std::move(blob));
    }
    if (source != ListingSource::kListed) ++reused_count;
    if (source == ListingSource::kStoredPlusLinked) ++extended_count;
    listed_count += blobs.size();
    existing.Add(std::move(fingerprints));
    candidates.Add(std::move(unmarked));
    more_problems.Add(std::move(found));
    Step();
  });
  result_->prefixes_reused = reused_count;
  result_->prefixes_extended = extended_count;
  result_->blobs_listed = listed_count;
  listing->existing = existing.Take();
  std::sort(listing->existing.begin(), listing->existing.end());
  listing->candidates = candidates.Take();
  for (const auto& p : problems) {
    result_->problems.push_back(Problem{ProblemKind::kUnexpectedEntry, p.path,
                                        "", "", p.detail});
  }
  for (auto& p : more_problems.Take()) {
    result_->problems.push_back(Problem{ProblemKind::kUnexpectedEntry,
                                        std::move(p.path), "", "",
                                        std::move(p.detail)});
  }
}

// The size (for the report) and time (for the grace period) of every
// unmarked blob: from the listing where it gave them, else by a stat.
void Sweeper::ChooseEligible(BlobListing* listing) {
  std::vector<EligibleBlob>& candidates = listing->candidates;
  StartPhase("check candidates", candidates.size());
  std::vector<Verdict> verdicts(candidates.size(), Verdict::kGone);
  std::sort(candidates.begin(), candidates.end(),
            [](const EligibleBlob& a, const EligibleBlob& b) {
              return a.digest < b.digest;
            });
  // A prefix directory at a time, those the listing did not describe are
  // looked up.
  std::vector<std::pair<size_t, size_t>> groups = GroupByPrefix(candidates);
  tbb::parallel_for(size_t{0}, groups.size(), [&](size_t g) {
    auto [begin, end] = groups[g];
    std::vector<Digest> unknown;
    std::vector<size_t> unknown_at;  // their positions in candidates
    for (size_t i = begin; i < end; ++i) {
      EligibleBlob& blob = candidates[i];
      if (blob.listed) {
        verdicts[i] = Judge({true, false, blob.bytes, blob.mtime_ns}, &blob);
        Step();
      } else {
        unknown.push_back(blob.digest);
        unknown_at.push_back(i);
      }
    }
    if (unknown.empty()) return;
    std::vector<storage::BlobInfo> infos;
    std::vector<Status> statuses;
    registry_.StatBlobs(storage::BlobPrefix::Of(unknown.front()), unknown,
                        &infos, &statuses);
    for (size_t j = 0; j < unknown.size(); ++j) {
      Step();
      if (!statuses[j].ok()) {
        if (!statuses[j].IsNotFound()) Failed(statuses[j]);
        continue;  // vanished or unreadable: not deleted
      }
      verdicts[unknown_at[j]] = Judge(infos[j], &candidates[unknown_at[j]]);
    }
  });
  // The eligible blobs are kept in place, in their sorted order: a second
  // vector would hold as many again (30 MB at a million).
  size_t eligible = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    switch (verdicts[i]) {
      case Verdict::kEligible:
        result_->bytes_eligible += candidates[i].bytes;
        if (eligible != i) candidates[eligible] = std::move(candidates[i]);
        ++eligible;
        break;
      case Verdict::kRecent:
        ++result_->blobs_kept_by_grace;
        break;
      case Verdict::kNoData:
        listing->empty_directories.push_back(std::move(candidates[i].digest));
        break;
      case Verdict::kOddData:
        KeepOddBlob(candidates[i].digest);
        break;
      case Verdict::kGone:
        break;
    }
  }
  candidates.resize(eligible);
  result_->blobs_eligible = std::move(candidates);
  candidates.clear();
}

Verdict Sweeper::Judge(const storage::BlobInfo& info, EligibleBlob* blob) const {
  blob->bytes = info.size;
  blob->mtime_ns = info.mtime_ns;
  if (info.odd_data) return Verdict::kOddData;
  if (IsRecent(info.mtime_ns)) return Verdict::kRecent;
  return info.has_data ? Verdict::kEligible : Verdict::kNoData;
}

// An unreferenced blob whose data is a symbolic link or a directory is
// neither deleted nor left unsaid: the registry may serve it through the
// link, and removing what is not a file is not ours to decide.
void Sweeper::KeepOddBlob(const Digest& digest) {
  ++result_->blobs_kept_odd;
  result_->problems.push_back(Problem{
      ProblemKind::kUnexpectedEntry, registry_.DescribeBlobData(digest), "",
      digest.str(),
      "no manifest references this blob, but its data is not a regular file "
      "(a symbolic link or a directory): kept. Replace it with the file, or "
      "remove the blob directory by hand if nothing needs it."});
}

// Checks the directories the first few deletions of each kind would
// change. A sample, not all: a store whose permissions differ from one
// directory to the next still fails deletion by deletion, with each error
// reported, but the usual case (the wrong user, a read-only mount) gets
// one message before anything is touched.
Status Sweeper::CheckPermissions() const {
  constexpr size_t kSample = 8;
  const auto& manifests = mark_.manifests_to_delete;
  for (size_t i = 0; i < manifests.size() && i < kSample; ++i) {
    Status s = registry_.CheckCanRemoveRevision(manifests[i].repository,
                                                manifests[i].digest);
    if (!s.ok()) return s;
  }
  const auto& blobs = result_->blobs_eligible;
  for (size_t i = 0; i < blobs.size() && i < kSample; ++i) {
    Status s = registry_.CheckCanRemoveBlob(blobs[i].digest);
    if (!s.ok()) return s;
  }
  size_t checked = 0;
  for (const RepositoryLayers& repo : mark_.layer_links) {
    if (repo.layers.empty()) continue;
    Status s = registry_.CheckCanRemoveLayerLinks(repo.repository);
    if (!s.ok()) return s;
    if (++checked == kSample) break;
  }
  return Status::OK();
}

void Sweeper::DeleteManifests() {
  const auto& manifests = mark_.manifests_to_delete;
  StartPhase("delete manifests", manifests.size());
  std::atomic<uint64_t> deleted{0};
  const std::vector<std::pair<size_t, size_t>> chunks =
      Chunks(manifests.size(), [&](size_t i) {
        return 1 + manifests[i].tags->size();  // history entries, revision
      });
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
    auto [begin, end] = chunks[c];
    std::vector<storage::Registry::ManifestRemoval> removals;
    for (size_t i = begin; i < end; ++i) {
      const ManifestToDelete& m = manifests[i];
      removals.push_back({&m.repository, &m.digest, m.tags.get()});
    }
    if (!Recorded("not referenced by any tag (--delete-untagged)",
                  ManifestItems(manifests, begin, end))) {
      for (size_t i = begin; i < end; ++i) Step();
      return;
    }
    std::vector<Status> results;
    remover_.RemoveManifests(removals, &results);
    if (options_.descriptor_cache != nullptr) {
      // Consecutive manifests of one repository, forgotten together.
      for (size_t i = begin; i < end;) {
        std::vector<Digest> digests;
        size_t j = i;
        for (; j < end && manifests[j].repository == manifests[i].repository;
             ++j) {
          digests.push_back(manifests[j].digest);
        }
        Forget(options_.descriptor_cache->ForgetLinks(manifests[i].repository,
                                                      digests));
        i = j;
      }
    }
    for (const Status& s : results) {
      if (s.ok()) {
        ++deleted;
      } else {
        Failed(s);
      }
      Step();
    }
  });
  result_->manifests_deleted = deleted;
}

// Blobs are deleted many prefix directories at a time (the eligible list
// is sorted, so each prefix's blobs are contiguous): a filesystem opens
// each directory once for all its blobs, an object store fills each
// DeleteObjects request across directories.
void Sweeper::DeleteBlobs(const BlobListing& listing) {
  const auto& blobs = result_->blobs_eligible;
  const std::vector<std::pair<size_t, size_t>> groups = GroupByPrefix(blobs);
  StartPhase("delete blobs", blobs.size());
  std::atomic<uint64_t> deleted{0};
  std::atomic<uint64_t> bytes{0};
  const std::vector<std::pair<size_t, size_t>> chunks =
      Chunks(groups.size(), [&](size_t g) {
        return groups[g].second - groups[g].first;
      });
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
    const size_t begin = groups[chunks[c].first].first;
    const size_t end = groups[chunks[c].second - 1].second;
    if (!Recorded("no kept manifest references it",
                  BlobItems(blobs, begin, end))) {
      for (size_t i = begin; i < end; ++i) Step();
      return;
    }
    std::vector<Status> results;
    remover_.RemoveBlobsAnywhere(DigestsIn(blobs, {begin, end}), &results);
    if (options_.descriptor_cache != nullptr) {
      Forget(options_.descriptor_cache->ForgetBlobs(
          DigestsIn(blobs, {begin, end})));
    }
    for (size_t g = chunks[c].first; g < chunks[c].second; ++g) {
      bool all_gone = true;
      for (size_t i = groups[g].first; i < groups[g].second; ++i) {
        const Status& s = results[i - begin];
        if (s.ok()) {
          ++deleted;
          bytes += blobs[i].bytes;
        } else {
          all_gone = false;
          Failed(s);
        }
        Step();
      }
      UpdateStoredListing(blobs[groups[g].first].digest,
                          DigestsIn(blobs, groups[g]), all_gone);
    }
  });
  // Directories an interrupted run left without data finish going now.
  std::vector<storage::QuarantinedItem> empty_items;
  for (const Digest& digest : listing.empty_directories) {
    empty_items.push_back({storage::QuarantinedItem::Kind::kBlob, digest});
  }
  const bool empty_recorded = Recorded(
      "a blob directory without data (left by an interrupted run)",
      std::move(empty_items));
  for (const Digest& digest : listing.empty_directories) {
    if (!empty_recorded) break;
    Status s = remover_.RemoveBlob(digest);
    if (!s.ok()) Failed(s);
    UpdateStoredListing(digest, {}, /*all_gone=*/false);
  }
  if (options_.descriptor_cache != nullptr &&
      !listing.empty_directories.empty()) {
    Forget(options_.descriptor_cache->ForgetBlobs(listing.empty_directories));
  }
  result_->blobs_deleted = deleted;
  result_->bytes_deleted = bytes;
}

// Takes what the sweep deleted out of the index's listing of the prefix of
// `any_blob`, so that the next pass need not list it (gc/incremental/blob_listing.h).
void Sweeper::UpdateStoredListing(const Digest& any_blob,
                                  const std::vector<Digest>& deleted,
                                  bool all_gone) {
  if (listing_options_.index == nullptr) return;
  Status s = ForgetDeletedBlobs(listing_options_.index,
                                storage::BlobPrefix::Of(any_blob), deleted,
                                all_gone);
  if (!s.ok()) Failed(s);
}

// Whether a layer link's blob is surely gone: a listing taken partly from
// the index (gc/incremental/blob_listing.h) may miss a blob, so one it lacks is looked
// up before its link goes.
bool Sweeper::BlobIsGone(const Digest& digest) const {
  storage::BlobInfo info;
  return registry_.StatBlob(digest, &info).IsNotFound();
}

void Sweeper::DeleteLayerLinks(const BlobListing& listing) {
  // Exact digests here: a fingerprint collision must not cost a kept blob
  // its layer link.
  const auto& deleted = result_->blobs_eligible;
  auto was_deleted = [&](const Digest& d) {
    return std::binary_search(
        deleted.begin(), deleted.end(), EligibleBlob{d, 0},
        [](const EligibleBlob& a, const EligibleBlob& b) {
          return a.digest < b.digest;
        });
  };
  auto exists = [&](const Digest& d) {
    return std::binary_search(listing.existing.begin(), listing.existing.end(),
                              d.Fingerprint());
  };
  StartPhase("delete layer links", mark_.layer_links.size());
  const auto& repositories = mark_.layer_links;
  std::vector<std::vector<Digest>> dangling(repositories.size());
  tbb::parallel_for(size_t{0}, repositories.size(), [&](size_t i) {
    for (const Digest& layer : repositories[i].layers) {
      if (was_deleted(layer) || (!exists(layer) && BlobIsGone(layer))) {
        dangling[i].push_back(layer);
      }
    }
  });
  std::atomic<uint64_t> removed{0};
  const std::vector<std::pair<size_t, size_t>> chunks = Chunks(
      repositories.size(), [&](size_t i) { return dangling[i].size(); });
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
    std::vector<storage::Registry::LayerLinkSet> sets;
    for (size_t i = chunks[c].first; i < chunks[c].second; ++i) {
      sets.push_back({&repositories[i].repository, &dangling[i]});
    }
    std::vector<storage::QuarantinedItem> items;
    for (size_t i = chunks[c].first; i < chunks[c].second; ++i) {
      for (const Digest& layer : dangling[i]) {
        items.push_back({storage::QuarantinedItem::Kind::kLayerLink, layer,
                         repositories[i].repository});
      }
    }
    if (!Recorded("its blob is not in the store", std::move(items))) {
      for (size_t i = chunks[c].first; i < chunks[c].second; ++i) Step();
      return;
    }
    std::vector<std::vector<Status>> results;
    remover_.RemoveLayerLinkSets(sets, &results);
    for (size_t i = chunks[c].first;
         options_.descriptor_cache != nullptr && i < chunks[c].second; ++i) {
      Forget(options_.descriptor_cache->ForgetLinks(repositories[i].repository,
                                                    dangling[i]));
    }
    for (const std::vector<Status>& repository : results) {
      for (const Status& s : repository) {
        if (s.ok()) {
          ++removed;
        } else {
          Failed(s);
        }
      }
      Step();
    }
  });
  result_->layer_links_deleted = removed;
}

}  // namespace

void Sweep(const storage::Registry& registry, const GcOptions& options,
           const MarkResult& mark, const ListingOptions& listing,
           GcProgress* progress, SweepResult* result) {
  Sweeper(registry, options, mark, listing, progress, result).Run();
}

}  // namespace regsweep::gc
