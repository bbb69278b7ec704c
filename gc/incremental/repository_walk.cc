#include "gc/incremental/repository_walk.h"

#include <tbb/parallel_for_each.h>

#include <algorithm>

#include "gc/incremental/change_stamp.h"
#include "index/coding.h"
#include "storage/layout.h"

namespace regsweep::gc {
namespace {

// Kept among the blob listings (the family of directory listings carried
// between passes); blob prefix keys always hold a '/'.
constexpr char kKey[] = "repositories";
constexpr uint8_t kLayout = 1;

}  // namespace

Status WalkRepositories(const storage::Registry& registry,
                        storage::RepositoryWalkMemo* memo,
                        std::vector<std::string>* names,
                        std::vector<storage::StoreProblem>* problems) {
  std::mutex mu;
  std::vector<std::pair<std::string, Status>> failures;
  names->clear();
  const std::vector<std::string> top = {""};
  tbb::parallel_for_each(
      top.begin(), top.end(),
      [&](const std::string& relative, tbb::feeder<std::string>& feeder) {
        storage::RepositoryDirectory dir;
        std::vector<storage::StoreProblem> found;
        Status s = registry.ListRepositoryDirectory(relative, &dir, &found, memo);
        if (s.ok()) {
          for (const std::string& child : dir.children) {
            feeder.add(storage::layout::ChildRepository(relative, child));
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        if (!s.ok()) {
          failures.emplace_back(relative, std::move(s));
        } else if (dir.is_repository) {
          names->push_back(relative);
        }
        std::move(found.begin(), found.end(), std::back_inserter(*problems));
      });
  std::sort(names->begin(), names->end());
  std::stable_sort(problems->begin(), problems->end(),
                   [](const storage::StoreProblem& a,
                      const storage::StoreProblem& b) { return a.path < b.path; });
  if (failures.empty()) return Status::OK();
  return std::min_element(failures.begin(), failures.end(),
                          [](const auto& a, const auto& b) {
                            return a.first < b.first;
                          })->second;
}

void RepositoryWalk::Load(index::RefIndex* index) {
  std::string value;
  if (!index->GetBlobListing(kKey, &value).ok()) return;
  std::string_view in(value);
  uint8_t layout;
  uint64_t count;
  if (!index::GetByte(&in, &layout) || layout != kLayout ||
      !index::GetVarint64(&in, &count)) {
    return;
  }
  std::unordered_map<std::string, Entry> stored;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view path, child;
    uint8_t is_repository;
    uint64_t children;
    Entry entry;
    if (!index::GetLengthPrefixed(&in, &path) ||
        !index::GetFixed64(&in, &entry.stamp) ||
        !index::GetByte(&in, &is_repository) ||
        !index::GetVarint64(&in, &children) || children > in.size()) {
      return;
    }
    entry.is_repository = is_repository != 0;
    for (uint64_t k = 0; k < children; ++k) {
      if (!index::GetLengthPrefixed(&in, &child)) return;
      entry.children.emplace_back(child);
    }
    stored.emplace(std::string(path), std::move(entry));
  }
  if (in.empty()) stored_ = std::move(stored);
}

Status RepositoryWalk::Save(index::RefIndex* index) const {
  // Unchanged: what is stored is what this walk would write.
  if (!remembered_ && stored_.empty() && recalled_ > 0) return Status::OK();
  std::string out;
  index::PutByte(&out, kLayout);
  index::PutVarint64(&out, walked_.size());
  for (const auto& [path, entry] : walked_) {
    index::PutLengthPrefixed(&out, path);
    index::PutFixed64(&out, entry.stamp);
    index::PutByte(&out, entry.is_repository ? 1 : 0);
    index::PutVarint64(&out, entry.children.size());
    for (const std::string& child : entry.children) {
      index::PutLengthPrefixed(&out, child);
    }
  }
  return index->PutBlobListing(kKey, out);
}

bool RepositoryWalk::Recall(const std::string& path,
                            const storage::ObjectInfo& info,
                            storage::RepositoryDirectory* dir) {
  ChangeStamp stamp = StampOf(info, trust_);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stored_.find(path);
  if (it == stored_.end()) return false;
  if (!stamp.trusted || stamp.hash != it->second.stamp) return false;
  dir->is_repository = it->second.is_repository;
  dir->children = it->second.children;
  walked_.emplace(path, std::move(it->second));
  stored_.erase(it);
  ++recalled_;
  return true;
}

void RepositoryWalk::Remember(const storage::RepositoryDirectory& dir) {
  ChangeStamp stamp = StampOf(dir.info, trust_);
  std::lock_guard<std::mutex> lock(mu_);
  remembered_ = true;
  if (!stamp.trusted) return;  // racy: list it again next time
  walked_[dir.path] = Entry{stamp.hash, dir.is_repository, dir.children};
}

}  // namespace regsweep::gc
