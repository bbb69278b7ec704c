// What Registry's ways of scanning repositories share (internal to
// storage/: registry.cc lists directory by directory, registry_key_scan.cc
// builds a scan from the keys below a repository's link roots, for stores
// without directories, and repository_ranges.cc lists those keys for every
// repository at once).
#ifndef REGSWEEP_STORAGE_REGISTRY_SCAN_H_
#define REGSWEEP_STORAGE_REGISTRY_SCAN_H_

#include <string>
#include <string_view>
#include <vector>

#include "storage/registry.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage {

// Link files hold "sha256:<hex>"; anything much larger is not a link.
inline constexpr uint64_t kMaxLinkBytes = 4096;

// A temporary file (a "*.tmp" regular file, say from an interrupted copy)
// is ignored. Only files: "build.tmp" is a valid tag and "app.tmp" a valid
// repository name, and skipping such a directory would lose what it holds.
inline bool IsTemporaryFile(std::string_view name, EntryType type) {
  return type != EntryType::kDirectory && type != EntryType::kSymlink &&
         name.ends_with(".tmp");
}

inline bool IsTemporaryFile(const ListEntry& entry) {
  return IsTemporaryFile(entry.name, entry.type);
}

inline StoreProblem Unexpected(const Registry& registry, const std::string& path,
                        const char* detail) {
  return StoreProblem{registry.Describe(path), detail};
}

// A symbolic link in place of a directory that holds revision or tag links.
inline StoreProblem LinkHidingLinks(const Registry& registry, const std::string& path,
                             const char* what) {
  return StoreProblem{registry.Describe(path),
                      std::string("symbolic link in place of ") + what +
                          ": not followed",
                      /*hides_links=*/true};
}

// The pieces of RepositoryInfo::described as the scan finds them; put in
// StatRepository's order at the end.
struct Registry::ScanDescription {
  struct Entry {
    ObjectInfo info;
    Status status;
  };
  Entry revisions_dir;
  std::vector<Entry> revision_algorithm_dirs;
  Entry tags_dir;
  Entry layers_dir;
  std::vector<Entry> layer_algorithm_dirs;
  std::vector<Entry> revision_links;
  std::vector<Entry> tag_links;

  void AppendTo(RepositoryInfo* info) const {
    auto add = [info](const Entry& entry) {
      info->described.push_back(entry.info);
      info->described_statuses.push_back(entry.status);
    };
    add(revisions_dir);
    for (const Entry& entry : revision_algorithm_dirs) add(entry);
    add(layers_dir);
    for (const Entry& entry : layer_algorithm_dirs) add(entry);
    for (const Entry& entry : revision_links) add(entry);
    // Tags last, so that LeaveTagsOut can cut them off.
    add(tags_dir);
    for (const Entry& entry : tag_links) add(entry);
  }
};

// One key below one of a repository's link roots (revisions/, tags/,
// _layers/), relative to it.
struct KeyAndInfo {
  std::string key;
  ObjectInfo info;
};

// Every key below one link root, and the root as a scan describes it: a
// kDirectory when anything lies below it (folder markers too), NotFound
// when nothing does, or the error that kept it from being listed.
struct KeysBelow {
  std::vector<KeyAndInfo> keys;
  ObjectInfo dir_info;
  Status dir_status;
};

// The keys of one repository's links, on a store without directories.
struct Registry::RepositoryKeys {
  KeysBelow revisions;
  KeysBelow tags;
  KeysBelow layers;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_REGISTRY_SCAN_H_
