// RetryingSender: sends a batch of S3 requests through an HttpClient and
// sends again, with exponential backoff and full jitter, those whose answer
// a rerun may mend (see s3_store.h for which). Each attempt builds its
// request anew, so that it is signed at the time it is sent.
//
// Thread safety: Send may be called from several threads at once.
#ifndef REGSWEEP_STORAGE_S3_RETRYING_SENDER_H_
#define REGSWEEP_STORAGE_S3_RETRYING_SENDER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_store.h"

namespace regsweep::storage::s3 {

// Whether an answer is worth another attempt: no answer at all (but not
// a body over the size limit), 5xx but 501, 429, S3's SlowDown,
// RequestTimeout and InternalError codes, and a 2xx answer `sound` found
// broken.
bool IsRetryable(const HttpResponse& response, bool sound);

// The S3 error code of an answer ("SlowDown"), or "" when its body has
// none (a HEAD answer, an HTML page).
std::string ErrorCode(const HttpResponse& response);

// "HTTP 503 SlowDown (Please reduce your request rate.)", "no answer
// (Connection reset by peer)": what went wrong with one answer.
std::string DescribeAnswer(const HttpResponse& response);

class RetryingSender {
 public:
  RetryingSender(HttpClient* client, const RetryPolicy& policy,
                 S3RequestCounts* counts)
      : client_(client), policy_(policy), counts_(counts) {}

  using Build = std::function<HttpRequest(size_t i)>;
  // Whether a 2xx answer to request i has the body it must have.
  using Sound = std::function<bool(size_t i, const HttpResponse& response)>;

  // Sends requests build(0) ... build(n - 1). (*responses)[i] is request
  // i's last answer, (*attempts)[i] how many attempts it took.
  void Send(size_t n, const Build& build, const Sound& sound,
            std::vector<HttpResponse>* responses,
            std::vector<int>* attempts);

 private:
  // How long to wait before attempt `attempt` (2, 3, ...): uniform in
  // [0, min(max_delay, base_delay * 2^(attempt-2))].
  int64_t BackoffMs(int attempt);

  HttpClient* client_;
  RetryPolicy policy_;
  S3RequestCounts* counts_;
};

}  // namespace regsweep::storage::s3

#endif  // REGSWEEP_STORAGE_S3_RETRYING_SENDER_H_
