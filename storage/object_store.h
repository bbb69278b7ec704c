// ObjectStore: the Store contract (storage/store.h) built once on the
// requests an object store answers: a page of a listing (ListObjectsV2), a
// read (GetObject, whole or a range), a description (HeadObject), a batch
// delete (DeleteObjects), a conditional put and a copy within the store
// (CopyObject). A backend with flat keys (S3 and what
// speaks its API, MemoryStore for tests) implements only those; this class
// turns them into prefixes, next levels, trees and key checks, so that
// every such backend behaves the same way and the memory store is a
// faithful stand-in for S3 in tests. Modeled on leveldb's EnvWrapper.
//
// What every ObjectStore promises and does not (its Capabilities):
//  - No directories: a prefix P exists exactly while some key begins
//    P + "/" (the root while the store is not empty), and is described as
//    kDirectory with no time, no version (0) and kUnknownCount
//    subdirectories. No rename, no symbolic links, no directory versions.
//    Only objects have times and versions (object_versions_move).
//  - A listing is not a snapshot: each page sees the store as it is when
//    that page is taken. A name that is both an object and a prefix ("a"
//    and "a/b") is listed once, as kDirectory.
//  - Keys are checked before any request: an empty, "." or ".." component
//    or a leading slash is InvalidArgument "not a key in the store". Keys
//    stored with empty components (an S3 "folder marker" "a/") are skipped
//    by listings and deleted with their tree.
//  - Stat of a name that is no object probes for a prefix (a listing of
//    one key below it).
//  - Read, ReadRange and ReadBatch of a name that is no object probe for a
//    prefix only after the miss: NotFound when nothing lies below it,
//    IOError "not an object" when something does.
//  - List and Visit name prefixes as their pages come; an object's name
//    waits for the end of the listing, because its common prefix (keys
//    below the same name) comes later, maybe pages later, with other names
//    ("a-b") between. Visit thus holds the object names of one level.
//  - A listing that fails fails the whole call: List, Visit, ListAll and
//    Stat return the error, never a part or an empty success (Visit and
//    ListAll may have visited some names by then; see Store::Visit).
//  - Delete sends every valid key in one DeleteObjects call and reports
//    each key's outcome as the backend gave it.
//  - DeleteTrees lists what lies below each name, so it never leaves a key
//    behind; for many names below one prefix (8 or more: kListDirAt) it lists
//    that prefix once instead of each name, which keeps a sweep at one
//    list request per 1000 keys. A tree that cannot be listed is not
//    touched and its outcome is the error. The usual_key hint is not used:
//    whatever else lies below must be listed anyway.
//  - MoveTrees finds the keys of each tree `from` as DeleteTrees does (so
//    many moves out of one prefix cost one listing of it), copies each to
//    the same name relative to `to` (CopyObjects), and then, only for a
//    tree whose every copy succeeded, deletes the keys it copied; a tree
//    that fails anywhere keeps every source key, its outcome the error. A
//    key is moved when the listing finds it (no snapshot): one added to
//    the tree meanwhile stays behind, and one that vanishes before its
//    copy fails the tree with IOError (the tree changed while it moved).
//    Besides what the contract refuses, a move whose `from` or `to` is,
//    lies inside or holds another move's `from` or `to` is InvalidArgument,
//    so that no move deletes or overwrites what another copied; a move
//    given twice is one move. CheckMovable: OK for valid keys, since every
//    key of a bucket can be copied to any other.
//
// Requests, for one call: List, Visit, ListAll: one list request a page.
// ListRange: one list request a page from the range's start (S3's
// start-after) until a key past its end.
// Read, ReadRange: one read (plus a one-key listing after a miss).
// ReadBatch: one GetObjects for all names (plus a listing for each miss).
// Stat: one description (the root: none), plus a one-key listing when it
// is no object; a List of a prefix that does not exist: one description.
// StatBatch: one HeadObjects for all names (plus a listing for each
// miss). Delete: one DeleteObjects. DeleteTrees: below kListDirAt names,
// a listing of each name; otherwise the listing of `dir`; then one
// DeleteObjects for every key found. DeleteTreeGroups: the same listings
// for each group, the groups side by side (threads of the caller's TBB
// arena), then one DeleteObjects for every key of every group.
// MoveTrees: the listings of DeleteTreeGroups for the directories of the
// `from` keys; one CopyObjects for every key found (kCopyBatch copies a
// call, the calls side by side); then one DeleteObjects for every key of
// the trees whose copies all succeeded. CheckMovable: none.
//
// Thread safety: every method may be called from several threads at once,
// as long as the primitives may.
#ifndef REGSWEEP_STORAGE_OBJECT_STORE_H_
#define REGSWEEP_STORAGE_OBJECT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage {

