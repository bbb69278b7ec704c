// Registry: the distribution registry's content (repositories, their links,
// the blobs) on top of a Store. It lists, reads and deletes; it decides
// nothing: which things to keep is gc/'s business.
//
// Listing is tolerant: content it does not understand (a symbolic link, a
// file where a directory belongs, a directory name that is not a digest) is
// reported in `problems` and skipped, never followed or deleted; a symbolic
// link that could lead to links is flagged (StoreProblem::hides_links) so
// that callers can refuse to delete. An error
// that could hide a link (a directory that exists but cannot be listed) is
// returned as a non-OK Status: callers must then not delete anything.
//
// Thread safety: all methods are safe to call from several threads at once.
#ifndef REGSWEEP_STORAGE_REGISTRY_H_
#define REGSWEEP_STORAGE_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"
#include "util/digest.h"
#include "util/status.h"

namespace regsweep::storage {

// Something in the store that is not as the layout says it should be.
struct StoreProblem {
  std::string path;    // as Store::Describe gives it
  std::string detail;  // what is wrong
  // A symbolic link where the layout has a directory that holds revision
  // or tag links (a repository, revisions/<alg>, a revision, a tag). It is
  // not followed; the registry would follow it, so what it points at may
  // hold links the scan did not see.
  bool hides_links = false;
};

// One link file as found on disk.
struct LinkInfo {
  std::string path;      // the link file, as Store::Describe gives it
  Digest named;          // the digest its directory names spell, if any
  Digest target;         // what the link says; invalid unless status is OK
  int64_t mtime_ns = 0;  // modification time of the link file (0: unknown)
  // OK: read and parsed. NotFound: the link file is missing. Corruption:
  // its content is not a digest. IOError: it could not be read.
  Status status;
};

struct TagInfo {
  std::string name;
  LinkInfo current;  // tags/<name>/current/link
};

// What StatRepository looks at: the names a scan found in a repository.
struct RepositoryShape {
  std::vector<std::string> revision_algorithms;  // listed under revisions/
  std::vector<Digest> revisions;  // the digests revision directories spell
  std::vector<std::string> tags;
  std::vector<std::string> layer_algorithms;  // listed under _layers/
  // False: tags/ and its links are not described (for what does not depend
  // on tags; see LeaveTagsOut).
  bool with_tags = true;
};

struct RepositoryInfo {
  std::string name;
  std::vector<LinkInfo> revisions;  // _manifests/revisions/<alg>/<hex>/link
  std::vector<TagInfo> tags;        // _manifests/tags/<tag>
  std::vector<Digest> layers;       // names of _layers/<alg>/<hex> (unread)
  std::vector<StoreProblem> problems;
  // The names the scan found, and what StatRepository(name, shape) would
  // have said at the time of the scan: each directory as it was when it was
  // listed, each link as it was when it was read. Only revision directories
  // whose names are digests are in the shape.
  RepositoryShape shape;
  std::vector<ObjectInfo> described;
  std::vector<Status> described_statuses;
};

// Takes the tags out of info->shape and info->described (not info->tags):
// StatRepository then looks at no tag, for a repository whose use of the
// description does not depend on its tags.
void LeaveTagsOut(RepositoryInfo* info);

// A directory blobs/<alg>/<xx>: the unit of parallel blob listing.
struct BlobPrefix {
  std::string algorithm;
  std::string prefix;

