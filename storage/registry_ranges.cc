// Registry::ScanEveryRepository: on a store without directories, every key
// below repositories/ listed once, in ranges side by side, and cut into
// repositories as the keys come.
//
// Why no range splits a repository. Repository X's own keys are those
// below "X/_" (_manifests, _layers, _uploads): no component of a
// repository's name begins with '_', and the walk of repositories/ never
// descends into one that does. In byte order they are contiguous, since
// any key between two keys that begin "X/_" begins "X/_" as well. The
// ranges end at "D/" for directory names D none of whose components begins
// with '_', and "D/" never begins "X/_": no range ends inside X's keys.
// Repositories nested in X ("X/Y") lie elsewhere in the order and are
// repositories of their own.
//
// The ranges come from the walk's first levels: the names directly below
// repositories/, then, while they are fewer than wanted, the names below
// those. Each range costs one list request more than its keys need (the
// page that runs past its end), so there are about as many as calls can be
// in flight, not one per repository.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "storage/layout.h"
#include "storage/registry.h"
#include "storage/registry_scan.h"

namespace regsweep::storage {
namespace {

// Levels of repositories/ listed to find range boundaries, at most.
constexpr int kMaxBoundaryLevels = 3;

// Where a key below repositories/ belongs.
struct KeyPlace {
  enum class Root { kNone, kRevisions, kTags, kLayers };
  std::string_view repository;  // the components before the first '_' one
  // Below _manifests or _layers (or one of them itself): what makes a
  // directory a repository.
  bool marks_repository = false;
  Root root = Root::kNone;  // the link root the key lies below, if any
  std::string_view rest;    // the key below that root ("": a folder marker)
};

// Takes the link root `name` + "/" off the front of *below; false when
// *below does not lie below it.
bool TakeRoot(std::string_view name, std::string_view* below) {
  if (!below->starts_with(name) || below->size() == name.size() ||
      (*below)[name.size()] != '/') {
    return false;
  }
  below->remove_prefix(name.size() + 1);
  return true;
}

// False when the key belongs to no repository: none of its components
// begins with '_' (a file among the directories of the walk), or one
// before that is empty.
bool PlaceOf(std::string_view key, KeyPlace* place) {
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string_view part = key.substr(
        start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty()) return false;
    if (part.front() == '_') break;
    if (slash == std::string_view::npos) return false;
    start = slash + 1;
  }
  *place = KeyPlace();
  place->repository = start == 0 ? std::string_view() : key.substr(0, start - 1);
  std::string_view below = key.substr(start);
  if (TakeRoot(layout::kManifestsDir, &below)) {
    place->marks_repository = true;
    if (TakeRoot("revisions", &below)) {
      place->root = KeyPlace::Root::kRevisions;
    } else if (TakeRoot("tags", &below)) {
      place->root = KeyPlace::Root::kTags;
    } else {
      return true;
    }
    place->rest = below;
  } else if (TakeRoot(layout::kLayersDir, &below)) {
    place->marks_repository = true;
    place->root = KeyPlace::Root::kLayers;
    place->rest = below;
  } else {
    // "_manifests" or "_layers" as an object makes a repository too, as
    // an entry of that name does for the walk; "_uploads" does not.
    place->marks_repository =
        below == layout::kManifestsDir || below == layout::kLayersDir;
  }
  return true;
}

}  // namespace

Status Registry::ScanEveryRepository(
    const ScannedRepositoryVisitor& visit) const {
  if (store_->capabilities().directories) {
    return Status::InvalidArgument(store_->Describe(layout::RepositoriesRoot()),
                                   "ranged scans are for stores without "
                                   "directories");
  }
  const size_t wanted =
      std::max<size_t>(16, store_->capabilities().calls_in_flight);
  std::vector<KeyRange> ranges;
  Status s = RepositoryRanges(wanted, &ranges);
  if (!s.ok()) return s;
  std::vector<Status> statuses(ranges.size());
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, ranges.size(), 1),
      [&](const tbb::blocked_range<size_t>& part) {
        for (size_t i = part.begin(); i != part.end(); ++i) {
          statuses[i] = ScanRange(ranges[i], visit);
        }
      },
      tbb::simple_partitioner());
  for (Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return Status::OK();
}

