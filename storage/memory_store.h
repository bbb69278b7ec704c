// MemoryStore: a Store (storage/store.h) held in memory with the semantics
// of an object store (S3 and what speaks its API), for tests and
// benchmarks of the engine against a backend that has none of a
// filesystem's powers. Modeled on leveldb's in-memory Env.
//
// The contract it meets is Store's: keys relative to the root,
// '/'-separated, never with an empty, "." or ".." component nor a leading
// slash (refused with InvalidArgument "not a key in the store"; the root ""
// is valid only as a prefix); NotFound for what does not exist, Corruption
// for an object larger than the caller allows, IOError for everything else.
//
// What this backend promises, and what it does not:
//  - Flat keys, kept sorted as S3 keeps them (by byte). No directories: a
//    prefix P exists exactly while some key begins P + "/" (the root while
//    the store is not empty), and is described as kDirectory with no time,
//    no version (0) and kUnknownCount subdirectories. No rename, no
//    symbolic links, no directory versions.
//  - Only objects have times and versions. An object's version changes on
//    every write (a per-store counter, never 0, taken by each Put and
//    SetMtime); its changed_ns is its mtime_ns (S3's LastModified).
//    Capabilities: object_versions_move only.
//  - Listings go in pages of at most kPageSize keys or common prefixes,
//    like ListObjectsV2 (with a delimiter for List and Visit, without for
//    ListAll); each page is one list request. A listing is not a snapshot:
//    each page sees the store as it is when that page is taken. A name that
//    is both an object and a prefix ("a" and "a/b") is listed once, as
//    kDirectory; only if keys are added below such a name while it is being
//    listed may it be listed twice.
//  - Deletes go in batches of at most kDeleteBatch keys a request, checked
//    key by key (NotFound for a key that was not there, IOError "not an
//    object" for a name that is only a prefix). DeleteTrees always lists
//    what lies below each name (its usual_key hint is not used), so it
//    never leaves a key behind.
//  - Stat of a name that is no object probes for a prefix, which costs a
//    list request as it would on S3.
//  - Identity: "memory:<pid>:<n>", n counted per process, so no two
//    MemoryStores share one. Describe(key): "memory://<pid>:<n>/" + key.
//
// The writer API (Put, SetMtime, Remove, ...) builds and changes a store
// for a test; it is no part of Store and counts no requests. It stores any
// key as given, as S3 would (so a test can plant an S3 "folder marker" such
// as "a/"); listings skip the empty names such keys make, the readers
// refuse them as keys, and DeleteTrees deletes them with the rest.
//
// Thread safety: every method may be called from several threads at once.
// One mutex guards the keys; it is held for one page, one object or one
// delete batch at a time, never while a visitor runs (so a visitor may call
// back into the store).
#ifndef REGSWEEP_STORAGE_MEMORY_STORE_H_
#define REGSWEEP_STORAGE_MEMORY_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage {

class MemoryStore final : public Store {
 public:
  // Most keys or common prefixes one list request returns, and most keys
  // one delete request removes (S3's limits).
  static constexpr size_t kPageSize = 1000;
  static constexpr size_t kDeleteBatch = 1000;

  MemoryStore();
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;
  ~MemoryStore() override = default;

  // Store.
  Capabilities capabilities() const override;
  Status List(const std::string& prefix, std::vector<ListEntry>* entries,
              ObjectInfo* info = nullptr) override;
  Status Visit(const std::string& prefix, const EntryVisitor& visit,
               ObjectInfo* info = nullptr) override;
  Status ListAll(const std::string& prefix, const KeyVisitor& visit) override;
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
  Status CheckWritable(const std::string& dir) override;
  std::string Describe(const std::string& key) const override;
  std::string Identity() const override;

