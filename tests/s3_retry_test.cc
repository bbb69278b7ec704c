// The S3 backend's retry policy (storage/s3/retrying_sender.h): what is
// retried, how long it waits, when it gives up, and that each attempt is
// built (signed) anew. A scripted HttpClient stands in for the network.
#include "storage/s3/retrying_sender.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_store.h"

namespace regsweep::storage::s3 {
namespace {

HttpResponse Answer(long status, std::string body = "") {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse NoAnswer(const std::string& why) {
  HttpResponse response;
  response.transport_error = why;
  return response;
}

std::string ErrorBody(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
         "</Code><Message>m</Message></Error>";
}

// Answers each URL from its own script, in order; the last answer repeats.
class ScriptedClient final : public HttpClient {
 public:
  void Script(const std::string& url, std::vector<HttpResponse> answers) {
    scripts_[url] = std::deque<HttpResponse>(answers.begin(), answers.end());
  }
  void Perform(const std::vector<HttpRequest>& requests,
               std::vector<HttpResponse>* responses) override {
    std::lock_guard<std::mutex> lock(mu_);
    responses->clear();
    for (const HttpRequest& request : requests) {
      sent_.push_back(request);
      std::deque<HttpResponse>& script = scripts_[request.url];
      responses->push_back(script.front());
      if (script.size() > 1) script.pop_front();
    }
  }
  int in_flight_limit() const override { return 1; }
  size_t SentTo(const std::string& url) const {
    size_t n = 0;
    for (const HttpRequest& request : sent_) n += request.url == url ? 1 : 0;
    return n;
  }
  const std::vector<HttpRequest>& sent() const { return sent_; }

 private:
  std::mutex mu_;
  std::map<std::string, std::deque<HttpResponse>> scripts_;
  std::vector<HttpRequest> sent_;
};

RetryPolicy Quick(int attempts) {
  RetryPolicy policy;
  policy.max_attempts = attempts;
  policy.base_delay_ms = 1;
  policy.max_delay_ms = 2;
  policy.budget_ms = 60000;
  return policy;
}

TEST(S3RetryTest, WhatIsRetried) {
  EXPECT_TRUE(IsRetryable(NoAnswer("Connection reset by peer"), true));
  HttpResponse too_large = NoAnswer("too large");
  too_large.too_large = true;
  EXPECT_FALSE(IsRetryable(too_large, true));
  for (long status : {500L, 502L, 503L, 504L, 429L}) {
    EXPECT_TRUE(IsRetryable(Answer(status), true)) << status;
  }
  EXPECT_FALSE(IsRetryable(Answer(501), true));
  EXPECT_TRUE(IsRetryable(Answer(400, ErrorBody("RequestTimeout")), true));
  EXPECT_TRUE(IsRetryable(Answer(503, ErrorBody("SlowDown")), true));
  for (long status : {400L, 403L, 404L, 301L}) {
    EXPECT_FALSE(IsRetryable(Answer(status, ErrorBody("AccessDenied")), true))
        << status;
  }
  EXPECT_FALSE(IsRetryable(Answer(200, "<ok/>"), true));
  EXPECT_TRUE(IsRetryable(Answer(200, "<trunc"), false));  // a broken body
}

TEST(S3RetryTest, DescribesAnAnswerWithItsCode) {
  EXPECT_EQ(DescribeAnswer(Answer(503, ErrorBody("SlowDown"))),
            "HTTP 503 SlowDown (m)");
  EXPECT_EQ(DescribeAnswer(Answer(403)), "HTTP 403");
  EXPECT_EQ(DescribeAnswer(NoAnswer("timed out")), "no answer (timed out)");
}

TEST(S3RetryTest, RetriesUntilAnAnswerCanBeUsed) {
  ScriptedClient client;
  client.Script("a", {Answer(503, ErrorBody("SlowDown")),
                      NoAnswer("Connection reset by peer"), Answer(200, "ok")});
  client.Script("b", {Answer(200, "ok")});
  S3RequestCounts counts;
  RetryingSender sender(&client, Quick(8), &counts);
  std::vector<std::string> urls = {"a", "b"};
  int built = 0;
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender.Send(
      urls.size(),
      [&](size_t i) {
        ++built;
        HttpRequest request;
        request.url = urls[i];
        return request;
      },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(attempts[0], 3);
  EXPECT_EQ(attempts[1], 1);
  EXPECT_EQ(client.SentTo("b"), 1u);  // only what failed is sent again
  EXPECT_EQ(built, 4);                // each attempt is built (signed) anew
  EXPECT_EQ(counts.retries.load(), 2u);
}

TEST(S3RetryTest, GivesUpAfterMaxAttempts) {
  ScriptedClient client;
  client.Script("a", {Answer(500, ErrorBody("InternalError"))});
  S3RequestCounts counts;
  RetryingSender sender(&client, Quick(4), &counts);
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender.Send(
      1, [](size_t) { HttpRequest r; r.url = "a"; return r; },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  EXPECT_EQ(responses[0].status, 500);
  EXPECT_EQ(attempts[0], 4);
  EXPECT_EQ(client.SentTo("a"), 4u);
}

TEST(S3RetryTest, ABrokenBodyIsRetriedThenReturnedAsItCame) {
  ScriptedClient client;
  client.Script("a", {Answer(200, "<ListBucketResult")});
  S3RequestCounts counts;
  RetryingSender sender(&client, Quick(3), &counts);
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender.Send(
      1, [](size_t) { HttpRequest r; r.url = "a"; return r; },
      [](size_t, const HttpResponse& response) {
        return response.body.ends_with(">");
      },
      &responses, &attempts);
  EXPECT_EQ(attempts[0], 3);
  // The caller checks the body again and refuses it: never an empty answer.
  EXPECT_EQ(responses[0].body, "<ListBucketResult");
}

TEST(S3RetryTest, ALastingRefusalIsNotRetried) {
  ScriptedClient client;
  client.Script("a", {Answer(403, ErrorBody("AccessDenied"))});
  S3RequestCounts counts;
  RetryingSender sender(&client, Quick(8), &counts);
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender.Send(
      1, [](size_t) { HttpRequest r; r.url = "a"; return r; },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  EXPECT_EQ(attempts[0], 1);
}

TEST(S3RetryTest, StopsWhenTheTimeBudgetIsSpent) {
  ScriptedClient client;
  client.Script("a", {Answer(503)});
  S3RequestCounts counts;
  RetryPolicy policy = Quick(1000);
  policy.base_delay_ms = 20;
  policy.max_delay_ms = 20;
  policy.budget_ms = 50;
  RetryingSender sender(&client, policy, &counts);
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender.Send(
      1, [](size_t) { HttpRequest r; r.url = "a"; return r; },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  // Waits of at most 20 ms each: the budget ends it long before 1000.
  EXPECT_LT(attempts[0], 200);
  EXPECT_GE(attempts[0], 2);
}

}  // namespace
}  // namespace regsweep::storage::s3