Status Registry::RepositoryRanges(size_t wanted,
                                  std::vector<KeyRange>* ranges) const {
  std::vector<std::string> boundaries;  // "D/", relative to repositories/
  std::vector<std::string> level = {""};
  for (int depth = 0; depth < kMaxBoundaryLevels && !level.empty(); ++depth) {
    std::vector<std::vector<std::string>> children(level.size());
    std::vector<Status> statuses(level.size());
    tbb::parallel_for(size_t{0}, level.size(), [&](size_t i) {
      RepositoryDirectory dir;
      std::vector<StoreProblem> unused;  // the scans report what matters
      statuses[i] = ListRepositoryDirectory(level[i], &dir, &unused, nullptr);
      for (const std::string& child : dir.children) {
        children[i].push_back(layout::ChildRepository(level[i], child));
      }
    });
    std::vector<std::string> next;
    for (size_t i = 0; i < level.size(); ++i) {
      // Gone since the level above was listed: nothing to split there.
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return statuses[i];
      for (std::string& child : children[i]) next.push_back(std::move(child));
    }
    for (const std::string& name : next) boundaries.push_back(name + "/");
    if (boundaries.size() >= wanted) break;
    level = std::move(next);
  }
  std::sort(boundaries.begin(), boundaries.end());  // each name is listed once
  // Every step-th boundary ends a range: about `wanted` of them.
  const size_t step = std::max<size_t>(1, (boundaries.size() + wanted - 1) / wanted);
  ranges->clear();
  std::string after;
  for (size_t i = step - 1; i < boundaries.size(); i += step) {
    ranges->push_back(KeyRange{after, boundaries[i]});
    after = boundaries[i];
  }
  ranges->push_back(KeyRange{after, ""});
  return Status::OK();
}

Status Registry::ScanRange(const KeyRange& range,
                           const ScannedRepositoryVisitor& visit) const {
  bool open = false;  // collecting the keys of `current`
  std::string current;
  bool is_repository = false;
  RepositoryKeys keys;
  const auto finish = [&] {
    if (open && is_repository) {
      RepositoryInfo info;
      info.name = current;
      Status s = ScanKeys(current, keys, &info);
      visit(&info, std::move(s));
    }
    open = false;
  };
  const auto start = [&](std::string_view repository) {
    open = true;
    current.assign(repository);
    is_repository = false;
    const std::string roots[] = {layout::RevisionsDir(current),
                                 layout::TagsDir(current),
                                 layout::LayersDir(current)};
    KeysBelow* belows[] = {&keys.revisions, &keys.tags, &keys.layers};
    for (size_t i = 0; i < 3; ++i) {
      *belows[i] = KeysBelow();
      belows[i]->dir_status =
          Status::NotFound(store_->Describe(roots[i]), "no such key or prefix");
    }
  };
  Status s = store_->ListRange(
      layout::RepositoriesRoot(), range,
      [&](std::string_view key, const ObjectInfo& object) {
        KeyPlace place;
        if (!PlaceOf(key, &place)) return;
        if (!open || place.repository != current) {
          finish();
          start(place.repository);
        }
        is_repository = is_repository || place.marks_repository;
        KeysBelow* below = nullptr;
        switch (place.root) {
          case KeyPlace::Root::kRevisions: below = &keys.revisions; break;
          case KeyPlace::Root::kTags: below = &keys.tags; break;
          case KeyPlace::Root::kLayers: below = &keys.layers; break;
          case KeyPlace::Root::kNone: return;
        }
        below->dir_info = DirectoryInfo();
        below->dir_status = Status::OK();
        if (!place.rest.empty()) {
          below->keys.push_back(KeyAndInfo{std::string(place.rest), object});
        }
      });
  if (!s.ok()) return s;
  finish();
  return Status::OK();
}

}  // namespace regsweep::storage
