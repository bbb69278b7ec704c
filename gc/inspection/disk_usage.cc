#include "gc/inspection/disk_usage.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>

#include "gc/inspection/census.h"
#include "gc/quarantine/quarantine_catalog.h"
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace regsweep::gc {
namespace {

class Measurer {
 public:
  Measurer(storage::Store* store, const DiskUsageOptions& options,
           GcProgress* progress, DiskUsageReport* report)
      : registry_(store),
        options_(options),
        progress_(progress),
        report_(report) {}

  Status Run();

 private:
  Status CollectReferences();
  void CountPerRepository();
  void CountTotals();

  storage::Registry registry_;
  const DiskUsageOptions& options_;
  GcProgress* progress_;
  DiskUsageReport* report_;
  std::unique_ptr<index::RefIndex> index_;
  Census census_;
  // Per repository (census_.repositories order): indexes into
  // census_.blobs of the blobs it references, sorted, distinct.
  std::vector<std::vector<uint32_t>> references_;
  // Per blob: how many repositories reference it.
  std::unique_ptr<std::atomic<uint32_t>[]> repositories_of_;
};

Status Measurer::Run() {
  Status s = OpenIndex(options_.index_dir, &index_);
  if (s.ok()) s = TakeCensus(registry_, index_.get(), progress_, &census_);
  if (!s.ok()) return s;
  report_->phases.emplace_back("mark", census_.mark_seconds);
  report_->phases.emplace_back("blobs", census_.blobs_seconds);
  for (const Status& fatal : census_.mark.fatal) {
    report_->warnings.push_back(fatal.message() +
                                ": could not be read; what it references is "
                                "unknown, and gc would delete nothing");
  }
  for (const Status& error : census_.errors) {
    report_->warnings.push_back(error.message() +
                                ": could not be listed; blobs may be missing "
                                "from the figures");
  }
  auto start = std::chrono::steady_clock::now();
  s = CollectReferences();
  if (!s.ok()) return s;
  CountPerRepository();
  CountTotals();
  report_->phases.emplace_back(
      "count", std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count());
  return Status::OK();
}

Status Measurer::CollectReferences() {
  const std::vector<std::string>& names = census_.repositories;
  references_.resize(names.size());
  report_->repositories.resize(names.size());
  std::mutex mu;
  std::set<Digest> missing;
  Status failed;
  tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
    RepositoryUsage& usage = report_->repositories[i];
    usage.repository = names[i];
    index::RepositorySnapshot snapshot;
    Status s = index_->GetRepository(names[i], &snapshot);
    if (s.IsNotFound()) return;  // the mark could not finish it (warned)
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      failed = s;
      return;
    }
    usage.manifests = snapshot.manifests.size();
    usage.tags = snapshot.tags.size();
    std::vector<uint32_t>& refs = references_[i];
    std::vector<Digest> absent;
    auto add = [&](const Digest& digest) {
      const BlobRecord* blob = census_.Find(digest);
      if (blob != nullptr && blob->has_data) {
        refs.push_back(static_cast<uint32_t>(blob - census_.blobs.data()));
      } else {
        absent.push_back(digest);
      }
    };
    for (const index::ManifestRecord& m : snapshot.manifests) {
      add(m.digest);
      for (const index::EdgeRecord& edge : m.edges) {
        if (!IsReference(edge.role)) continue;  // a referrer's subject
        // A foreign layer the store does not hold takes no space here.
        if (EdgeHasUrls(edge.role) && !census_.HasData(edge.child)) continue;
        add(edge.child);
      }
    }
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    std::lock_guard<std::mutex> lock(mu);
    missing.insert(absent.begin(), absent.end());
  });
  report_->missing_blobs = missing.size();
  return failed;
}

void Measurer::CountPerRepository() {
  const size_t blobs = census_.blobs.size();
  repositories_of_ = std::make_unique<std::atomic<uint32_t>[]>(blobs);
  tbb::parallel_for(size_t{0}, references_.size(), [&](size_t i) {
    for (uint32_t b : references_[i]) {
      repositories_of_[b].fetch_add(1, std::memory_order_relaxed);
    }
  });
  tbb::parallel_for(size_t{0}, references_.size(), [&](size_t i) {
    RepositoryUsage& usage = report_->repositories[i];
    for (uint32_t b : references_[i]) {
      uint64_t size = census_.blobs[b].size;
      ++usage.blobs;
      usage.bytes += size;
      if (repositories_of_[b].load(std::memory_order_relaxed) == 1) {
        ++usage.unique_blobs;
        usage.unique_bytes += size;
      } else {
        ++usage.shared_blobs;
        usage.shared_bytes += size;
      }
    }
  });
  std::sort(report_->repositories.begin(), report_->repositories.end(),
            [](const RepositoryUsage& a, const RepositoryUsage& b) {
              return std::tie(b.unique_bytes, a.repository) <
                     std::tie(a.unique_bytes, b.repository);
            });
}

