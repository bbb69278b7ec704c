#include "gc/collection/collector.h"

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "gc/incremental/change_stamp.h"
#include "gc/collection/mark.h"
#include "gc/collection/sweep.h"
#include "gc/quarantine/quarantine_catalog.h"
#include "gc/quarantine/quarantine_writer.h"
#include "index/ref_index.h"
#include "storage/quarantine.h"
#include "storage/registry.h"
#include "util/clock.h"

namespace regsweep::gc {
namespace {

// Before a sweep that deletes manifests: which tag histories name each one
// (ManifestEligible::tag_history), one listing per tag of each repository
// with a manifest to delete, repositories in parallel. The report's
// manifests are the mark's, in the same order (per repository, together).
// A history that cannot be listed names nothing: the sweep deletes the
// entries all the same, this only says which there were.
void RecordTagHistory(const storage::Registry& registry,
                      const MarkResult& mark, GcReport* report) {
  auto& eligible = report->manifests_eligible;
  std::vector<std::pair<size_t, size_t>> groups;  // [begin, end) per repository
  for (size_t i = 0; i < eligible.size();) {
    size_t end = i + 1;
    while (end < eligible.size() &&
           eligible[end].repository == eligible[i].repository) {
      ++end;
    }
    groups.emplace_back(i, end);
    i = end;
  }
  tbb::parallel_for(size_t{0}, groups.size(), [&](size_t g) {
    auto [begin, end] = groups[g];
    std::vector<std::pair<Digest, size_t>> digests;  // sorted, to look up
    for (size_t i = begin; i < end; ++i) digests.emplace_back(eligible[i].digest, i);
    std::sort(digests.begin(), digests.end());
    const std::string& repository = eligible[begin].repository;
    std::vector<Digest> history;
    for (const std::string& tag : *mark.manifests_to_delete[begin].tags) {
      if (!registry.ListTagHistory(repository, tag, &history).ok()) continue;
      for (const Digest& d : history) {
        auto it = std::lower_bound(
            digests.begin(), digests.end(), d,
            [](const std::pair<Digest, size_t>& a, const Digest& b) {
              return a.first < b;
            });
        if (it != digests.end() && it->first == d) {
          eligible[it->second].tag_history.push_back(tag);
        }
      }
    }
  });
}

// A sweep that deletes nothing never reads the mark's manifests to delete:
// they are moved into the report, not copied (30 MB at a million blobs
// with -m).
void FillFromMark(const storage::Registry& registry, MarkResult* mark,
                  bool sweep_deletes, GcReport* report) {
  report->repositories = mark->repositories;
  report->repositories_reread = mark->repositories_reread;
  report->manifests_read = mark->manifests_read;
  report->manifests_recalled = mark->manifests_recalled;
  report->blobs_marked = mark->marked.size();
  report->manifests_eligible.reserve(mark->manifests_to_delete.size());
  for (ManifestToDelete& m : mark->manifests_to_delete) {
    if (sweep_deletes) {
      report->manifests_eligible.push_back(
          ManifestEligible{m.repository, m.digest, {}});
    } else {
      report->manifests_eligible.push_back(
          ManifestEligible{std::move(m.repository), std::move(m.digest), {}});
    }
  }
  if (sweep_deletes && report->options.record_tag_history) {
    RecordTagHistory(registry, *mark, report);
  }
  if (!sweep_deletes) std::vector<ManifestToDelete>().swap(mark->manifests_to_delete);
  report->problems = std::move(mark->problems);
  for (const Status& s : mark->fatal) report->fatal.push_back(s.ToString());
}

// A refused run names nothing as eligible: what it could not read may
// reference any blob or manifest, and a script that acts on the lists
// without looking at `fatal` must not be misled.
void RefuseEligible(SweepResult* sweep, GcReport* report) {
  std::vector<EligibleBlob>().swap(sweep->blobs_eligible);
  sweep->bytes_eligible = 0;
  std::vector<ManifestEligible>().swap(report->manifests_eligible);
}

void FillFromSweep(SweepResult* sweep, GcReport* report) {
  std::move(sweep->problems.begin(), sweep->problems.end(),
            std::back_inserter(report->problems));
  sweep->problems.clear();
  report->phases.emplace_back("plan", sweep->plan_seconds);
  if (!report->options.dry_run) {
    report->phases.emplace_back("delete", sweep->delete_seconds);
    report->phases.emplace_back("delete_manifests",
                                sweep->delete_manifests_seconds);
    report->phases.emplace_back("delete_blobs", sweep->delete_blobs_seconds);
    report->phases.emplace_back("delete_layer_links",
                                sweep->delete_layer_links_seconds);
  }
  report->sweep = std::move(*sweep);
}

// A real run reads what every quarantine holds (to rescue and to purge)
// and, when it quarantines, checks that its moves can be made at all:
// otherwise it stops before the mark, with nothing changed.
Status PrepareQuarantine(const storage::Quarantine& quarantine,
                         const GcOptions& options,
                         std::vector<QuarantinedRun>* runs, GcReport* report) {
  if (options.quarantine != nullptr) {
    report->quarantine.run = options.quarantine->run();
    Status s = quarantine.CheckUsable();
    if (!s.ok()) {
      return Status::NotSupported(
          s.ToString(),
          "so what this run removes cannot be quarantined; put "
          "docker/registry/regsweep on the same filesystem, or delete at "
          "once with --quarantine-for 0");
    }
  }
  Status s = ReadQuarantineCatalog(quarantine, /*keep_items=*/true, runs);
  // This run's own (tag rm --then-gc records its tags first) is neither
  // purged nor rescued from.
  std::erase_if(*runs, [&](const QuarantinedRun& run) {
    return run.run == report->quarantine.run;
  });
  if (!s.ok()) {
    // Nothing in the registry depends on it: the run goes on, rescuing
    // and purging nothing.
    report->warnings.push_back("cannot read the quarantines (" + s.ToString() +
                               "): none is purged or rescued from this run");
  }
  return Status::OK();
}

// Purges the quarantines old enough (never this run's: it is not among
// `runs`, read before it began) and counts what is held afterwards.
void FinishQuarantine(const storage::Quarantine& quarantine,
                      const std::vector<QuarantinedRun>& runs,
                      GcReport* report) {
  const GcOptions& options = report->options;
  QuarantineReport& q = report->quarantine;
  if (report->fatal.empty()) {
    PurgeExpired(quarantine, runs, options.now_ns - options.quarantine_for_ns,
                 &q.purged);
  }
  for (const QuarantinedRun& run : runs) {
    if (std::find(q.purged.purged.begin(), q.purged.purged.end(), run.run) !=
        q.purged.purged.end()) {
      continue;
    }
    ++q.runs_held;
    q.bytes_held += run.bytes;
  }
  q.bytes_held -= std::min(q.bytes_held, q.rescued.bytes_restored);
  if (!q.run.empty() && report->sweep.blobs_deleted +
                                report->sweep.manifests_deleted +
                                report->sweep.layer_links_deleted > 0) {
    ++q.runs_held;
    q.bytes_held += report->sweep.bytes_deleted;
  }
}

Status RunPhases(storage::Store* store, index::RefIndex* index,
                 GcProgress* progress, GcReport* report) {
  const GcOptions& options = report->options;
  storage::Registry registry(store);
  Status s = registry.CheckLayout();
  if (s.IsIOError()) {
    // The store did not answer (after the backend's retries): a refused
    // run, reported as such, not a run that could not start (that is for
    // what is no registry store).
    report->fatal.push_back(s.ToString());
    return Status::OK();
  }
  if (!s.ok()) return s;

  storage::Quarantine quarantine(store);
  std::vector<QuarantinedRun> quarantined;
  if (!options.dry_run) {
    s = PrepareQuarantine(quarantine, options, &quarantined, report);
    if (!s.ok()) {
      report->fatal.push_back(s.ToString());
      return Status::OK();
    }
  }

  auto start = std::chrono::steady_clock::now();
  MarkResult mark;
  Mark(registry, options, index, report->pass == PassKind::kIncremental, progress,
       &mark);
  report->phases.emplace_back("mark", SecondsSince(start));
  GcOptions sweep_options = options;
  if (!mark.fatal.empty()) {
    // Something may be referenced that we could not see: delete nothing.
    // The sweep still lists the blobs, for the problems it finds there.
    sweep_options.dry_run = true;
  }
  FillFromMark(registry, &mark, !sweep_options.dry_run, report);

  if (!sweep_options.dry_run && !quarantined.empty()) {
    auto rescue_start = std::chrono::steady_clock::now();
    RescueNeeded(quarantine, registry, quarantined,
                 [&](const Digest& d) { return mark.marked.Contains(d); },
                 &report->quarantine.rescued);
    report->phases.emplace_back("rescue", SecondsSince(rescue_start));
  }

  SweepResult sweep;
  LinkedBlobs linked;
  for (Digest& digest : mark.linked_by_reread) {
    std::string key = storage::BlobPrefix::Of(digest).Key();
    linked[key].push_back(std::move(digest));
  }
  // The pass's one "now" (options.now_ns) bounds what a stamp may trust,
  // as it bounds grace: mark and sweep agree on it.
  ListingOptions listing{index, report->pass == PassKind::kIncremental,
                         StampTrust{registry.capabilities(),
                                    options.now_ns - kRacyMargin},
                         &linked};
  Sweep(registry, sweep_options, mark, listing, progress, &sweep);
  if (!mark.fatal.empty()) RefuseEligible(&sweep, report);
  FillFromSweep(&sweep, report);
  if (!sweep_options.dry_run) FinishQuarantine(quarantine, quarantined, report);
  if (index != nullptr && report->fatal.empty()) {
    s = index->Flush();  // the pass's writes first, then the mark that says so
    if (s.ok()) s = index->SetMeta("last_pass", PassKindName(report->pass));
    if (s.ok()) s = index->SetMeta("last_pass_time", std::to_string(options.now_ns));
    if (s.ok()) {
      s = index->SetMeta("last_pass_blobs",
                         std::to_string(report->sweep.blobs_listed));
    }
    if (s.ok()) s = index->SetMeta("pass_state", "complete");
    if (s.ok()) s = index->Flush();
    if (!s.ok()) report->sweep.errors.push_back(s);
  }
  return Status::OK();
}

// Opens the index; a damaged one, or one of another format, is moved aside
// and replaced by a new one (the pass is then full). Another process holding
// the index is an error.
Status OpenIndex(const std::string& dir, std::unique_ptr<index::RefIndex>* index,
                 GcReport* report) {
  Status s = index::RefIndex::Open(dir, index);
  if (s.ok()) return s;
  if (s.IsBusy()) {
    return Status::IOError(dir, "the index is in use by another regsweep "
                                "process: " + s.message());
  }
  std::string aside = dir + ".broken-" + std::to_string(NowNs() / 1000000000);
  if (std::rename(dir.c_str(), aside.c_str()) != 0) return s;
  report->warnings.push_back("index " + dir + " could not be used (" +
                             s.message() + "); moved it to " + aside +
                             " and started a new one: this pass is full");
  return index::RefIndex::Open(dir, index);
}

// Decides whether this pass may reuse the index (report->pass) and marks
// the index as being written.
Status PrepareIndex(storage::Store* store, const GcOptions& options,
                    index::RefIndex* index, GcReport* report) {
  std::string identity = store->Identity();
  std::string stored_identity, state;
  Status s = index->GetMeta("store_identity", &stored_identity);
  bool known = s.ok();
  if (!s.ok() && !s.IsNotFound()) return s;
  s = index->GetMeta("pass_state", &state);
  if (!s.ok() && !s.IsNotFound()) return s;
  report->pass = PassKind::kFull;
  if (known && stored_identity != identity) {
    report->warnings.push_back("the index belongs to another store (" +
                               stored_identity + "); starting it over: this "
                               "pass is full");
    std::vector<std::string> names;
    s = index->ListRepositories(&names);
    for (size_t i = 0; s.ok() && i < names.size(); ++i) {
      s = index->DeleteRepository(names[i]);
    }
    if (s.ok()) s = index->DropCarriedState();
    if (!s.ok()) return s;
  } else if (identity.empty()) {
    report->warnings.push_back("the store cannot say which store it is, so "
                               "the index cannot be trusted to be its own: "
                               "this pass is full");
  } else if (known && state == "running") {
    report->warnings.push_back("the previous pass with this index did not "
                               "finish: this pass is full");
  } else if (known && state == "complete" && !options.full) {
    report->pass = PassKind::kIncremental;
  }
  s = index->SetMeta("pass_state", "running");
  if (s.ok()) s = index->SetMeta("store_identity", identity);
  if (s.ok()) s = index->Flush();
  return s;
}

}  // namespace

const char* PassKindName(PassKind kind) {
  return kind == PassKind::kIncremental ? "incremental" : "full";
}

Status RunGc(storage::Store* store, const GcOptions& options,
             GcProgress* progress, GcReport* report) {
  report->options = options;
  report->started_at_ns = NowNs();
  report->store = store->Describe("");
  if (report->options.now_ns == 0) report->options.now_ns = report->started_at_ns;

  std::unique_ptr<index::RefIndex> index;
  report->pass = PassKind::kFull;
  if (!options.index_dir.empty()) {
    Status s = OpenIndex(options.index_dir, &index, report);
    if (s.ok()) s = PrepareIndex(store, options, index.get(), report);
    if (!s.ok()) return s;
  }

  // More threads than cores by default: deletes and reads on a cold cache
  // wait on the disk, and the I/Os in flight decide the time, not the core
  // count (measured: a sweep of 73k blobs took 19.1 s with 2 threads and
  // 5.4 s with 16 on 2 cores; a warm dry run takes the same with either).
  // On an object store as many as it keeps requests in flight: each
  // thread mostly waits on a round trip.
  int jobs = options.jobs > 0
                 ? options.jobs
                 : std::max({16, 2 * tbb::this_task_arena::max_concurrency(),
                             store->capabilities().calls_in_flight});
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(jobs));
  tbb::task_arena arena(jobs);
  Status result;
  arena.execute(
      [&] { result = RunPhases(store, index.get(), progress, report); });
  if (result.ok()) report->finished_at_ns = NowNs();
  return result;
}

}  // namespace regsweep::gc
