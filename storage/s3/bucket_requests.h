// BucketRequests: the signed HTTP requests of S3's API for one bucket, in
// path-style or virtual-hosted addressing. Knows URLs, query strings and
// SigV4; knows nothing of retries or what the answers mean.
//
// Thread safety: const methods only; safe from any thread.
#ifndef REGSWEEP_STORAGE_S3_BUCKET_REQUESTS_H_
#define REGSWEEP_STORAGE_S3_BUCKET_REQUESTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_location.h"
#include "util/status.h"

namespace regsweep::storage::s3 {

class BucketRequests {
 public:
  // InvalidArgument when the endpoint is not scheme://host[:port] with
  // scheme http or https.
  static Status Make(const S3Location& location, BucketRequests* requests);

  // ListObjectsV2 of the bucket keys that begin `key_prefix`: from `token`
  // on, or without one from the first key after bucket key `start_after`.
  HttpRequest List(const std::string& key_prefix, bool delimited,
                   const std::string& token, const std::string& start_after,
                   size_t max_keys) const;
  // GetObject of bucket key `key`; with `range` ("bytes=0-99") a part.
  HttpRequest Get(const std::string& key, const std::string& range) const;
  HttpRequest Head(const std::string& key) const;
  // PutObject of `body` at bucket key `key`, only if no object has it
  // (If-None-Match: *).
  HttpRequest PutIfAbsent(const std::string& key, const std::string& body) const;
  // DeleteObjects with the given XML body.
  HttpRequest DeleteObjects(const std::string& body) const;

  // "s3://bucket/key", for messages.
  std::string Describe(const std::string& key) const;
  // "host[:port]" requests go to (the bucket's own host when virtual).
  const std::string& host() const { return host_; }
  const S3Location& location() const { return location_; }

 private:
  using Query = std::vector<std::pair<std::string, std::string>>;

  // A request for bucket key `key` ("" for the bucket itself), signed now.
  HttpRequest Signed(const std::string& method, const std::string& key,
                     const Query& query, HttpHeaders headers,
                     std::string body) const;

  S3Location location_;
  std::string scheme_;     // "http" or "https"
  std::string host_;       // what the Host header says
  std::string base_path_;  // "/bucket" (path style) or ""
};

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_BUCKET_REQUESTS_H_
