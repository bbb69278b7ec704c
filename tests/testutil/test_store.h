// TestStore: builds small distribution stores in a temporary directory for
// unit tests, with the same files the registry writes (correct digests,
// revision, tag and layer links), and lets a test damage them.
#ifndef REGSWEEP_TESTS_TESTUTIL_TEST_STORE_H_
#define REGSWEEP_TESTS_TESTUTIL_TEST_STORE_H_

#include <set>
#include <string>
#include <vector>

#include "util/digest.h"

namespace regsweep::testing {

// sha256 of `bytes` as a Digest.
Digest Sha256Of(const std::string& bytes);

class TestStore {
 public:
  TestStore();   // creates a fresh temporary root with docker/registry/v2
  // The same, in `parent` (a test of a hundred thousand files puts its
  // store on tmpfs: ext4 spends most of such a test allocating inodes).
  explicit TestStore(const std::string& parent);
  ~TestStore();  // removes it

  const std::string& root() const { return root_; }
  std::string Path(const std::string& relative) const {
    return root_ + "/" + relative;
  }

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

  // Every blob digest present on disk.
  std::set<std::string> BlobsOnDisk() const;

 private:
  std::string root_;
};

}  // namespace regsweep::testing

#endif  // REGSWEEP_TESTS_TESTUTIL_TEST_STORE_H_