// One page of a listing of the keys that begin a key prefix.
struct ObjectPage {
  struct Object {
    std::string key;  // the whole key
    ObjectInfo info;  // kFile, size, mtime, version, changed_ns
  };
  std::vector<Object> objects;
  // Delimited listings only: the whole common prefixes, each ending in '/'.
  std::vector<std::string> prefixes;
  // Where the next page starts ("": this was the last page).
  std::string next_token;
};

// One object to read: all of it (length kWhole) refusing more than
// max_bytes, or `length` bytes from `offset` (fewer at the end, none past
// it).
struct ObjectRead {
  static constexpr uint64_t kWhole = std::numeric_limits<uint64_t>::max();

  std::string key;
  uint64_t offset = 0;
  uint64_t length = kWhole;
  uint64_t max_bytes = kWhole;  // for whole reads
};

// One object to copy within the store: the whole object at key `from`
// to key `to`. `size` is the source's size as a listing gave it.
struct ObjectCopy {
  std::string from;
  std::string to;
  uint64_t size = 0;
};

class ObjectStore : public Store {
 public:
  // Most keys or common prefixes one list request returns, and most keys
  // one delete request removes (S3's limits).
  static constexpr size_t kPageSize = 1000;
  static constexpr size_t kDeleteBatch = 1000;

  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Store.
  Capabilities capabilities() const override;
  Status List(const std::string& prefix, std::vector<ListEntry>* entries,
              ObjectInfo* info = nullptr) override;
  Status Visit(const std::string& prefix, const EntryVisitor& visit,
               ObjectInfo* info = nullptr) override;
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override;
  Status ListRange(const std::string& prefix, const KeyRange& range,
                   const KeyVisitor& visit) override;
  Status Read(const std::string& key, uint64_t max_bytes,
              std::string* contents, ObjectInfo* info) override;
  void ReadBatch(const std::string& dir, const std::vector<std::string>& names,
                 uint64_t max_bytes,
                 std::vector<ObjectContents>* objects) override;
  Status ReadRange(const std::string& key, uint64_t offset, uint64_t length,
                   std::string* contents, ObjectInfo* info) override;
  Status Stat(const std::string& key, ObjectInfo* info) override;
  void StatBatch(const std::string& dir, const std::vector<std::string>& names,
                 std::vector<ObjectInfo>* infos,
                 std::vector<Status>* statuses) override;
  void Delete(const std::string& dir, const std::vector<std::string>& names,
              std::vector<Status>* results) override;
  void DeleteTrees(const std::string& dir,
                   const std::vector<std::string>& names,
                   const std::string& usual_key,
                   std::vector<Status>* results) override;
  void DeleteTreeGroups(const std::vector<TreeGroup>& groups,
                        const std::string& usual_key,
                        std::vector<std::vector<Status>>* results) override;
  Status Create(const std::string& key, std::string_view contents) override;
  void MoveTrees(const std::vector<TreeMove>& moves,
                 std::vector<Status>* results) override;
  Status CheckMovable(const std::string& from_dir,
                      const std::string& to_dir) override;
  Status CheckWritable(const std::string& dir) override;

 protected:
  // The primitives. Keys given to them are valid keys of the contract
  // (checked here first), or key prefixes ending in '/'; DeleteObjects
  // and CopyObjects also get keys as a listing gave them (a folder marker
  // "a/"), and names made from them, so that a tree goes whole. Each call is
  // one request of its kind or a batch of them; ObjectStore keeps no state, so
  // they may be called from several threads at once.

