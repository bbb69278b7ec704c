#include "index/memory_ref_index.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <tuple>
#include <utility>

namespace regsweep::index {
namespace {

class MemoryRefIndex final : public RefIndex {
 public:
  Status PutRepository(const RepositorySnapshot& snapshot) override {
    if (snapshot.name.empty()) {
      return Status::InvalidArgument("PutRepository", "empty repository name");
    }
    std::unique_lock lock(mu_);
    repositories_[snapshot.name] = snapshot;
    return Status::OK();
  }

  Status DeleteRepository(const std::string& repository) override {
    std::unique_lock lock(mu_);
    repositories_.erase(repository);
    marks_.erase(repository);
    return Status::OK();
  }

  Status GetRepository(const std::string& repository,
                       RepositorySnapshot* snapshot) override {
    std::shared_lock lock(mu_);
    auto it = repositories_.find(repository);
    if (it == repositories_.end()) {
      return Status::NotFound(repository, "not in the reference index");
    }
    *snapshot = it->second;
    return Status::OK();
  }

  Status ListRepositories(std::vector<std::string>* names) override {
    std::shared_lock lock(mu_);
    names->clear();
    for (const auto& entry : repositories_) names->push_back(entry.first);
    return Status::OK();
  }

  Status Referrers(const Digest& child,
                   std::vector<ReferrerRecord>* referrers) override {
    if (!child.valid()) {
      return Status::InvalidArgument("Referrers", "empty child digest");
    }
    std::shared_lock lock(mu_);
    std::vector<ReferrerRecord> result;
    for (const auto& [name, snapshot] : repositories_) {
      for (const ManifestRecord& manifest : snapshot.manifests) {
        for (const EdgeRecord& edge : manifest.edges) {
          if (edge.child != child) continue;
          result.push_back(ReferrerRecord{name, manifest.digest, edge.role});
          break;  // one record per (repository, parent), as RocksDB keys it
        }
      }
    }
    // The order RocksDB's keys give: repository, then parent.
    std::sort(result.begin(), result.end(),
              [](const ReferrerRecord& a, const ReferrerRecord& b) {
                return std::tie(a.repository, a.parent) <
                       std::tie(b.repository, b.parent);
              });
    *referrers = std::move(result);
    return Status::OK();
  }

  Status PutRepositoryMark(const std::string& repository,
                           std::string_view value) override {
    return Put(&marks_, repository, value);
  }
  Status GetRepositoryMark(const std::string& repository,
                           std::string* value) override {
    return Get(marks_, repository, value);
  }
  Status PutBlobListing(const std::string& prefix,
                        std::string_view value) override {
    return Put(&listings_, prefix, value);
  }
  Status GetBlobListing(const std::string& prefix,
                        std::string* value) override {
    return Get(listings_, prefix, value);
  }
  Status DropCarriedState() override {
    std::unique_lock lock(mu_);
    marks_.clear();
    listings_.clear();
    return Status::OK();
  }

  Status SetMeta(const std::string& key, const std::string& value) override {
    std::unique_lock lock(mu_);
    meta_[key] = value;
    return Status::OK();
  }

  Status GetMeta(const std::string& key, std::string* value) override {
    std::shared_lock lock(mu_);
    auto it = meta_.find(key);
    if (it == meta_.end()) return Status::NotFound(key, "no such meta key");
    *value = it->second;
    return Status::OK();
  }

  Status Stats(IndexStats* stats) override {
    std::shared_lock lock(mu_);
    IndexStats result;
    result.repositories = repositories_.size();
    for (const auto& [name, snapshot] : repositories_) {
      result.manifests += snapshot.manifests.size();
      result.tags += snapshot.tags.size();
      for (const ManifestRecord& manifest : snapshot.manifests) {
        // Counted as RocksDB keys them: one per distinct child.
        std::set<std::string> children;
        for (const EdgeRecord& edge : manifest.edges) {
          children.insert(edge.child.str());
        }
        result.edges += children.size();
      }
    }
    *stats = result;
    return Status::OK();
  }

  Status Flush() override { return Status::OK(); }

 private:
  using Values = std::map<std::string, std::string, std::less<>>;

  Status Put(Values* values, const std::string& key, std::string_view value) {
    std::unique_lock lock(mu_);
    (*values)[key] = std::string(value);
    return Status::OK();
  }
  Status Get(const Values& values, const std::string& key, std::string* value) {
    std::shared_lock lock(mu_);
    auto it = values.find(key);
    if (it == values.end()) return Status::NotFound(key, "not in the index");
    *value = it->second;
    return Status::OK();
  }

  std::shared_mutex mu_;
  Values marks_;
  Values listings_;
  std::map<std::string, RepositorySnapshot> repositories_;
  std::map<std::string, std::string> meta_;
};

}  // namespace

std::unique_ptr<RefIndex> NewMemoryRefIndex() {
  return std::make_unique<MemoryRefIndex>();
}

}  // namespace regsweep::index
