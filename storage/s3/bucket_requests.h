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

// One part of a multipart copy (UploadPartCopy): bytes first..last
// (inclusive) of bucket key `from`, only while its ETag is `from_etag`
// (when not empty), as
// part `number` (from 1) of upload `upload_id` of bucket key `to`.
struct PartCopy {
  std::string from;
  std::string from_etag;
  uint64_t first = 0;
  uint64_t last = 0;
  std::string to;
  std::string upload_id;
  size_t number = 1;
};

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
  // CopyObject of bucket key `from` to bucket key `to`: a PUT of `to` with
  // x-amz-copy-source "/bucket/<from, encoded as a path>". The copy keeps
  // the source's metadata and content type (S3's default, COPY).
  HttpRequest Copy(const std::string& from, const std::string& to) const;
  // The requests of a multipart copy to bucket key `key`: its start (with
  // `content_type`, none when empty), a part, its end (with the XML body
  // CompleteMultipartUploadBody gives) and its abort.
  HttpRequest CreateMultipartUpload(const std::string& key,
                                    const std::string& content_type) const;
  HttpRequest UploadPartCopy(const PartCopy& part) const;
  HttpRequest CompleteMultipartUpload(const std::string& key,
                                      const std::string& upload_id,
                                      const std::string& body) const;
  HttpRequest AbortMultipartUpload(const std::string& key,
                                   const std::string& upload_id) const;

  // "s3://bucket/key", for messages.
  std::string Describe(const std::string& key) const;
  // "host[:port]" requests go to (the bucket's own host when virtual).
  const std::string& host() const { return host_; }
  const S3Location& location() const { return location_; }

 private:
  using Query = std::vector<std::pair<std::string, std::string>>;

  // The x-amz-copy-source header of bucket key `key`.
  std::pair<std::string, std::string> CopySource(const std::string& key) const;

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
