// Layout: where distribution's filesystem driver keeps each thing, as paths
// relative to the storage root (the directory that contains "docker/").
//
// This is the only place that builds store paths; everything else asks here.
// Paths use '/' and have no leading slash. Repository names nest ("a/b").
//
//   docker/registry/v2/blobs/<alg>/<xx>/<hex>/data
//   docker/registry/v2/repositories/<repo>/_manifests/revisions/<alg>/<hex>/link
//   docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/current/link
//   docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/index/<alg>/<hex>/link
//   docker/registry/v2/repositories/<repo>/_layers/<alg>/<hex>/link
//   docker/registry/v2/repositories/<repo>/_uploads/<id>/
//
// and regsweep's own keys, beside v2/ (where the registry never looks):
//
//   docker/registry/regsweep/lock
//   docker/registry/regsweep/lock.takeover.<token>
//   docker/registry/regsweep/quarantine/<run>/record/<00000001>...
//   docker/registry/regsweep/quarantine/<run>/v2/<what the run moved>
//
// A run's quarantine mirrors v2/: the blob docker/registry/v2/blobs/X is
// quarantined as docker/registry/regsweep/quarantine/<run>/v2/blobs/X.
// Nothing of it is below v2/, so the registry never serves it and
// distribution's own collector never parses it.
#ifndef REGSWEEP_STORAGE_LAYOUT_H_
#define REGSWEEP_STORAGE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>
#include <string_view>

#include "util/digest.h"

namespace regsweep::storage {

namespace layout {

// Directory names with a meaning inside a repository directory.
inline constexpr std::string_view kManifestsDir = "_manifests";
inline constexpr std::string_view kLayersDir = "_layers";
inline constexpr std::string_view kUploadsDir = "_uploads";
inline constexpr std::string_view kLinkFile = "link";
inline constexpr std::string_view kDataFile = "data";

std::string V2Root();            // docker/registry/v2
// The directories an operator may make symbolic links (to another disk),
// parents first: docker, docker/registry, V2Root(), BlobsRoot(),
// RepositoriesRoot().
std::vector<std::string> DirsOperatorsLink();
std::string BlobsRoot();         // .../blobs
std::string BlobAlgorithmDir(std::string_view algorithm);  // .../blobs/sha256
std::string BlobPrefixDir(std::string_view algorithm,
                          std::string_view prefix);        // .../blobs/sha256/ab
std::string BlobDir(const Digest& digest);       // .../blobs/sha256/ab/<hex>
std::string BlobDataPath(const Digest& digest);  // .../<hex>/data

std::string RepositoriesRoot();                       // .../repositories
std::string RepositoryDir(std::string_view repository);
// The name of directory `child` of `parent` ("" for repositories/ itself),
// relative to repositories/: "<parent>/<child>", or `child` at the top.
std::string ChildRepository(std::string_view parent, std::string_view child);
std::string ManifestsDir(std::string_view repository);  // <repo>/_manifests
std::string RevisionsDir(std::string_view repository);  // .../revisions
std::string RevisionAlgorithmDir(std::string_view repository,
                                 std::string_view algorithm);
std::string RevisionDir(std::string_view repository, const Digest& digest);
std::string RevisionLinkPath(std::string_view repository, const Digest& digest);
std::string TagsDir(std::string_view repository);
std::string TagDir(std::string_view repository, std::string_view tag);
std::string TagCurrentLinkPath(std::string_view repository,
                               std::string_view tag);
// "<tag>/current/link": the current link relative to TagsDir().
std::string TagCurrentLinkName(std::string_view tag);
std::string TagIndexDir(std::string_view repository, std::string_view tag);
std::string TagIndexAlgorithmDir(std::string_view repository,
                                 std::string_view tag,
                                 std::string_view algorithm);
std::string TagIndexEntryDir(std::string_view repository, std::string_view tag,
                             const Digest& digest);
std::string TagIndexLinkPath(std::string_view repository, std::string_view tag,
                             const Digest& digest);
std::string LayersDir(std::string_view repository);
std::string LayerAlgorithmDir(std::string_view repository,
                              std::string_view algorithm);
std::string LayerLinkDir(std::string_view repository, const Digest& digest);
std::string LayerLinkPath(std::string_view repository, const Digest& digest);
std::string UploadsDir(std::string_view repository);
// An upload in progress, as the registry keeps it from its start (POST) to
// its commit (PUT): <repo>/_uploads/<id>/ holding `data` (the bytes so
// far), `startedat` (RFC 3339 start time) and
// hashstates/<alg>/<offset> (the hash state after `offset` bytes).
std::string UploadDir(std::string_view repository, std::string_view id);
std::string UploadDataPath(std::string_view repository, std::string_view id);
std::string UploadStartedAtPath(std::string_view repository,
                                std::string_view id);
std::string UploadHashStatePath(std::string_view repository,
                                std::string_view id, std::string_view algorithm,
                                uint64_t offset);

// regsweep's own keys. The run lock (storage/run_lock.h), and the key
// whose creation grants the right to take over the lock a dead run with
// `token` left.
std::string RegsweepRoot();  // docker/registry/regsweep
std::string RunLockPath();   // .../lock
std::string RunLockTakeoverPath(std::string_view token);

// Quarantines (storage/quarantine.h): where run `run` moves what it
// removes, its record files, and where key `key` (below V2Root()) goes.
std::string QuarantineRoot();  // .../regsweep/quarantine
std::string QuarantineRunDir(std::string_view run);
std::string QuarantineRecordDir(std::string_view run);
std::string QuarantineRecordPath(std::string_view run, uint64_t sequence);
std::string QuarantinedKey(std::string_view run, std::string_view key);

// Joins two relative paths with one '/'.
std::string Join(std::string_view a, std::string_view b);

}  // namespace layout
}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_LAYOUT_H_
