// The S3 backend's retry policy (storage/s3/retrying_sender.h): what is
// retried, how long it waits, when it gives up, and that each attempt is
// built (signed) anew. A scripted HttpClient stands in for the network.
// Then the S3 store's copies (MoveTrees) against a server in a function:
// the requests they send, and that a 200 is no success until its body is.
#include "storage/s3/retrying_sender.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pugixml.hpp>
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

// A server in a function: each request is answered as `serve` says, and
// kept for the test to look at.
class FakeServer : public HttpClient {
 public:
  using Serve = std::function<HttpResponse(const HttpRequest&)>;
  explicit FakeServer(Serve serve) : serve_(std::move(serve)) {}

  void Perform(const std::vector<HttpRequest>& requests,
               std::vector<HttpResponse>* responses) override {
    std::lock_guard<std::mutex> lock(mu_);
    responses->clear();
    for (const HttpRequest& request : requests) {
      sent_.push_back(request);
      responses->push_back(serve_(request));
    }
  }
  int in_flight_limit() const override { return 1; }

  // The requests sent with `method` whose URL contains `part`.
  std::vector<HttpRequest> Sent(const std::string& method,
                                const std::string& part) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<HttpRequest> out;
    for (const HttpRequest& request : sent_) {
      if (request.method == method &&
          request.url.find(part) != std::string::npos) {
        out.push_back(request);
      }
    }
    return out;
  }
  // How many requests went to exactly `url`.
  size_t SentTo(const std::string& url) const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const HttpRequest& request : sent_) n += request.url == url ? 1 : 0;
    return n;
  }

 private:
  Serve serve_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> sent_;
};

// Answers each URL from its own script, in order; the last answer repeats.
class ScriptedClient final : public FakeServer {
 public:
  // Served under FakeServer's lock, so the scripts need none of their own.
  ScriptedClient()
      : FakeServer([this](const HttpRequest& request) {
          std::deque<HttpResponse>& script = scripts_[request.url];
          HttpResponse answer = script.front();
          if (script.size() > 1) script.pop_front();
          return answer;
        }) {}
  void Script(const std::string& url, std::vector<HttpResponse> answers) {
    scripts_[url] = std::deque<HttpResponse>(answers.begin(), answers.end());
  }

 private:
  std::map<std::string, std::deque<HttpResponse>> scripts_;
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

// --- Copies ------------------------------------------------------------------

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// A listing of `keys` (key -> size), whatever was asked.
HttpResponse Listing(const std::map<std::string, uint64_t>& keys) {
  std::string body = "<ListBucketResult><IsTruncated>false</IsTruncated>";
  for (const auto& [key, size] : keys) {
    body += "<Contents><Key>" + key + "</Key><Size>" + std::to_string(size) +
            "</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
            "<ETag>\"e\"</ETag></Contents>";
  }
  return Answer(200, body + "</ListBucketResult>");
}

// Every key of a DeleteObjects request, deleted.
HttpResponse DeletedAll(const HttpRequest& request) {
  pugi::xml_document doc;
  doc.load_string(request.body.c_str());
  std::string body = "<DeleteResult>";
  for (pugi::xml_node object : doc.child("Delete").children("Object")) {
    body += "<Deleted><Key>" + std::string(object.child_value("Key")) +
            "</Key></Deleted>";
  }
  return Answer(200, body + "</DeleteResult>");
}

constexpr char kCopied[] =
    "<CopyObjectResult><ETag>\"c\"</ETag></CopyObjectResult>";
constexpr char kErrorIn200[] =
    "\n  \n<Error><Code>InternalError</Code><Message>We encountered an "
    "internal error. Please try again.</Message></Error>";

// A store on bucket "b" of http://s3.test, path style, no credentials,
// whose requests `server` answers: listings and deletes as above, the
// rest as `serve` says. Multipart copies above 8 bytes, in 4-byte parts.
class S3CopyTest : public ::testing::Test {
 protected:
  void Open(std::map<std::string, uint64_t> keys, FakeServer::Serve serve) {
    auto server =
        std::make_unique<FakeServer>([keys, serve](const HttpRequest& request) {
          if (request.method == "GET" &&
              request.url.find("list-type=2") != std::string::npos) {
            return Listing(keys);
          }
          if (request.method == "POST" && request.url.ends_with("?delete")) {
            return DeletedAll(request);
          }
          return serve(request);
        });
    server_ = server.get();
    S3StoreOptions options;
    options.location.bucket = "b";
    options.location.endpoint = "http://s3.test";
    options.location.path_style = true;
    options.retry = Quick(3);
    options.multipart_copy_threshold = 8;
    options.copy_part_size = 4;
    ASSERT_TRUE(OpenS3Store(options, std::move(server), &store_).ok());
  }
  Status Move(const std::string& from, const std::string& to) {
    std::vector<Status> results;
    store_->MoveTrees({{from, to}}, &results);
    return results.at(0);
  }
  const S3RequestCounts& counts() { return *RequestCountsOf(store_.get()); }