  // The prefix directory `digest`'s blob lives in.
  static BlobPrefix Of(const Digest& digest);
  // "<alg>/<xx>": names the directory among all prefixes.
  std::string Key() const { return algorithm + "/" + prefix; }
};

struct BlobInfo {
  bool has_data = false;  // blobs/.../<hex>/data exists as a regular file
  // data exists but is no regular file (a symbolic link, a directory): not
  // a blob regsweep can read or delete, though the registry may follow a
  // link to serve it.
  bool odd_data = false;
  uint64_t size = 0;      // size of data
  int64_t mtime_ns = 0;   // modification time of data (or of the directory)
};

// An upload in progress: repositories/<repo>/_uploads/<id>/.
struct UploadInfo {
  std::string id;
  std::string path;        // its directory, as Store::Describe gives it
  // When it started: the RFC 3339 time in its startedat file, or, when that
  // is missing or unreadable (started_from_file false), the directory's
  // modification time (on a store without directories, its newest
  // object's).
  int64_t started_ns = 0;
  bool started_from_file = false;
  uint64_t bytes = 0;  // size of its data file so far (0: none yet)
};

// One directory of a walk of repositories/ (Registry::ListRepositories):
// whether it is a repository (holds _manifests or _layers), and the
// subdirectories the walk descends into.
struct RepositoryDirectory {
  std::string path;  // relative to repositories/; "" for repositories/
  ObjectInfo info;     // described before it was listed
  bool is_repository = false;
  std::vector<std::string> children;
};

// What earlier walks of repositories/ found, so that a walk need not list a
// directory that has not changed (a directory's times move when an entry is
// added, removed or renamed). gc/incremental/repository_walk.h keeps it in the index.
// A walk may call it from several threads at once.
class RepositoryWalkMemo {
 public:
  virtual ~RepositoryWalkMemo() = default;
  // True, with *dir filled, when `path` was remembered and `info`
  // (described just now) says it has not changed since.
  virtual bool Recall(const std::string& path, const ObjectInfo& info,
                      RepositoryDirectory* dir) = 0;
  // A directory listed in full, that held nothing unexpected.
  virtual void Remember(const RepositoryDirectory& dir) = 0;
};

struct KeysBelow;  // registry_scan.h

class Registry {
 public:
  // Maximum size of a manifest we agree to read (distribution's limit is
  // 4 MiB; larger "manifests" are certainly not ones the registry accepted).
  static constexpr uint64_t kMaxManifestBytes = 64ull << 20;

  explicit Registry(Store* store) : store_(store) {}

  // This registry, except that its removals (RemoveBlob, RemoveTag and the
  // batches below) move each tree into run `run`'s quarantine
  // (storage/quarantine.h) instead of deleting it; a tree already gone is
  // OK, as with deletion. The caller writes the run's record first and
  // checks Quarantine::CheckUsable. `run` must be a valid run name.
  Registry QuarantiningInto(std::string run) const {
    Registry quarantining(store_);
    quarantining.quarantine_run_ = std::move(run);
    return quarantining;
  }
  // The run removals move into; empty when they delete.
  const std::string& quarantine_run() const { return quarantine_run_; }

  // What the store's backend promises (storage/store.h).
  Capabilities capabilities() const { return store_->capabilities(); }

  // OK when the store has docker/registry/v2; InvalidArgument naming the
  // missing directory otherwise.
  Status CheckLayout() const;

  // Every repository name (a directory with a _manifests or _layers child,
  // at any depth under repositories/), sorted. One directory at a time;
  // gc/incremental/repository_walk.h walks them in parallel.
  Status ListRepositories(std::vector<std::string>* names,
                          std::vector<StoreProblem>* problems) const;

  // One directory of that walk, `relative` to repositories/ ("" for
  // repositories/ itself): whether it is a repository, and the child
  // directories to walk next. With `memo`, a directory it recalls is
  // described (one stat) instead of listed. Thread-safe when `memo` is.
  Status ListRepositoryDirectory(const std::string& relative,
                                 RepositoryDirectory* dir,
                                 std::vector<StoreProblem>* problems,
                                 RepositoryWalkMemo* memo) const;

  // Lists and reads one repository's revision and tag links and lists its
  // layer links. A missing _manifests, revisions or tags directory is fine
  // (no links of that kind). Returns non-OK only for errors that could hide
  // a revision or tag link.
  Status ScanRepository(const std::string& name, RepositoryInfo* info) const;

