#include "tools/regsweep/registry_cache_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

namespace regsweep::cli {
namespace {

// The scalar at config[a][b]..., or "". Each level is checked (operator[]
// of a scalar throws), and the walk moves with reset(): assigning to a
// yaml-cpp Node writes into the document it refers to.
std::string ScalarAt(const YAML::Node& config,
                     std::initializer_list<const char*> path) {
  YAML::Node node;
  node.reset(config);
  for (const char* key : path) {
    if (!node.IsMap()) return "";
    const YAML::Node child = node[key];
    if (!child.IsDefined()) return "";
    node.reset(child);
  }
  return node.IsScalar() ? node.Scalar() : "";
}

std::string FromEnvironment(const char* name, std::string value) {
  const char* set = std::getenv(name);
  return set != nullptr ? std::string(set) : value;
}

Status ReadRedis(const std::string& config_path, const YAML::Node& config,
                 storage::RedisAddress* redis) {
  std::string addr = ScalarAt(config, {"redis", "addr"});
  if (addr.empty() && config.IsMap() && config["redis"].IsMap()) {
    const YAML::Node addrs = config["redis"]["addrs"];
    if (addrs.IsSequence() && addrs.size() > 0 && addrs[0].IsScalar()) {
      addr = addrs[0].Scalar();
    }
  }
  addr = FromEnvironment("REGISTRY_REDIS_ADDR", addr);
  if (addr.empty()) {
    return Status::InvalidArgument(
        config_path, "storage.cache.blobdescriptor is redis but redis.addr "
                     "is not set");
  }
  const size_t colon = addr.rfind(':');
  redis->host = addr.substr(0, colon);
  if (colon != std::string::npos) {
    char* end = nullptr;
    const long port = std::strtol(addr.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) {
      return Status::InvalidArgument(
          config_path, "redis.addr '" + addr + "' is not HOST:PORT");
    }
    redis->port = static_cast<int>(port);
  }
  redis->username = FromEnvironment("REGISTRY_REDIS_USERNAME",
                                    ScalarAt(config, {"redis", "username"}));
  redis->password = FromEnvironment("REGISTRY_REDIS_PASSWORD",
                                    ScalarAt(config, {"redis", "password"}));
  const std::string db =
      FromEnvironment("REGISTRY_REDIS_DB", ScalarAt(config, {"redis", "db"}));
  if (!db.empty()) {
    char* end = nullptr;
    const long number = std::strtol(db.c_str(), &end, 10);
    if (*end != '\0' || number < 0) {
      return Status::InvalidArgument(config_path,
                                     "redis.db '" + db + "' is not a number");
    }
    redis->db = static_cast<int>(number);
  }
  const std::string tls = ScalarAt(config, {"redis", "tls", "enabled"});
  if (tls == "true" || tls == "yes" || tls == "on") {
    return Status::InvalidArgument(
        config_path, "redis.tls is enabled, and this regsweep cannot speak "
                     "TLS to Redis (Debian 12's hiredis has no TLS): it "
                     "could not clear the registry's cache");
  }
  return Status::OK();
}

}  // namespace

Status ReadRegistryCache(const std::string& config_path, RegistryCache* cache) {
  *cache = RegistryCache();
  YAML::Node config;
  try {
    config = YAML::LoadFile(config_path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path, e.what());
  }
  const std::string kind = FromEnvironment(
      "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR",
      ScalarAt(config, {"storage", "cache", "blobdescriptor"}));
  if (kind == "inmemory") cache->kind = RegistryCache::Kind::kInMemory;
  if (kind != "redis") return Status::OK();
  cache->kind = RegistryCache::Kind::kRedis;
  return ReadRedis(config_path, config, &cache->redis);
}

}  // namespace regsweep::cli
