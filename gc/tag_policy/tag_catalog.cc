#include "gc/tag_policy/tag_catalog.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <iterator>
#include <unordered_map>
#include <unordered_set>

#include "gc/collection/manifest.h"
#include "storage/registry.h"

namespace regsweep::gc {
namespace {

// Index children nest at most one level in practice; the limit only stops a
// cycle of hand-made manifests.
constexpr int kMaxIndexDepth = 8;

// Adds up the bytes of one repository's tagged manifests, remembering what
// it has read: tags of one repository share manifests and layers.
class SizeCounter {
 public:
  explicit SizeCounter(const storage::Registry& registry)
      : registry_(registry) {}

  void Count(const Digest& manifest, TagEntry* entry) {
    std::unordered_set<Digest> seen;
    entry->size = 0;
    entry->size_complete = true;
    AddManifest(manifest, 0, &seen, entry);
  }

 private:
  struct Parsed {
    bool readable = false;
    std::vector<Reference> references;
  };

  void AddManifest(const Digest& digest, int depth,
                   std::unordered_set<Digest>* seen, TagEntry* entry) {
    if (!AddBlob(digest, seen, entry)) return;
    const Parsed& parsed = Parse(digest);
    if (!parsed.readable) {
      entry->size_complete = false;
      return;
    }
    for (const Reference& ref : parsed.references) {
      if (ref.role == ReferenceRole::kChild && depth < kMaxIndexDepth) {
        AddManifest(ref.digest, depth + 1, seen, entry);
      } else {
        AddBlob(ref.digest, seen, entry);
      }
    }
  }

  // Adds the blob's size once; false when it was seen before or is missing.
  bool AddBlob(const Digest& digest, std::unordered_set<Digest>* seen,
               TagEntry* entry) {
    if (!seen->insert(digest).second) return false;
    auto [it, added] = sizes_.try_emplace(digest, -1);
    if (added) {
      storage::BlobInfo info;
      if (registry_.StatBlob(digest, &info).ok() && info.has_data) {
        it->second = static_cast<int64_t>(info.size);
      }
    }
    if (it->second < 0) {
      entry->size_complete = false;
      return false;
    }
    entry->size += static_cast<uint64_t>(it->second);
    return true;
  }

  const Parsed& Parse(const Digest& digest) {
    auto [it, added] = manifests_.try_emplace(digest);
    if (added) {
      std::string bytes;
      if (registry_.ReadManifestBlob(digest, &bytes).ok()) {
        it->second.readable = true;
        it->second.references = ParseManifest(bytes).references;
      }
    }
    return it->second;
  }

  const storage::Registry& registry_;
  std::unordered_map<Digest, int64_t> sizes_;  // -1: missing
  std::unordered_map<Digest, Parsed> manifests_;
};

Problem BrokenTag(const std::string& repository, const storage::TagInfo& tag) {
  const Status& s = tag.current.status;
  ProblemKind kind = s.IsCorruption() ? ProblemKind::kMalformedLink
                                      : ProblemKind::kUnreadableLink;
  std::string why = s.IsNotFound() ? "the tag has no current link"
                                   : s.message();
  return Problem{kind, tag.current.path, repository, "",
                 "tag '" + tag.name + "': " + why};
}

struct RepositoryTags {
  std::vector<TagEntry> tags;
  std::vector<Problem> problems;
  Status error;
};

void ListRepository(const storage::Registry& registry,
                    const std::string& repository,
                    const CatalogOptions& options, RepositoryTags* out) {
  std::vector<storage::TagInfo> tags;
  std::vector<storage::StoreProblem> store_problems;
  out->error = registry.ListTags(repository, &tags, &store_problems);
  for (const storage::StoreProblem& p : store_problems) {
    out->problems.push_back(Problem{ProblemKind::kUnexpectedEntry, p.path,
                                    repository, "", p.detail});
  }
  if (!out->error.ok()) return;
  SizeCounter sizes(registry);
  for (const storage::TagInfo& tag : tags) {
    TagEntry entry;
    entry.repository = repository;
    entry.tag = tag.name;
    entry.link = tag.current.status;
    entry.pushed_ns = tag.current.mtime_ns;
    if (tag.current.status.ok()) {
      entry.digest = tag.current.target;
      if (options.with_sizes) sizes.Count(entry.digest, &entry);
    } else {
      out->problems.push_back(BrokenTag(repository, tag));
    }
    out->tags.push_back(std::move(entry));
  }
  std::sort(out->tags.begin(), out->tags.end(),
            [](const TagEntry& a, const TagEntry& b) { return a.tag < b.tag; });
}

}  // namespace

Status ListTagCatalog(const storage::Registry& registry,
                      const std::vector<std::string>& repositories,
                      const CatalogOptions& options, TagCatalog* catalog) {
  std::vector<std::string> names = repositories;
  if (names.empty()) {
    std::vector<storage::StoreProblem> problems;
    Status s = registry.ListRepositories(&names, &problems);
    for (const storage::StoreProblem& p : problems) {
      catalog->problems.push_back(
          Problem{ProblemKind::kUnexpectedEntry, p.path, "", "", p.detail});
    }
    if (!s.ok()) return s;
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<RepositoryTags> results(names.size());
  // Listing and reading links waits on the disk: one task per repository.
  tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
    ListRepository(registry, names[i], options, &results[i]);
  });
  for (RepositoryTags& r : results) {
    std::move(r.tags.begin(), r.tags.end(), std::back_inserter(catalog->tags));
    std::move(r.problems.begin(), r.problems.end(),
              std::back_inserter(catalog->problems));
    if (!r.error.ok()) catalog->errors.push_back(r.error);
  }
  return Status::OK();
}

}  // namespace regsweep::gc
