// The registry config's blob-descriptor cache and redis sections
// (tools/regsweep/registry_cache_config.h).
#include "tools/regsweep/registry_cache_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace regsweep::cli {
namespace {

class RegistryCacheConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/registry_cache_config_test.XXXXXX";
    int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = name;
    for (const char* v : kVariables) unsetenv(v);
  }
  void TearDown() override {
    unlink(path_.c_str());
    for (const char* v : kVariables) unsetenv(v);
  }
  Status Read(const std::string& yaml, RegistryCache* cache) {
    std::ofstream(path_) << yaml;
    return ReadRegistryCache(path_, cache);
  }

  static constexpr const char* kVariables[] = {
      "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR", "REGISTRY_REDIS_ADDR",
      "REGISTRY_REDIS_PASSWORD", "REGISTRY_REDIS_DB",
      "REGISTRY_REDIS_USERNAME"};
  std::string path_;
};

constexpr char kStorage[] =
    "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /srv\n";

TEST_F(RegistryCacheConfigTest, NoCacheAndInMemory) {
  RegistryCache cache;
  ASSERT_TRUE(Read(kStorage, &cache).ok());
  EXPECT_EQ(cache.kind, RegistryCache::Kind::kNone);
  ASSERT_TRUE(Read(std::string(kStorage) +
                       "  cache:\n    blobdescriptor: inmemory\n",
                   &cache)
                  .ok());
  EXPECT_EQ(cache.kind, RegistryCache::Kind::kInMemory);
  // The environment names it too, as the registry reads it.
  setenv("REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR", "inmemory", 1);
  ASSERT_TRUE(Read(kStorage, &cache).ok());
  EXPECT_EQ(cache.kind, RegistryCache::Kind::kInMemory);
}

TEST_F(RegistryCacheConfigTest, RedisAddressesAndOverrides) {
  const std::string redis = std::string(kStorage) +
                            "  cache:\n    blobdescriptor: redis\n"
                            "redis:\n  addr: cache.local:6380\n"
                            "  password: s3cret\n  db: 2\n";
  RegistryCache cache;
  ASSERT_TRUE(Read(redis, &cache).ok());
  EXPECT_EQ(cache.kind, RegistryCache::Kind::kRedis);
  EXPECT_EQ(cache.redis.host, "cache.local");
  EXPECT_EQ(cache.redis.port, 6380);
  EXPECT_EQ(cache.redis.password, "s3cret");
  EXPECT_EQ(cache.redis.db, 2);
  setenv("REGISTRY_REDIS_ADDR", "10.0.0.5:7000", 1);
  setenv("REGISTRY_REDIS_DB", "0", 1);
  ASSERT_TRUE(Read(redis, &cache).ok());
  EXPECT_EQ(cache.redis.host, "10.0.0.5");
  EXPECT_EQ(cache.redis.port, 7000);
  EXPECT_EQ(cache.redis.db, 0);
  unsetenv("REGISTRY_REDIS_ADDR");
  // distribution 3.0's list of addresses: the first.
  ASSERT_TRUE(Read(std::string(kStorage) +
                       "  cache:\n    blobdescriptor: redis\n"
                       "redis:\n  addrs: [r1:6379, r2:6379]\n",
                   &cache)
                  .ok());
  EXPECT_EQ(cache.redis.host, "r1");
}

TEST_F(RegistryCacheConfigTest, RedisItCannotUseIsRefused) {
  RegistryCache cache;
  const std::string redis =
      std::string(kStorage) + "  cache:\n    blobdescriptor: redis\n";
  Status s = Read(redis, &cache);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("redis.addr"), std::string::npos) << s.message();
  s = Read(redis + "redis:\n  addr: host:port\n", &cache);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = Read(redis + "redis:\n  addr: h:6379\n  tls:\n    enabled: true\n",
           &cache);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("TLS"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace regsweep::cli
