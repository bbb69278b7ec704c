#include "tools/gen_store/generator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <vector>

#include "storage/layout.h"
#include "tools/gen_store/content.h"
#include "tools/gen_store/disk_writer.h"
#include "tools/gen_store/parallel.h"
#include "tools/gen_store/plan.h"
#include "tools/gen_store/repo_writer.h"
#include "tools/gen_store/timeline.h"
#include "util/content_hash.h"

namespace regsweep::gen_store {
namespace {

namespace layout = storage::layout;

// Layer ids handed to a thread at a time: big enough to make the shared
// counter cheap, small enough to balance two threads at the end.
constexpr size_t kLayerChunk = 256;

// ParallelFor with per-thread write stats, added to *total at the end.
Status ParallelWrite(size_t n, uint32_t threads,
                     const std::function<Status(size_t, WriteStats*)>& work,
                     WriteStats* total) {
  std::vector<WriteStats> stats(threads);
  Status s = ParallelFor(n, threads, [&](size_t item, uint32_t thread) {
    return work(item, &stats[thread]);
  });
  for (const WriteStats& st : stats) total->Add(st);
  return s;
}

// The 256 prefix directories of blobs/sha256, made up front so that each
// blob costs one mkdir (its own directory) rather than a walk. Made at
// `birth`: a prefix no blob lands in keeps that time.
Status MakeBlobPrefixes(DiskWriter* disk, int64_t birth) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    const char prefix[2] = {kHex[i >> 4], kHex[i & 0xf]};
    const std::string dir =
        layout::BlobPrefixDir("sha256", std::string_view(prefix, 2));
    Status s = disk->MakeDirs(dir);
    if (!s.ok()) return s;
    disk->NoteChange(dir, birth);
  }
  disk->NoteChange(layout::RepositoriesRoot(), birth);
  return disk->MakeDirs(layout::RepositoriesRoot());
}

Status WriteLayers(const Plan& plan, const Timeline& timeline,
                   uint32_t threads, DiskWriter* disk, LayerTable* table,
                   WriteStats* stats) {
  const size_t n = plan.layers.size();
  table->digest.resize(n);
  table->size.resize(n);
  const size_t chunks = (n + kLayerChunk - 1) / kLayerChunk;
  return ParallelWrite(
      chunks, threads,
      [&](size_t chunk, WriteStats* st) {
        const size_t end = std::min(n, (chunk + 1) * kLayerChunk);
        for (size_t id = chunk * kLayerChunk; id < end; ++id) {
          const std::string bytes =
              LayerBytes(plan.seed, static_cast<uint32_t>(id));
          table->digest[id] = Sha256Of(bytes);
          table->size[id] = static_cast<uint32_t>(bytes.size());
          Status s = disk->WriteBlob(table->digest[id], bytes,
                                     timeline.Layer(static_cast<uint32_t>(id)));
          if (!s.ok()) return s;
          ++st->blobs;
          st->bytes += bytes.size();
        }
        return Status::OK();
      },
      stats);
}

bool AnyReferrer(const Plan& plan) {
  for (const RepoPlan& repo : plan.repos) {
    for (const BuildPlan& build : repo.builds) {
      if (build.referrer != ReferrerKind::kNone) return true;
    }
  }
  return false;
}

}  // namespace

Status Generate(const Options& options, Summary* summary) {
  const auto start = std::chrono::steady_clock::now();
  const uint32_t threads = WriterThreads(options);
  std::unique_ptr<DiskWriter> disk;
  Status s = DiskWriter::Open(options.root, &disk);
  if (!s.ok()) return s;

  const Plan plan = MakePlan(options);
  const Timeline timeline(plan, options.age_days,
                          static_cast<int64_t>(std::time(nullptr)));
  s = MakeBlobPrefixes(disk.get(), timeline.Birth());
  if (!s.ok()) return s;

  WriteStats stats;
  const Digest empty_config = Sha256Of(kEmptyJson);
  if (AnyReferrer(plan)) {
    s = disk->WriteBlob(empty_config, kEmptyJson, timeline.EmptyConfig());
    if (!s.ok()) return s;
    stats.blobs += 1;
    stats.bytes += kEmptyJson.size();
  }

  LayerTable layers;
  s = WriteLayers(plan, timeline, threads, disk.get(), &layers, &stats);
  if (!s.ok()) return s;

  s = ParallelWrite(
      plan.repos.size(), threads,
      [&](size_t r, WriteStats* st) {
        return WriteRepository(plan, r, layers, empty_config, timeline,
                               disk.get(), st);
      },
      &stats);
  if (!s.ok()) return s;
  if (timeline.enabled()) {
    s = disk->SetDirectoryTimes(threads);
    if (!s.ok()) return s;
  }

  summary->repositories = CountPlan(plan).repositories;
  summary->manifests = stats.manifests;
  summary->blobs = stats.blobs;
  summary->bytes = stats.bytes;
  summary->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return Status::OK();
}

}  // namespace regsweep::gen_store