  FakeServer* server_ = nullptr;  // owned by store_
  std::unique_ptr<Store> store_;
};

TEST_F(S3CopyTest, ACopyIsAPutNamingItsSourceEncoded) {
  Open({{"a/x y+z", 3}},
       [](const HttpRequest&) { return Answer(200, kCopied); });
  Status s = Move("a", "q/a");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<HttpRequest> copies = server_->Sent("PUT", "");
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].url, "http://s3.test/b/q/a/x%20y%2Bz");
  EXPECT_EQ(HeaderOf(copies[0], "x-amz-copy-source"), "/b/a/x%20y%2Bz");
  EXPECT_EQ(copies[0].body, "");
  // Only after the copy: the source's deletion.
  std::vector<HttpRequest> deletes = server_->Sent("POST", "?delete");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_NE(deletes[0].body.find("<Key>a/x y+z</Key>"), std::string::npos);
  EXPECT_EQ(counts().copy.load(), 1u);
}

TEST_F(S3CopyTest, A200WithAnErrorIsRetriedAndNeverSuccess) {
  Open({{"a/k", 3}},
       [](const HttpRequest&) { return Answer(200, kErrorIn200); });
  Status s = Move("a", "q/a");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("InternalError"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("after 3 attempts"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(server_->Sent("PUT", "/b/q/a/k").size(), 3u);
  EXPECT_TRUE(server_->Sent("POST", "?delete").empty());  // the source stays
}

TEST_F(S3CopyTest, A200CutShortIsRetriedUntilItIsAResult) {
  int attempt = 0;
  Open({{"a/k", 3}}, [&attempt](const HttpRequest&) {
    ++attempt;
    if (attempt == 1) return Answer(200, "  <CopyObjectResult><ETag>\"c\"");
    if (attempt == 2) return Answer(200, "");
    return Answer(200, kCopied);
  });
  Status s = Move("a", "q/a");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(server_->Sent("PUT", "/b/q/a/k").size(), 3u);
  EXPECT_EQ(server_->Sent("POST", "?delete").size(), 1u);
  EXPECT_EQ(counts().retries.load(), 2u);
}

TEST_F(S3CopyTest, NoSuchKeyFailsTheTreeAndKeepsTheRest) {
  Open({{"a/gone", 3}, {"a/k", 3}}, [](const HttpRequest& request) {
    if (request.url.ends_with("/gone")) {
      return Answer(404, ErrorBody("NoSuchKey"));
    }
    return Answer(200, kCopied);
  });
  Status s = Move("a", "q/a");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("vanished"), std::string::npos) << s.ToString();
  EXPECT_EQ(server_->Sent("PUT", "").size(), 2u);  // not retried
  EXPECT_TRUE(server_->Sent("POST", "?delete").empty());
}

// What a multipart copy of the 10-byte "a/big" is answered.
HttpResponse MultipartServer(const HttpRequest& request, bool fail_part_2,
                             bool fail_complete) {
  const std::string& url = request.url;
  if (request.method == "HEAD") {
    HttpResponse head = Answer(200);
    head.headers = {{"content-length", "10"},
                    {"etag", "\"src\""},
                    {"content-type", "application/x-blob"}};
    return head;
  }
  if (request.method == "POST" && url.ends_with("?uploads")) {
    return Answer(200,
                  "<InitiateMultipartUploadResult><UploadId>U</UploadId>"
                  "</InitiateMultipartUploadResult>");
  }
  if (request.method == "PUT" && url.find("partNumber=") != std::string::npos) {
    const std::string number = url.substr(url.find("partNumber=") + 11, 1);
    if (fail_part_2 && number == "2") {
      return Answer(500, ErrorBody("InternalError"));
    }
    return Answer(200, "<CopyPartResult><ETag>\"p" + number +
                           "\"</ETag></CopyPartResult>");
  }
  if (request.method == "POST" && url.ends_with("?uploadId=U")) {
    if (fail_complete) return Answer(200, kErrorIn200);
    return Answer(200,
                  "<CompleteMultipartUploadResult><ETag>\"m-3\"</ETag>"
                  "</CompleteMultipartUploadResult>");
  }
  if (request.method == "DELETE" && url.ends_with("?uploadId=U")) {
    return Answer(204);
  }
  ADD_FAILURE() << request.method << " " << request.url;
  return Answer(400, ErrorBody("UnexpectedRequest"));
}

TEST_F(S3CopyTest, ALargeObjectIsCopiedInParts) {
  Open({{"a/big", 10}}, [](const HttpRequest& request) {
    return MultipartServer(request, false, false);
  });
  Status s = Move("a", "q/a");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<HttpRequest> starts = server_->Sent("POST", "/b/q/a/big?uploads");
  ASSERT_EQ(starts.size(), 1u);
  // A multipart copy does not carry the type: the HEAD's is given.
  EXPECT_EQ(HeaderOf(starts[0], "content-type"), "application/x-blob");
  std::vector<HttpRequest> parts = server_->Sent("PUT", "partNumber=");
  ASSERT_EQ(parts.size(), 3u);
  std::map<std::string, std::string> ranges;  // part number -> range
  for (const HttpRequest& part : parts) {
    EXPECT_EQ(HeaderOf(part, "x-amz-copy-source"), "/b/a/big");
    EXPECT_EQ(HeaderOf(part, "x-amz-copy-source-if-match"), "\"src\"");
    EXPECT_NE(part.url.find("uploadId=U"), std::string::npos);
    ranges[part.url.substr(part.url.find("partNumber=") + 11, 1)] =
        HeaderOf(part, "x-amz-copy-source-range");
  }
  EXPECT_EQ(ranges,
            (std::map<std::string, std::string>{
                {"1", "bytes=0-3"}, {"2", "bytes=4-7"}, {"3", "bytes=8-9"}}));
  std::vector<HttpRequest> completes = server_->Sent("POST", "?uploadId=U");
  ASSERT_EQ(completes.size(), 1u);
  const std::string& body = completes[0].body;
  const size_t p1 = body.find("&quot;p1&quot;");
  const size_t p2 = body.find("&quot;p2&quot;");
  const size_t p3 = body.find("&quot;p3&quot;");
  EXPECT_TRUE(p1 < p2 && p2 < p3 && p3 != std::string::npos) << body;
  EXPECT_TRUE(server_->Sent("DELETE", "").empty());  // no abort
  EXPECT_EQ(server_->Sent("POST", "?delete").size(), 1u);
  EXPECT_EQ(counts().head.load(), 1u);
  EXPECT_EQ(counts().copy.load(), 5u);  // start, 3 parts, completion
}

// A part that fails, or a completion that answers 200 with an error: the
// upload is aborted, and the source stays.
TEST_F(S3CopyTest, AFailedMultipartCopyIsAbortedAndKeepsTheSource) {
  for (bool fail_part : {true, false}) {
    SCOPED_TRACE(fail_part ? "a failed part" : "an error in a 200");
    Open({{"a/big", 10}}, [fail_part](const HttpRequest& request) {
      return MultipartServer(request, fail_part, !fail_part);
    });
    Status s = Move("a", "q/a");
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.message().find(fail_part ? "HTTP 500 InternalError"
                                         : "HTTP 200 but"),
              std::string::npos)
        << s.ToString();
    // No completion after a failed part; a failed one is retried.
    EXPECT_EQ(server_->Sent("POST", "/b/q/a/big?uploadId=U").size(),
              fail_part ? 0u : 3u);
    EXPECT_EQ(server_->Sent("DELETE", "/b/q/a/big?uploadId=U").size(), 1u);
    EXPECT_TRUE(server_->Sent("POST", "?delete").empty());
  }
}

}  // namespace
}  // namespace regsweep::storage::s3
