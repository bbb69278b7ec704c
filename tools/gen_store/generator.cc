#include "tools/gen_store/generator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/layout.h"
#include "tools/gen_store/content.h"
#include "tools/gen_store/disk_writer.h"
#include "tools/gen_store/plan.h"
#include "tools/gen_store/repo_writer.h"
#include "tools/gen_store/sha256.h"

namespace regsweep::gen_store {
namespace {

namespace layout = storage::layout;

// Layer ids handed to a thread at a time: big enough to make the shared
// counter cheap, small enough to balance two threads at the end.
constexpr size_t kLayerChunk = 256;

// Runs work(item, stats) for item in [0, n) on `threads` threads, items
// handed out in order. Stops handing out items after the first error, which
// is returned; the stats of all threads are added to *total.
Status ParallelFor(size_t n, uint32_t threads,
                   const std::function<Status(size_t, WriteStats*)>& work,
                   WriteStats* total) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  std::vector<WriteStats> stats(threads);
  auto run = [&](uint32_t t) {
    for (size_t item = next++; item < n && !failed; item = next++) {
      Status s = work(item, &stats[t]);
      if (s.ok()) continue;
      std::lock_guard<std::mutex> lock(mu);
      if (!failed.exchange(true)) first_error = s;
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
  for (std::thread& thread : pool) thread.join();
  for (const WriteStats& s : stats) total->Add(s);
  return first_error;
}

// The 256 prefix directories of blobs/sha256, made up front so that each
// blob costs one mkdir (its own directory) rather than a walk.
Status MakeBlobPrefixes(DiskWriter* disk) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    const char prefix[2] = {kHex[i >> 4], kHex[i & 0xf]};
    Status s = disk->MakeDirs(
        layout::BlobPrefixDir("sha256", std::string_view(prefix, 2)));
    if (!s.ok()) return s;
  }
  return disk->MakeDirs(layout::RepositoriesRoot());
}

Status WriteLayers(const Plan& plan, uint32_t threads, DiskWriter* disk,
                   LayerTable* table, WriteStats* stats) {
  const size_t n = plan.layers.size();
  table->hex.resize(n);
  table->size.resize(n);
  const size_t chunks = (n + kLayerChunk - 1) / kLayerChunk;
  return ParallelFor(
      chunks, threads,
      [&](size_t chunk, WriteStats* st) {
        const size_t end = std::min(n, (chunk + 1) * kLayerChunk);
        for (size_t id = chunk * kLayerChunk; id < end; ++id) {
          const std::string bytes =
              LayerBytes(plan.seed, static_cast<uint32_t>(id));
          table->hex[id] = Sha256Hex(bytes);
          table->size[id] = static_cast<uint32_t>(bytes.size());
          Status s = disk->WriteBlob(DigestFromHex(table->hex[id]), bytes);
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
  const uint32_t threads =
      options.threads > 0 ? options.threads
                          : std::max(1u, std::thread::hardware_concurrency());
  std::unique_ptr<DiskWriter> disk;
  Status s = DiskWriter::Open(options.root, &disk);
  if (!s.ok()) return s;

  const Plan plan = MakePlan(options);
  s = MakeBlobPrefixes(disk.get());
  if (!s.ok()) return s;

  WriteStats stats;
  const Digest empty_config = Sha256Digest(kEmptyJson);
  if (AnyReferrer(plan)) {
    s = disk->WriteBlob(empty_config, kEmptyJson);
    if (!s.ok()) return s;
    stats.blobs += 1;
    stats.bytes += kEmptyJson.size();
  }

  LayerTable layers;
  s = WriteLayers(plan, threads, disk.get(), &layers, &stats);
  if (!s.ok()) return s;

  s = ParallelFor(
      plan.repos.size(), threads,
      [&](size_t r, WriteStats* st) {
        return WriteRepository(plan, r, layers, empty_config, disk.get(), st);
      },
      &stats);
  if (!s.ok()) return s;

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
