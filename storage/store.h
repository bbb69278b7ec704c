// Store: where the registry's bytes live, and the contract every backend
// meets. The engine reads and deletes only through this interface, and
// asks only for what an object store (S3 and what speaks its API) can do:
// list the keys under a prefix, read an object whole or a range of it,
// describe one key, delete a batch of keys. What only some backends can do
// (directories, rename, directory times that move) is declared in
// Capabilities, never assumed. Modeled on leveldb::Env.
//
// Keys are relative to the store's root, '/'-separated, without a leading
// slash (storage/layout.h builds them). A key never contains an empty, "."
// or ".." component; backends refuse such keys with InvalidArgument.
//
// The words. An *object* is a key that holds bytes (a regular file on a
// filesystem). A *prefix* "a/b" stands for every key that begins "a/b/";
// its *next level* is the set of names that follow "a/b/" up to the next
// '/' (what a listing with a delimiter gives on S3, a directory's entries
// on a filesystem). Where the backend has directories (Capabilities), a
// prefix is a directory and exists even when empty; where it has none, a
// prefix exists exactly while some key lies below it.
//
// Symbolic links (filesystem only) are never followed: not by listing,
// reading, stat or deletion, and not in any component of a key (one
// documented exception: DescribeBatch, which only describes). A symbolic
// link inside the store is an entry of type kSymlink and reading through it
// fails; so nothing outside the store is ever read or deleted.
//
// Errors are values: NotFound when a key (or prefix) does not exist;
// Corruption when an object is larger than the caller allows; IOError,
// naming the key as Describe gives it, for everything else (permissions,
// EIO, a network failure after the backend's retries). Callers tell "not
// there" from "cannot tell" by these codes: an IOError is never an empty
// answer.
//
// Every method is safe to call from several threads at once.
#ifndef REGSWEEP_STORAGE_STORE_H_
#define REGSWEEP_STORAGE_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace regsweep::storage {

// kFile: an object. kDirectory: a prefix with keys below it (a directory
// where the backend has them). kSymlink and kOther: filesystem entries the
// engine neither reads nor follows.
enum class EntryType : uint8_t { kFile, kDirectory, kSymlink, kOther };

// One name of a listing's next level.
struct ListEntry {
  std::string name;
  EntryType type = EntryType::kOther;
};

// What the backend can tell about one key without reading it.
struct ObjectInfo {
  static constexpr uint64_t kUnknownCount =
      std::numeric_limits<uint64_t>::max();

  EntryType type = EntryType::kOther;
  uint64_t size = 0;     // of an object, in bytes
  int64_t mtime_ns = 0;  // modification time, ns since the epoch (0: none)
  // An opaque change token: two descriptions of one key with different
  // versions mean it changed; equal versions mean it did not, to the extent
  // Capabilities promise (object_versions_move, directory_versions_move).
  // 0: the backend gives none for this key, so nothing may be concluded.
  // Filesystem: a hash of inode, size, modification and change time; S3:
  // the ETag with LastModified.
  uint64_t version = 0;
  // The latest time the backend knows of at which the version moved (0:
  // none). A version taken less than a clock tick after this may miss a
  // change made in the same tick ("racy", as git calls it).
  int64_t changed_ns = 0;
  // Of a directory, where the backend counts_subdirectories: how many of
  // its entries are directories. kUnknownCount otherwise.
  uint64_t subdirectories = kUnknownCount;
  // The MD5 of an object's bytes, where the backend tells it without a
  // read (has_md5): S3's ETag of an object uploaded whole, which a listing
  // gives for free. A caller may take it only as proof that the object
  // holds exactly some bytes it expects (their MD5 equals it); anything
  // else (no MD5, another one) says nothing, and the object must be read.
  std::array<uint8_t, 16> md5{};
  bool has_md5 = false;
};

// A prefix as a backend without directories describes it: kDirectory,
// and nothing else is known.
inline ObjectInfo DirectoryInfo() {
  ObjectInfo info;
  info.type = EntryType::kDirectory;
  return info;
}

// An object's outcome in a ReadBatch.
struct ObjectContents {
  Status status;
  std::string contents;
  ObjectInfo info;
};