  // Writer API, for tests. Put stores `bytes` at `key` with a new version
  // (replacing what was there); without `mtime_ns`, the modification time
  // is now (the system clock, ns since the epoch).
  void Put(const std::string& key, std::string bytes, int64_t mtime_ns);
  void Put(const std::string& key, std::string bytes);
  // Sets the object's modification time, to age it. An object store's
  // clients cannot set LastModified; this models re-uploading the same
  // bytes with the given LastModified, so the version moves too and
  // changed_ns becomes `mtime_ns`. False when there is no such object.
  bool SetMtime(const std::string& key, int64_t mtime_ns);
  // Removes the object; false when there was none.
  bool Remove(const std::string& key);
  // Removes every key below `prefix` (beginning prefix + "/"; every key
  // when `prefix` is ""), not `prefix` itself. Returns how many.
  size_t RemovePrefix(const std::string& prefix);
  bool Has(const std::string& key) const;
  // Every key below `prefix` (as RemovePrefix), full and sorted.
  std::vector<std::string> Keys(const std::string& prefix = "") const;
  // The object's bytes, or nullopt when there is none.
  std::optional<std::string> Get(const std::string& key) const;

  // Requests served since construction: list pages (List, Visit, ListAll,
  // DeleteTrees, Stat's prefix probe), object reads (Read, ReadRange, each
  // of a ReadBatch), descriptions (Stat, each of a StatBatch), delete
  // batches (Delete, DeleteTrees).
  uint64_t list_requests() const { return list_requests_.load(); }
  uint64_t get_requests() const { return get_requests_.load(); }
  uint64_t head_requests() const { return head_requests_.load(); }
  uint64_t delete_requests() const { return delete_requests_.load(); }

 private:
  struct Object {
    std::string bytes;
    int64_t mtime_ns = 0;
    uint64_t version = 0;
  };

  // One entry of a list page. Delimited: `name` is relative to the listed
  // prefix and has no '/'; a common prefix has is_prefix, an object
  // has_below when keys lie below it too. Not delimited: `name` is an
  // object's key relative to the listed prefix. `info` describes an object.
  struct PageEntry {
    std::string name;
    bool is_prefix = false;
    bool has_below = false;
    ObjectInfo info;
  };
  using PageVisitor = std::function<void(const PageEntry&)>;

  // One ListObjectsV2 request: at most kPageSize entries below `key_prefix`
  // (a prefix with its trailing '/', or "" for the root) from *cursor (the
  // least key still to list) on, grouped at the next '/' when `delimited`.
  // Advances *cursor; returns whether more entries may follow.
  bool ListPage(const std::string& key_prefix, bool delimited,
                std::string* cursor, std::vector<PageEntry>* page) const;
  // Calls visit for every entry of every page, outside the lock. Returns
  // whether there was any entry (including those with empty names).
  bool ForEachEntry(const std::string& key_prefix, bool delimited,
                    const PageVisitor& visit) const;
  // The NotFound or IOError for a prefix with nothing below it.
  Status Unlisted(const std::string& prefix) const;
  // Deletes `keys` (as stored) in batches of kDeleteBatch, one request
  // each; (*results)[i] for keys[i].
  void DeleteKeys(const std::vector<std::string>& keys,
                  std::vector<Status>* results);
  // Whether some key begins key + "/". Requires mu_.
  bool HasBelowLocked(const std::string& key) const;
  static ObjectInfo InfoOf(const Object& object);

  const std::string id_;  // "<pid>:<n>"

  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_
  uint64_t last_version_ = 0;              // guarded by mu_

  mutable std::atomic<uint64_t> list_requests_{0};
  std::atomic<uint64_t> get_requests_{0};
  std::atomic<uint64_t> head_requests_{0};
  std::atomic<uint64_t> delete_requests_{0};
};

// A Store that forwards every call to `store` (which must outlive it and
// stays the caller's), for code that wants a std::unique_ptr<Store> while
// a test keeps the MemoryStore to build and inspect it.
std::unique_ptr<Store> NewMemoryStoreView(MemoryStore* store);

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_MEMORY_STORE_H_
