#include "tools/gen_store/churn.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "storage/registry.h"
#include "storage/store.h"
#include "tools/gen_store/content.h"
#include "tools/gen_store/disk_writer.h"
#include "tools/gen_store/parallel.h"
#include "tools/gen_store/random.h"
#include "util/content_hash.h"

namespace regsweep::gen_store {
namespace {

constexpr uint64_t kChurnSalt = 0x636875726e;  // "churn"
// Shares of the churned repositories that delete a manifest, delete a tag,
// and get an orphan blob.
constexpr double kDeleteManifestShare = 0.4;
constexpr double kDeleteTagShare = 0.3;
constexpr double kOrphanShare = 0.5;

// Which repositories to churn and what each does, from the seed alone.
std::vector<RepoChurn> PlanChurn(const std::vector<std::string>& names,
                                 const Options& options) {
  Rng rng(Mix(options.seed, kChurnSalt));
  std::vector<size_t> all(names.size());
  std::iota(all.begin(), all.end(), size_t{0});
  std::vector<size_t> chosen =
      ChooseRandom(&rng, all, Quota(options.churn_fraction, names.size()));
  std::sort(chosen.begin(), chosen.end());
  std::vector<RepoChurn> plans;
  for (size_t k : chosen) {
    RepoChurn& plan = plans.emplace_back();
    plan.name = names[k];
    plan.stream = Mix(options.seed ^ kChurnSalt, k);
  }
  std::vector<size_t> positions(plans.size());
  std::iota(positions.begin(), positions.end(), size_t{0});
  for (size_t i : ChooseRandom(&rng, positions,
                               Quota(kDeleteManifestShare, plans.size()))) {
    plans[i].delete_manifest = true;
  }
  for (size_t i :
       ChooseRandom(&rng, positions, Quota(kDeleteTagShare, plans.size()))) {
    plans[i].delete_tag = true;
  }
  // Half the orphans are linked in their repository, half bare.
  const std::vector<size_t> orphaned =
      ChooseRandom(&rng, positions, Quota(kOrphanShare, plans.size()));
  for (size_t k = 0; k < orphaned.size(); ++k) {
    ++(k % 2 == 0 ? plans[orphaned[k]].linked_orphans
                  : plans[orphaned[k]].bare_orphans);
  }
  return plans;
}

// Writes the "{}" blob if the store lacks it (a store without referrers).
Status EnsureEmptyConfig(const storage::Registry& registry, DiskWriter* disk,
                         const Digest& digest, ChurnCounts* counts) {
  storage::BlobInfo blob;
  Status s = registry.StatBlob(digest, &blob);
  if (s.ok() && blob.has_data) return Status::OK();
  if (!s.ok() && !s.IsNotFound()) return s;
  ++counts->written.blobs;
  counts->written.bytes += kEmptyJson.size();
  return disk->WriteBlob(digest, kEmptyJson, kWriteTime);
}

}  // namespace

Status Churn(const Options& options, ChurnSummary* summary) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<DiskWriter> disk;
  Status s = DiskWriter::OpenExisting(options.root, &disk);
  if (!s.ok()) return s;
  std::unique_ptr<storage::Store> store;
  s = storage::OpenFileStore(options.root, &store);
  if (!s.ok()) return s;
  const storage::Registry registry(store.get());

  std::vector<std::string> names;
  std::vector<storage::StoreProblem> problems;  // skipped, as a reader would
  s = registry.ListRepositories(&names, &problems);
  if (!s.ok()) return s;
  if (names.empty()) {
    return Status::InvalidArgument(options.root, "has no repository to churn");
  }
  const std::vector<RepoChurn> plans = PlanChurn(names, options);

  const uint32_t threads = WriterThreads(options);
  std::vector<ChurnCounts> counts(threads);
  const Digest empty_config = Sha256Of(kEmptyJson);
  s = EnsureEmptyConfig(registry, disk.get(), empty_config, &counts[0]);
  if (!s.ok()) return s;
  s = ParallelFor(plans.size(), threads, [&](size_t i, uint32_t thread) {
    return ChurnRepository(registry, store.get(), disk.get(), plans[i],
                           empty_config, &counts[thread]);
  });
  for (const ChurnCounts& c : counts) summary->counts.Add(c);
  if (!s.ok()) return s;
  summary->repositories = names.size();
  summary->touched = plans.size();
  summary->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return Status::OK();
}

}  // namespace regsweep::gen_store
