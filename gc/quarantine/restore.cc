#include "gc/quarantine/restore.h"

#include <tbb/parallel_for.h>

#include <deque>
#include <map>
#include <set>

#include "gc/collection/manifest.h"

namespace regsweep::gc {
namespace {

using Kind = storage::QuarantinedItem::Kind;
using Item = storage::QuarantinedItem;

constexpr Kind kOrder[] = {Kind::kBlob, Kind::kLayerLink, Kind::kRevision,
                           Kind::kTagIndexEntry, Kind::kTag};
constexpr size_t kBatch = 512;
// Distribution refuses manifests over 4 MiB: a larger blob is no manifest
// whose references a restore need follow.
constexpr uint64_t kMaxManifestBytes = 4ull << 20;

void Tally(const Item& item, const Status& s, const std::string& run,
           RestoreOutcome* outcome) {
  if (s.ok()) {
    ++outcome->restored[static_cast<size_t>(item.kind)];
    outcome->bytes_restored += item.bytes;
    if (item.kind == Kind::kBlob) outcome->blobs.emplace_back(item.digest, run);
  } else if (s.IsAlreadyExists()) {
    ++outcome->already_present;
  } else if (s.IsNotFound()) {
    ++outcome->not_held;
  } else {
    outcome->errors.push_back(s);
  }
}

// Restores `items` in batches side by side (an object store's moves are
// round trips), then tallies them in order.
void RestoreItems(const storage::Quarantine& quarantine, const std::string& run,
                  const std::vector<Item>& items, RestoreOutcome* outcome) {
  std::vector<Status> results(items.size());
  const size_t batches = (items.size() + kBatch - 1) / kBatch;
  tbb::parallel_for(size_t{0}, batches, [&](size_t b) {
    const size_t begin = b * kBatch;
    const size_t end = std::min(items.size(), begin + kBatch);
    std::vector<Item> batch(items.begin() + begin, items.begin() + end);
    std::vector<Status> restored;
    quarantine.Restore(run, batch, &restored);
    std::move(restored.begin(), restored.end(), results.begin() + begin);
  });
  for (size_t i = 0; i < items.size(); ++i) {
    Tally(items[i], results[i], run, outcome);
  }
}

void RestoreInOrder(const storage::Quarantine& quarantine,
                    const std::string& run, const std::vector<Item>& items,
                    RestoreOutcome* outcome) {
  for (Kind kind : kOrder) {
    std::vector<Item> of_kind;
    for (const Item& item : items) {
      if (item.kind == kind) of_kind.push_back(item);
    }
    if (!of_kind.empty()) RestoreItems(quarantine, run, of_kind, outcome);
  }
}

// The digests the blob `digest` references, when it is a manifest the
// registry holds (a layer or a config references nothing).
std::vector<Digest> ReferencesOf(const storage::Registry& registry,
                                 const Digest& digest) {
  storage::BlobInfo info;
  std::string bytes;
  if (!registry.StatBlob(digest, &info).ok() || !info.has_data ||
      info.size > kMaxManifestBytes ||
      !registry.ReadManifestBlob(digest, &bytes).ok()) {
    return {};
  }
  ParsedManifest parsed = ParseManifest(bytes);
  if (parsed.kind != ManifestKind::kSchema1 &&
      parsed.kind != ManifestKind::kImage &&
      parsed.kind != ManifestKind::kIndex) {
    return {};
  }
  std::vector<Digest> references;
  for (const Reference& reference : parsed.references) {
    references.push_back(reference.digest);
  }
  return references;
}

}  // namespace

uint64_t RestoreOutcome::Restored() const {
  uint64_t total = 0;
  for (uint64_t count : restored) total += count;
  return total;
}

void RestoreRun(const storage::Quarantine& quarantine,
                const QuarantinedRun& run, RestoreOutcome* outcome) {
  RestoreInOrder(quarantine, run.run, run.items, outcome);
  if (!outcome->errors.empty()) return;
  Status s = quarantine.Purge(run.run);
  if (s.ok()) {
    outcome->area_removed = true;
  } else {
    outcome->errors.push_back(s);
  }
}

void RestoreDigests(const storage::Quarantine& quarantine,
                    const storage::Registry& registry,
                    const QuarantinedRun& run,
                    const std::vector<Digest>& digests,
                    RestoreOutcome* outcome) {
  std::map<Digest, std::vector<const Item*>> held;  // by digest
  for (const Item& item : run.items) {
    if (item.digest.valid()) held[item.digest].push_back(&item);
  }
  std::set<Digest> seen;
  std::deque<Digest> queue(digests.begin(), digests.end());
  std::vector<Item> links;
  while (!queue.empty()) {
    const Digest digest = queue.front();
    queue.pop_front();
    if (!seen.insert(digest).second) continue;
    auto it = held.find(digest);
    if (it == held.end()) continue;
    for (const Item* item : it->second) {
      if (item->kind == Kind::kBlob) {
        RestoreItems(quarantine, run.run, {*item}, outcome);
      } else {
        links.push_back(*item);
      }
    }
    for (Digest& reference : ReferencesOf(registry, digest)) {
      queue.push_back(std::move(reference));
    }
  }
  RestoreInOrder(quarantine, run.run, links, outcome);
}

void RescueNeeded(const storage::Quarantine& quarantine,
                  const storage::Registry& registry,
                  const std::vector<QuarantinedRun>& runs,
                  const std::function<bool(const Digest&)>& needed,
                  RestoreOutcome* outcome) {
  for (const QuarantinedRun& run : runs) {
    std::set<Digest> missing;
    for (const Item& item : run.items) {
      if (item.kind != Kind::kBlob || !needed(item.digest)) continue;
      storage::BlobInfo info;
      if (registry.StatBlob(item.digest, &info).IsNotFound()) {
        missing.insert(item.digest);
      }
    }
    if (missing.empty()) continue;
    std::vector<Item> items;
    for (const Item& item : run.items) {
      if ((item.kind == Kind::kBlob || item.kind == Kind::kLayerLink) &&
          missing.count(item.digest) != 0) {
        items.push_back(item);
      }
    }
    RestoreInOrder(quarantine, run.run, items, outcome);
  }
}

}  // namespace regsweep::gc