// A range of keys for Store::ListRange: after < key <= through, bytewise,
// with "" for no bound.
struct KeyRange {
  std::string after;
  std::string through;

  bool Contains(std::string_view key) const {
    return (after.empty() || key > after) &&
           (through.empty() || key <= through);
  }
  // No key after this one can be in the range.
  bool EndsBefore(std::string_view key) const {
    return !through.empty() && key > through;
  }
};

// The trees `names` below prefix `dir`, for Store::DeleteTreeGroups.
struct TreeGroup {
  std::string dir;
  std::vector<std::string> names;
  // A hint: `dir` holds few keys (a tag's history), so one listing of it
  // costs less than one per name, however few names there are.
  bool few_keys = false;
};

// One tree for Store::MoveTrees: key `from` and every key below it go to
// `to`, each key below keeping its name relative to the tree.
struct TreeMove {
  std::string from;
  std::string to;
};

// The powers a backend has beyond the contract. Each is a promise: a
// caller relies on one only where the backend declares it.
struct Capabilities {
  // Prefixes are directories: they exist of their own, empty or not, and
  // Stat and List describe them. Without, a prefix exists while keys lie
  // below it, and its description carries no time and no version.
  bool directories = false;
  // An object can be renamed within the store atomically.
  bool atomic_rename = false;
  // An object's version moves with every write to it and cannot be set
  // back by hand (a filesystem's change time; an object store's ETag and
  // LastModified, which only the store sets).
  bool object_versions_move = false;
  // A directory's version moves whenever an entry is added to it or
  // removed from it (a filesystem directory's times). Without it, nothing
  // can be concluded from a directory's version: whoever depends on what a
  // prefix holds must list it again.
  bool directory_versions_move = false;
  // A directory's description counts its subdirectories
  // (ObjectInfo::subdirectories), as ext4, XFS and tmpfs link counts do.
  // Even then a description may say kUnknownCount (btrfs; ext4 past 65,000
  // subdirectories).
  bool counts_subdirectories = false;
  // How many blocking calls are worth making side by side: an object
  // store's requests in flight, each a round trip that waits on the
  // network, not on a core. 0: no preference (the core count decides).
  int calls_in_flight = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // What this backend promises beyond the contract (see Capabilities).
  virtual Capabilities capabilities() const = 0;

  // Fills *entries with the next level of `prefix` ("" for the root), in
  // no particular order: each name once, kDirectory for a name with keys
  // below it. NotFound when the prefix does not exist (no directory; on a
  // backend without directories, no key below it); IOError when it cannot
  // be listed or is an object. When `info` is not null it describes the
  // prefix itself as it was before its entries were listed (a backend
  // without directories describes it as kDirectory with no version).
  // An object store lists in pages; the whole listing is returned, or an
  // error, never a part.
  virtual Status List(const std::string& prefix,
                      std::vector<ListEntry>* entries,
                      ObjectInfo* info = nullptr) = 0;

  // List without building the list: calls visit(name, type) for each name
  // of the next level (the name is valid during the call only), for
  // prefixes of many thousand names. On an error some names may have been
  // visited already; the caller must then not act on them. This default
  // lists through List, so a wrapper that filters List filters this too.
  using EntryVisitor = std::function<void(std::string_view, EntryType)>;
  virtual Status Visit(const std::string& prefix, const EntryVisitor& visit,
                       ObjectInfo* info = nullptr) {
    std::vector<ListEntry> entries;
    Status s = List(prefix, &entries, info);
    for (const ListEntry& entry : entries) visit(entry.name, entry.type);
    return s;
  }

  // Every object below `prefix`, at any depth: calls visit(key, info) with
  // the key relative to `prefix` and its description (size, time and
  // version: what an object store's listing gives for free). Symbolic
  // links and other entries that are no objects are visited with their
  // type, never followed. NotFound when the prefix does not exist.
  using KeyVisitor =
      std::function<void(std::string_view key, const ObjectInfo& info)>;
  virtual Status ListAll(const std::string& prefix, const KeyVisitor& visit) = 0;