  // One list request: at most `max_keys` (≤ kPageSize) keys that begin
  // `key_prefix` ("" for every key), from `token` on or, for the first
  // page (token ""), from the first key after the whole key `start_after`
  // ("" for no such bound), in byte order; with `delimited`, keys with a '/' after the prefix
  // are grouped into common prefixes. An error is an error, never an empty
  // page.
  virtual Status ListPage(const std::string& key_prefix, bool delimited,
                          const std::string& token,
                          const std::string& start_after, size_t max_keys,
                          ObjectPage* page) = 0;

  // Reads every one of `reads`, as many at once as the backend can.
  // (*results)[i] is reads[i]'s: OK with the bytes and the object's
  // description; NotFound for no such key; Corruption for a whole read of
  // an object larger than max_bytes; IOError otherwise.
  virtual void GetObjects(const std::vector<ObjectRead>& reads,
                          std::vector<ObjectContents>* results) = 0;

  // Describes every one of `keys` as objects (HeadObject), as many at once
  // as the backend can: OK with the description, NotFound when no object
  // has that key (a prefix is no object), IOError otherwise.
  virtual void HeadObjects(const std::vector<std::string>& keys,
                           std::vector<ObjectInfo>* infos,
                           std::vector<Status>* statuses) = 0;

  // Deletes `keys` (any number: the backend sends batches of at most
  // kDeleteBatch, as many at once as it can). (*results)[i] is keys[i]'s,
  // checked key by key: OK (a backend that cannot tell reports OK for a
  // key that did not exist, as S3 does), NotFound where it can tell the
  // key did not exist, IOError when it could not be deleted.
  virtual void DeleteObjects(const std::vector<std::string>& keys,
                             std::vector<Status>* results) = 0;

  // Stores `contents` at `key` only if no object has that key: one
  // PutObject with If-None-Match: *, which the server decides atomically.
  // OK; AlreadyExists when an object has the key; IOError otherwise. A
  // backend whose server ignores the condition must not implement this
  // as a plain put: it answers NotSupported instead.
  virtual Status PutIfAbsent(const std::string& key,
                             std::string_view contents) = 0;

  // Copies every one of `copies` within the store, as many at once as the
  // backend can: the whole object at `from`, byte for byte with its content
  // type, however large, to `to`, replacing any object there. `size` lets
  // the backend choose how (S3: one CopyObject up to 5 GiB, a multipart
  // copy beyond). (*results)[i] is copies[i]'s: OK once the whole copy is
  // stored; NotFound when no object has the key `from`; IOError otherwise,
  // naming the key and the backend's answer (on S3 the HTTP status and
  // error code). A reader never finds part of a copy at `to`; a copy that
  // fails may have replaced it whole (an answer lost after the copy).
  virtual void CopyObjects(const std::vector<ObjectCopy>& copies,
                           std::vector<Status>* results) = 0;

 private:
  // DeleteTrees with at least this many names lists their `dir` once
  // instead of each name: a listing of each name costs a HEAD and at least
  // one list request a name, a listing of `dir` one per 1000 keys in it.
  static constexpr size_t kListDirAt = 8;
  // MoveTrees hands CopyObjects at most this many copies a call, so that a
  // large move is several calls side by side, none holding every request.
  static constexpr size_t kCopyBatch = 1000;

  // Called with each page of a listing, in order; an error it returns
  // stops the listing and is the listing's.
  using PageVisitor = std::function<Status(const ObjectPage&)>;

