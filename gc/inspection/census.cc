#include "gc/inspection/census.h"

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "gc/collection/manifest.h"
#include "index/memory_ref_index.h"
#include "util/clock.h"

namespace regsweep::gc {
namespace {

Problem Unexpected(storage::StoreProblem&& problem) {
  return Problem{ProblemKind::kUnexpectedEntry, std::move(problem.path), "",
                 "", std::move(problem.detail)};
}

// Lists every blob directory and stats it, in parallel over prefixes.
void ListAndStatBlobs(const storage::Registry& registry, GcProgress* progress,
                      Census* census) {
  std::vector<storage::BlobPrefix> prefixes;
  std::vector<storage::StoreProblem> problems;
  Status s = registry.ListBlobPrefixes(&prefixes, &problems);
  if (!s.ok()) census->errors.push_back(s);
  for (auto& p : problems) census->problems.push_back(Unexpected(std::move(p)));
  if (progress != nullptr) progress->Start("list blobs", prefixes.size());
  std::mutex mu;
  tbb::parallel_for(size_t{0}, prefixes.size(), [&](size_t i) {
    std::vector<Digest> digests;
    std::vector<storage::StoreProblem> found;
    std::vector<Status> errors;
    Status listed = registry.ListBlobs(prefixes[i], &digests, &found);
    if (!listed.ok()) errors.push_back(listed);
    std::vector<storage::BlobInfo> infos;
    std::vector<Status> statuses;
    registry.StatBlobs(prefixes[i], digests, &infos, &statuses);
    std::vector<BlobRecord> blobs;
    blobs.reserve(digests.size());
    for (size_t k = 0; k < digests.size(); ++k) {
      if (statuses[k].IsNotFound()) continue;  // gone since the listing
      if (!statuses[k].ok()) {
        errors.push_back(statuses[k]);
        continue;
      }
      const storage::BlobInfo& info = infos[k];
      if (info.odd_data) {
        found.push_back(storage::StoreProblem{
            registry.DescribeBlobData(digests[k]),
            "blob data is not a regular file (a symbolic link or a "
            "directory): regsweep neither reads nor deletes it"});
      }
      blobs.push_back(BlobRecord{std::move(digests[k]), info.has_data,
                                 info.size, info.mtime_ns});
    }
    std::lock_guard<std::mutex> lock(mu);
    std::move(blobs.begin(), blobs.end(), std::back_inserter(census->blobs));
    for (auto& p : found) census->problems.push_back(Unexpected(std::move(p)));
    std::move(errors.begin(), errors.end(), std::back_inserter(census->errors));
    if (progress != nullptr) ++progress->done;
  });
  std::sort(census->blobs.begin(), census->blobs.end(),
            [](const BlobRecord& a, const BlobRecord& b) {
              return a.digest < b.digest;
            });
}

}  // namespace

const BlobRecord* Census::Find(const Digest& digest) const {
  auto it = std::lower_bound(blobs.begin(), blobs.end(), digest,
                             [](const BlobRecord& blob, const Digest& d) {
                               return blob.digest < d;
                             });
  if (it == blobs.end() || it->digest != digest) return nullptr;
  return &*it;
}

Status OpenIndex(const std::string& dir,
                 std::unique_ptr<index::RefIndex>* index) {
  if (dir.empty()) {
    *index = index::NewMemoryRefIndex();
    return Status::OK();
  }
  return index::RefIndex::Open(dir, index);
}

Status MarkIntoIndex(const storage::Registry& registry, index::RefIndex* index,
                     GcProgress* progress, MarkResult* mark) {
  Status s = index->SetMeta("pass_state", "running");
  if (!s.ok()) return s;
  GcOptions options;  // default mode: every revision is a root
  options.dry_run = true;
  options.now_ns = NowNs();
  Mark(registry, options, index, /*reuse_index=*/false, progress, mark);
  if (!mark->fatal.empty()) return Status::OK();
  s = index->SetMeta("pass_state", "complete");
  if (s.ok()) s = index->Flush();
  return s;
}

Status TakeCensus(const storage::Registry& registry, index::RefIndex* index,
                  GcProgress* progress, Census* census) {
  Status s = registry.CheckLayout();
  if (!s.ok()) return s;
  auto start = std::chrono::steady_clock::now();
  s = MarkIntoIndex(registry, index, progress, &census->mark);
  if (!s.ok()) return s;
  census->mark_seconds = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  ListAndStatBlobs(registry, progress, census);
  std::vector<storage::StoreProblem> ignored;  // the mark reported them
  s = registry.ListRepositories(&census->repositories, &ignored);
  if (!s.ok()) census->errors.push_back(s);
  census->blobs_seconds = SecondsSince(start);
  return Status::OK();
}

void RunWithJobs(int jobs, const std::function<void()>& body) {
  if (jobs <= 0) {
    jobs = std::max(16, 2 * tbb::this_task_arena::max_concurrency());
  }
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(jobs));
  tbb::task_arena arena(jobs);
  arena.execute(body);
}

std::string_view EdgeRoleName(uint8_t role) {
  switch (static_cast<ReferenceRole>(role & kEdgeRoleMask)) {
    case ReferenceRole::kConfig:
      return "config";
    case ReferenceRole::kLayer:
      return "layer";
    case ReferenceRole::kChild:
      return "manifest";
    case ReferenceRole::kBlob:
      return "blob";
  }
  return "blob";
}

}  // namespace regsweep::gc
