// Where an S3 store is and how to reach it: the bucket and key prefix, the
// endpoint, region and credentials, gathered from an s3:// URL, flags, the
// usual AWS environment and shared credentials file, or the registry's own
// config.yml (tools/regsweep/registry_config.h reads that one).
//
// Thread safety: pure functions, except that the environment and the
// credentials file are read when called.
#ifndef REGSWEEP_STORAGE_S3_S3_LOCATION_H_
#define REGSWEEP_STORAGE_S3_S3_LOCATION_H_

#include <string>
#include <string_view>

#include "util/status.h"

namespace regsweep::storage::s3 {

struct S3Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty: none
  // Where they came from, for messages (never the secret): for example
  // "AWS_ACCESS_KEY_ID from the environment", "profile 'default' of
  // /root/.aws/credentials", "storage.s3.accesskey of /etc/x/config.yml".
  std::string source;
};

struct S3Location {
  std::string bucket;
  // The key prefix the registry's keys live below, without a leading or
  // trailing '/' ("" for the bucket's root): the registry's
  // storage.s3.rootdirectory.
  std::string root;
  // "scheme://host[:port]", no path, no trailing slash. Empty: AWS's own
  // endpoint for the region, https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  // Path-style addressing (http://host/bucket/key) rather than
  // virtual-hosted (http://bucket.host/key). Endpoints other than AWS's
  // usually need it.
  bool path_style = false;
  // Check the server's TLS certificate (distribution's skipverify turns
  // this off).
  bool verify_tls = true;
  // A CA bundle file to verify with; empty: the system's.
  std::string ca_bundle;
  S3Credentials credentials;
};

// Whether `text` names an S3 store ("s3://...").
bool IsS3Url(std::string_view text);

// Whether requests to `endpoint` (S3Location::endpoint; "" for AWS's own)
// go to AWS: a host that is or ends in amazonaws.com (or .com.cn).
bool IsAwsEndpoint(std::string_view endpoint);

// Parses "s3://BUCKET[/ROOT...]" into location->bucket and ->root (slashes
// at either end of the root dropped, "//" collapsed). InvalidArgument
// naming the URL and what is wrong (no bucket, a bucket name S3 refuses, a
// "." or ".." component).
Status ParseS3Url(std::string_view url, S3Location* location);

// Fills what is still empty in *location from the environment, as AWS's
// tools read it: region from AWS_REGION, then AWS_DEFAULT_REGION (only when
// `region_given` is false); endpoint from AWS_ENDPOINT_URL_S3, then
// AWS_ENDPOINT_URL; credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else from the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials)
// for profile AWS_PROFILE (else "default"); CA bundle from AWS_CA_BUNDLE.
// InvalidArgument when only one of a key pair is set, or the credentials
// file cannot be parsed; no credentials at all is OK here (the first
// request then fails with a message that says how to give them).
Status ApplyAwsEnvironment(bool region_given, S3Location* location);

// The endpoint requests go to: location.endpoint, or AWS's for the region.
std::string EffectiveEndpoint(const S3Location& location);

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_S3_LOCATION_H_
