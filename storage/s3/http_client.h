// HttpClient: many HTTP requests in flight on one thread, whatever the
// number of cores: what an object store in a cloud region (10-50 ms a
// request) needs, since its speed is requests in flight, not CPU. Built on
// libcurl's multi interface: one event-loop thread drives every transfer;
// connections are kept alive and reused; callers on any thread hand over a
// batch and wait for it.
//
// The client only moves bytes: it neither signs nor retries (the S3 layer
// decides what is worth retrying, and must sign each attempt anew). What it
// does about load: it never has more than `max_in_flight` transfers open,
// and an answer of 503 or 429 (a server asking for less) halves that limit,
// down to kMinInFlight; each answer that is not one raises it again by one,
// up to max_in_flight (additive increase, multiplicative decrease, as TCP).
//
// Thread safety: Perform may be called from many threads at once.
#ifndef REGSWEEP_STORAGE_S3_HTTP_CLIENT_H_
#define REGSWEEP_STORAGE_S3_HTTP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace regsweep::storage::s3 {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // absolute, already percent-encoded
  HttpHeaders headers;
  std::string body;  // sent as is (with Content-Length) when not empty
  // A body longer than this fails the transfer (HttpResponse::too_large)
  // instead of being held in memory.
  uint64_t max_body_bytes = 64ull << 20;
};

struct HttpResponse {
  // The HTTP status, or 0 when no complete answer came (transport_error
  // says why: refused, reset, timed out, a body shorter than its
  // Content-Length).
  long status = 0;
  std::string transport_error;
  // The body outgrew HttpRequest::max_body_bytes (transport_error is set).
  bool too_large = false;
  HttpHeaders headers;  // of the final answer; names in lower case
  std::string body;

  // The value of header `name` (lower case), or "" when absent.
  std::string Header(const std::string& name) const;
};

struct HttpClientOptions {
  int max_in_flight = 128;
  bool verify_tls = true;
  std::string ca_bundle;  // empty: the system's
  long connect_timeout_ms = 10000;
  // A transfer that moves fewer than 1 byte a second for this long is
  // abandoned (a stalled server), whatever its size.
  long stall_timeout_ms = 30000;
  // A transfer that takes longer than this in all is abandoned.
  long total_timeout_ms = 300000;
};

class HttpClient {
 public:
  static constexpr int kMinInFlight = 4;

  // IOError when libcurl cannot be set up.
  static Status Open(const HttpClientOptions& options,
                     std::unique_ptr<HttpClient>* client);

  virtual ~HttpClient() = default;

  // Sends every one of `requests` (as many at once as the limit allows,
  // shared with other callers) and waits for all of them.
  // (*responses)[i] answers requests[i].
  virtual void Perform(const std::vector<HttpRequest>& requests,
                       std::vector<HttpResponse>* responses) = 0;

  // The current limit on transfers in flight (see above).
  virtual int in_flight_limit() const = 0;
};

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_HTTP_CLIENT_H_