  // One ListPage from *token on, checked: every key and common prefix it
  // gives begins `key_prefix`, a delimited page's object names have no '/'
  // and its prefixes are one level deep, and a next page starts elsewhere
  // than this one did. A backend that breaks these gets an IOError, never
  // the benefit of the doubt. Advances *token ("" after the last page).
  // With `start_after` (a whole key), every key it gives lies after it.
  Status NextPage(const std::string& key_prefix, bool delimited,
                  const std::string& start_after, size_t max_keys,
                  std::string* token, ObjectPage* page);
  // Calls visit for every page of the listing of `key_prefix` (a key
  // prefix: "", "dir/", or a name whose siblings may match too), from the
  // first key after `start_after` ("" from the first), outside any lock
  // the backend holds. Sets *any to whether there was any entry (including
  // those with empty names). Stops at the first failed page and returns
  // its error; a visitor that returns NotFound ends the listing there, OK.
  Status ForEachPage(const std::string& key_prefix, bool delimited,
                     const PageVisitor& visit, bool* any,
                     const std::string& start_after = "");
  // The NotFound or IOError for a prefix with nothing below it (a HEAD of
  // it tells an object from nothing).
  Status Unlisted(const std::string& prefix);
  // Whether some key begins key + "/" ("" for the root: whether there is
  // any key): OK, NotFound, or the listing's error. One key's listing.
  Status ProbePrefix(const std::string& key);
  // HeadObjects, checked: a backend that answers for fewer or more keys
  // than asked has failed every one of them (IOError, never NotFound).
  void Head(const std::vector<std::string>& keys,
            std::vector<ObjectInfo>* infos, std::vector<Status>* statuses);
  // DeleteObjects, checked as Head; no request for no keys.
  void DeleteKeys(const std::vector<std::string>& keys,
                  std::vector<Status>* results);
  // CopyObjects, checked as Head, kCopyBatch copies a call, the calls side
  // by side (threads of the caller's TBB arena).
  void CopyKeys(const std::vector<ObjectCopy>& copies,
                std::vector<Status>* results);
  // GetObjects (checked as Head), then a probe for each NotFound: a key with keys below it
  // is IOError "not an object". The contents of a failed read are empty.
  void Get(const std::vector<ObjectRead>& reads,
           std::vector<ObjectContents>* results);
  // HeadObjects, then a probe for each NotFound: a prefix is described as
  // kDirectory.
  void HeadOrProbe(const std::vector<std::string>& keys,
                   std::vector<ObjectInfo>* infos,
                   std::vector<Status>* statuses);
  // A key of a tree, whole, with its size as the listing gave it.
  struct TreeKey {
    std::string key;
    uint64_t size = 0;
  };
  // What deleting (or moving) the trees of one directory takes: each valid
  // name once (trees), where each name went (tree_of: kNoTree for an
  // invalid one, whose outcome is in results), every key of each tree and
  // each tree's outcome so far.
  struct TreePlan {
    static constexpr size_t kNoTree = static_cast<size_t>(-1);
    std::vector<std::string> trees;
    std::vector<size_t> tree_of;
    std::vector<std::vector<TreeKey>> keys;
    std::vector<Status> statuses;
    std::vector<Status> results;
  };
  // Checks the names and finds every key of their trees (no deletion).
  void PlanTrees(const TreeGroup& group, TreePlan* plan);
  // PlanTrees for each group, the groups side by side: each is a listing
  // or more, a round trip each, and one request in flight would wait on
  // them all.
  void PlanGroups(const std::vector<TreeGroup>& groups,
                  std::vector<TreePlan>* plans);
  // The checks of MoveTrees before any request: (*results)[i] is
  // InvalidArgument for a move that is refused, and OK for one to make.
  // (*same)[i] is the index of the first move equal to moves[i] (i itself
  // for the first), whose outcome moves[i] shares.
  void CheckMoves(const std::vector<TreeMove>& moves,
                  std::vector<Status>* results, std::vector<size_t>* same);
  // Finds the keys of the trees of the moves still OK in *results (the
  // first of each `same`) and says where each goes: copies[j] belongs to
  // moves[(*copier)[j]]. A tree that cannot be examined, or has no key,
  // gets its error in *results and no copies.
  void MoveCopies(const std::vector<TreeMove>& moves,
                  const std::vector<size_t>& same, std::vector<Status>* results,
                  std::vector<ObjectCopy>* copies, std::vector<size_t>* copier);
  // The keys of each tree dir/trees[t], into (*keys)[t]: the key itself
  // and every key below it, from one listing of the tree's name (its
  // siblings that begin with the same name are not its keys). A tree that
  // cannot be examined gets the error in (*statuses)[t].
  void TreeKeysOneByOne(const std::string& dir,
                        const std::vector<std::string>& trees,
                        std::vector<std::vector<TreeKey>>* keys,
                        std::vector<Status>* statuses);
  // The same from one listing of all of `dir`: a key belongs to the tree
  // named by its first component below `dir`. A listing error is every
  // tree's.
  void TreeKeysFromDir(const std::string& dir,
                       const std::vector<std::string>& trees,
                       std::vector<std::vector<TreeKey>>* keys,
                       std::vector<Status>* statuses);
};

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_OBJECT_STORE_H_
