#include "storage/registry.h"

#include <algorithm>
#include <map>

#include "storage/layout.h"
#include "storage/registry_scan.h"
#include "util/rfc3339.h"

namespace regsweep::storage {
namespace {

// Lists `path`; a missing directory is an empty one.
Status ListOrEmpty(Store* store, const std::string& path,
                   std::vector<ListEntry>* entries) {
  Status s = store->List(path, entries);
  if (s.IsNotFound()) {
    entries->clear();
    return Status::OK();
  }
  return s;
}

// A directory listed for a scan, with its description (gc's change
// stamps). A directory that does not exist is no entries, described as
// NotFound.
Status ListDescribed(Store* store, const std::string& path,
                     std::vector<ListEntry>* entries, ObjectInfo* info,
                     Status* status) {
  *status = store->List(path, entries, info);
  if (status->IsNotFound()) {
    entries->clear();
    *info = ObjectInfo();
    return Status::OK();
  }
  return *status;
}

}  // namespace

void LeaveTagsOut(RepositoryInfo* info) {
  if (!info->shape.with_tags) return;
  size_t tag_entries = 1 + info->shape.tags.size();  // tags/ and its links
  size_t kept = info->described.size() - tag_entries;
  info->described.resize(kept);
  info->described_statuses.resize(kept);
  info->shape.tags.clear();
  info->shape.with_tags = false;
}

Status Registry::CheckLayout() const {
  ObjectInfo info;
  Status s = store_->Stat(layout::V2Root(), &info);
  if (s.IsNotFound() || (s.ok() && info.type != EntryType::kDirectory)) {
    return Status::InvalidArgument(
        store_->Describe(""),
        "not a registry store: " + store_->Describe(layout::V2Root()) +
            " is not a directory (give the storage root directory, the one "
            "that contains docker/)");
  }
  return s;
}

Status Registry::ListRepositories(std::vector<std::string>* names,
                                  std::vector<StoreProblem>* problems) const {
  names->clear();
  Status s = ListRepositoriesUnder("", names, problems);
  std::sort(names->begin(), names->end());
  return s;
}

Status Registry::ListRepositoriesUnder(const std::string& relative,
                                       std::vector<std::string>* names,
                                       std::vector<StoreProblem>* problems) const {
  RepositoryDirectory dir;
  Status s = ListRepositoryDirectory(relative, &dir, problems, nullptr);
  if (!s.ok()) return s;
  if (dir.is_repository) names->push_back(relative);
  for (const std::string& child : dir.children) {
    s = ListRepositoriesUnder(layout::ChildRepository(relative, child), names,
                              problems);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// Recalled from `memo` when it has not changed, listed otherwise.
Status Registry::ListRepositoryDirectory(const std::string& relative,
                                         RepositoryDirectory* dir,
                                         std::vector<StoreProblem>* problems,
                                         RepositoryWalkMemo* memo) const {
  std::string path = relative.empty() ? layout::RepositoriesRoot()
                                      : layout::RepositoryDir(relative);
  dir->path = relative;
  Status described;
  // Where a directory's version does not move with its entries (an object
  // store, whose directories are only prefixes) no description could let
  // the memo recall it, and each would cost requests: none is made.
  if (memo != nullptr && !store_->capabilities().directory_versions_move) {
    memo = nullptr;
  }
  if (memo != nullptr) {
    // Described before it is listed: a change while we list gives the next
    // walk another description.
    described = store_->Stat(path, &dir->info);
    if (described.ok() && memo->Recall(relative, dir->info, dir)) {
      return Status::OK();
    }
  }
  std::vector<ListEntry> entries;
  Status s = relative.empty() ? ListOrEmpty(store_, path, &entries)
                              : store_->List(path, &entries);
  if (!s.ok()) return s;
  size_t problems_before = problems->size();
  for (const ListEntry& entry : entries) {
    if (entry.name == layout::kManifestsDir || entry.name == layout::kLayersDir) {
      dir->is_repository = true;
    } else if (entry.name.front() == '_' || IsTemporaryFile(entry)) {
      continue;  // _uploads, and names distribution never gives a repository
    } else if (entry.type == EntryType::kDirectory) {
      dir->children.push_back(entry.name);
    } else if (entry.type == EntryType::kSymlink) {
      problems->push_back(LinkHidingLinks(*this, layout::Join(path, entry.name),
                                          "a directory of repositories/"));
    }
  }
  if (memo != nullptr && described.ok() && problems->size() == problems_before) {
    memo->Remember(*dir);
  }
  return Status::OK();
}

// Turns a link file's bytes (or the error reading it) into a LinkInfo.
LinkInfo Registry::ToLink(const std::string& path, ObjectContents file) const {
  LinkInfo link;
  link.path = store_->Describe(path);
  link.status = std::move(file.status);
  if (!link.status.ok()) return link;
  link.mtime_ns = file.info.mtime_ns;
  if (!Digest::ParseLink(file.contents, &link.target)) {
    link.status = Status::Corruption(
        link.path, file.contents.empty() ? "link file is empty"
                                         : "link file does not hold a digest");
  }
  return link;
}

LinkInfo Registry::ReadLink(const std::string& path) const {
  ObjectContents file;
  file.status = store_->Read(path, kMaxLinkBytes, &file.contents, &file.info);
  return ToLink(path, std::move(file));
}

Status Registry::ScanRepository(const std::string& name,
                                RepositoryInfo* info) const {
  info->name = name;
  info->revisions.clear();
  info->tags.clear();
  info->layers.clear();
  info->problems.clear();
  info->shape = RepositoryShape();
  info->described.clear();
  info->described_statuses.clear();
  if (!store_->capabilities().directories) {
    // One listing per kind of link, whatever the depth.
    RepositoryKeys keys;
    Status s = ListRepositoryKeys(name, &keys);
    return s.ok() ? ScanKeys(name, keys, info) : s;
  }
  ScanDescription description;
  Status s = ScanRevisions(name, info, &description);
  if (s.ok()) s = ScanTags(name, info, &description);
  if (s.ok()) ScanLayers(name, info, &description);
  if (s.ok()) description.AppendTo(info);
  return s;
}

Status Registry::ScanRevisions(const std::string& name, RepositoryInfo* info,
                               ScanDescription* description) const {
  std::vector<ListEntry> algorithms;
  Status s = ListDescribed(store_, layout::RevisionsDir(name), &algorithms,
                           &description->revisions_dir.info,
                           &description->revisions_dir.status);
  if (!s.ok()) return s;
  for (const ListEntry& algorithm : algorithms) {
    std::string dir = layout::RevisionAlgorithmDir(name, algorithm.name);
    if (algorithm.type == EntryType::kSymlink) {
      info->problems.push_back(
          LinkHidingLinks(*this, dir, "a revisions/<algorithm> directory"));
      continue;
    }
    if (algorithm.type != EntryType::kDirectory ||
        !Digest::IsAlgorithmName(algorithm.name)) {
      info->problems.push_back(Unexpected(
          *this, dir, "not a digest algorithm directory: skipped"));
      continue;
    }
    info->shape.revision_algorithms.push_back(algorithm.name);
    std::vector<ListEntry> revisions;
    ScanDescription::Entry& dir_entry =
        description->revision_algorithm_dirs.emplace_back();
    s = ListDescribed(store_, dir, &revisions, &dir_entry.info,
                      &dir_entry.status);
    if (!s.ok()) return s;
    std::vector<std::string> hexes;
    std::vector<std::string> names;  // "<hex>/link"
    for (const ListEntry& revision : revisions) {
      if (IsTemporaryFile(revision)) continue;
      if (revision.type == EntryType::kSymlink) {
        info->problems.push_back(LinkHidingLinks(
            *this, layout::Join(dir, revision.name), "a revision directory"));
        continue;
      }
      if (revision.type != EntryType::kDirectory) {
        info->problems.push_back(Unexpected(
            *this, layout::Join(dir, revision.name),
            "not a revision directory: skipped"));
        continue;
      }
      hexes.push_back(revision.name);
      names.push_back(layout::Join(revision.name, layout::kLinkFile));
    }
    std::vector<ObjectContents> files;
    store_->ReadBatch(dir, names, kMaxLinkBytes, &files);
    for (size_t i = 0; i < files.size(); ++i) {
      // The directory name stands for the revision even when the link is
      // damaged: a malformed link must not hide its manifest.
      Digest named;
      if (Digest::FromParts(algorithm.name, hexes[i], &named)) {
        info->shape.revisions.push_back(named);
        description->revision_links.push_back(
            ScanDescription::Entry{files[i].info, files[i].status});
      }
      LinkInfo link = ToLink(layout::Join(dir, names[i]), std::move(files[i]));
      link.named = std::move(named);
      info->revisions.push_back(std::move(link));
    }
  }
  return Status::OK();
}

Status Registry::ScanTags(const std::string& name, RepositoryInfo* info,
                          ScanDescription* description) const {
  std::vector<ListEntry> tags;
  Status s = ListDescribed(store_, layout::TagsDir(name), &tags,
                           &description->tags_dir.info,
                           &description->tags_dir.status);
  if (!s.ok()) return s;
  std::vector<std::string> tag_names;
  std::vector<std::string> link_names;  // "<tag>/current/link"
  for (const ListEntry& tag : tags) {
    if (IsTemporaryFile(tag)) continue;
    if (tag.type == EntryType::kSymlink) {
      info->problems.push_back(LinkHidingLinks(
          *this, layout::TagDir(name, tag.name), "a tag directory"));
      continue;
    }
    if (tag.type != EntryType::kDirectory) {
      info->problems.push_back(
          Unexpected(*this, layout::TagDir(name, tag.name),
                     "not a tag directory: skipped"));
      continue;
    }
    tag_names.push_back(tag.name);
    link_names.push_back(layout::TagCurrentLinkName(tag.name));
  }
  std::vector<ObjectContents> files;
  store_->ReadBatch(layout::TagsDir(name), link_names, kMaxLinkBytes, &files);
  for (size_t i = 0; i < files.size(); ++i) {
    info->shape.tags.push_back(tag_names[i]);
    description->tag_links.push_back(
        ScanDescription::Entry{files[i].info, files[i].status});
    LinkInfo link = ToLink(layout::Join(layout::TagsDir(name), link_names[i]),
                           std::move(files[i]));
    info->tags.push_back(TagInfo{tag_names[i], std::move(link)});
  }
  return Status::OK();
}

void Registry::StatRepository(const std::string& name,
                              const RepositoryShape& shape,
                              std::vector<ObjectInfo>* infos,
                              std::vector<Status>* statuses) const {
  // One StatFiles call per directory, with names relative to it: each
  // opens its directory once, and the kernel walks short paths.
  const std::string revisions = layout::Join(layout::kManifestsDir, "revisions");
  const std::string layers(layout::kLayersDir);
  std::vector<std::string> dirs = {revisions};
  for (const std::string& algorithm : shape.revision_algorithms) {
    dirs.push_back(layout::Join(revisions, algorithm));
  }
  dirs.push_back(layers);
  for (const std::string& algorithm : shape.layer_algorithms) {
    dirs.push_back(layout::Join(layers, algorithm));
  }
  if (shape.with_tags) dirs.push_back(layout::Join(layout::kManifestsDir, "tags"));
  // DescribeFiles may follow a symbolic link in a middle component; each
  // middle directory here is described itself (the directories above) or
  // lies in one that is (a revision's or a tag's directory, in revisions/
  // <alg>/ or tags/), so putting a link there changes the description.
  store_->DescribeBatch(layout::RepositoryDir(name), dirs, infos, statuses);
  // tags/ is described with the other directories (one open of the
  // repository), but its place is after the revision links.
  ObjectInfo tags_info;
  Status tags_status;
  if (shape.with_tags) {
    tags_info = infos->back();
    tags_status = statuses->back();
    infos->pop_back();
    statuses->pop_back();
  }
  auto append = [&](const std::string& dir,
                    const std::vector<std::string>& names) {
    std::vector<ObjectInfo> more_infos;
    std::vector<Status> more_statuses;
    store_->DescribeBatch(dir, names, &more_infos, &more_statuses);
    infos->insert(infos->end(), more_infos.begin(), more_infos.end());
    statuses->insert(statuses->end(), more_statuses.begin(),
                     more_statuses.end());
  };
  // Revisions come grouped by algorithm, in the order of the scan.
  for (size_t i = 0; i < shape.revisions.size();) {
    std::string_view algorithm = shape.revisions[i].algorithm_name();
    std::vector<std::string> names;
    for (; i < shape.revisions.size() &&
           shape.revisions[i].algorithm_name() == algorithm;
         ++i) {
      names.push_back(layout::Join(shape.revisions[i].hex(), layout::kLinkFile));
    }
    append(layout::RevisionAlgorithmDir(name, algorithm), names);
  }
  if (!shape.with_tags) return;
  infos->push_back(tags_info);
  statuses->push_back(std::move(tags_status));
  std::vector<std::string> tag_links;
  for (const std::string& tag : shape.tags) {
    tag_links.push_back(layout::TagCurrentLinkName(tag));
  }
  if (!tag_links.empty()) append(layout::TagsDir(name), tag_links);
}

Status Registry::StatBlobPrefix(const BlobPrefix& prefix,
                                ObjectInfo* info) const {
  return store_->Stat(layout::BlobPrefixDir(prefix.algorithm, prefix.prefix),
                      info);
}

Status Registry::ListTagHistory(const std::string& repository,
                                const std::string& tag,
                                std::vector<Digest>* digests) const {
  digests->clear();
  std::vector<ListEntry> algorithms;
  Status s = ListOrEmpty(store_, layout::TagIndexDir(repository, tag),
                         &algorithms);
  if (!s.ok()) return s;
  for (const ListEntry& algorithm : algorithms) {
    if (!Digest::IsAlgorithmName(algorithm.name)) continue;
    std::vector<ListEntry> entries;
    s = ListOrEmpty(store_,
                    layout::TagIndexAlgorithmDir(repository, tag,
                                                 algorithm.name),
                    &entries);
    if (!s.ok()) return s;
    for (const ListEntry& entry : entries) {
      Digest digest;
      if (Digest::FromParts(algorithm.name, entry.name, &digest)) {
        digests->push_back(std::move(digest));
      }
    }
  }
  return Status::OK();
}

void Registry::ScanLayers(const std::string& name, RepositoryInfo* info,
                          ScanDescription* description) const {
  std::vector<ListEntry> algorithms;
  Status s = ListDescribed(store_, layout::LayersDir(name), &algorithms,
                           &description->layers_dir.info,
                           &description->layers_dir.status);
  if (!s.ok()) {
    info->problems.push_back(StoreProblem{s.message(), "cannot list layers"});
    return;
  }
  for (const ListEntry& algorithm : algorithms) {
    if (!Digest::IsAlgorithmName(algorithm.name)) continue;
    info->shape.layer_algorithms.push_back(algorithm.name);
    std::vector<ListEntry> layers;
    std::string dir = layout::LayerAlgorithmDir(name, algorithm.name);
    ScanDescription::Entry& dir_entry =
        description->layer_algorithm_dirs.emplace_back();
    s = ListDescribed(store_, dir, &layers, &dir_entry.info, &dir_entry.status);
    if (!s.ok()) {
      info->problems.push_back(StoreProblem{s.message(), "cannot list layers"});
      continue;
    }
    for (const ListEntry& layer : layers) {
      Digest digest;
      if (layer.type == EntryType::kDirectory &&
          Digest::FromParts(algorithm.name, layer.name, &digest)) {
        info->layers.push_back(std::move(digest));
      }
    }
  }
}

Status Registry::ListBlobPrefixes(std::vector<BlobPrefix>* prefixes,
                                  std::vector<StoreProblem>* problems) const {
  prefixes->clear();
  std::vector<ListEntry> algorithms;
  Status s = ListOrEmpty(store_, layout::BlobsRoot(), &algorithms);
  if (!s.ok()) return s;
  for (const ListEntry& algorithm : algorithms) {
    std::string dir = layout::BlobAlgorithmDir(algorithm.name);
    if (algorithm.type != EntryType::kDirectory ||
        !Digest::IsAlgorithmName(algorithm.name)) {
      problems->push_back(Unexpected(*this, dir, "not a blob algorithm "
                                                 "directory: skipped"));
      continue;
    }
    std::vector<ListEntry> entries;
    s = store_->List(dir, &entries);
    if (!s.ok()) return s;
    for (const ListEntry& entry : entries) {
      if (entry.type == EntryType::kDirectory && entry.name.size() == 2) {
        prefixes->push_back(BlobPrefix{algorithm.name, entry.name});
      } else if (!IsTemporaryFile(entry)) {
        problems->push_back(Unexpected(*this, layout::Join(dir, entry.name),
                                       "not a blob prefix directory: skipped"));
      }
    }
  }
  return Status::OK();
}

Status Registry::ListBlobs(const BlobPrefix& prefix,
                           std::vector<Digest>* digests,
                           std::vector<StoreProblem>* problems) const {
  digests->clear();
  return VisitBlobs(
      prefix,
      [&](std::string_view hex, const BlobInfo*) {
        Digest digest;
        Digest::FromParts(prefix.algorithm, hex, &digest);
        digests->push_back(std::move(digest));
      },
      problems);
}

Status Registry::VisitBlobs(const BlobPrefix& prefix, const BlobVisitor& visit,
                            std::vector<StoreProblem>* problems) const {
  const std::string dir = layout::BlobPrefixDir(prefix.algorithm, prefix.prefix);
  auto entry = [&](std::string_view name, EntryType type,
                   const BlobInfo* data) {
    if (type == EntryType::kDirectory &&
        Digest::IsValidHex(prefix.algorithm, name) &&
        name.substr(0, 2) == prefix.prefix) {
      visit(name, data);
    } else if (!IsTemporaryFile(name, type)) {
      problems->push_back(Unexpected(*this, layout::Join(dir, std::string(name)),
                                     "not a blob directory: skipped"));
    }
  };
  Status s = store_->capabilities().directories
                 ? store_->Visit(dir,
                                 [&](std::string_view name, EntryType type) {
                                   entry(name, type, nullptr);
                                 })
                 : VisitBlobKeys(dir, entry);
  return s.IsNotFound() ? Status::OK() : s;
}

// On a store without directories: one listing of every key below `dir`
// (as many requests as a listing of the names, 1000 keys a page), whose
// keys "<name>/..." make the entry <name> a directory, with the size and
// time of "<name>/data" when listed. The listing is sorted, so each name's
// keys come together.
Status Registry::VisitBlobKeys(
    const std::string& dir,
    const std::function<void(std::string_view, EntryType, const BlobInfo*)>&
        entry) const {
  std::string current;  // the directory whose keys are being listed
  BlobInfo data;
  auto finish = [&] {
    if (!current.empty()) {
      entry(current, EntryType::kDirectory, data.has_data ? &data : nullptr);
    }
    current.clear();
    data = BlobInfo();
  };
  Status s = store_->ListAll(dir, [&](std::string_view key,
                                      const ObjectInfo& info) {
    const size_t slash = key.find('/');
    if (slash == std::string_view::npos) {
      finish();
      entry(key, info.type, nullptr);  // an object where a blob belongs
      return;
    }
    const std::string_view name = key.substr(0, slash);
    if (name != current) {
      finish();
      current.assign(name);
    }
    if (key.substr(slash + 1) == layout::kDataFile &&
        info.type == EntryType::kFile) {
      data = BlobInfo{true, false, info.size, info.mtime_ns};
    }
  });
  if (s.ok()) finish();
  return s;
}

BlobPrefix BlobPrefix::Of(const Digest& digest) {
  return BlobPrefix{std::string(digest.algorithm_name()),
                    std::string(digest.hex().substr(0, 2))};
}

void Registry::StatBlobDirs(const BlobPrefix& prefix,
                            const std::vector<std::string>& hexes,
                            std::vector<ObjectInfo>* infos,
                            std::vector<Status>* statuses) const {
  store_->StatBatch(layout::BlobPrefixDir(prefix.algorithm, prefix.prefix),
                    hexes, infos, statuses);
}

Status Registry::StatBlob(const Digest& digest, BlobInfo* info) const {
  ObjectInfo file;
  Status s = store_->Stat(layout::BlobDataPath(digest), &file);
  if (s.ok() && file.type == EntryType::kFile) {
    *info = BlobInfo{true, false, file.size, file.mtime_ns};
    return s;
  }
  if (s.ok() || s.IsNotFound()) {
    // No data file (or not a file): describe the directory, if any.
    bool odd_data = s.ok();
    s = store_->Stat(layout::BlobDir(digest), &file);
    if (s.ok()) *info = BlobInfo{false, odd_data, 0, file.mtime_ns};
  }
  return s;
}

std::string Registry::DescribeBlobData(const Digest& digest) const {
  return store_->Describe(layout::BlobDataPath(digest));
}

void Registry::StatBlobs(const BlobPrefix& prefix,
                         const std::vector<Digest>& digests,
                         std::vector<BlobInfo>* infos,
                         std::vector<Status>* statuses) const {
  std::vector<std::string> names;
  names.reserve(digests.size());
  for (const Digest& digest : digests) {
    names.push_back(layout::Join(digest.hex(), layout::kDataFile));
  }
  std::vector<ObjectInfo> files;
  store_->StatBatch(layout::BlobPrefixDir(prefix.algorithm, prefix.prefix),
                    names, &files, statuses);
  infos->assign(digests.size(), BlobInfo());
  for (size_t i = 0; i < digests.size(); ++i) {
    Status& s = (*statuses)[i];
    if (s.ok() && files[i].type == EntryType::kFile) {
      (*infos)[i] = BlobInfo{true, false, files[i].size, files[i].mtime_ns};
    } else if (s.ok() || s.IsNotFound()) {
      s = StatBlob(digests[i], &(*infos)[i]);  // rare: no data file
    }
  }
}

Status Registry::ReadManifestBlob(const Digest& digest,
                                  std::string* bytes) const {
  return store_->Read(layout::BlobDataPath(digest), kMaxManifestBytes,
                          bytes, nullptr);
}

namespace {

// OK when every one of `dirs` that exists may be written.
Status CheckWritableDirs(Store* store, const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    Status s = store->CheckWritable(dir);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  return Status::OK();
}

}  // namespace

Status Registry::CheckCanRemoveBlob(const Digest& digest) const {
  BlobPrefix prefix = BlobPrefix::Of(digest);
  return CheckWritableDirs(
      store_, {layout::BlobPrefixDir(prefix.algorithm, prefix.prefix),
               layout::BlobDir(digest)});
}

Status Registry::CheckCanRemoveRevision(const std::string& repository,
                                        const Digest& digest) const {
  return CheckWritableDirs(
      store_, {layout::RevisionAlgorithmDir(repository, digest.algorithm_name()),
               layout::RevisionDir(repository, digest)});
}

Status Registry::CheckCanRemoveLayerLinks(const std::string& repository) const {
  return CheckWritableDirs(store_,
                           {layout::LayerAlgorithmDir(repository, "sha256")});
}

Status Registry::RemoveBlob(const Digest& digest) const {
  if (!quarantine_run_.empty()) {
    std::vector<Status> results;
    QuarantineTreesAt({layout::BlobDir(digest)}, &results);
    return results.front();
  }
  // The data file goes first: a blob directory without data is not a blob
  // to the registry, and a rerun removes the empty directory.
  std::vector<Status> results;
  store_->Delete(layout::BlobDir(digest), {std::string(layout::kDataFile)},
                 &results);
  if (!results.front().ok() && !results.front().IsNotFound()) {
    return results.front();
  }
  return store_->DeleteTree(layout::BlobDir(digest));
}

void Registry::RemoveTreesAt(const std::vector<std::string>& paths,
                             const std::string& usual_key, bool few_keys,
                             std::vector<Status>* results) const {
  if (!quarantine_run_.empty()) return QuarantineTreesAt(paths, results);
  std::vector<TreeGroup> groups;
  std::map<std::string_view, size_t> group_of;  // views of `paths`
  std::vector<std::pair<size_t, size_t>> place;  // (group, name) of paths[i]
  for (const std::string& path : paths) {
    const size_t slash = path.rfind('/');
    const std::string_view dir = std::string_view(path).substr(0, slash);
    auto [it, inserted] = group_of.emplace(dir, groups.size());
    if (inserted) groups.push_back(TreeGroup{std::string(dir), {}, few_keys});
    std::vector<std::string>& names = groups[it->second].names;
    place.emplace_back(it->second, names.size());
    names.push_back(path.substr(slash + 1));
  }
  std::vector<std::vector<Status>> outcomes;
  store_->DeleteTreeGroups(groups, usual_key, &outcomes);
  results->clear();
  for (const auto& [g, n] : place) results->push_back(outcomes[g][n]);
}

void Registry::QuarantineTreesAt(const std::vector<std::string>& paths,
                                 std::vector<Status>* results) const {
  std::vector<TreeMove> moves;
  moves.reserve(paths.size());
  for (const std::string& path : paths) {
    moves.push_back(TreeMove{path, layout::QuarantinedKey(quarantine_run_, path)});
  }
  store_->MoveTrees(moves, results);
  for (Status& s : *results) {
    if (s.IsNotFound()) s = Status::OK();  // gone already, as with deletion
  }
}

void Registry::RemoveBlobsAnywhere(const std::vector<Digest>& digests,
                                   std::vector<Status>* results) const {
  std::vector<std::string> paths;
  paths.reserve(digests.size());
  for (const Digest& digest : digests) paths.push_back(layout::BlobDir(digest));
  RemoveTreesAt(paths, std::string(layout::kDataFile), false, results);
}

void Registry::RemoveLayerLinkSets(
    const std::vector<LayerLinkSet>& sets,
    std::vector<std::vector<Status>>* results) const {
  std::vector<std::string> paths;
  for (const LayerLinkSet& set : sets) {
    for (const Digest& digest : *set.digests) {
      paths.push_back(layout::LayerLinkDir(*set.repository, digest));
    }
  }
  std::vector<Status> flat;
  RemoveTreesAt(paths, std::string(layout::kLinkFile), false, &flat);
  results->assign(sets.size(), {});
  size_t k = 0;
  for (size_t s = 0; s < sets.size(); ++s) {
    for (size_t i = 0; i < sets[s].digests->size(); ++i) {
      (*results)[s].push_back(std::move(flat[k++]));
    }
  }
}

void Registry::RemoveManifests(const std::vector<ManifestRemoval>& manifests,
                               std::vector<Status>* results) const {
  results->assign(manifests.size(), Status::OK());
  // The tag histories first: each is a small directory, listed once.
  std::vector<std::string> entries;
  std::vector<size_t> owner;  // owner[j]: the manifest of entries[j]
  for (size_t i = 0; i < manifests.size(); ++i) {
    for (const std::string& tag : *manifests[i].tags) {
      entries.push_back(layout::TagIndexEntryDir(*manifests[i].repository, tag,
                                                 *manifests[i].digest));
      owner.push_back(i);
    }
  }
  std::vector<Status> removed;
  RemoveTreesAt(entries, std::string(layout::kLinkFile), true, &removed);
  for (size_t j = 0; j < entries.size(); ++j) {
    if (!removed[j].ok() && (*results)[owner[j]].ok()) {
      (*results)[owner[j]] = removed[j];
    }
  }
  std::vector<std::string> revisions;
  std::vector<size_t> which;
  for (size_t i = 0; i < manifests.size(); ++i) {
    if (!(*results)[i].ok()) continue;  // its history stays: so does it
    revisions.push_back(
        layout::RevisionDir(*manifests[i].repository, *manifests[i].digest));
    which.push_back(i);
  }
  RemoveTreesAt(revisions, std::string(layout::kLinkFile), false, &removed);
  for (size_t j = 0; j < revisions.size(); ++j) {
    (*results)[which[j]] = removed[j];
  }
}

namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// One component of a repository name: runs of [a-z0-9] joined by exactly
// ".", "_", "__" or one or more '-'.
bool IsValidRepositoryComponent(std::string_view part) {
  if (part.empty() || !IsLowerAlnum(part.front()) ||
      !IsLowerAlnum(part.back())) {
    return false;
  }
  size_t i = 0;
  while (i < part.size()) {
    if (IsLowerAlnum(part[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < part.size() && !IsLowerAlnum(part[i])) ++i;
    std::string_view separator = part.substr(start, i - start);
    bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
    if (!dashes && separator != "." && separator != "_" && separator != "__") {
      return false;
    }
  }
  return true;
}

Status CheckTagNames(const std::string& repository, const std::string& tag) {
  if (!Registry::IsValidRepositoryName(repository)) {
    return Status::InvalidArgument(repository,
                                   "not a valid repository name");
  }
  if (!Registry::IsValidTagName(tag)) {
    return Status::InvalidArgument(
        tag, "not a valid tag name ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
  }
  return Status::OK();
}

}  // namespace

bool Registry::IsValidTagName(std::string_view tag) {
  auto allowed = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' ||
           (!first && (c == '.' || c == '-'));
  };
  if (tag.empty() || tag.size() > 128) return false;
  for (size_t i = 0; i < tag.size(); ++i) {
    if (!allowed(tag[i], i == 0)) return false;
  }
  return true;
}

bool Registry::IsValidRepositoryName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view part = name.substr(
        start, slash == std::string_view::npos ? name.size() - start
                                               : slash - start);
    if (!IsValidRepositoryComponent(part)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Status Registry::CheckRepository(const std::string& repository) const {
  if (!IsValidRepositoryName(repository)) {
    return Status::InvalidArgument(repository,
                                   "not a valid repository name");
  }
  for (const std::string& dir :
       {layout::ManifestsDir(repository), layout::LayersDir(repository)}) {
    ObjectInfo info;
    Status s = store_->Stat(dir, &info);
    if (s.ok() && info.type == EntryType::kDirectory) return Status::OK();
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  return Status::NotFound(repository, "no such repository");
}

Status Registry::ListTags(const std::string& repository,
                          std::vector<TagInfo>* tags,
                          std::vector<StoreProblem>* problems) const {
  RepositoryInfo info;
  info.name = repository;
  ScanDescription unused;
  Status s = ScanTags(repository, &info, &unused);
  *tags = std::move(info.tags);
  problems->insert(problems->end(), info.problems.begin(),
                   info.problems.end());
  return s;
}

Status Registry::ReadTag(const std::string& repository, const std::string& tag,
                         TagInfo* info) const {
  Status s = CheckTagNames(repository, tag);
  if (!s.ok()) return s;
  std::string dir = layout::TagDir(repository, tag);
  ObjectInfo file;
  s = store_->Stat(dir, &file);
  if (!s.ok()) return s;
  if (file.type != EntryType::kDirectory) {
    return Status::IOError(store_->Describe(dir),
                           "not a tag directory (a file or a symbolic link)");
  }
  info->name = tag;
  info->current = ReadLink(layout::TagCurrentLinkPath(repository, tag));
  return Status::OK();
}

Status Registry::RemoveTag(const std::string& repository,
                           const std::string& tag) const {
  Status s = CheckTagNames(repository, tag);
  if (!s.ok()) return s;
  if (!quarantine_run_.empty()) {
    std::vector<Status> results;
    QuarantineTreesAt({layout::TagDir(repository, tag)}, &results);
    return results.front();
  }
  return store_->DeleteTree(layout::TagDir(repository, tag));
}


// Audit.

namespace {

// _uploads/<id>/startedat holds a few dozen bytes.
constexpr uint64_t kMaxStartedAtBytes = 256;

}  // namespace

LinkInfo Registry::ReadRevisionLink(const std::string& repository,
                                    const Digest& digest) const {
  LinkInfo link = ReadLink(layout::RevisionLinkPath(repository, digest));
  link.named = digest;
  return link;
}

LinkInfo Registry::ReadLayerLink(const std::string& repository,
                                 const Digest& digest) const {
  LinkInfo link = ReadLink(layout::LayerLinkPath(repository, digest));
  link.named = digest;
  return link;
}

Status Registry::ListUploads(const std::string& repository,
                             std::vector<UploadInfo>* uploads,
                             std::vector<StoreProblem>* problems) const {
  uploads->clear();
  std::vector<ListEntry> entries;
  Status s = ListOrEmpty(store_, layout::UploadsDir(repository), &entries);
  if (!s.ok()) return s;
  for (const ListEntry& entry : entries) {
    const std::string dir = layout::UploadDir(repository, entry.name);
    if (entry.type != EntryType::kDirectory) {
      problems->push_back(
          Unexpected(*this, dir, "not an upload directory: skipped"));
      continue;
    }
    UploadInfo upload;
    upload.id = entry.name;
    upload.path = store_->Describe(dir);
    std::string started;
    if (store_->Read(layout::UploadStartedAtPath(repository, entry.name),
                         kMaxStartedAtBytes, &started, nullptr)
            .ok() &&
        ParseRfc3339(started, &upload.started_ns)) {
      upload.started_from_file = true;
    } else {
      ObjectInfo info;
      if (store_->Stat(dir, &info).ok()) upload.started_ns = info.mtime_ns;
    }
    ObjectInfo data;
    if (store_->Stat(layout::UploadDataPath(repository, entry.name), &data)
            .ok() &&
        data.type == EntryType::kFile) {
      upload.bytes = data.size;
    }
    if (upload.started_ns == 0) {
      // A store without directories has no time for the upload's
      // directory: the upload is as old as its newest object (its data, or
      // an unreadable startedat when nothing was written yet), never 0,
      // which would make it look older than any purge age.
      store_->ListAll(dir, [&](std::string_view, const ObjectInfo& object) {
        upload.started_ns = std::max(upload.started_ns, object.mtime_ns);
      });
    }
    uploads->push_back(std::move(upload));
  }
  std::sort(uploads->begin(), uploads->end(),
            [](const UploadInfo& a, const UploadInfo& b) { return a.id < b.id; });
  return Status::OK();
}

Status Registry::ReadBlobChunks(
    const Digest& digest, size_t chunk_bytes,
    const std::function<Status(std::string_view)>& sink,
    uint64_t* size) const {
  const std::string path = layout::BlobDataPath(digest);
  if (chunk_bytes == 0) chunk_bytes = 1 << 20;
  std::string piece;
  ObjectInfo info;
  *size = 0;
  while (true) {
    Status s = store_->ReadRange(path, *size, chunk_bytes, &piece,
                                     *size == 0 ? &info : nullptr);
    if (!s.ok()) return s;
    if (piece.empty()) return Status::OK();
    *size += piece.size();
    s = sink(piece);
    if (!s.ok() || *size >= info.size) return s;
  }
}

}  // namespace regsweep::storage
