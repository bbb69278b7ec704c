// RefIndex: the persistent reference index, a RocksDB database.
//
// What it stores (one column family each):
//   manifests  (repository, manifest digest) -> media type, kind, edges
//   tags       (repository, tag) -> manifest digest, push time
//   repos      repository -> change fingerprint, time of the pass that wrote it
//   meta       store identity, format version, pass state
//   marks      repository -> what its mark contributed to the last pass
//   listings   directory -> its listing at the last pass (blob prefix
//              directories, and the walk of repositories/)
// The last two are opaque bytes, encoded and decided by gc/ (see
// gc/incremental/repository_mark.h, gc/incremental/blob_listing.h and gc/incremental/repository_walk.h): an
// incremental pass takes them back for what did not change.
//
// Contract:
//   - PutRepository replaces everything recorded for one repository (its
//     manifests, their edges, its tags) in one atomic write batch, so a
//     reader or a process killed at any moment sees either the old or the
//     new state of that repository, never a mix.
//   - Writes go with the write-ahead log off: a crash may lose the last
//     writes, never corrupt the database. A pass marks itself complete
//     (SetMeta("pass_state", "complete")) only after all its writes, and
//     Flush() makes them durable.
//   - All methods are safe to call from several threads at once.
#ifndef REGSWEEP_INDEX_REF_INDEX_H_
#define REGSWEEP_INDEX_REF_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/digest.h"
#include "util/status.h"

namespace regsweep::index {

// One manifest -> reference edge. `role` is a small integer chosen by the
// caller; the index stores it and gives it back. gc::Mark stores a
// gc::ReferenceRole with flag bits: 0x80 for a descriptor that lists `urls`
// (a foreign layer), 0x40 for a referrer's subject (see
// gc/incremental/repository_snapshot.h).
struct EdgeRecord {
  Digest child;
  uint8_t role = 0;
};

struct ManifestRecord {
  Digest digest;
  std::string media_type;
  uint8_t kind = 0;  // gc::ManifestKind as an integer
  std::vector<EdgeRecord> edges;
};

struct TagRecord {
  std::string tag;
  Digest digest;
  int64_t pushed_ns = 0;  // modification time of current/link
};

struct RepositorySnapshot {
  std::string name;
  uint64_t fingerprint = 0;  // opaque to the index; used to detect change
  std::vector<ManifestRecord> manifests;
  std::vector<TagRecord> tags;
};

// An edge seen from the child's side: `parent` in `repository` names `child`.
struct ReferrerRecord {
  std::string repository;
  Digest parent;
  uint8_t role = 0;
};

struct IndexStats {
  uint64_t repositories = 0;
  uint64_t manifests = 0;
  uint64_t edges = 0;
  uint64_t tags = 0;
};

class RefIndex {
 public:
  // Opens the index in directory `dir`, creating it (and the directory) if
  // missing. Returns an IOError naming `dir` when RocksDB cannot open it
  // (locked by another process, damaged, not a directory).
  static Status Open(const std::string& dir, std::unique_ptr<RefIndex>* out);

  virtual ~RefIndex() = default;

  // Atomically replaces everything recorded for snapshot.name.
  virtual Status PutRepository(const RepositorySnapshot& snapshot) = 0;
  // Atomically removes everything recorded for `repository`.
  virtual Status DeleteRepository(const std::string& repository) = 0;

  // Reads back what PutRepository stored for `repository`. NotFound if the
  // index knows no such repository.
  virtual Status GetRepository(const std::string& repository,
                               RepositorySnapshot* snapshot) = 0;
  // Every repository name the index knows, sorted.
  virtual Status ListRepositories(std::vector<std::string>* names) = 0;
  // Every edge whose child is `child`, from every repository: one record per
  // (repository, parent), sorted so. A scan of every manifest, linear in
  // the index (an inverted family would answer at once, but writing it cost
  // every pass a third of its time; this question is asked by hand).
  virtual Status Referrers(const Digest& child,
                           std::vector<ReferrerRecord>* referrers) = 0;

  // The opaque per-repository value of the marks family. DeleteRepository
  // removes it too. GetRepositoryMark: NotFound if none.
  virtual Status PutRepositoryMark(const std::string& repository,
                                   std::string_view value) = 0;
  virtual Status GetRepositoryMark(const std::string& repository,
                                   std::string* value) = 0;
  // The opaque per-prefix value of the listings family ("sha256/ab").
  // GetBlobListing: NotFound if none.
  virtual Status PutBlobListing(const std::string& prefix,
                                std::string_view value) = 0;
  virtual Status GetBlobListing(const std::string& prefix,
                                std::string* value) = 0;
  // Removes every value of the marks and listings families (the index now
  // describes another store).
  virtual Status DropCarriedState() = 0;

  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;
  // NotFound if `key` was never set.
  virtual Status GetMeta(const std::string& key, std::string* value) = 0;

  virtual Status Stats(IndexStats* stats) = 0;

  // Makes every write so far durable (flushes the memtables). Compaction
  // happens here too, and only here: in a family that has collected many
  // small files over earlier passes.
  virtual Status Flush() = 0;
};

}  // namespace regsweep::index

#endif  // REGSWEEP_INDEX_REF_INDEX_H_