  // ListAll of one range of keys: those (relative to `prefix`) that sort
  // bytewise after `range.after` and not after `range.through` ("" for no
  // bound), visited in byte order. Ranges (a, b], (b, c], ... list every
  // key once, so a caller splits a large prefix into ranges and lists them
  // side by side. OK, visiting nothing, when no key lies in the range or
  // the prefix does not exist. An error is as ListAll's. A backend of
  // sorted keys (an object store) lists the range alone: one list request
  // per 1000 keys in it, plus at most one for keys past its end. This
  // default lists the whole prefix through ListAll (so a wrapper that
  // filters ListAll filters this too; StoreWrapper does not forward it)
  // and sorts what falls in the range.
  virtual Status ListRange(const std::string& prefix, const KeyRange& range,
                           const KeyVisitor& visit);

  // Reads the whole object `key` into *contents and, when `info` is not
  // null, describes it (one request: no separate Stat needed). NotFound
  // when it does not exist; Corruption when it is larger than `max_bytes`
  // (nothing is read); IOError when it cannot be read (permissions, EIO,
  // a symbolic link, a directory).
  virtual Status Read(const std::string& key, uint64_t max_bytes,
                      std::string* contents, ObjectInfo* info) = 0;

  // Read for several keys below prefix `dir` at once (relative keys such
  // as "<hex>/link"): a repository's links are read this way. A backend
  // may open `dir` once or send the reads in parallel. (*objects)[i]
  // belongs to names[i].
  virtual void ReadBatch(const std::string& dir,
                         const std::vector<std::string>& names,
                         uint64_t max_bytes,
                         std::vector<ObjectContents>* objects) = 0;

  // Reads at most `length` bytes of object `key` from byte `offset` into
  // *contents (fewer at the end; none at or past it), and, when `info` is
  // not null, describes the object (its size says when to stop): for
  // streaming large objects (verifying blob digests) in pieces, and for
  // reading only the head of one. NotFound / IOError as Read.
  virtual Status ReadRange(const std::string& key, uint64_t offset,
                           uint64_t length, std::string* contents,
                           ObjectInfo* info) = 0;

  // Describes `key` itself (a symbolic link is described, not followed).
  // A prefix with keys below it is described as kDirectory (without
  // directories: nothing else is known, and this may cost a listing).
  // NotFound when neither an object nor a prefix has that name.
  virtual Status Stat(const std::string& key, ObjectInfo* info) = 0;

  // Stat for several keys below prefix `dir` at once (relative keys such
  // as "<hex>/data"), never following a symbolic link. (*statuses)[i] and
  // (*infos)[i] belong to names[i].
  virtual void StatBatch(const std::string& dir,
                         const std::vector<std::string>& names,
                         std::vector<ObjectInfo>* infos,
                         std::vector<Status>* statuses) = 0;

  // StatBatch for change detection only, where a backend can make it
  // cheaper (a filesystem: one system call per name). The one exception
  // to "never follow a symbolic link": the last component of a name is
  // never followed (a link there is described as a link), but a middle one
  // may be, so the description may be of something outside the store.
  // Nothing is read or changed, and a caller that also describes each
  // middle directory's parent sees a link put there as a change
  // (Registry::StatRepository does). This default calls StatBatch.
  virtual void DescribeBatch(const std::string& dir,
                             const std::vector<std::string>& names,
                             std::vector<ObjectInfo>* infos,
                             std::vector<Status>* statuses) {
    StatBatch(dir, names, infos, statuses);
  }

  // Deletes the objects `names` below prefix `dir` (relative keys), as
  // many at once as the backend can (an object store: 1000 keys a
  // request). (*results)[i] is names[i]'s outcome, checked key by key:
  // NotFound when it did not exist; IOError when it is not an object or
  // could not be deleted. Directories are not removed.
  virtual void Delete(const std::string& dir,
                      const std::vector<std::string>& names,
                      std::vector<Status>* results) = 0;

