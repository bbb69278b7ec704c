// The S3 backend: a Store (storage/store.h) on a bucket of S3 or of a
// server that speaks its API (Ceph's RADOS Gateway, MinIO, ...), below a
// key prefix (the registry's storage.s3.rootdirectory). It is an
// ObjectStore (storage/object_store.h), which gives it the contract's
// semantics; this file only speaks HTTP:
//   ListPage     -> ListObjectsV2 (encoding-type=url, 1000 keys a page)
//   GetObjects   -> GetObject, in parallel (Range for a part)
//   HeadObjects  -> HeadObject, in parallel
//   DeleteObjects-> DeleteObjects, 1000 exact keys a request, in parallel,
//                   every key's outcome checked
//   PutIfAbsent  -> PutObject with If-None-Match: * (AWS since 2024, Ceph's
//                   RADOS Gateway, MinIO); 412 is AlreadyExists
//   CopyObjects  -> CopyObject (x-amz-copy-source), in parallel; a source
//                   larger than multipart_copy_threshold is copied in parts
//                   instead: a HEAD of it, CreateMultipartUpload with its
//                   Content-Type, UploadPartCopy of each part (in parallel,
//                   x-amz-copy-source-if-match the HEAD's ETag, so that the
//                   parts are of one version where the server honours it:
//                   AWS does, RADOS Gateway 16 ignores it),
//                   CompleteMultipartUpload with the parts' ETags in order,
//                   and AbortMultipartUpload when any of them fails. A copy
//                   answers 200 before it is done: only a body that is its
//                   result counts, and one that is an <Error>, another
//                   document or cut short is retried, then an error.
//                   NoSuchKey is NotFound.
// Requests are signed with AWS Signature Version 4 (storage/s3/sigv4.h)
// and sent through one HttpClient (storage/s3/http_client.h), so that up
// to `concurrency` of them are in flight whatever the number of cores.
//
// Versions: an object's version is a hash of its ETag and its
// LastModified (to the second, which both a listing and a HEAD give), so it
// moves with every write; ETags and LastModified are set by the server
// alone (object_versions_move).
//
// Failures. A request is retried, with exponential backoff and full
// jitter, on what a rerun can mend: no answer (refused, reset, timed out,
// stalled), a body shorter than its Content-Length, 500, 502, 503, 504,
// 429, S3's SlowDown, InternalError and RequestTimeout, and a 200 whose
// body is not what it must be (XML that does not parse, a whole object
// whose MD5 is not its single-part ETag). Retries stop after
// RetryPolicy::max_attempts or once RetryPolicy::budget_ms has passed
// since the first attempt; the error then names the key, the HTTP status,
// S3's error code and message, and the number of attempts. A 403 names
// the access key and where it came from (never the secret) and the
// permission the request needed; it and other refusals that a rerun will
// not mend (no such bucket, a wrong region) are lasting
// (Status::IsLasting).
#ifndef REGSWEEP_STORAGE_S3_S3_STORE_H_
#define REGSWEEP_STORAGE_S3_S3_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/s3/s3_location.h"
#include "storage/store.h"
#include "util/status.h"

namespace regsweep::storage::s3 {

class HttpClient;

struct RetryPolicy {
  int max_attempts = 8;
  int64_t base_delay_ms = 50;   // the first retry waits up to this
  int64_t max_delay_ms = 5000;  // no wait is longer than this
  int64_t budget_ms = 120000;   // no retry starts later than this
};

struct S3StoreOptions {
  S3Location location;
  int concurrency = 128;  // requests in flight at most
  RetryPolicy retry;
  // Per request: give up on a connection after this long, and on an
  // answer that stalls (no byte) for this long.
  long connect_timeout_ms = 10000;
  long stall_timeout_ms = 30000;
  // Copies of objects larger than this are multipart copies (S3's
  // CopyObject copies at most 5 GiB), in parts of copy_part_size bytes
  // (larger when 10,000 parts, S3's most, would not hold the object; the
  // last part smaller). S3 refuses parts under 5 MiB but the last.
  uint64_t multipart_copy_threshold = 5ull << 30;
  uint64_t copy_part_size = 512ull << 20;
};

// Requests sent, by kind (for reports and benchmarks); `retries` counts
// the attempts beyond the first, of every kind.
struct S3RequestCounts {
  std::atomic<uint64_t> list{0};
  std::atomic<uint64_t> get{0};
  std::atomic<uint64_t> head{0};
  std::atomic<uint64_t> delete_batches{0};
  std::atomic<uint64_t> put{0};  // conditional puts (the run lock)
  // The requests of copies: CopyObject, and each request of a multipart
  // copy (its source's HEAD counts as a head).
  std::atomic<uint64_t> copy{0};
  std::atomic<uint64_t> retries{0};  // attempts after the first
};

// Opens the bucket (no request is sent yet: the first one tells whether
// the endpoint, the bucket and the credentials work). InvalidArgument for
// an endpoint that is not scheme://host[:port].
Status OpenS3Store(const S3StoreOptions& options,
                   std::unique_ptr<Store>* store);
// The same with every request sent through `client` (the HTTP options are
// then its own): for tests, with a client that answers as a server would.
Status OpenS3Store(const S3StoreOptions& options,
                   std::unique_ptr<HttpClient> client,
                   std::unique_ptr<Store>* store);

// The counts of a store OpenS3Store opened, or null for any other store.
const S3RequestCounts* RequestCountsOf(const Store* store);

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_S3_STORE_H_
