// TestStore: builds small distribution stores for unit tests, with the same
// files the registry writes (correct digests, revision, tag and layer
// links), and lets a test damage them. Every write goes through one writer
// (WriteFile, RemovePath, the aging calls), on either backend: a
// filesystem store in a temporary directory, or an in-memory store with
// object-store semantics (storage/memory_store.h). Tests of what the engine
// does run on both (see Backends()); tests of filesystem powers (symbolic
// links, permissions) use the filesystem alone.
#ifndef REGSWEEP_TESTS_TESTUTIL_TEST_STORE_H_
#define REGSWEEP_TESTS_TESTUTIL_TEST_STORE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "storage/memory_store.h"
#include "storage/store.h"
#include "util/digest.h"

namespace regsweep::testing {

// sha256 of `bytes` as a Digest.
Digest Sha256Of(const std::string& bytes);

enum class Backend { kFile, kMemory };
// "file" or "memory", for test names.
const char* BackendName(Backend backend);
// Both backends, for INSTANTIATE_TEST_SUITE_P.
inline constexpr Backend kBackends[] = {Backend::kFile, Backend::kMemory};

class TestStore {
 public:
  TestStore();   // a filesystem store (see below)
  // A fresh store on `backend`. Either way root() is a fresh temporary
  // directory: the filesystem store's root (with docker/registry/v2), or,
  // for the memory store, an empty scratch directory (for an index).
  explicit TestStore(Backend backend);
  // A filesystem store in `parent` (a test of a hundred thousand files
  // puts its store on tmpfs: ext4 spends most of such a test allocating
  // inodes).
  explicit TestStore(const std::string& parent);
  ~TestStore();  // removes it

  Backend backend() const { return backend_; }
  const std::string& root() const { return root_; }
  // The filesystem path of `relative` (filesystem backend only: tests that
  // make symbolic links or change modes).
  std::string Path(const std::string& relative) const {
    return root_ + "/" + relative;
  }
  // A Store over this one, as the engine sees it (the filesystem store
  // opened at root(), or a view of the memory store); it must not outlive
  // this TestStore.
  std::unique_ptr<storage::Store> Open() const;
  // The memory store itself (memory backend only), to count its requests.
  storage::MemoryStore* memory() const { return memory_.get(); }

  // Writes a blob and returns its digest.
  Digest PutBlob(const std::string& bytes);
  void PutRevision(const std::string& repo, const Digest& manifest);
  // Points the tag at `manifest` and adds it to the tag's history.
  void PutTag(const std::string& repo, const std::string& tag,
              const Digest& manifest);
  void PutLayerLink(const std::string& repo, const Digest& blob);

  // A schema2 image (config + layers as blobs with layer links, the
  // manifest with a revision link). Returns the manifest digest; the
  // config and layer digests are appended to *blobs when not null.
  Digest PushImage(const std::string& repo, const std::vector<std::string>& layers,
                   std::vector<Digest>* blobs = nullptr);
  // An OCI index over `children` (already pushed to `repo`).
  Digest PushIndex(const std::string& repo, const std::vector<Digest>& children);
  // An OCI artifact (empty config, one layer) whose subject is `subject`;
  // untagged, as referrers are.
  Digest PushReferrer(const std::string& repo, const Digest& subject,
                      const std::string& payload,
                      std::vector<Digest>* blobs = nullptr);
  // Pushes raw manifest bytes with a revision link.
  Digest PushManifestBytes(const std::string& repo, const std::string& bytes);

  // Damage.
  void WriteFile(const std::string& relative, const std::string& content);
  void RemovePath(const std::string& relative);
  // Sets the modification time of `relative` to `seconds_ago` before now.
  void Age(const std::string& relative, int64_t seconds_ago);
  // Sets the tag's push time (the modification time of its current link)
  // to `unix_seconds` since the epoch.
  void SetTagPushTime(const std::string& repo, const std::string& tag,
                      int64_t unix_seconds);
  // Ages every file in the store by `seconds_ago` (so grace does not apply).
  void AgeEverything(int64_t seconds_ago);

  // Whether `relative` holds a file (an object).
  bool Exists(const std::string& relative) const;
  // Every blob digest present in the store.
  std::set<std::string> BlobsOnDisk() const;

 private:
  // Sets the modification time of the file `relative`, or of every file
  // below it, to `unix_ns`.
  void SetTime(const std::string& relative, int64_t unix_ns);

  Backend backend_;
  std::string root_;
  std::unique_ptr<storage::MemoryStore> memory_;  // memory backend only
};

}  // namespace regsweep::testing

#endif  // REGSWEEP_TESTS_TESTUTIL_TEST_STORE_H_
