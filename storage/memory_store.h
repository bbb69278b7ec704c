// MemoryStore: an ObjectStore (storage/object_store.h) held in memory, for
// tests and benchmarks of the engine against a backend that has none of a
// filesystem's powers. Modeled on leveldb's in-memory Env.
//
// What lives where. The Store semantics (key checks, prefixes that exist
// while keys lie below them, next levels, probes, trees, Capabilities) are
// ObjectStore's, described once in object_store.h and shared with the S3
// backend, so a test on this store tests what S3 does. This class
// implements only ObjectStore's primitives, the way S3 answers them:
//  - ListPage: ListObjectsV2 over flat keys kept sorted by byte, at most
//    kPageSize keys or common prefixes a page, a continuation token when
//    more follow (none after a page that ends the listing exactly).
//  - GetObjects, HeadObjects: NotFound for no such key (a prefix is no
//    object), Corruption for a whole read larger than max_bytes.
//  - PutIfAbsent: AlreadyExists when an object has the key, decided under
//    the store's mutex.
//  - DeleteObjects: batches of at most kDeleteBatch keys, checked key by
//    key: NotFound for a key that was not there, IOError "not an object"
//    for a name that is only a prefix (S3 would say OK to both).
//  - CopyObjects: each copy decided under the store's mutex, so a reader
//    finds the old object or the whole copy; NotFound when no object has
//    the source key (a prefix is no object). The copy is a new write: a new
//    version, and now as its modification time (S3 gives a copy its own
//    LastModified and ETag). Objects carry no content type here.
// What it adds of its own:
//  - Versions: an object's version changes on every write (a per-store
//    counter, never 0, taken by each Put, PutIfAbsent, copy and SetMtime);
//    its changed_ns is its mtime_ns (S3's LastModified).
//  - MD5s: every object's description carries the MD5 of its bytes
//    (has_md5), as S3's ETag of an object uploaded whole does, so that what
//    a listing can prove without a read is exercised here too.
//  - Request counters: one list request per ListPage, one get per object
//    read, one head per object described, one delete request per batch of
//    kDeleteBatch keys, one put per PutIfAbsent, one copy per object copied
//    (see object_store.h for what each Store call sends).
//  - Identity: "memory:<pid>:<n>", n counted per process, so no two
//    MemoryStores share one. Describe(key): "memory://<pid>:<n>/" + key.
//
// The writer API (Put, SetMtime, Remove, ...) builds and changes a store
// for a test; it is no part of Store and counts no requests. It stores any
// key as given, as S3 would (so a test can plant an S3 "folder marker" such
// as "a/"); listings skip the empty names such keys make, the readers
// refuse them as keys, and DeleteTrees deletes them with the rest.
//
// The primitives are public here (they are protected in ObjectStore) so
// that a test's own ObjectStore can forward to a MemoryStore and inject
// faults between them.
//
// Thread safety: every method may be called from several threads at once.
// One mutex guards the keys; it is held for one page, one object or one
// delete batch at a time, never while a visitor runs (so a visitor may call
// back into the store).
#ifndef REGSWEEP_STORAGE_MEMORY_STORE_H_
#define REGSWEEP_STORAGE_MEMORY_STORE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/object_store.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage {

class MemoryStore final : public ObjectStore {
 public:
  MemoryStore();
  ~MemoryStore() override = default;

  // Store (the rest is ObjectStore's).
  std::string Describe(const std::string& key) const override;
  std::string Identity() const override;

  // ObjectStore's primitives (see object_store.h), each counted.
  Status ListPage(const std::string& key_prefix, bool delimited,
                  const std::string& token, const std::string& start_after,
                  size_t max_keys,
                  ObjectPage* page) override;
  void GetObjects(const std::vector<ObjectRead>& reads,
                  std::vector<ObjectContents>* results) override;
  void HeadObjects(const std::vector<std::string>& keys,
                   std::vector<ObjectInfo>* infos,
                   std::vector<Status>* statuses) override;
  void DeleteObjects(const std::vector<std::string>& keys,
                     std::vector<Status>* results) override;
  Status PutIfAbsent(const std::string& key,
                     std::string_view contents) override;
  void CopyObjects(const std::vector<ObjectCopy>& copies,
                   std::vector<Status>* results) override;

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

  // Requests served since construction: list pages, object reads, object
  // descriptions, delete batches, conditional puts, object copies.
  uint64_t list_requests() const { return list_requests_.load(); }
  uint64_t get_requests() const { return get_requests_.load(); }
  uint64_t head_requests() const { return head_requests_.load(); }
  uint64_t delete_requests() const { return delete_requests_.load(); }
  uint64_t put_requests() const { return put_requests_.load(); }
  uint64_t copy_requests() const { return copy_requests_.load(); }

 private:
  struct Object {
    std::string bytes;
    int64_t mtime_ns = 0;
    uint64_t version = 0;
    std::array<uint8_t, 16> md5{};  // of bytes, as an S3 ETag
  };

  // One object's read, as GetObjects answers it.
  ObjectContents ReadOne(const ObjectRead& read) const;
  // Whether some key begins key + "/". Requires mu_.
  bool HasBelowLocked(const std::string& key) const;
  // Gives `object` a new version and `mtime_ns`, as a write does. Requires
  // mu_.
  void StampLocked(int64_t mtime_ns, Object* object);
  static ObjectInfo InfoOf(const Object& object);

  const std::string id_;  // "<pid>:<n>"

  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_
  uint64_t last_version_ = 0;              // guarded by mu_

  std::atomic<uint64_t> list_requests_{0};
  std::atomic<uint64_t> get_requests_{0};
  std::atomic<uint64_t> head_requests_{0};
  std::atomic<uint64_t> delete_requests_{0};
  std::atomic<uint64_t> put_requests_{0};
  std::atomic<uint64_t> copy_requests_{0};
};

// A Store that forwards every call to `store` (which must outlive it and
// stays the caller's), for code that wants a std::unique_ptr<Store> while
// a test keeps the MemoryStore to build and inspect it.
std::unique_ptr<Store> NewMemoryStoreView(MemoryStore* store);

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_MEMORY_STORE_H_
