// Reads the registry's own config.yml as `docker-registry` 2.8.2 does
// (distribution's configuration package, yaml.v2, and the driver's
// FromParameters): where the store is (storage.filesystem or storage.s3,
// with the REGISTRY_STORAGE* environment overrides) and the log section.
#ifndef REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_
#define REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "storage/s3/s3_location.h"
#include "util/status.h"

namespace regsweep::cli {

// What the config's storage section names: a filesystem root, or an S3 bucket.
struct StorageLocation {
  enum class Driver { kFilesystem, kS3 };
  Driver driver = Driver::kFilesystem;
  std::string root;                    // kFilesystem
  storage::s3::S3Location s3;          // kS3
};

// Reads storage.filesystem or storage.s3 as docker-registry 2.8.2 does, with
// its REGISTRY_STORAGE_* environment overrides. InvalidArgument naming the
// file, the setting and the fix.
//
// The environment, as distribution's configuration parser applies it: the
// REGISTRY_STORAGE* variables in name order, so REGISTRY_STORAGE=s3 (which
// replaces the whole section) comes before REGISTRY_STORAGE_S3_<PARAM>,
// which sets storage.s3.<param> (PARAM uppercase; the value is YAML, so
// "false" is a boolean and "" unsets). A variable for a driver the file
// does not name adds that driver, and two drivers are refused, as the
// registry refuses them. Setting names are case-sensitive: the registry
// does not read "regionEndpoint", so neither does this.
//
// filesystem: rootdirectory (default /var/lib/registry).
//
// s3 (or its other name, s3aws), what 2.8.2's s3-aws driver reads:
//   bucket, region      required. Without regionendpoint the region must
//                       look like an AWS region (us-east-1).
//   regionendpoint      with or without scheme ("http://127.0.0.1:7480",
//                       "minio:9000"; without, `secure` picks it); kept as
//                       scheme://host[:port], a path is refused. 2.8.2 then
//                       always uses path-style requests; without it,
//                       virtual-hosted ones on AWS, path-style for a bucket
//                       with '.' over https (as its SDK does).
//   rootdirectory       the key prefix, slashes at either end dropped.
//   secure              default true; false: http.
//   skipverify          default false; true: no TLS certificate check.
//   v4auth              default true; false (signature v2) is refused.
//   accesskey,          when both are set, the credentials; otherwise, as
//   secretkey           the registry's AWS SDK does, the AWS environment
//                       and shared credentials file
//                       (storage::s3::ApplyAwsEnvironment; one key alone
//                       is ignored, as the SDK ignores it). AWS_CA_BUNDLE
//                       gives the CA bundle, as the SDK's session reads it.
// Booleans are YAML booleans (true, yes, on, ...) or strings Go's
// strconv.ParseBool takes ("true", "1"); anything else is refused, as the
// registry refuses it. Strings are read as Go prints what yaml.v2 decoded
// (an unquoted 0x10 is "16").
// Ignored, as they only matter for writing: encrypt, keyid, chunksize,
// multipartcopychunksize, multipartcopymaxconcurrency,
// multipartcopythresholdsize, storageclass, objectacl, useragent; and
// forcepathstyle, which 2.8.2 does not have (distribution 3.0 added it).
// The AWS_REGION and AWS_ENDPOINT_URL variables are not read: 2.8.2 takes
// the region and endpoint from the config alone.
//
// Other drivers (azure, gcs, swift, oss, inmemory, ...) are refused.
Status ReadStorageLocation(const std::string& config_path,
                           StorageLocation* location);

// ReadStorageLocation's root, for commands that work on filesystem stores
// only: InvalidArgument when the config names an S3 store.
Status ReadStorageRoot(const std::string& config_path, std::string* root);

// The config's log section, as distribution 2.8 reads it for
// garbage-collect: log.level (error, warn, info, debug, in any case;
// default info), log.formatter (text, json, logstash, exactly; default
// text) and log.fields (added to every line; a value as Go's %v prints it:
// a list as "[a b]"). REGISTRY_LOG_LEVEL and REGISTRY_LOG_FORMATTER
// override the file, as distribution's environment does.
struct RegistryLog {
  std::string level = "info";
  std::string formatter = "text";
  std::vector<std::pair<std::string, std::string>> fields;  // sorted by key
};

// InvalidArgument naming the file and the setting when the config cannot
// be read or a log setting is one distribution refuses (it would not run).
Status ReadRegistryLog(const std::string& config_path, RegistryLog* log);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_REGISTRY_CONFIG_H_
