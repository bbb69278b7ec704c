// Where a command's store is: a directory (the filesystem driver's
// rootdirectory) or an S3 bucket, given as STORE (a path or
// s3://BUCKET/ROOT with the --s3-* flags and the usual AWS environment) or
// read from the registry's config.yml (storage.filesystem or storage.s3).
//
// Every command that opens a store adds the S3 flags (AddS3Options) and
// opens through OpenStoreAt. The flags and a config's S3 settings are held
// process-wide, as the log configuration is (log.h): set while the command
// line is read, read when the store is opened.
#ifndef REGSWEEP_TOOLS_REGSWEEP_STORE_LOCATION_H_
#define REGSWEEP_TOOLS_REGSWEEP_STORE_LOCATION_H_

#include <boost/program_options.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.h"
#include "util/status.h"

namespace regsweep::cli {

// The S3 flags' defaults, for --help.
constexpr int kDefaultS3Concurrency = 128;

// Adds the --s3-* flags, in their own group, to `desc`.
void AddS3Options(boost::program_options::options_description* desc);

// Opens the store `where` names: s3://... as an S3 store (the location a
// config gave, when `where` came from LocationFromConfig; otherwise the
// URL with the flags and the AWS environment), anything else as a
// filesystem root. InvalidArgument for S3 flags that make no sense.
Status OpenStoreAt(const std::string& where,
                   std::unique_ptr<storage::Store>* store);

// Reads the store's location from the registry's config.yml: a filesystem
// root, or "s3://bucket/root" (its endpoint, region and credentials then
// come from the config, over which the --s3-* flags that were given go).
Status LocationFromConfig(const std::string& config, std::string* where);

// Whether `where` names an S3 store.
bool IsS3Location(const std::string& where);

// The requests `store` was sent so far, by kind, if it counts them (a
// store OpenStoreAt opened on S3); empty for any other store.
std::vector<std::pair<std::string, uint64_t>> StoreRequestCounts(
    const storage::Store* store);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_STORE_LOCATION_H_