  // Deletes, for each of `names` (single names below prefix `dir`), the
  // key dir/name and every key below it: a blob, a revision, a tag. A
  // symbolic link is deleted as a link, never followed. `usual_key`, if not
  // empty, is the one key each usually holds ("data", "link"): a backend
  // may delete it first and so spare a listing when nothing else is left.
  // Deleting what does not exist is OK (a rerun after an interrupted sweep
  // finishes the job). (*results)[i] is the outcome for names[i]; when
  // `dir` cannot be examined every result is that error (NotFound: OK).
  virtual void DeleteTrees(const std::string& dir,
                           const std::vector<std::string>& names,
                           const std::string& usual_key,
                           std::vector<Status>* results) = 0;

  // DeleteTrees for one key: `key` and everything below it.
  Status DeleteTree(const std::string& key);

  // DeleteTrees for the trees of several directories at once:
  // (*results)[g][i] is the outcome for groups[g].names[i], as DeleteTrees
  // would give it. A backend that deletes in batches fills each batch
  // across the directories (an object store: one DeleteObjects per 1000
  // keys, however many directories they lie in). This default calls
  // DeleteTrees for each group in turn.
  virtual void DeleteTreeGroups(const std::vector<TreeGroup>& groups,
                                const std::string& usual_key,
                                std::vector<std::vector<Status>>* results);

  // Creates object `key` holding `contents` if no object has that key:
  // the store's one write, for the few keys regsweep keeps of its own (the
  // run lock). Atomic: of several callers, on any host, at most one
  // succeeds, and a reader finds the whole contents or no object. Missing
  // parent directories are made where the backend has directories.
  // AlreadyExists when an object has the key (possibly written by this
  // caller's own earlier attempt, whose answer was lost: a caller that
  // must know reads it back); InvalidArgument for a bad key; IOError
  // otherwise. Filesystem: a file written whole beside it, then hard-linked
  // into place; an object store: PutObject with If-None-Match: *.
  virtual Status Create(const std::string& key, std::string_view contents) = 0;

  // Moves each tree of `moves` (moves[i].from and every key below it) to
  // moves[i].to, as many at once as the backend can: how regsweep puts what
  // it sweeps aside (a quarantine) and back. Missing parent directories of
  // `to` are made where the backend has directories; the parents of `from`
  // stay, even when they are left empty. (*results)[i] is moves[i]'s
  // outcome: OK when moved; NotFound when nothing has the key `from`;
  // AlreadyExists when something has the key `to`, on a backend that tells
  // at no cost (atomic_rename); NotSupported when this backend cannot move
  // between those places (see CheckMovable); InvalidArgument for a bad
  // key, or a `to` inside `from`; IOError otherwise. Nothing is moved for
  // a move that is not OK, except as said next.
  // With atomic_rename each tree moves at once (a filesystem: one
  // renameat2 with RENAME_NOREPLACE) and keeps its inodes, modes and
  // times. Without it (an object store: each key copied within the store,
  // then the copied keys deleted), a move that fails midway leaves every
  // key of the tree in at least one of the two places, never in neither:
  // no key is deleted before its copy is complete. Repeating the move
  // finishes it; keys already at `to` are overwritten. A symbolic link is
  // moved as a link, never followed. This default answers NotSupported.
  virtual void MoveTrees(const std::vector<TreeMove>& moves,
                         std::vector<Status>* results);

  // Whether MoveTrees can move trees from below prefix `from_dir` to below
  // prefix `to_dir` at all: OK, or NotSupported naming both and why (a
  // filesystem: they lie on two filesystems, so a move would be a copy).
  // `to_dir` need not exist yet: its nearest existing parent decides.
  // IOError when `from_dir` cannot be examined. This default answers
  // NotSupported.
  virtual Status CheckMovable(const std::string& from_dir,
                              const std::string& to_dir);

  // Whether this process may add and delete keys below prefix `dir`: OK,
  // or IOError naming it with the backend's reason (permission denied, a
  // read-only filesystem); NotFound when it does not exist. A backend
  // that cannot tell answers OK, and its deletions then report their own
  // errors.
  virtual Status CheckWritable(const std::string& dir) {
    (void)dir;
    return Status::OK();
  }

  // A human-readable name for `key` (filesystem: the absolute path; object
  // store: s3://bucket/prefix/key), used in messages so an operator can
  // find it.
  virtual std::string Describe(const std::string& key) const = 0;

