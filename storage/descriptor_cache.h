// DescriptorCache: the registry's blob-descriptor cache
// (storage.cache.blobdescriptor in its config), which the registry asks
// "does this blob exist, in this repository?" before it asks the store.
// What a sweep removes from the store must be forgotten there too: a cache
// that still lists a deleted blob makes a push that reuses it skip the
// upload, and the pushed image does not pull (distribution issue 4569).
//
// The Redis cache (OpenRedisDescriptorCache) keeps, as distribution 2.8
// and 3.0 write them (registry/storage/cache/redis):
//   blobs::<digest>                     a hash: the blob's descriptor
//   repository::<name>::blobs           a set: the digests <name> holds
//   repository::<name>::blobs::<digest> a hash: <name>'s media type for it
// The in-memory cache lives inside the registry process; nothing outside
// it can clear it (the registry must be restarted).
//
// Thread safety: every method may be called from several threads at once.
#ifndef REGSWEEP_STORAGE_DESCRIPTOR_CACHE_H_
#define REGSWEEP_STORAGE_DESCRIPTOR_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/digest.h"
#include "util/status.h"

namespace regsweep::storage {

class DescriptorCache {
 public:
  virtual ~DescriptorCache() = default;

  // Whether the cache answers (before anything is deleted): OK, or
  // IOError naming it and why.
  virtual Status Check() = 0;
  // Forgets the store-wide descriptors of `blobs` (deleted from the store).
  virtual Status ForgetBlobs(const std::vector<Digest>& blobs) = 0;
  // Forgets that `repository` holds each of `digests` (its layer links or
  // revision links were removed).
  virtual Status ForgetLinks(const std::string& repository,
                             const std::vector<Digest>& digests) = 0;
  // "redis 127.0.0.1:6379 db 0", for messages.
  virtual std::string Describe() const = 0;
};

// Where the registry's Redis is (its config's redis section).
struct RedisAddress {
  std::string host = "localhost";
  int port = 6379;
  std::string username;  // Redis 6 ACLs; empty: none
  std::string password;  // empty: no AUTH
  int db = 0;
  int64_t timeout_ms = 5000;  // to connect, and for each answer
};

// A DescriptorCache on the Redis at `address`. Nothing is sent yet (Check
// connects). One connection, used by one call at a time, each call's
// commands pipelined.
std::unique_ptr<DescriptorCache> NewRedisDescriptorCache(
    const RedisAddress& address);

}  // namespace regsweep::storage

#endif  // REGSWEEP_STORAGE_DESCRIPTOR_CACHE_H_
