// Registry's scan of a repository on a store without directories (an
// object store), built from the keys below each of its link roots
// (revisions/, tags/ and _layers/): ScanRepository lists each root whole,
// every key below it at once (Store::ListAll: one request per 1000 keys on
// S3), instead of one listing per directory level; ScanEveryRepository
// (registry_ranges.cc) hands over the keys its ranged listings found. The
// outcome is the directory scan's (registry.cc), entry for entry, with two
// differences:
//  - A revision link whose description carries an MD5 (S3's ETag) equal to
//    the MD5 of the exact text its key names ("sha256:<hex>", what the
//    registry writes) is not read: its content is known. Any other link is
//    read, so a link that names something else is still found and both
//    digests are kept; a false MD5 can only fail to match, never hide a
//    root.
//  - A tag directory without a current link costs no read: the listing
//    says it is missing.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/layout.h"
#include "storage/registry.h"
#include "storage/registry_scan.h"
#include "util/content_hash.h"

namespace regsweep::storage {
namespace {

// Every key below `prefix`, as KeysBelow holds them.
void ListKeys(Store* store, const std::string& prefix, KeysBelow* below) {
  below->keys.clear();
  below->dir_info = ObjectInfo();
  below->dir_status = store->ListAll(
      prefix, [below](std::string_view key, const ObjectInfo& info) {
        below->keys.push_back(KeyAndInfo{std::string(key), info});
      });
  if (!below->dir_status.ok()) {
    below->keys.clear();
    return;
  }
  below->dir_info = DirectoryInfo();
}

// Describes a link root as a scan does; non-OK when it could not be
// listed.
Status DescribeRoot(const KeysBelow& below, ObjectInfo* info, Status* status) {
  *info = below.dir_info;
  *status = below.dir_status;
  return below.dir_status.IsNotFound() ? Status::OK() : below.dir_status;
}

// The components of `key`; empty when one of them is empty (an S3 folder
// marker such as "sha256/" or a key with "//"): such keys stand for
// nothing the registry writes.
std::vector<std::string_view> Components(std::string_view key) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string_view part = key.substr(
        start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty()) return {};
    parts.push_back(part);
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// A revision (or tag) directory as its keys show it.
struct LinkedEntry {
  bool has_link = false;
  ObjectInfo link_info;
};

}  // namespace

Status Registry::ListRepositoryKeys(const std::string& name,
                                    RepositoryKeys* keys) const {
  ListKeys(store_, layout::RevisionsDir(name), &keys->revisions);
  const Status& revisions = keys->revisions.dir_status;
  if (!revisions.ok() && !revisions.IsNotFound()) return revisions;
  ListKeys(store_, layout::TagsDir(name), &keys->tags);
  const Status& tags = keys->tags.dir_status;
  if (!tags.ok() && !tags.IsNotFound()) return tags;
  ListKeys(store_, layout::LayersDir(name), &keys->layers);
  return Status::OK();
}

Status Registry::ScanKeys(const std::string& name, const RepositoryKeys& keys,
                          RepositoryInfo* info) const {
  ScanDescription description;
  Status s = ScanRevisionsByKeys(name, keys.revisions, info, &description);
  if (s.ok()) s = ScanTagsByKeys(name, keys.tags, info, &description);
  if (s.ok()) ScanLayersByKeys(keys.layers, info, &description);
  if (s.ok()) description.AppendTo(info);
  return s;
}

Status Registry::ScanRevisionsByKeys(const std::string& name,
                                     const KeysBelow& below,
                                     RepositoryInfo* info,
                                     ScanDescription* description) const {
  const std::string root = layout::RevisionsDir(name);
  Status s = DescribeRoot(below, &description->revisions_dir.info,
                          &description->revisions_dir.status);
  if (!s.ok()) return s;
  const std::vector<KeyAndInfo>& keys = below.keys;
  // algorithm -> revision directory name -> what lies in it.
  std::map<std::string, std::map<std::string, LinkedEntry>> revisions;
  std::set<std::string> skipped;  // names reported once
  for (const KeyAndInfo& object : keys) {
    const std::vector<std::string_view> parts = Components(object.key);
    if (parts.empty()) continue;
    const std::string algorithm(parts[0]);
    if (parts.size() == 1 || !Digest::IsAlgorithmName(algorithm)) {
      if (skipped.insert(algorithm).second) {
        info->problems.push_back(
            Unexpected(*this, layout::Join(root, algorithm),
                       "not a digest algorithm directory: skipped"));
      }
      continue;
    }
    auto& of_algorithm = revisions[algorithm];
    if (parts.size() == 2) {
      if (!IsTemporaryFile(parts[1], object.info.type)) {
        info->problems.push_back(
            Unexpected(*this, layout::Join(root, object.key),
                       "not a revision directory: skipped"));
      }
      continue;
    }
    LinkedEntry& revision = of_algorithm[std::string(parts[1])];
    if (parts.size() == 3 && parts[2] == layout::kLinkFile) {
      revision.has_link = true;
      revision.link_info = object.info;
    }
  }
  for (const auto& [algorithm, of_algorithm] : revisions) {
    info->shape.revision_algorithms.push_back(algorithm);
    description->revision_algorithm_dirs.push_back(
        ScanDescription::Entry{DirectoryInfo(), Status::OK()});
    const std::string dir = layout::RevisionAlgorithmDir(name, algorithm);
    std::vector<LinkInfo> links;
    std::vector<std::string> to_read;   // "<hex>/link"
    std::vector<size_t> read_into;      // their places in links
    for (const auto& [hex, revision] : of_algorithm) {
      const std::string link_name = layout::Join(hex, layout::kLinkFile);
      LinkInfo& link = links.emplace_back();
      link.path = store_->Describe(layout::Join(dir, link_name));
      Digest::FromParts(algorithm, hex, &link.named);
      if (link.named.valid()) {
        info->shape.revisions.push_back(link.named);
        description->revision_links.push_back(ScanDescription::Entry{
            revision.link_info,
            revision.has_link ? Status::OK()
                              : Status::NotFound(link.path, "no such key")});
      }
      if (!revision.has_link) {
        link.status = Status::NotFound(link.path, "no such key");
      } else if (link.named.valid() && revision.link_info.has_md5 &&
                 Md5Of(link.named.str()) == revision.link_info.md5) {
        link.target = link.named;  // the listing proves what it holds
        link.mtime_ns = revision.link_info.mtime_ns;
      } else {
        to_read.push_back(link_name);
        read_into.push_back(links.size() - 1);
      }
    }
    std::vector<ObjectContents> files;
    store_->ReadBatch(dir, to_read, kMaxLinkBytes, &files);
    for (size_t i = 0; i < files.size(); ++i) {
      LinkInfo& link = links[read_into[i]];
      Digest named = std::move(link.named);
      link = ToLink(layout::Join(dir, to_read[i]), std::move(files[i]));
      link.named = std::move(named);
    }
    for (LinkInfo& link : links) info->revisions.push_back(std::move(link));
  }
  return Status::OK();
}

Status Registry::ScanTagsByKeys(const std::string& name, const KeysBelow& below,
                                RepositoryInfo* info,
                                ScanDescription* description) const {
  const std::string root = layout::TagsDir(name);
  Status s = DescribeRoot(below, &description->tags_dir.info,
                          &description->tags_dir.status);
  if (!s.ok()) return s;
  const std::vector<KeyAndInfo>& keys = below.keys;
  std::map<std::string, LinkedEntry> tags;
  for (const KeyAndInfo& object : keys) {
    const std::vector<std::string_view> parts = Components(object.key);
    if (parts.empty()) continue;
    if (parts.size() == 1) {
      if (!IsTemporaryFile(parts[0], object.info.type)) {
        info->problems.push_back(
            Unexpected(*this, layout::TagDir(name, parts[0]),
                       "not a tag directory: skipped"));
      }
      continue;
    }
    LinkedEntry& tag = tags[std::string(parts[0])];
    if (parts.size() == 3 && parts[1] == "current" &&
        parts[2] == layout::kLinkFile) {
      tag.has_link = true;
      tag.link_info = object.info;
    }
  }
  std::vector<std::string> to_read;  // "<tag>/current/link"
  std::vector<size_t> read_into;
  for (const auto& [tag_name, tag] : tags) {
    info->shape.tags.push_back(tag_name);
    const std::string link_name = layout::TagCurrentLinkName(tag_name);
    TagInfo& entry = info->tags.emplace_back();
    entry.name = tag_name;
    entry.current.path = store_->Describe(layout::Join(root, link_name));
    description->tag_links.push_back(ScanDescription::Entry{
        tag.link_info,
        tag.has_link ? Status::OK()
                     : Status::NotFound(entry.current.path, "no such key")});
    if (tag.has_link) {
      to_read.push_back(link_name);
      read_into.push_back(info->tags.size() - 1);
    } else {
      entry.current.status = Status::NotFound(entry.current.path, "no such key");
    }
  }
  std::vector<ObjectContents> files;
  store_->ReadBatch(root, to_read, kMaxLinkBytes, &files);
  for (size_t i = 0; i < files.size(); ++i) {
    TagInfo& entry = info->tags[read_into[i]];
    description->tag_links[read_into[i]].info = files[i].info;
    entry.current = ToLink(layout::Join(root, to_read[i]), std::move(files[i]));
  }
  return Status::OK();
}

void Registry::ScanLayersByKeys(const KeysBelow& below, RepositoryInfo* info,
                                ScanDescription* description) const {
  Status s = DescribeRoot(below, &description->layers_dir.info,
                          &description->layers_dir.status);
  if (!s.ok()) {
    info->problems.push_back(StoreProblem{s.message(), "cannot list layers"});
    return;
  }
  const std::vector<KeyAndInfo>& keys = below.keys;
  std::map<std::string, std::set<std::string>> layers;  // algorithm -> hexes
  for (const KeyAndInfo& object : keys) {
    const std::vector<std::string_view> parts = Components(object.key);
    // A layer is a directory <alg>/<hex>/ with something in it.
    if (parts.size() < 3 || !Digest::IsAlgorithmName(parts[0])) continue;
    layers[std::string(parts[0])].insert(std::string(parts[1]));
  }
  for (const auto& [algorithm, hexes] : layers) {
    info->shape.layer_algorithms.push_back(algorithm);
    description->layer_algorithm_dirs.push_back(
        ScanDescription::Entry{DirectoryInfo(), Status::OK()});
    for (const std::string& hex : hexes) {
      Digest digest;
      if (Digest::FromParts(algorithm, hex, &digest)) {
        info->layers.push_back(std::move(digest));
      }
    }
  }
}

}  // namespace regsweep::storage