  // On a store without directories (capabilities().directories false; an
  // object store), ScanRepository for every repository ListRepositories
  // would name, for a fraction of the requests: every key below
  // repositories/ is listed once, in ranges side by side (one list request
  // per 1000 keys, plus about one per range), where a walk and a scan per
  // repository cost at least four listings a repository. The ranges split
  // repositories/ at directory names, never inside a repository's own keys
  // (those below "<name>/_"), so each repository is seen whole by one
  // range. visit(info, status) is called once for each repository, as soon
  // as its keys are listed, from several threads at once, in no particular
  // order; status is what ScanRepository would have returned, and visit
  // may take what *info holds. Non-OK when a listing failed: the visits
  // made until then are incomplete, and nothing may be concluded from the
  // repositories missing. InvalidArgument on a store with directories.
  using ScannedRepositoryVisitor =
      std::function<void(RepositoryInfo* info, Status status)>;
  Status ScanEveryRepository(const ScannedRepositoryVisitor& visit) const;

  // Describes, without reading anything, what decides a repository's
  // links: the directories whose entries ScanRepository lists (revisions/
  // and each of shape's algorithm directories under it, tags/, _layers/ and
  // its algorithm directories) and the link files it reads (each of shape's
  // revision links and tag current links), in that order.
  // A directory gains a new modification and change time when an entry is
  // added or removed, a file when it is rewritten, so equal descriptions
  // before and after mean (on a local filesystem, barring a change within
  // the clock's granularity) the same scan. Entries that do not exist are
  // described as such: (*statuses)[i] is NotFound.
  void StatRepository(const std::string& name, const RepositoryShape& shape,
                      std::vector<ObjectInfo>* infos,
                      std::vector<Status>* statuses) const;

  // The digests a tag's history (tags/<tag>/index/) names: every manifest
  // the tag ever pointed at. Read only when a tag's current link is broken.
  Status ListTagHistory(const std::string& repository, const std::string& tag,
                        std::vector<Digest>* digests) const;

  Status ListBlobPrefixes(std::vector<BlobPrefix>* prefixes,
                          std::vector<StoreProblem>* problems) const;
  // Describes a prefix directory itself: its times move when a blob
  // directory is added to it or removed from it.
  Status StatBlobPrefix(const BlobPrefix& prefix, ObjectInfo* info) const;
  // Digests of every blob directory under one prefix.
  Status ListBlobs(const BlobPrefix& prefix, std::vector<Digest>* digests,
                   std::vector<StoreProblem>* problems) const;
  // ListBlobs without building digests, for a million blobs: calls
  // visit(hex, data) for each blob directory (the hex is valid, of the
  // prefix's algorithm and starting with the prefix; it lives during the
  // call only). `data` describes the blob's data file when the listing
  // itself did, else it is null: a store without directories lists every
  // key with its size and time (so nobody need HEAD it again), a
  // filesystem lists names only.
  using BlobVisitor =
      std::function<void(std::string_view hex, const BlobInfo* data)>;
  Status VisitBlobs(const BlobPrefix& prefix, const BlobVisitor& visit,
                    std::vector<StoreProblem>* problems) const;

  // Describes the directories blobs/<alg>/<xx>/<hex> of `hexes` (valid
  // hex of `prefix`'s algorithm, all starting with its two characters):
  // whether each exists, without listing the prefix directory.
  void StatBlobDirs(const BlobPrefix& prefix,
                    const std::vector<std::string>& hexes,
                    std::vector<ObjectInfo>* infos,
                    std::vector<Status>* statuses) const;

  // NotFound when the blob has no directory at all.
  Status StatBlob(const Digest& digest, BlobInfo* info) const;
  // The blob's data file as the store describes it, for messages.
  std::string DescribeBlobData(const Digest& digest) const;
  // StatBlob for several blobs of one prefix directory at once.
  void StatBlobs(const BlobPrefix& prefix, const std::vector<Digest>& digests,
                 std::vector<BlobInfo>* infos,
                 std::vector<Status>* statuses) const;
  // Reads a blob that should be a manifest (at most kMaxManifestBytes).
  Status ReadManifestBlob(const Digest& digest, std::string* bytes) const;

