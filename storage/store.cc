#include "storage/store.h"

#include <algorithm>
#include <utility>

namespace regsweep::storage {

Status Store::DeleteTree(const std::string& key) {
  const size_t slash = key.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : key.substr(0, slash);
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  std::vector<Status> results;
  DeleteTrees(dir, {name}, "", &results);
  return results.empty() ? Status::OK() : results.front();
}

Status Store::ListRange(const std::string& prefix, const KeyRange& range,
                        const KeyVisitor& visit) {
  std::vector<std::pair<std::string, ObjectInfo>> keys;
  Status s = ListAll(prefix, [&](std::string_view key, const ObjectInfo& info) {
    if (range.Contains(key)) keys.emplace_back(std::string(key), info);
  });
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, info] : keys) visit(key, info);
  return Status::OK();
}

void Store::DeleteTreeGroups(const std::vector<TreeGroup>& groups,
                             const std::string& usual_key,
                             std::vector<std::vector<Status>>* results) {
  results->assign(groups.size(), {});
  for (size_t g = 0; g < groups.size(); ++g) {
    DeleteTrees(groups[g].dir, groups[g].names, usual_key, &(*results)[g]);
  }
}

void Store::MoveTrees(const std::vector<TreeMove>& moves,
                      std::vector<Status>* results) {
  results->clear();
  for (const TreeMove& move : moves) {
    results->push_back(Status::NotSupported(Describe(move.from),
                                            "this store cannot move keys"));
  }
}

Status Store::CheckMovable(const std::string& from_dir,
                           const std::string& to_dir) {
  (void)to_dir;
  return Status::NotSupported(Describe(from_dir), "this store cannot move keys");
}

}  // namespace regsweep::storage
