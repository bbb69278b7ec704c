// HttpClient on libcurl's multi interface (see http_client.h).
#include "storage/s3/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace regsweep::storage::s3 {

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

namespace {

// curl_global_init once per process, before any thread uses libcurl.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Callers wait on one of these for their whole batch.
struct Batch {
  std::mutex mu;
  std::condition_variable done;
  size_t left = 0;
};

// One request's transfer, from submission to its answer.
struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  Batch* batch = nullptr;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
};

std::string Trim(std::string text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.pop_back();
  }
  size_t start = 0;
  while (start < text.size() &&
         std::isspace(static_cast<unsigned char>(text[start])) != 0) {
    ++start;
  }
  return text.substr(start);
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  HttpResponse* response = transfer->response;
  if (response->body.size() + n > transfer->request->max_body_bytes) {
    response->too_large = true;
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
  }
  response->body.append(data, n);
  return n;
}

// Collects the final answer's headers: a new status line (after a
// "100 Continue", say) starts them afresh.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response->headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  transfer->response->headers.emplace_back(std::move(name),
                                           Trim(line.substr(colon + 1)));
  return n;
}

class CurlMultiClient final : public HttpClient {
 public:
  explicit CurlMultiClient(const HttpClientOptions& options)
      : options_(options), limit_(std::max(options.max_in_flight,
                                           kMinInFlight)) {}

  ~CurlMultiClient() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
    if (loop_.joinable()) loop_.join();
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  Status Start() {
    // The multi handle's own caches (names, connections) serve every
    // transfer: all of them run on the loop thread.
    multi_ = curl_multi_init();
    if (multi_ == nullptr) {
      return Status::IOError("libcurl", "cannot set up an HTTP client");
    }
    // Connections are kept alive across requests (HTTP/1.1), one per
    // transfer in flight.
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options_.max_in_flight));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.max_in_flight));
    loop_ = std::thread([this] { Loop(); });
    return Status::OK();
  }

  void Perform(const std::vector<HttpRequest>& requests,
               std::vector<HttpResponse>* responses) override {
    responses->assign(requests.size(), HttpResponse());
    if (requests.empty()) return;
    Batch batch;
    batch.left = requests.size();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < requests.size(); ++i) {
        auto transfer = std::make_unique<Transfer>();
        transfer->request = &requests[i];
        transfer->response = &(*responses)[i];
        transfer->batch = &batch;
        queue_.push_back(std::move(transfer));
      }
    }
    curl_multi_wakeup(multi_);
    std::unique_lock<std::mutex> lock(batch.mu);
    batch.done.wait(lock, [&batch] { return batch.left == 0; });
  }

  int in_flight_limit() const override { return limit_.load(); }

 private:
  // The event loop: starts queued transfers while under the limit, drives
  // them, hands back the finished ones.
  void Loop() {
    while (true) {
      StartQueued();
      int running = 0;
      curl_multi_perform(multi_, &running);
      FinishDone();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_ && active_ == 0 && queue_.empty()) return;
      }
      curl_multi_poll(multi_, nullptr, 0, 100, nullptr);
    }
  }

  void StartQueued() {
    std::lock_guard<std::mutex> lock(mu_);
    while (!queue_.empty() && active_ < limit_.load()) {
      std::unique_ptr<Transfer> transfer = std::move(queue_.front());
      queue_.pop_front();
      Configure(transfer.get());
      curl_multi_add_handle(multi_, transfer->easy);
      ++active_;
      transfer.release();  // owned by the easy handle's private pointer
    }
  }

  CURL* TakeHandle() {
    if (!idle_.empty()) {
      CURL* easy = idle_.back();
      idle_.pop_back();
      curl_easy_reset(easy);
      return easy;
    }
    return curl_easy_init();
  }

  // Requires mu_ (for the idle handles).
  void Configure(Transfer* transfer) {
    const HttpRequest& request = *transfer->request;
    CURL* easy = TakeHandle();
    transfer->easy = easy;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     options_.connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, options_.stall_timeout_ms / 1000));
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER,
                     options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST,
                     options_.verify_tls ? 2L : 0L);
    if (!options_.ca_bundle.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    }
    if (request.method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty() || request.method == "PUT" ||
        request.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip, and no type curl would make up
    // (both would change what was signed or cost a round trip).
    list = curl_slist_append(list, "Expect:");
    if (request.method == "POST" || request.method == "PUT") {
      bool typed = std::any_of(
          request.headers.begin(), request.headers.end(),
          [](const auto& header) { return header.first == "content-type"; });
      if (!typed) list = curl_slist_append(list, "Content-Type:");
    }
    transfer->header_list = list;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
  }

  void FinishDone() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      Transfer* transfer = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &transfer);
      Complete(transfer, message->data.result);
    }
  }

  void Complete(Transfer* transfer, CURLcode result) {
    HttpResponse* response = transfer->response;
    if (result == CURLE_OK) {
      curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE,
                        &response->status);
    } else {
      response->status = 0;
      response->transport_error =
          transfer->error[0] != '\0' ? transfer->error
                                     : curl_easy_strerror(result);
      if (response->too_large) {
        response->transport_error = "the answer is larger than " +
                                    std::to_string(transfer->request
                                                       ->max_body_bytes) +
                                    " bytes";
      }
    }
    AdjustLimit(response->status);
    curl_multi_remove_handle(multi_, transfer->easy);
    curl_slist_free_all(transfer->header_list);
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(transfer->easy);
      --active_;
    }
    Batch* batch = transfer->batch;
    delete transfer;
    std::lock_guard<std::mutex> lock(batch->mu);
    if (--batch->left == 0) batch->done.notify_all();
  }

  // Runs on the loop thread only. The limit grows by one for every
  // quarter of it answered without a throttle, so it recovers in a few
  // round trips, not at once.
  void AdjustLimit(long status) {
    const int limit = limit_.load();
    if (status == 503 || status == 429) {
      limit_.store(std::max(kMinInFlight, limit / 2));
      calm_answers_ = 0;
    } else if (limit < options_.max_in_flight &&
               ++calm_answers_ >= std::max(1, limit / 4)) {
      limit_.store(limit + 1);
      calm_answers_ = 0;
    }
  }

  const HttpClientOptions options_;
  std::atomic<int> limit_;
  CURLM* multi_ = nullptr;
  std::thread loop_;
  int calm_answers_ = 0;  // loop thread only

  std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_;  // guarded by mu_
  std::vector<CURL*> idle_;                      // guarded by mu_
  int active_ = 0;                               // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
};

}  // namespace

Status HttpClient::Open(const HttpClientOptions& options,
                        std::unique_ptr<HttpClient>* client) {
  InitCurlOnce();
  auto curl = std::make_unique<CurlMultiClient>(options);
  Status s = curl->Start();
  if (!s.ok()) return s;
  *client = std::move(curl);
  return Status::OK();
}

}  // namespace regsweep::storage::s3