  // Whether the deletions below could be made: OK, or the first directory
  // a deletion of that kind would change that this process may not write
  // (Store::CheckWritable), named with the system's reason.
  Status CheckCanRemoveBlob(const Digest& digest) const;
  Status CheckCanRemoveRevision(const std::string& repository,
                                const Digest& digest) const;
  Status CheckCanRemoveLayerLinks(const std::string& repository) const;

  // Deletions. Each is idempotent: deleting what is already gone is OK.
  Status RemoveBlob(const Digest& digest) const;
  // Removes blobs of any prefixes at once, in as few requests as the
  // store allows (one DeleteObjects per 1000 keys on S3); (*results)[i] is
  // the outcome for digests[i].
  void RemoveBlobsAnywhere(const std::vector<Digest>& digests,
                           std::vector<Status>* results) const;
  // Removes _layers links of several repositories at once; (*results)[s][i]
  // is the outcome for sets[s].digests[i].
  struct LayerLinkSet {
    const std::string* repository;
    const std::vector<Digest>* digests;
  };
  void RemoveLayerLinkSets(const std::vector<LayerLinkSet>& sets,
                           std::vector<std::vector<Status>>* results) const;
  // Removes manifests from their repositories, many at once: first every
  // tag index entry of each under each of *tags (the tag histories), then
  // the revision of each whose entries all went, so that an interrupted
  // run leaves no history entry without its revision. (*results)[i] is the
  // outcome for manifests[i], the first failure if any.
  struct ManifestRemoval {
    const std::string* repository;
    const Digest* digest;
    const std::vector<std::string>* tags;
  };
  void RemoveManifests(const std::vector<ManifestRemoval>& manifests,
                       std::vector<Status>* results) const;

  // Tags, one at a time (regsweep tag, regsweep retain).

  // Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. So a valid tag
  // is always one path component, never "." or "..".
  static bool IsValidTagName(std::string_view tag);
  // distribution's repository grammar: components of [a-z0-9]+ joined by
  // '.', '_', "__" or runs of '-', separated by '/'; at most 255 bytes. So
  // a valid name never has an empty, ".", ".." or '_'-prefixed component.
  static bool IsValidRepositoryName(std::string_view name);

  // OK when `repository` names a repository (its directory has a
  // _manifests or _layers child, as ListRepositories counts them);
  // NotFound naming the repository otherwise; InvalidArgument for a name
  // that is not valid; IOError when it cannot be told (a symbolic link on
  // the way: not followed).
  Status CheckRepository(const std::string& repository) const;

  // Lists one repository's tags and reads their current links, as
  // ScanRepository does, without revisions and layers. Entries that are not
  // tag directories go to `problems`. Non-OK when the tags directory exists
  // but cannot be listed.
  Status ListTags(const std::string& repository, std::vector<TagInfo>* tags,
                  std::vector<StoreProblem>* problems) const;

  // Reads one tag: info->current is its current link (check its status:
  // the tag may exist with a broken link). NotFound when tags/<tag> does not
  // exist; InvalidArgument for an invalid repository or tag name; IOError
  // when tags/<tag> is not a directory (a file, a symbolic link: never
  // followed) or cannot be examined.
  Status ReadTag(const std::string& repository, const std::string& tag,
                 TagInfo* info) const;

  // Removes the tag: the directory tags/<tag> (its current link and its
  // history), and nothing else: no manifest, no revision, no other tag.
  // A symbolic link in its place is removed as a link, never followed.
  // InvalidArgument for an invalid repository or tag name; OK when the tag
  // is already gone (idempotent, like the other deletions).
  Status RemoveTag(const std::string& repository,
                   const std::string& tag) const;

  std::string Describe(const std::string& path) const {
    return store_->Describe(path);
  }

  // Audit (regsweep audit, why).

