#include "storage/layout.h"

namespace regsweep::storage::layout {

std::string Join(std::string_view a, std::string_view b) {
  std::string path;
  path.reserve(a.size() + 1 + b.size());
  path.append(a);
  path.push_back('/');
  path.append(b);
  return path;
}

std::string V2Root() { return "docker/registry/v2"; }
std::string RegsweepRoot() { return "docker/registry/regsweep"; }
std::string RunLockPath() { return Join(RegsweepRoot(), "lock"); }
std::string RunLockTakeoverPath(std::string_view token) {
  return Join(RegsweepRoot(), "lock.takeover." + std::string(token));
}
std::string QuarantineRoot() { return Join(RegsweepRoot(), "quarantine"); }
std::string QuarantineRunDir(std::string_view run) {
  return Join(QuarantineRoot(), run);
}
std::string QuarantineRecordDir(std::string_view run) {
  return Join(QuarantineRunDir(run), "record");
}
// Zero-padded, so that the names sort as the numbers do.
std::string QuarantineRecordPath(std::string_view run, uint64_t sequence) {
  std::string number = std::to_string(sequence);
  if (number.size() < 8) number.insert(0, 8 - number.size(), '0');
  return Join(QuarantineRecordDir(run), number);
}
std::string QuarantinedKey(std::string_view run, std::string_view key) {
  const std::string v2 = V2Root();
  std::string_view below = key.substr(v2.size());  // "/blobs/..."
  return QuarantineRunDir(run) + "/v2" + std::string(below);
}
std::string BlobsRoot() { return Join(V2Root(), "blobs"); }
std::string BlobAlgorithmDir(std::string_view algorithm) {
  return Join(BlobsRoot(), algorithm);
}
std::string BlobPrefixDir(std::string_view algorithm,
                          std::string_view prefix) {
  return Join(BlobAlgorithmDir(algorithm), prefix);
}
std::string BlobDir(const Digest& digest) {
  return Join(BlobPrefixDir(digest.algorithm_name(), digest.hex().substr(0, 2)),
              digest.hex());
}
std::string BlobDataPath(const Digest& digest) {
  return Join(BlobDir(digest), kDataFile);
}

std::string RepositoriesRoot() { return Join(V2Root(), "repositories"); }

std::vector<std::string> DirsOperatorsLink() {
  return {"docker", "docker/registry", V2Root(), BlobsRoot(),
          RepositoriesRoot()};
}
std::string RepositoryDir(std::string_view repository) {
  return Join(RepositoriesRoot(), repository);
}
std::string ChildRepository(std::string_view parent, std::string_view child) {
  return parent.empty() ? std::string(child) : Join(parent, child);
}
std::string ManifestsDir(std::string_view repository) {
  return Join(RepositoryDir(repository), kManifestsDir);
}
std::string RevisionsDir(std::string_view repository) {
  return Join(ManifestsDir(repository), "revisions");
}
std::string RevisionAlgorithmDir(std::string_view repository,
                                 std::string_view algorithm) {
  return Join(RevisionsDir(repository), algorithm);
}
std::string RevisionDir(std::string_view repository, const Digest& digest) {
  return Join(RevisionAlgorithmDir(repository, digest.algorithm_name()),
              digest.hex());
}
std::string RevisionLinkPath(std::string_view repository,
                             const Digest& digest) {
  return Join(RevisionDir(repository, digest), kLinkFile);
}
std::string TagsDir(std::string_view repository) {
  return Join(ManifestsDir(repository), "tags");
}
std::string TagDir(std::string_view repository, std::string_view tag) {
  return Join(TagsDir(repository), tag);
}
std::string TagCurrentLinkName(std::string_view tag) {
  return Join(Join(tag, "current"), kLinkFile);
}
std::string TagCurrentLinkPath(std::string_view repository,
                               std::string_view tag) {
  return Join(TagsDir(repository), TagCurrentLinkName(tag));
}
std::string TagIndexDir(std::string_view repository, std::string_view tag) {
  return Join(TagDir(repository, tag), "index");
}
std::string TagIndexAlgorithmDir(std::string_view repository,
                                 std::string_view tag,
                                 std::string_view algorithm) {
  return Join(TagIndexDir(repository, tag), algorithm);
}
std::string TagIndexEntryDir(std::string_view repository, std::string_view tag,
                             const Digest& digest) {
  return Join(TagIndexAlgorithmDir(repository, tag, digest.algorithm_name()),
              digest.hex());
}
std::string TagIndexLinkPath(std::string_view repository, std::string_view tag,
                             const Digest& digest) {
  return Join(TagIndexEntryDir(repository, tag, digest), kLinkFile);
}
std::string LayersDir(std::string_view repository) {
  return Join(RepositoryDir(repository), kLayersDir);
}
std::string LayerAlgorithmDir(std::string_view repository,
                              std::string_view algorithm) {
  return Join(LayersDir(repository), algorithm);
}
std::string LayerLinkDir(std::string_view repository, const Digest& digest) {
  return Join(LayerAlgorithmDir(repository, digest.algorithm_name()),
              digest.hex());
}
std::string LayerLinkPath(std::string_view repository, const Digest& digest) {
  return Join(LayerLinkDir(repository, digest), kLinkFile);
}
std::string UploadsDir(std::string_view repository) {
  return Join(RepositoryDir(repository), kUploadsDir);
}
std::string UploadDir(std::string_view repository, std::string_view id) {
  return Join(UploadsDir(repository), id);
}
std::string UploadDataPath(std::string_view repository, std::string_view id) {
  return Join(UploadDir(repository, id), kDataFile);
}
std::string UploadStartedAtPath(std::string_view repository,
                                std::string_view id) {
  return Join(UploadDir(repository, id), "startedat");
}
std::string UploadHashStatePath(std::string_view repository,
                                std::string_view id, std::string_view algorithm,
                                uint64_t offset) {
  return Join(Join(Join(UploadDir(repository, id), "hashstates"), algorithm),
              std::to_string(offset));
}

}  // namespace regsweep::storage::layout
