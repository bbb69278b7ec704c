// The registry's blob-descriptor cache, as its config.yml names it:
// storage.cache.blobdescriptor (REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR) and,
// for redis, the redis section (addr, or 3.0's addrs, the first of which
// is used; username, password, db; REGISTRY_REDIS_ADDR, _USERNAME,
// _PASSWORD and _DB override them, as the registry's environment does).
#ifndef REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CACHE_CONFIG_H_
#define REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CACHE_CONFIG_H_

#include <string>

#include "storage/descriptor_cache.h"
#include "util/status.h"

namespace regsweep::cli {

struct RegistryCache {
  // kNone: no cache configured (or an unknown name, which the registry
  // ignores too); kInMemory: inside the registry process; kRedis.
  enum class Kind { kNone, kInMemory, kRedis };
  Kind kind = Kind::kNone;
  storage::RedisAddress redis;  // kRedis
};

// InvalidArgument naming the file and the setting for a redis section
// regsweep cannot use (no address, a malformed one, TLS, which this
// build's hiredis lacks).
Status ReadRegistryCache(const std::string& config_path, RegistryCache* cache);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CACHE_CONFIG_H_
