#include "storage/store.h"

namespace regsweep::storage {

Status Store::DeleteTree(const std::string& key) {
  const size_t slash = key.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : key.substr(0, slash);
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  std::vector<Status> results;
  DeleteTrees(dir, {name}, "", &results);
  return results.empty() ? Status::OK() : results.front();
}

void Store::DeleteTreeGroups(const std::vector<TreeGroup>& groups,
                             const std::string& usual_key,
                             std::vector<std::vector<Status>>* results) {
  results->assign(groups.size(), {});
  for (size_t g = 0; g < groups.size(); ++g) {
    DeleteTrees(groups[g].dir, groups[g].names, usual_key, &(*results)[g]);
  }
}

}  // namespace regsweep::storage