void Measurer::CountTotals() {
  const bool can_reclaim = census_.mark.fatal.empty();
  const int64_t now = options_.now_ns;
  for (size_t b = 0; b < census_.blobs.size(); ++b) {
    const BlobRecord& blob = census_.blobs[b];
    if (!blob.has_data) continue;
    ++report_->blobs;
    report_->bytes += blob.size;
    if (repositories_of_[b].load(std::memory_order_relaxed) > 0) {
      ++report_->referenced_blobs;
      report_->referenced_bytes += blob.size;
    }
    if (!can_reclaim || census_.mark.marked.Contains(blob.digest)) continue;
    if (options_.grace_ns > 0 && blob.mtime_ns > now - options_.grace_ns) {
      ++report_->grace_blobs;
      report_->grace_bytes += blob.size;
    } else {
      ++report_->reclaimable_blobs;
      report_->reclaimable_bytes += blob.size;
    }
  }
}

}  // namespace

// From the runs' records: the space is what their blobs held when moved.
static void MeasureQuarantines(storage::Store* store, DiskUsageReport* report) {
  std::vector<QuarantinedRun> runs;
  Status s = ReadQuarantineCatalog(storage::Quarantine(store), false, &runs);
  if (!s.ok()) {
    report->warnings.push_back("cannot read the quarantines: " + s.ToString());
  }
  for (const QuarantinedRun& run : runs) {
    if (!run.readable.ok()) {
      report->warnings.push_back("quarantine " + run.run + ": " +
                                 run.readable.ToString());
    }
    ++report->quarantine_runs;
    report->quarantine_bytes += run.bytes;
  }
}

Status MeasureDiskUsage(storage::Store* store, const DiskUsageOptions& options,
                        GcProgress* progress, DiskUsageReport* report) {
  DiskUsageOptions resolved = options;
  if (resolved.now_ns == 0) resolved.now_ns = NowNs();
  report->grace_ns = resolved.grace_ns;
  Status result;
  RunWithJobs(resolved.jobs, [&] {
    result = Measurer(store, resolved, progress, report).Run();
  });
  if (result.ok()) MeasureQuarantines(store, report);
  return result;
}

std::string DiskUsageToJson(const DiskUsageReport& report) {
  JsonWriter w;
  w.BeginObject();
  w.Key("repositories");
  w.BeginArray();
  for (const RepositoryUsage& r : report.repositories) {
    w.BeginObject();
    w.Field("repository", r.repository);
    w.FieldUint("manifests", r.manifests);
    w.FieldUint("tags", r.tags);
    w.FieldUint("blobs", r.blobs);
    w.FieldUint("bytes", r.bytes);
    w.FieldUint("unique_blobs", r.unique_blobs);
    w.FieldUint("unique_bytes", r.unique_bytes);
    w.FieldUint("shared_blobs", r.shared_blobs);
    w.FieldUint("shared_bytes", r.shared_bytes);
    w.EndObject();
  }
  w.EndArray();
  w.Key("total");
  w.BeginObject();
  w.FieldUint("blobs", report.blobs);
  w.FieldUint("bytes", report.bytes);
  w.FieldUint("referenced_blobs", report.referenced_blobs);
  w.FieldUint("referenced_bytes", report.referenced_bytes);
  w.FieldUint("reclaimable_blobs", report.reclaimable_blobs);
  w.FieldUint("reclaimable_bytes", report.reclaimable_bytes);
  w.FieldUint("grace_blobs", report.grace_blobs);
  w.FieldUint("grace_bytes", report.grace_bytes);
  w.FieldUint("missing_blobs", report.missing_blobs);
  w.Key("grace_seconds");
  w.Int(report.grace_ns / 1000000000LL);
  w.FieldUint("quarantine_runs", report.quarantine_runs);
  w.FieldUint("quarantine_bytes", report.quarantine_bytes);
  w.EndObject();
  w.Key("warnings");
  w.BeginArray();
  for (const std::string& warning : report.warnings) w.String(warning);
  w.EndArray();
  w.Key("phases");
  w.BeginObject();
  for (const auto& [name, seconds] : report.phases) {
    w.Key(name);
    w.Double(seconds);
  }
  w.EndObject();
  w.EndObject();
  return w.str();
}

}  // namespace regsweep::gc