  // Reads one revision link, _manifests/revisions/<alg>/<hex>/link, or one
  // layer link, _layers/<alg>/<hex>/link, as ScanRepository reads links:
  // `named` is `digest`; the status is NotFound when the link file does not
  // exist, Corruption when its content is not a digest, IOError when it
  // cannot be read.
  LinkInfo ReadRevisionLink(const std::string& repository,
                            const Digest& digest) const;
  LinkInfo ReadLayerLink(const std::string& repository,
                         const Digest& digest) const;

  // Lists the repository's uploads in progress (_uploads/<id>/), with when
  // each started and how many bytes it holds. A missing _uploads directory
  // is no uploads; an entry that is not a directory goes to `problems`.
  // Non-OK when _uploads exists but cannot be listed.
  Status ListUploads(const std::string& repository,
                     std::vector<UploadInfo>* uploads,
                     std::vector<StoreProblem>* problems) const;

  // Reads a blob's data and hands it to `sink` in order, in pieces of at
  // most `chunk_bytes`; stops early, returning what `sink` returned, when
  // that is not OK. *size gets the number of bytes handed over. NotFound
  // when the blob has no data file. Memory: one piece.
  Status ReadBlobChunks(const Digest& digest, size_t chunk_bytes,
                        const std::function<Status(std::string_view)>& sink,
                        uint64_t* size) const;

 private:
  // Deletes the tree at each of `paths` ("dir/name"), the trees grouped
  // by directory into one Store::DeleteTreeGroups call; `few_keys` is its
  // hint. (*results)[i] is the outcome for paths[i].
  void RemoveTreesAt(const std::vector<std::string>& paths,
                     const std::string& usual_key, bool few_keys,
                     std::vector<Status>* results) const;
  Status VisitBlobKeys(
      const std::string& dir,
      const std::function<void(std::string_view, EntryType, const BlobInfo*)>&
          entry) const;
  Status ListRepositoriesUnder(const std::string& relative,
                               std::vector<std::string>* names,
                               std::vector<StoreProblem>* problems) const;
  struct ScanDescription;
  Status ScanRevisions(const std::string& name, RepositoryInfo* info,
                       ScanDescription* description) const;
  Status ScanTags(const std::string& name, RepositoryInfo* info,
                  ScanDescription* description) const;
  void ScanLayers(const std::string& name, RepositoryInfo* info,
                  ScanDescription* description) const;
  // The same for a store without directories, from the keys below each
  // link root (registry_key_scan.cc): listed for one repository, or by
  // ScanEveryRepository's ranges (registry_ranges.cc).
  struct RepositoryKeys;
  Status ListRepositoryKeys(const std::string& name, RepositoryKeys* keys) const;
  // Builds info's links and description (AppendTo) from `keys`; info
  // holds the repository's name and nothing else yet.
  Status ScanKeys(const std::string& name, const RepositoryKeys& keys,
                  RepositoryInfo* info) const;
  Status ScanRevisionsByKeys(const std::string& name, const KeysBelow& below,
                             RepositoryInfo* info,
                             ScanDescription* description) const;
  Status ScanTagsByKeys(const std::string& name, const KeysBelow& below,
                        RepositoryInfo* info,
                        ScanDescription* description) const;
  void ScanLayersByKeys(const KeysBelow& below, RepositoryInfo* info,
                        ScanDescription* description) const;
  // Splits repositories/ into about `wanted` ranges at directory names
  // (registry_ranges.cc).
  Status RepositoryRanges(size_t wanted, std::vector<KeyRange>* ranges) const;
  // Lists one range, scanning each repository as its keys end.
  Status ScanRange(const KeyRange& range,
                   const ScannedRepositoryVisitor& visit) const;
  LinkInfo ToLink(const std::string& path, ObjectContents file) const;
  LinkInfo ReadLink(const std::string& path) const;

  // Moves each of `paths` into quarantine_run_'s area instead of deleting
  // it: RemoveTreesAt's results, for a quarantining registry.
  void QuarantineTreesAt(const std::vector<std::string>& paths,
                         std::vector<Status>* results) const;

  Store* store_;
  std::string quarantine_run_;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_REGISTRY_H_
