// Where a command's store is (see store_location.h).
#include "tools/regsweep/store_location.h"

#include "storage/s3/s3_location.h"
#include "storage/s3/s3_store.h"
#include "tools/regsweep/registry_config.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr int kMaxS3Concurrency = 4096;

struct S3Flags {
  std::string endpoint;
  std::string region;
  std::string ca_bundle;
  std::string addressing = "auto";
  int concurrency = kDefaultS3Concurrency;
  bool skip_verify = false;
};

S3Flags& Flags() {
  static S3Flags flags;
  return flags;
}

// The S3 store a config named, and what it says of it.
struct ConfigStore {
  std::string where;  // "s3://bucket/root"; empty: none
  storage::s3::S3Location location;
};

ConfigStore& FromConfig() {
  static ConfigStore store;
  return store;
}

std::string WithoutTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Puts the flags that were given over `location`.
Status ApplyFlags(const S3Flags& flags, storage::s3::S3Location* location) {
  if (!flags.endpoint.empty()) {
    location->endpoint = WithoutTrailingSlashes(flags.endpoint);
  }
  if (!flags.region.empty()) location->region = flags.region;
  if (!flags.ca_bundle.empty()) location->ca_bundle = flags.ca_bundle;
  if (flags.skip_verify) location->verify_tls = false;
  if (flags.concurrency < 1 || flags.concurrency > kMaxS3Concurrency) {
    return Status::InvalidArgument(
        "--s3-concurrency", "must be from 1 to " +
                                std::to_string(kMaxS3Concurrency));
  }
  return Status::OK();
}

// Picks the addressing, once the endpoint is known.
Status ApplyAddressing(const S3Flags& flags, bool from_config,
                       storage::s3::S3Location* location) {
  if (flags.addressing == "path") {
    location->path_style = true;
  } else if (flags.addressing == "virtual") {
    location->path_style = false;
  } else if (flags.addressing == "auto") {
    // A config says for itself (forcepathstyle, regionendpoint).
    if (!from_config) location->path_style = !storage::s3::IsAwsEndpoint(location->endpoint);
  } else {
    return Status::InvalidArgument(
        "--s3-addressing '" + flags.addressing + "'",
        "is not path, virtual or auto");
  }
  return Status::OK();
}

}  // namespace

void AddS3Options(po::options_description* desc) {
  S3Flags& flags = Flags();
  po::options_description s3(
      "S3 options (STORE s3://BUCKET/ROOT; credentials from\n"
      "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or\n"
      "AWS_PROFILE's section of ~/.aws/credentials)");
  s3.add_options()(
      "s3-endpoint", po::value(&flags.endpoint),
      "the S3 endpoint, e.g. http://127.0.0.1:7480 (default: "
      "AWS_ENDPOINT_URL, else AWS's for the region)")(
      "s3-region", po::value(&flags.region),
      "the bucket's region (default: AWS_REGION, else us-east-1)")(
      "s3-concurrency",
      po::value(&flags.concurrency)->default_value(kDefaultS3Concurrency),
      "S3 requests in flight at most (fewer while the server throttles)")(
      "s3-ca-bundle", po::value(&flags.ca_bundle),
      "verify HTTPS with this CA bundle (default: AWS_CA_BUNDLE, else the "
      "system's)")(
      "s3-addressing", po::value(&flags.addressing)->default_value("auto"),
      "path (host/bucket/key), virtual (bucket.host/key) or auto: virtual "
      "on AWS, path elsewhere")(
      "s3-skip-verify", po::bool_switch(&flags.skip_verify),
      "do not verify the server's TLS certificate");
  desc->add(s3);
}

bool IsS3Location(const std::string& where) {
  return storage::s3::IsS3Url(where);
}

Status OpenStoreAt(const std::string& where,
                   std::unique_ptr<storage::Store>* store) {
  if (!IsS3Location(where)) return storage::OpenFileStore(where, store);
  const S3Flags& flags = Flags();
  const ConfigStore& config = FromConfig();
  const bool from_config = !config.where.empty() && config.where == where;
  storage::s3::S3StoreOptions options;
  Status s;
  if (from_config) {
    options.location = config.location;
  } else {
    s = storage::s3::ParseS3Url(where, &options.location);
    if (!s.ok()) return s;
  }
  // Flags first, then the environment fills what they left empty; the
  // endpoint must be known before auto addressing picks.
  s = ApplyFlags(flags, &options.location);
  if (s.ok() && !from_config) {
    s = storage::s3::ApplyAwsEnvironment(!flags.region.empty(),
                                         &options.location);
  }
  if (s.ok()) s = ApplyAddressing(flags, from_config, &options.location);
  if (!s.ok()) return s;
  options.concurrency = flags.concurrency;
  return storage::s3::OpenS3Store(options, store);
}

Status LocationFromConfig(const std::string& config, std::string* where) {
  StorageLocation location;
  Status s = ReadStorageLocation(config, &location);
  if (!s.ok()) return s;
  if (location.driver == StorageLocation::Driver::kFilesystem) {
    *where = location.root;
    return Status::OK();
  }
  *where = "s3://" + location.s3.bucket +
           (location.s3.root.empty() ? "" : "/" + location.s3.root);
  FromConfig().where = *where;
  FromConfig().location = location.s3;
  return Status::OK();
}

std::vector<std::pair<std::string, uint64_t>> StoreRequestCounts(
    const storage::Store* store) {
  const storage::s3::S3RequestCounts* counts =
      storage::s3::RequestCountsOf(store);
  if (counts == nullptr) return {};
  return {{"list", counts->list.load()},
          {"get", counts->get.load()},
          {"head", counts->head.load()},
          {"delete_objects", counts->delete_batches.load()},
          {"put", counts->put.load()}, {"copy", counts->copy.load()},
          {"retries", counts->retries.load()}};
}

}  // namespace regsweep::cli