  // A name no other store shares, the same however this one is reached (a
  // relative path, a symbolic link, another endpoint alias is the
  // backend's business): what an index built for one store is matched
  // against, so that it is never reused for another. Empty when it cannot
  // be told; an index is then never reused.
  virtual std::string Identity() const = 0;
};

// Opens the filesystem store rooted at `root`. IOError naming `root` if it
// is not a readable directory. Each of `linked_dirs` (paths relative to the
// root, parents first) that exists is opened once, now, following a
// symbolic link in its place: an operator may move a store's parts to
// another disk that way. Below them, as below the root, no symbolic link is
// ever followed.
//
// What it promises: directories, atomic rename, object and directory
// versions that move (a version hashes the inode, size, modification and
// change time, and the change time cannot be set back), subdirectory
// counts where the filesystem keeps them. Identity: "<device>:<inode>" of
// the registry's v2 directory (of the root when the store has none yet),
// so a copy of a store is another store.
Status OpenFileStore(const std::string& root,
                     const std::vector<std::string>& linked_dirs,
                     std::unique_ptr<Store>* store);
// The same with the registry's: docker/, docker/registry/, its v2/, and
// v2's blobs/ and repositories/ (storage/layout.h).
Status OpenFileStore(const std::string& root, std::unique_ptr<Store>* store);

// Forwards every call to another Store: subclass it and override a few
// calls to inject faults or count calls in tests.
class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store* target) : target_(target) {}

  Capabilities capabilities() const override {
    return target_->capabilities();
  }
  Status List(const std::string& prefix, std::vector<ListEntry>* entries,
              ObjectInfo* info = nullptr) override {
    return target_->List(prefix, entries, info);
  }
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override {
    return target_->ListAll(prefix, visit);
  }
  Status Read(const std::string& key, uint64_t max_bytes,
              std::string* contents, ObjectInfo* info) override {
    return target_->Read(key, max_bytes, contents, info);
  }
  void ReadBatch(const std::string& dir, const std::vector<std::string>& names,
                 uint64_t max_bytes,
                 std::vector<ObjectContents>* objects) override {
    target_->ReadBatch(dir, names, max_bytes, objects);
  }
  Status ReadRange(const std::string& key, uint64_t offset, uint64_t length,
                   std::string* contents, ObjectInfo* info) override {
    return target_->ReadRange(key, offset, length, contents, info);
  }
  Status Stat(const std::string& key, ObjectInfo* info) override {
    return target_->Stat(key, info);
  }
  void StatBatch(const std::string& dir, const std::vector<std::string>& names,
                 std::vector<ObjectInfo>* infos,
                 std::vector<Status>* statuses) override {
    target_->StatBatch(dir, names, infos, statuses);
  }
  void Delete(const std::string& dir, const std::vector<std::string>& names,
              std::vector<Status>* results) override {
    target_->Delete(dir, names, results);
  }
  void DeleteTrees(const std::string& dir, const std::vector<std::string>& names,
                   const std::string& usual_key,
                   std::vector<Status>* results) override {
    target_->DeleteTrees(dir, names, usual_key, results);
  }
  // ListRange and DeleteTreeGroups are not forwarded: Store's own go
  // through this wrapper's ListAll and DeleteTrees, so that a wrapper that
  // changes those changes every listing and tree deletion (the price: no
  // ranged listings and no batching across directories through a wrapper).
  Status Create(const std::string& key, std::string_view contents) override {
    return target_->Create(key, contents);
  }
  void MoveTrees(const std::vector<TreeMove>& moves,
                 std::vector<Status>* results) override {
    target_->MoveTrees(moves, results);
  }
  Status CheckMovable(const std::string& from_dir,
                      const std::string& to_dir) override {
    return target_->CheckMovable(from_dir, to_dir);
  }
  Status CheckWritable(const std::string& dir) override {
    return target_->CheckWritable(dir);
  }
  std::string Describe(const std::string& key) const override {
    return target_->Describe(key);
  }
  std::string Identity() const override { return target_->Identity(); }

 private:
  Store* target_;
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_STORE_H_
