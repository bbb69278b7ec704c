// RetryingSender: retries with backoff (see retrying_sender.h).
#include "storage/s3/retrying_sender.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "storage/s3/s3_xml.h"

namespace regsweep::storage::s3 {

std::string ErrorCode(const HttpResponse& response) {
  S3Error error;
  if (!response.body.empty() && ParseS3Error(response.body, &error)) {
    return error.code;
  }
  return "";
}

bool IsRetryable(const HttpResponse& response, bool sound) {
  if (response.status == 0) return !response.too_large;
  if (response.status >= 200 && response.status < 300) return !sound;
  if (response.status == 429) return true;
  if (response.status >= 500 && response.status != 501) return true;
  const std::string code = ErrorCode(response);
  return code == "SlowDown" || code == "RequestTimeout" ||
         code == "InternalError" || code == "ServiceUnavailable";
}

std::string DescribeAnswer(const HttpResponse& response) {
  if (response.status == 0) return "no answer (" + response.transport_error + ")";
  std::string out = "HTTP " + std::to_string(response.status);
  S3Error error;
  if (!response.body.empty() && ParseS3Error(response.body, &error)) {
    out += " " + error.code;
    if (!error.message.empty()) out += " (" + error.message + ")";
  }
  return out;
}

int64_t RetryingSender::BackoffMs(int attempt) {
  int64_t ceiling = policy_.base_delay_ms;
  for (int i = 2; i < attempt && ceiling < policy_.max_delay_ms; ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, policy_.max_delay_ms);
  thread_local std::mt19937_64 random{std::random_device{}()};
  return std::uniform_int_distribution<int64_t>(0, ceiling)(random);
}

void RetryingSender::Send(size_t n, const Build& build, const Sound& sound,
                          std::vector<HttpResponse>* responses,
                          std::vector<int>* attempts) {
  responses->assign(n, HttpResponse());
  attempts->assign(n, 0);
  const auto start = std::chrono::steady_clock::now();
  std::vector<size_t> pending(n);
  for (size_t i = 0; i < n; ++i) pending[i] = i;
  std::vector<HttpRequest> requests;
  std::vector<HttpResponse> answers;
  for (int attempt = 1; !pending.empty(); ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(BackoffMs(attempt)));
      counts_->retries.fetch_add(pending.size());
    }
    requests.clear();
    for (size_t i : pending) requests.push_back(build(i));
    client_->Perform(requests, &answers);
    std::vector<size_t> again;
    for (size_t j = 0; j < pending.size(); ++j) {
      const size_t i = pending[j];
      (*attempts)[i] = attempt;
      const bool is_sound =
          answers[j].status < 200 || answers[j].status >= 300 ||
          sound(i, answers[j]);
      if (IsRetryable(answers[j], is_sound)) again.push_back(i);
      (*responses)[i] = std::move(answers[j]);
    }
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    if (attempt >= policy_.max_attempts || spent >= policy_.budget_ms) break;
    pending = std::move(again);
  }
}

}  // namespace regsweep::storage::s3
