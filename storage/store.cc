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

}  // namespace regsweep::storage
